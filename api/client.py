"""The typed async client of Quantive's Badges API, with the users and teams lookups.

One ``httpx.AsyncClient`` per process is injected, so tests point it at the emulator or
give it an ``httpx.MockTransport``. Safe requests (GET, PATCH, DELETE) are retried on
connection errors, 429 and 502/503/504. POST requests are retried only while they
certainly have not reached the server, because repeating an assign could double an award,
and each has one total deadline that includes its wait for a connection slot.

Every list is read to its end, page by page (:meth:`QuantiveClient._list`), and every id
that goes into a URL path is checked first (:func:`api.paths.endpoint`), so no value can
change which endpoint is called.
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
from api.paths import endpoint, resolve_teams_url
from api.retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://app.quantive.com/results/api/v1"
#: Quantive's default page (documented for ``GET /users``); also the ids per filter.
PAGE_SIZE = 100
#: The most items read from one list; beyond it a warning is logged.
MAX_LIST_ITEMS = 100_000
#: The projection sent on ``GET /users``, which the current reference marks as required.
USER_FIELDS = "id,email,firstName,lastName,name"

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
        deadline: float | None = None,
        page_size: int = PAGE_SIZE,
        max_items: int = MAX_LIST_ITEMS,
    ) -> None:
        self._http = http
        self._retry = retry or RetryPolicy()
        self._teams_url = resolve_teams_url(str(http.base_url), teams_path)
        # Requests wait here, not in httpcore's pool, where waiting is costly.
        self._slots = asyncio.Semaphore(max_concurrency)
        #: The longest a POST may take, from asking for a slot to its answer.
        self.deadline = deadline or http.timeout.read or 10.0
        self._page_size = page_size
        self._max_items = max_items

    def __repr__(self) -> str:
        return f"QuantiveClient(base_url={str(self._http.base_url)!r})"

    async def aclose(self) -> None:
        """Close the underlying HTTP client."""
        await self._http.aclose()

    # --- badges ---------------------------------------------------------------------

    async def list_badges(self) -> list[Badge]:
        """``GET /badges``: the account's whole catalogue, every page."""
        return [Badge.model_validate(item) for item in await self._list("badges")]

    async def get_badge(self, badge_id: str) -> Badge:
        """``GET /badges/{id}``."""
        return Badge.model_validate(await self._get(endpoint("badges", ids=(badge_id,))))

    async def create_badge(self, badge: BadgeInput) -> Badge:
        """``POST /badges``. Never repeated once it may have reached Quantive."""
        body = await self._request("POST", "badges", json=badge.to_wire(), idempotent=False)
        return Badge.model_validate(body)

    async def update_badge(self, badge_id: str, badge: BadgeInput) -> None:
        """``PATCH /badges/{id}``."""
        path = endpoint("badges", ids=(badge_id,))
        await self._request("PATCH", path, json=badge.to_wire())

    async def delete_badge(self, badge_id: str) -> None:
        """``DELETE /badges/{id}``."""
        await self._request("DELETE", endpoint("badges", ids=(badge_id,)))

    # --- awards ---------------------------------------------------------------------

    async def assign_badge(self, request: AssignRequest) -> Assignment:
        """``POST /badges/assign``. Raises OutcomeUnknown rather than risk a double award."""
        body = await self._request(
            "POST", "badges/assign", json=request.to_wire(), idempotent=False
        )
        return Assignment.model_validate(body)

    async def list_pending_approvals(self) -> list[Assignment]:
        """``GET /badges/approve``: every award waiting for approval, every page."""
        return [Assignment.model_validate(item) for item in await self._list("badges/approve")]

    async def approve(self, assignment_id: str) -> None:
        """``POST /badges/approve/{id}``. A 400 means it was already approved or rejected."""
        path = endpoint("badges", "approve", ids=(assignment_id,))
        await self._request("POST", path, idempotent=False)

    async def reject(self, assignment_id: str) -> None:
        """``DELETE /badges/approve/{id}``. A 400 means it was already approved or rejected."""
        await self._request("DELETE", endpoint("badges", "approve", ids=(assignment_id,)))

    async def my_assignments(self) -> list[Assignment]:
        """``GET /badges/assign``: the awards of the token's user, every page."""
        return [Assignment.model_validate(item) for item in await self._list("badges/assign")]

    async def current_badges(self) -> list[Assignment]:
        """``GET /badges/current``: the badges the token's user holds, every page."""
        return [Assignment.model_validate(item) for item in await self._list("badges/current")]

    async def badge_holders(self, badge_id: str) -> BadgeHolders:
        """``GET /badges/assign/{id}``: the users and teams holding a badge."""
        body = await self._get(endpoint("badges", "assign", ids=(badge_id,)))
        return BadgeHolders.model_validate(body or {})

    async def unassign(self, assignee_id: str, assignment_id: str) -> None:
        """``DELETE /badges/assign/{assigneeId}/{badgeAssignId}``: take a badge back."""
        path = endpoint("badges", "assign", ids=(assignee_id, assignment_id))
        await self._request("DELETE", path)

    # --- users and teams ------------------------------------------------------------

    async def find_users_by_email(self, emails: Iterable[str]) -> list[User]:
        """Users whose email is one of ``emails``, case-insensitively.

        Quantive matches filters exactly, so lower-case addresses are asked for first and
        a case-insensitive pattern is the fallback for each address that found nobody.
        Whatever comes back is checked, since an older server may ignore the filter.
        """
        wanted = sorted({e.strip().lower() for e in emails if e and e.strip()})
        found: list[User] = []
        for chunk in _chunks(wanted, PAGE_SIZE):
            found += await self._users({"email": {"$in": chunk}})
        found = [u for u in found if u.email.lower() in wanted]
        seen = {u.email.lower() for u in found}
        for email in wanted:
            if email not in seen:
                matches = await self._users({"email": {"$regex": caseless_pattern(email)}})
                found += [u for u in matches if u.email.lower() == email]
        return list({u.id: u for u in found}.values())

    async def get_users(self, user_ids: Iterable[str]) -> list[User]:
        """Users by Quantive id, one filtered list per hundred ids."""
        wanted = sorted(set(user_ids))
        found: list[User] = []
        for chunk in _chunks(wanted, PAGE_SIZE):
            found += await self._users({"_id": {"$in": chunk}})
        asked = set(wanted)
        return [u for u in found if u.id in asked]

    async def get_teams(self, team_ids: Iterable[str]) -> list[Team]:
        """Teams by Quantive id, one filtered list per hundred ids."""
        wanted = sorted(set(team_ids))
        found: list[Team] = []
        for chunk in _chunks(wanted, PAGE_SIZE):
            found += await self._teams({"_id": {"$in": chunk}})
        asked = set(wanted)
        return [t for t in found if t.id in asked]

    async def find_teams_by_name(self, name: str) -> list[Team]:
        """Teams whose name equals ``name``, ignoring case; checked here, because an older
        ``/teams`` ignores filters and answers every team."""
        wanted = name.strip().lower()
        teams = await self._teams({"name": {"$regex": caseless_pattern(name.strip())}})
        return [t for t in teams if t.name.strip().lower() == wanted]

    async def list_users(self) -> list[User]:
        """Every user of the account, every page."""
        return await self._users(None)

    async def _users(self, filter_: dict[str, Any] | None) -> list[User]:
        params = {"fields": USER_FIELDS}
        if filter_ is not None:
            params["filter"] = json.dumps(filter_)
        items = await self._list("users", params)
        return [User.model_validate(item) for item in items]

    async def _teams(self, filter_: dict[str, Any]) -> list[Team]:
        params = {"filter": json.dumps(filter_), "fields": "id,name,members"}
        items = await self._list(self._teams_url, params, size_param="limit")
        return [Team.model_validate(item) for item in items]

    # --- paging ---------------------------------------------------------------------

    async def _list(
        self, path: str, params: dict[str, str] | None = None, *, size_param: str = "take"
    ) -> list[Any]:
        """Every item of a list endpoint, read page by page.

        The first page tells the total and the server's real page size; the other pages
        are then asked for at once (the client's slots bound how many run together). A
        list without ``totalCount`` is read a page at a time until one comes back short.
        Stops at ``max_items`` with a warning, rather than read without end.
        """
        size = self._page_size

        async def page(skip: int) -> tuple[list[Any], int | None]:
            query = {**(params or {}), "skip": str(skip), size_param: str(size)}
            return _page(await self._get(path, query))

        items, total = await page(0)
        if total is None:
            skip = len(items)
            last = items
            while len(last) >= size and skip < self._max_items:
                last, _ = await page(skip)
                items += last
                skip += len(last)
        elif total > len(items) and items:
            stride = len(items)
            limit = min(total, self._max_items)
            rest = await asyncio.gather(*(page(s) for s in range(stride, limit, stride)))
            for more, _ in rest:
                items += more
        cut_short = len(items) >= self._max_items if total is None else total > self._max_items
        if cut_short:
            log.warning(
                "quantive %s: stopped reading at %d items (total %s)", path, self._max_items, total
            )
            items = items[: self._max_items]
        return _unique(items)

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
        if idempotent:
            return await self._attempts(method, path, json=json, params=params, idempotent=True)
        # One total deadline, the wait for a slot included, so that whoever takes over an
        # unanswered POST knows when this process has certainly stopped waiting for it.
        sent = _Sent()
        try:
            async with asyncio.timeout(self.deadline):
                return await self._attempts(
                    method, path, json=json, params=params, idempotent=False, sent=sent
                )
        except TimeoutError:
            if not sent.maybe:
                log.warning("quantive %s %s: no slot before the deadline", method, path)
                raise errors.Unreachable(
                    "Quantive is slow to answer right now. Please try again in a few minutes."
                ) from None
            log.warning("quantive %s %s: no answer before the deadline", method, path)
            raise errors.OutcomeUnknown() from None

    async def _attempts(
        self,
        method: str,
        path: str,
        *,
        json: Any,
        params: dict[str, str] | None,
        idempotent: bool,
        sent: _Sent | None = None,
    ) -> Any:
        attempt = 0
        while True:
            try:
                async with self._slots:
                    if sent is not None:
                        sent.maybe = True
                    response = await self._http.request(method, path, json=json, params=params)
            except _NOT_SENT as exc:
                if sent is not None:
                    sent.maybe = False
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
                        if sent is not None:
                            sent.maybe = False  # a 429 was refused, not handled
                        await asyncio.sleep(wait)
                        attempt += 1
                        continue
                elif idempotent:
                    await asyncio.sleep(self._retry.backoff(attempt))
                    attempt += 1
                    continue
            raise _error_for(response, idempotent=idempotent)


