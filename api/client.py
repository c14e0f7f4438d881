"""The typed async client of Quantive's Badges API, with the users and teams lookups.

One ``httpx.AsyncClient`` per process is injected, so tests point it at the emulator or
give it an ``httpx.MockTransport``. Safe requests (GET, PATCH, DELETE) are retried on
connection errors, 429 and 502/503/504. POST requests are retried only while they
certainly have not reached the server, because repeating an assign could double an award.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import httpx

from api import errors
from api.models import (
    Assignment,
    AssignRequest,
    Badge,
    BadgeHolders,
    BadgeInput,
    Team,
    User,
)
from api.retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://app.quantive.com/results/api/v1"
#: Quantive's default and maximum page for ``GET /users`` and ``GET /teams``.
PAGE_SIZE = 100

# Errors raised before a single byte of the request was sent: always safe to retry.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def build_http_client(
    base_url: str,
    token: str,
    account_id: str,
    *,
    timeout: float = 10.0,
    connect_timeout: float = 5.0,
    max_connections: int = 16,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The one ``httpx.AsyncClient`` a process shares for Quantive, with its auth headers.

    The pool is kept small: httpcore's pool costs CPU in proportion to connections times
    waiting requests, so a queue in front of it (see QuantiveClient) is far cheaper.
    """
    return httpx.AsyncClient(
        base_url=base_url.rstrip("/") + "/",
        headers={
            "Authorization": f"Bearer {token}",
            "gtmhub-accountId": account_id,
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
        timeout=httpx.Timeout(timeout, connect=connect_timeout, pool=None),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        transport=transport,
    )


class QuantiveClient:
    """One method per Badges endpoint, plus user and team lookups. Raises :mod:`api.errors`."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        retry: RetryPolicy | None = None,
        teams_path: str = "teams",
        max_concurrency: int = 16,
    ) -> None:
        self._http = http
        self._retry = retry or RetryPolicy()
        self._teams_path = teams_path.lstrip("/")
        # Requests wait here, not in httpcore's pool, where waiting is costly.
        self._slots = asyncio.Semaphore(max_concurrency)

    def __repr__(self) -> str:
        return f"QuantiveClient(base_url={str(self._http.base_url)!r})"

    async def aclose(self) -> None:
        """Close the underlying HTTP client."""
        await self._http.aclose()

    # --- badges ---------------------------------------------------------------------

    async def list_badges(self) -> list[Badge]:
        """``GET /badges``: the account's whole catalogue."""
        body = await self._get("badges")
        return [Badge.model_validate(item) for item in _items(body)]

    async def get_badge(self, badge_id: str) -> Badge:
        """``GET /badges/{id}``."""
        return Badge.model_validate(await self._get(f"badges/{badge_id}"))

    async def create_badge(self, badge: BadgeInput) -> Badge:
        """``POST /badges``. Never repeated once it may have reached Quantive."""
        body = await self._request("POST", "badges", json=badge.to_wire(), idempotent=False)
        return Badge.model_validate(body)

    async def update_badge(self, badge_id: str, badge: BadgeInput) -> None:
        """``PATCH /badges/{id}``."""
        await self._request("PATCH", f"badges/{badge_id}", json=badge.to_wire())

    async def delete_badge(self, badge_id: str) -> None:
        """``DELETE /badges/{id}``."""
        await self._request("DELETE", f"badges/{badge_id}")

    # --- awards ---------------------------------------------------------------------

    async def assign_badge(self, request: AssignRequest) -> Assignment:
        """``POST /badges/assign``. Raises OutcomeUnknown rather than risk a double award."""
        body = await self._request(
            "POST", "badges/assign", json=request.to_wire(), idempotent=False
        )
        return Assignment.model_validate(body)

    async def list_pending_approvals(self) -> list[Assignment]:
        """``GET /badges/approve``: every award waiting for approval."""
        body = await self._get("badges/approve")
        return [Assignment.model_validate(item) for item in _items(body)]

    async def approve(self, assignment_id: str) -> None:
        """``POST /badges/approve/{id}``. A 400 means it was already approved or rejected."""
        await self._request("POST", f"badges/approve/{assignment_id}", idempotent=False)

    async def reject(self, assignment_id: str) -> None:
        """``DELETE /badges/approve/{id}``. A 400 means it was already approved or rejected."""
        await self._request("DELETE", f"badges/approve/{assignment_id}")

    async def my_assignments(self) -> list[Assignment]:
        """``GET /badges/assign``: the awards of the token's user."""
        body = await self._get("badges/assign")
        return [Assignment.model_validate(item) for item in _items(body)]

    async def current_badges(self) -> list[Assignment]:
        """``GET /badges/current``: the badges the token's user currently holds."""
        body = await self._get("badges/current")
        return [Assignment.model_validate(item) for item in _items(body)]

    async def badge_holders(self, badge_id: str) -> BadgeHolders:
        """``GET /badges/assign/{id}``: the users and teams holding a badge."""
        return BadgeHolders.model_validate(await self._get(f"badges/assign/{badge_id}") or {})

    async def unassign(self, assignee_id: str, assignment_id: str) -> None:
        """``DELETE /badges/assign/{assigneeId}/{badgeAssignId}``: take a badge back."""
        await self._request("DELETE", f"badges/assign/{assignee_id}/{assignment_id}")

    # --- users and teams ------------------------------------------------------------

    async def find_users_by_email(self, emails: Iterable[str]) -> list[User]:
        """Users whose email is one of ``emails``, case-insensitively.

        Quantive matches filters exactly, so lower-case addresses are asked for first and
        a case-insensitive regex is the fallback for each address that found nobody.
        """
        wanted = sorted({e.strip().lower() for e in emails if e and e.strip()})
        found: list[User] = []
        for chunk in _chunks(wanted, PAGE_SIZE):
            found += await self._users({"email": {"$in": chunk}})
        seen = {u.email.lower() for u in found}
        for email in wanted:
            if email not in seen:
                pattern = f"^{_regex_escape(email)}$"
                found += await self._users({"email": {"$regex": pattern, "$options": "i"}})
        return found

    async def get_users(self, user_ids: Iterable[str]) -> list[User]:
        """Users by Quantive id, one call per page of ids."""
        wanted = sorted(set(user_ids))
        found: list[User] = []
        for chunk in _chunks(wanted, PAGE_SIZE):
            found += await self._users({"_id": {"$in": chunk}})
        return found

    async def get_teams(self, team_ids: Iterable[str]) -> list[Team]:
        """Teams by Quantive id, one call per page of ids."""
        wanted = sorted(set(team_ids))
        found: list[Team] = []
        for chunk in _chunks(wanted, PAGE_SIZE):
            found += await self._teams({"_id": {"$in": chunk}})
        return found

    async def find_teams_by_name(self, name: str) -> list[Team]:
        """Teams whose name equals ``name``, ignoring case."""
        pattern = f"^{_regex_escape(name.strip())}$"
        return await self._teams({"name": {"$regex": pattern, "$options": "i"}})

    async def _users(self, filter_: dict[str, Any]) -> list[User]:
        params = {"filter": json.dumps(filter_), "fields": "id,email,firstName,lastName,name"}
        params["limit"] = str(PAGE_SIZE)
        return [User.model_validate(item) for item in _items(await self._get("users", params))]

    async def _teams(self, filter_: dict[str, Any]) -> list[Team]:
        params = {"filter": json.dumps(filter_), "fields": "id,name,members", "limit": "100"}
        body = await self._get(self._teams_path, params)
        return [Team.model_validate(item) for item in _items(body)]

    # --- transport ------------------------------------------------------------------

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return await self._request("GET", path, params=params)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        idempotent: bool = True,
    ) -> Any:
        attempt = 0
        while True:
            try:
                async with self._slots:
                    response = await self._http.request(method, path, json=json, params=params)
            except _NOT_SENT as exc:
                if attempt < self._retry.max_retries:
                    await asyncio.sleep(self._retry.backoff(attempt))
                    attempt += 1
                    continue
                log.warning("quantive %s %s unreachable: %s", method, path, type(exc).__name__)
                raise errors.Unreachable() from None
            except httpx.TransportError as exc:
                # Sent, or partly sent, then the connection broke or the answer was late.
                if not idempotent:
                    log.warning("quantive %s %s: no answer (%s)", method, path, type(exc).__name__)
                    raise errors.OutcomeUnknown() from None
                if attempt < self._retry.max_retries:
                    await asyncio.sleep(self._retry.backoff(attempt))
                    attempt += 1
                    continue
                if isinstance(exc, httpx.TimeoutException):
                    raise errors.Unreachable(
                        "Quantive did not answer in time. Please try again in a few minutes."
                    ) from None
                raise errors.Unreachable() from None

            status = response.status_code
            if status < 300:
                return _json_or_none(response)
            if status in RETRYABLE_STATUSES and attempt < self._retry.max_retries:
                if status == 429:
                    wait = self._retry.wait_for_retry_after(
                        parse_retry_after(response.headers.get("Retry-After")), attempt
                    )
                    if wait is not None:
                        await asyncio.sleep(wait)
                        attempt += 1
                        continue
                elif idempotent:
                    await asyncio.sleep(self._retry.backoff(attempt))
                    attempt += 1
                    continue
            raise _error_for(response, idempotent=idempotent)


