"""Quantive's Badges API: the typed async client, its models and errors, and an emulator."""

from api.client import DEFAULT_BASE_URL, QuantiveClient, build_http_client
from api.retry import RetryPolicy

__all__ = ["DEFAULT_BASE_URL", "QuantiveClient", "RetryPolicy", "build_http_client"]
