"""A fake of Microsoft Graph's tag members route, served beside the fake Bot Connector
(tests.fake_teams mounts its routes, and the token endpoint there hands out its tokens):
tags set by the tests, pages of ``page_size`` members linked by ``@odata.nextLink``, a
status to answer instead (403: the permission not granted), and every call recorded."""

from __future__ import annotations

import threading
import urllib.parse
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

#: Where Graph is served under the fake's address (TEAMS_GRAPH_URL is ``{url}{PREFIX}``).
PREFIX = "/graph/v1.0"
#: The Entra group id of the fake tenant's team (``channelData.team.aadGroupId``).
TEAM_GROUP_ID = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
#: The Entra object ids Graph names the fake people by (GUIDs, as Graph's are), by Teams id.
GRAPH_IDS = {
    "29:maria": "11111111-0000-4000-8000-000000000001",
    "29:oliver": "11111111-0000-4000-8000-000000000002",
    "29:amara": "11111111-0000-4000-8000-000000000003",
    "29:liam": "11111111-0000-4000-8000-000000000004",
    "29:sofia": "11111111-0000-4000-8000-000000000005",
    "29:noah": "11111111-0000-4000-8000-000000000006",
}


class FakeGraph:
    """The tags of :data:`TEAM_GROUP_ID`, by tag id: (Entra object id, display name)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.tags: dict[str, list[tuple[str, str]]] = {}
        #: Members per page; a tag with more is answered in several linked pages.
        self.page_size = 100
        #: When set, every call is answered with this status (403: not permitted).
        self.status: int | None = None
        #: Each call: its team and tag ids (decoded), query and Authorization header.
        self.calls: list[dict[str, str]] = []
        self.base_url = ""

    def reset(self) -> None:
        with self._lock:
            self.tags.clear()
            self.page_size = 100
            self.status = None
            self.calls.clear()

    def routes(self) -> list[Route]:
        # ``path``: a tag id is base64, and its ``/`` arrives decoded (sent as %2F).
        return [Route(f"{PREFIX}/teams/{{team}}/tags/{{tag:path}}/members", self._members)]

    async def _members(self, request: Request) -> JSONResponse:
        with self._lock:
            self.calls.append(
                {
                    "team": request.path_params["team"],
                    "tag": request.path_params["tag"],
                    "query": request.url.query,
                    "authorization": request.headers.get("authorization", ""),
                }
            )
            status = self.status
            members = self.tags.get(request.path_params["tag"])
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return _error(401, "InvalidAuthenticationToken")
        if status is not None:
            return _error(status, "Forbidden")
        if request.path_params["team"] != TEAM_GROUP_ID or members is None:
            return _error(404, "NotFound")
        start = int(request.query_params.get("$skiptoken") or 0)
        page = members[start : start + self.page_size]
        body: dict[str, Any] = {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#teamworkTagMember",
            "value": [
                {"id": f"member-{start + n}", "userId": user, "displayName": name}
                for n, (user, name) in enumerate(page)
            ],
        }
        if start + self.page_size < len(members):
            tag = urllib.parse.quote(request.path_params["tag"], safe="")
            path = f"{PREFIX}/teams/{TEAM_GROUP_ID}/tags/{tag}/members"
            body["@odata.nextLink"] = f"{self.base_url}{path}?$skiptoken={start + self.page_size}"
        return JSONResponse(body)


def _error(status: int, code: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": code}}, status)
