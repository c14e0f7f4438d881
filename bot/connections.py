"""Each workspace's own Quantive connection: which host and account it uses, its API token
(stored encrypted, shown only by its last four characters), checked against Quantive
before it is kept.

This is core code: it knows workspace keys (:mod:`bot.workspaces`) and the Quantive
client, never a chat SDK. The rows live behind :class:`ConnectionStore`, which the
``quantive_connections`` table of :mod:`bot.store` provides.
"""

from __future__ import annotations

import time
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from api import errors
from api.client import DEFAULT_BASE_URL, QuantiveClient
from api.retry import RetryPolicy
from api.transport import build_http_client
from bot.regions import REGIONS, Region, quantive_host, region_names, region_url
from bot.secrets import SecretBox, SecretKeyError, last_four
from bot.store.connections import ConnectionRow
from bot.workspaces import describe_workspace


class ConnectionStore(Protocol):
    """The part of the store this module needs: ``bot.store.Store`` scoped to a workspace
    with :meth:`for_workspace`; the other methods act on that workspace, except the two
    that list every workspace."""

    def for_workspace(self, key: str) -> ConnectionStore:
        """This store, scoped to the workspace ``key``."""
        ...

    async def save_connection(self, row: ConnectionRow) -> None:
        """Insert or replace the scoped workspace's connection."""
        ...

    async def connection(self) -> ConnectionRow | None:
        """The scoped workspace's connection, if it has one."""
        ...

    async def delete_connection(self) -> bool:
        """Forget the scoped workspace's connection; whether there was one."""
        ...

    async def all_connections(self) -> list[ConnectionRow]:
        """Every workspace's connection."""
        ...

    async def connected_workspaces(self) -> list[str]:
        """The key of every workspace that has a connection."""
        ...


#: Hosts where plain http is allowed: a token sent anywhere else must travel over TLS.
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
#: Seconds the check waits for Quantive: an operator is waiting at a prompt.
CHECK_TIMEOUT = 10.0
#: One quick repeat, so that a single dropped connection does not fail a connect.
_CHECK_RETRY = RetryPolicy(max_retries=1, backoff_base=0.1, backoff_cap=0.5)


__all__ = [
    "REGIONS",
    "ConnectionProblem",
    "ConnectionRow",
    "ConnectionStore",
    "Region",
    "check_connection",
    "connect",
    "disconnect",
    "list_connections",
    "quantive_host",
    "quantive_settings_for",
    "region_names",
    "resolve_quantive_url",
]


class ConnectionProblem(ValueError):
    """A connection cannot be made; the message is one sentence saying what to fix."""