def _error_for(response: httpx.Response, *, idempotent: bool) -> errors.QuantiveError:
    """Map a failed response to the error type a caller must handle."""
    status = response.status_code
    log.info("quantive %s %s -> %s", response.request.method, response.request.url.path, status)
    if status == 400:
        return errors.BadRequest(_server_message(response))
    if status == 401:
        return errors.AuthenticationError(status=status)
    if status == 402:
        return errors.PlanError(status=status)
    if status == 403:
        return errors.PermissionDenied(status=status)
    if status == 404:
        return errors.NotFound(status=status)
    if status == 429:
        return errors.RateLimited(parse_retry_after(response.headers.get("Retry-After")))
    if status >= 500 and not idempotent:
        return errors.OutcomeUnknown(status=status)
    if status >= 500:
        return errors.ServerError(status=status)
    return errors.BadRequest(_server_message(response), status=status)


def _server_message(response: httpx.Response) -> str | None:
    """The human message in an error body, if there is one; never the raw body."""
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        for key in ("message", "error", "detail", "title"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:300]
    return None


def _json_or_none(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _items(body: Any) -> list[Any]:
    """The list in an ``{"items": [...]}`` envelope, or a bare list."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        return list(body.get("items") or [])
    return []


def _chunks(values: Sequence[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def _regex_escape(text: str) -> str:
    """Escape for a Mongo regex; ``re.escape`` also escapes characters Mongo takes literally."""
    return "".join("\\" + ch if ch in r".^$*+?()[]{}|\/" else ch for ch in text)
