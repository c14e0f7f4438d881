"""The typed async client of Quantive's Badges API, with the users and teams lookups.

One ``httpx.AsyncClient`` per process is injected, so tests point it at the emulator or
give it an ``httpx.MockTransport``. How a request is sent, retried and timed out is
:mod:`api.transport`'s (a POST is repeated only while it certainly has not reached
Quantive); how a list is read to its end is :mod:`api.paging`'s. Every id that goes into
a URL path is checked first (:func:`api.paths.endpoint`), so no value can change which
endpoint is called.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Any

import httpx

from api.models import (
    Assignment,
    AssignRequest,
    Badge,
    BadgeHolders,
    BadgeInput,
    Team,
    User,
)
from api.paging import MAX_LIST_ITEMS, PAGE_SIZE, chunks, read_list
from api.paths import endpoint, resolve_teams_url
from api.retry import RetryPolicy
from api.transport import Transport

DEFAULT_BASE_URL = "https://app.quantive.com/results/api/v1"
#: The projection sent on ``GET /users``, which the current reference marks as required.
USER_FIELDS = "id,email,firstName,lastName,name"


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
        self._transport = Transport(
            http,
            retry or RetryPolicy(),
            max_concurrency=max_concurrency,
            deadline=deadline or http.timeout.read or 10.0,
        )
        self._teams_url = resolve_teams_url(str(http.base_url), teams_path)
        self._page_size = page_size
        self._max_items = max_items

    @property
    def deadline(self) -> float:
        """The longest a POST may take, from asking for a slot to its answer."""
        return self._transport.deadline

    @property
    def _slots(self) -> asyncio.Semaphore:
        # The transport's slots, reachable here so that a test can fill them up.
        return self._transport.slots

    @_slots.setter
    def _slots(self, slots: asyncio.Semaphore) -> None:
        self._transport.slots = slots

    def __repr__(self) -> str:
        return f"QuantiveClient(base_url={str(self._http.base_url)!r})"

    async def aclose(self) -> None:
        """Close the underlying HTTP client."""
        await self._http.aclose()

    # --- badges ---------------------------------------------------------------------

    async def list_badges(self) -> list[Badge]:
        """``GET /badges``: the account's whole catalogue, every page."""
        return [Badge.model_validate(item) for item in await self._list("badges")]

    async def check_badges_access(self) -> bool:
        """``GET /badges`` for its first page of one badge only: proves that the token and
        account id open the Badges API without reading the catalogue. False when the answer
        is not shaped like Quantive's list (something else serves that URL); raises
        :mod:`api.errors` like every call."""
        body = await self._get("badges", {"skip": "0", "take": "1"})
        if isinstance(body, dict):
            return isinstance(body.get("items"), list)
        return isinstance(body, list)

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
        for chunk in chunks(wanted):
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
        for chunk in chunks(wanted):
            found += await self._users({"_id": {"$in": chunk}})
        asked = set(wanted)
        return [u for u in found if u.id in asked]

    async def get_teams(self, team_ids: Iterable[str]) -> list[Team]:
        """Teams by Quantive id, one filtered list per hundred ids."""
        wanted = sorted(set(team_ids))
        found: list[Team] = []
        for chunk in chunks(wanted):
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

    # --- transport ------------------------------------------------------------------

    async def _list(
        self, path: str, params: dict[str, str] | None = None, *, size_param: str = "take"
    ) -> list[Any]:
        """Every item of a list endpoint; see :func:`api.paging.read_list`."""
        return await read_list(
            self._get,
            path,
            params,
            size_param=size_param,
            page_size=self._page_size,
            max_items=self._max_items,
        )

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return await self._transport.request("GET", path, params=params)

    async def _request(
        self, method: str, path: str, *, json: Any = None, idempotent: bool = True
    ) -> Any:
        return await self._transport.request(method, path, json=json, idempotent=idempotent)


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