def resolve_quantive_url(text: str) -> str:
    """The API base URL for a region name or a URL; ConnectionProblem when it is neither.

    A URL must be https (http only on loopback, for the emulator), and carries no user,
    query or fragment: it is stored and shown in clear, and ends at the API's base.
    """
    value = (text or "").strip()
    if not value:
        raise ConnectionProblem(
            f"The Quantive URL is empty: give a region ({region_names()}) or an https URL."
        )
    named = region_url(value)
    if named:
        return named
    try:
        parts = urlsplit(value)
        port = parts.port  # raises on a port that is not a number
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConnectionProblem(
            f"{value!r} is neither a region ({region_names()}) nor a URL such as "
            f"{DEFAULT_BASE_URL}."
        )
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise ConnectionProblem(
            "The Quantive URL must start with https://, so that the token is never sent in clear."
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConnectionProblem(
            "The Quantive URL must be the API's base alone, without a user, a ?query or "
            f"a #fragment, such as {DEFAULT_BASE_URL}."
        )
    host = parts.hostname if port is None else f"{parts.hostname}:{port}"
    return f"{parts.scheme}://{host}{parts.path.rstrip('/')}"


async def check_connection(
    quantive_url: str,
    account_id: str,
    token: str,
    *,
    http_timeout: float = CHECK_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> str | None:
    """None when the token and account id can read Quantive's badges at ``quantive_url``
    (a region name or a URL); else one sentence saying what to fix.

    One page of ``GET /badges`` proves access. ``transport`` replaces the network in tests.
    """
    try:
        url = resolve_quantive_url(quantive_url)
        _check_fields(account_id, token)
    except ConnectionProblem as problem:
        return str(problem)
    host = urlsplit(url).netloc
    http = build_http_client(
        url,
        token.strip(),
        account_id.strip(),
        timeout=http_timeout,
        connect_timeout=min(http_timeout, 5.0),
        max_connections=1,
        transport=transport,
    )
    client = QuantiveClient(http, retry=_CHECK_RETRY, max_concurrency=1)
    try:
        if await client.check_badges_access():
            return None
        return (
            f"{host} answered, but not as Quantive's Badges API does: check the URL "
            f"(it ends at the API's base, such as {DEFAULT_BASE_URL})."
        )
    except errors.AuthenticationError:
        return (
            f"Quantive at {host} refused the token or the account id (401): check both, "
            "and that the account lives in this region."
        )
    except errors.PermissionDenied:
        return (
            f"Quantive at {host} refused access (403): the account id may not be the "
            "token's account, or the token's user may not read badges; check both."
        )
    except errors.PlanError:
        return f"The Quantive account at {host} has no badges on its plan (402): enable them."
    except errors.NotFound:
        return (
            f"{host} has no Quantive Badges API at {url} (404): choose your account's "
            f"region ({region_names()}) or check the URL."
        )
    except errors.Unreachable as exc:
        # The transport tells a late answer from no connection only by its message.
        if "in time" in str(exc):
            return f"{host} did not answer within {http_timeout:g} s: check the URL and network."
        return f"Cannot reach {host}: check the region or URL, and that this machine can reach it."
    except errors.RateLimited:
        return f"Quantive at {host} is busy (429): try again in a minute."
    except errors.QuantiveError as exc:
        # 5xx, or an answer no other branch expects (a redirect, a 400): the status, never
        # the body, which may be a web page.
        status = f" ({exc.status})" if exc.status else ""
        return f"Quantive at {host} answered with an error{status}: check the URL, or retry."
    finally:
        await client.aclose()


async def connect(
    store: ConnectionStore,
    box: SecretBox,
    workspace: str,
    quantive_url: str,
    account_id: str,
    token: str,
    connected_by: str,
    *,
    http_timeout: float = CHECK_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ConnectionRow:
    """Check the connection, then store it for ``workspace`` with the token encrypted;
    ConnectionProblem (one sentence) when the check fails, and then nothing is stored."""
    problem = await check_connection(
        quantive_url, account_id, token, http_timeout=http_timeout, transport=transport
    )
    if problem:
        raise ConnectionProblem(problem)
    token = token.strip()
    now = time.time()
    row = ConnectionRow(
        workspace=workspace,
        quantive_url=resolve_quantive_url(quantive_url),
        account_id=account_id.strip(),
        token_encrypted=box.encrypt(token),
        token_last4=last_four(token),
        connected_by=connected_by,
        checked_at=now,
        updated_at=now,
    )
    await store.for_workspace(workspace).save_connection(row)
    return row


async def disconnect(store: ConnectionStore, workspace: str) -> bool:
    """Forget ``workspace``'s connection (its token with it); whether it had one."""
    return await store.for_workspace(workspace).delete_connection()


async def list_connections(store: ConnectionStore) -> list[ConnectionRow]:
    """Every workspace's connection, ordered by workspace key."""
    return sorted(await store.all_connections(), key=lambda row: row.workspace)


def quantive_settings_for(row: ConnectionRow, box: SecretBox) -> dict[str, Any]:
    """The settings overrides that point a workspace's Quantive client at its stored
    connection, for ``load_settings(**overrides)`` or ``settings.model_copy(update=...)``.

    SecretKeyError, naming the workspace, when the token was stored under another key.
    """
    try:
        token = box.decrypt(row.token_encrypted)
    except SecretKeyError:
        raise SecretKeyError(
            f"The Quantive token of {describe_workspace(row.workspace)} cannot be decrypted "
            "with BADGEBOT_SECRET_KEY: the key was changed since it was connected; set the "
            "old key back, or connect the workspace again."
        ) from None
    return {
        "quantive_api_url": row.quantive_url,
        "quantive_account_id": row.account_id,
        "quantive_api_token": SecretStr(token),
    }


def _check_fields(account_id: str, token: str) -> None:
    """ConnectionProblem when the account id or token is empty or cannot be a header."""
    account = (account_id or "").strip()
    if not account:
        raise ConnectionProblem(
            "The account id is empty: it is the account's id in Quantive, such as "
            "5be26318e5274a0007f17f61."
        )
    if not account.isascii() or not all(ch.isalnum() or ch in "-_" for ch in account):
        raise ConnectionProblem(
            "The account id may hold only letters, digits, - and _, such as "
            "5be26318e5274a0007f17f61."
        )
    secret = (token or "").strip()
    if not secret:
        raise ConnectionProblem(
            "The API token is empty: an admin issues one in Quantive under Settings, "
            "Configuration, API Tokens."
        )
    # Never quoted: a sentence about the token must not carry any of it.
    if not secret.isascii() or any(ch.isspace() or not ch.isprintable() for ch in secret):
        raise ConnectionProblem(
            "The API token holds spaces or characters a token never has: paste it again, "
            "alone on one line."
        )
