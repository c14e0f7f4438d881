"""The emulator's HTTP face: Quantive's Badges, Users and Teams endpoints, plus an admin API.

Served under ``/api/v1`` (the Badges document's prefix) and ``/results/api/v1`` (the
current hosts' prefix). The admin API under ``/_emulator`` sets faults, lists the calls
received and resets the account; it needs no token because it only exists here.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from api.emulator.faults import Fault, FaultPlan
from api.emulator.filters import FilterError, matches
from api.emulator.state import AccountState, EmulatorError, load_demo_data

DEFAULT_TOKEN = "emulator-token"
PREFIXES = ("/api/v1", "/results/api/v1")
#: Where Quantive serves v2 teams: beside v1, never under it.
V2_PREFIXES = ("/api/v2", "/results/api/v2")
#: Quantive's page when the caller asks for none, and the largest it answers.
DEFAULT_PAGE_SIZE = 100

Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class Call:
    """One request the emulator received."""

    method: str
    route: str
    path: str
    status: int
    at: float


class CallLog:
    """Every call received, in order; thread-safe so tests can read it from another thread."""

    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._lock = threading.Lock()

    def add(self, call: Call) -> None:
        """Record a call."""
        with self._lock:
            self._calls.append(call)

    def all(self) -> list[Call]:
        """A copy of every call so far."""
        with self._lock:
            return list(self._calls)

    def count(self, route: str | None = None) -> int:
        """How many calls, of ``route`` (``"POST /badges/assign"``) or in all."""
        with self._lock:
            return sum(1 for c in self._calls if route is None or c.route == route)

    def clear(self) -> None:
        """Forget every call."""
        with self._lock:
            self._calls.clear()


class Emulator:
    """A faithful stand-in for Quantive: build one, then serve ``emulator.app``."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        account_id: str | None = None,
        seed: dict[str, Any] | None = None,
        state_path: str | None = None,
        faults: dict[str, Fault] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        self.state = AccountState(seed or load_demo_data(), state_path=state_path)
        #: The largest page any list answers; tests lower it to page through small data.
        self.page_size = page_size
        #: Answer ``/users`` and ``/teams`` unfiltered, as an older Quantive ``/teams`` does.
        self.ignore_filters = False
        #: Whether the token's user, not the giver, decides if an award waits for approval.
        self.token_user_decides = False
        self.token = token
        self.account_id = account_id or self.state.account_id
        self.faults = FaultPlan(dict(faults or {}))
        self.calls = CallLog()
        self._active = 0
        self._active_cond = threading.Condition()
        self.app = Starlette(routes=self._routes())

    def reset(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        """Back to the seed data, with no faults, no calls logged and the given page size;
        first waits (a few seconds at most) for requests still being answered."""
        self.faults.clear()
        with self._active_cond:
            self._active_cond.wait_for(lambda: self._active == 0, timeout=5)
        self.state.reset()
        self.calls.clear()
        self.page_size = page_size
        self.ignore_filters = False
        self.token_user_decides = False

    # --- plumbing -------------------------------------------------------------------

    def _routes(self) -> list[Route | Mount]:
        api = [
            self._route("GET", "/badges", self._list_badges),
            self._route("POST", "/badges", self._create_badge),
            self._route("GET", "/badges/approve", self._pending),
            self._route("POST", "/badges/approve/{id}", self._approve),
            self._route("DELETE", "/badges/approve/{id}", self._reject),
            self._route("GET", "/badges/assign", self._my_assignments),
            self._route("POST", "/badges/assign", self._assign),
            self._route("GET", "/badges/assign/{id}", self._holders),
            self._route("DELETE", "/badges/assign/{assigneeId}/{badgeAssignId}", self._unassign),
            self._route("GET", "/badges/current", self._current),
            self._route("GET", "/badges/{id}", self._get_badge),
            self._route("PATCH", "/badges/{id}", self._update_badge),
            self._route("DELETE", "/badges/{id}", self._delete_badge),
            self._route("GET", "/users", self._users),
            self._route("GET", "/teams", self._teams),
        ]
        v2 = [self._route("GET", "/teams", self._teams, route_key="GET /v2/teams")]
        admin = [
            Route("/faults", self._set_fault, methods=["POST"]),
            Route("/faults", self._clear_faults, methods=["DELETE"]),
            Route("/calls", self._list_calls, methods=["GET"]),
            Route("/reset", self._reset, methods=["POST"]),
        ]
        mounts: list[Route | Mount] = [Mount(prefix, routes=api) for prefix in PREFIXES]
        mounts += [Mount(prefix, routes=v2) for prefix in V2_PREFIXES]
        return [*mounts, Mount("/_emulator", routes=admin)]

    def _route(
        self, method: str, path: str, handler: Handler, *, route_key: str | None = None
    ) -> Route:
        route_key = route_key or f"{method} {path}"

        async def endpoint(request: Request) -> Response:
            # Logged on arrival, so a call whose answer is late still counts at once.
            call = Call(method, route_key, request.url.path, 0, time.time())
            self.calls.add(call)
            with self._active_cond:
                self._active += 1
            try:
                response = await self._serve(route_key, request, handler)
            finally:
                with self._active_cond:
                    self._active -= 1
                    self._active_cond.notify_all()
            call.status = response.status_code
            return response

        return Route(path, endpoint, methods=[method], name=route_key)

    async def _serve(self, route_key: str, request: Request, handler: Handler) -> Response:
        if not self._authorised(request):
            return JSONResponse({"message": "unauthorized"}, status_code=401)
        # Read the whole request first, as a real server does, so that a client which
        # disconnects during the injected latency does not stop the change being made.
        await request.body()
        fault, status = self.faults.draw(route_key)
        if fault and fault.latency:
            await asyncio.sleep(fault.latency)
        if status is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault and fault.retry_after else {}
            return JSONResponse({"message": f"injected {status}"}, status, headers=headers)
        try:
            response = await handler(request)
        except EmulatorError as exc:
            response = JSONResponse({"message": exc.message}, status_code=exc.status)
        except FilterError as exc:
            response = JSONResponse({"message": str(exc)}, status_code=400)
        if fault and fault.latency_after:
            await asyncio.sleep(fault.latency_after)
        return response

    def _authorised(self, request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        return auth == f"Bearer {self.token}" and (
            request.headers.get("gtmhub-accountid") == self.account_id
        )

    # --- badges ---------------------------------------------------------------------

    async def _list_badges(self, request: Request) -> Response:
        return self._page(request, self.state.list_badges())

    async def _get_badge(self, request: Request) -> Response:
        return JSONResponse(self.state.get_badge(request.path_params["id"]))

    async def _create_badge(self, request: Request) -> Response:
        return JSONResponse(self.state.create_badge(await _body(request)), status_code=201)

    async def _update_badge(self, request: Request) -> Response:
        self.state.update_badge(request.path_params["id"], await _body(request))
        return Response(status_code=204)

    async def _delete_badge(self, request: Request) -> Response:
        self.state.delete_badge(request.path_params["id"])
        return Response(status_code=204)

    # --- awards ---------------------------------------------------------------------

    async def _assign(self, request: Request) -> Response:
        body = await _body(request)
        return JSONResponse(self.state.assign(body, token_user_decides=self.token_user_decides))

    async def _pending(self, request: Request) -> Response:
        skip, size = self._window(request)
        items, total = self.state.pending_page(skip, skip + size)
        return JSONResponse({"items": items, "totalCount": total})

    async def _approve(self, request: Request) -> Response:
        self.state.decide(request.path_params["id"], approve=True)
        return Response(status_code=200)

    async def _reject(self, request: Request) -> Response:
        self.state.decide(request.path_params["id"], approve=False)
        return Response(status_code=204)

    async def _my_assignments(self, request: Request) -> Response:
        items = self.state.assignments_of(self.state.current_user_id, approved_only=False)
        return self._page(request, items, filterable=False)

    async def _current(self, request: Request) -> Response:
        items = self.state.assignments_of(self.state.current_user_id, approved_only=True)
        return self._page(request, items, filterable=False)

    async def _holders(self, request: Request) -> Response:
        return JSONResponse(self.state.holders(request.path_params["id"]))

    async def _unassign(self, request: Request) -> Response:
        params = request.path_params
        self.state.unassign(params["assigneeId"], params["badgeAssignId"])
        return Response(status_code=204)

    # --- people ---------------------------------------------------------------------

    async def _users(self, request: Request) -> Response:
        return self._page(request, self.state.list_users(), filterable=not self.ignore_filters)

    async def _teams(self, request: Request) -> Response:
        return self._page(request, self.state.list_teams(), filterable=not self.ignore_filters)

    def _window(self, request: Request) -> tuple[int, int]:
        """(skip, page size) of a list request: ``take`` or ``limit``, capped at the page size."""
        query = request.query_params
        try:
            skip = max(int(query.get("skip") or 0), 0)
            size = int(query.get("take") or query.get("limit") or self.page_size)
        except ValueError:
            raise EmulatorError(400, "skip, take and limit must be integers") from None
        return skip, min(max(size, 0), self.page_size)

    def _page(
        self, request: Request, records: list[dict[str, Any]], *, filterable: bool = True
    ) -> Response:
        """Filter, project and page records as Quantive's list endpoints do: ``skip``, then
        ``take`` or ``limit`` (capped at the page size), and the whole list's totalCount."""
        query = request.query_params
        if filterable:
            try:
                filter_ = json.loads(query.get("filter") or "{}")
            except ValueError:
                raise EmulatorError(400, "filter is not valid JSON") from None
            if not isinstance(filter_, dict):
                raise EmulatorError(400, "filter must be a JSON object")
            records = [r for r in records if matches(r, filter_)]
        total = len(records)
        skip, size = self._window(request)
        selected = records[skip : skip + size]
        fields = [f.strip() for f in (query.get("fields") or "").split(",") if f.strip()]
        if fields:
            selected = [{k: r[k] for k in ("id", *fields) if k in r} for r in selected]
        return JSONResponse({"items": selected, "totalCount": total})

    # --- admin ----------------------------------------------------------------------

    async def _set_fault(self, request: Request) -> Response:
        body = await _body(request)
        route = str(body.pop("route", "*"))
        try:
            self.faults.set(route, Fault(**body))
        except TypeError as exc:
            return JSONResponse({"message": str(exc)}, status_code=400)
        return JSONResponse({"route": route, **body})

    async def _clear_faults(self, request: Request) -> Response:
        self.faults.clear()
        return Response(status_code=204)

    async def _list_calls(self, request: Request) -> Response:
        return JSONResponse([asdict(c) for c in self.calls.all()])

    async def _reset(self, request: Request) -> Response:
        self.faults.clear()
        self.state.reset()
        self.calls.clear()
        return Response(status_code=204)


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise EmulatorError(400, "body is not valid JSON") from None
    if not isinstance(body, dict):
        raise EmulatorError(400, "body must be a JSON object")
    return body