class _Sent:
    """Whether a POST may have reached Quantive yet: False while it waits for a slot."""

    maybe = False


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


def _page(body: Any) -> tuple[list[Any], int | None]:
    """The items of one page, and the whole list's ``totalCount`` when the envelope has it."""
    if isinstance(body, list):
        return body, None
    if isinstance(body, dict):
        items = body.get("items") or []
        total = body.get("totalCount")
        if not isinstance(items, list):
            items = []
        return items, total if isinstance(total, int) and total >= 0 else None
    return [], None


def _unique(items: list[Any]) -> list[Any]:
    """Items in order, each id once: a list that shifts while it is paged repeats items."""
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.get("id") if isinstance(item, dict) else None
        if isinstance(key, str):
            if key in seen:
                continue
            seen.add(key)
        out.append(item)
    return out


def _chunks(values: Sequence[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def caseless_pattern(text: str) -> str:
    """An anchored regex matching ``text`` in any case, without ``$options``, which
    Quantive's public examples never show: ``Ab.`` becomes ``^[Aa][Bb]\\.$``."""
    out = []
    for ch in text:
        if ch.lower() != ch.upper() and len(ch.lower()) == len(ch.upper()) == 1:
            out.append(f"[{ch.upper()}{ch.lower()}]")
        elif ch in r".^$*+?()[]{}|\/":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "^" + "".join(out) + "$"
