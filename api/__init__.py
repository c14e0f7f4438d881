"""Quantive's Badges API: the typed async client, its models and errors, and an emulator."""

from api.client import DEFAULT_BASE_URL, QuantiveClient
from api.retry import RetryPolicy
from api.transport import build_http_client

__all__ = ["DEFAULT_BASE_URL", "QuantiveClient", "RetryPolicy", "build_http_client"]
