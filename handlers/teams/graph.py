"""The bot's one call to Microsoft Graph: who is in a Teams tag.

The Bot Connector cannot list a tag's members, so a tag that no Quantive team is named
like is expanded here: ``GET {TEAMS_GRAPH_URL}/teams/{team}/tags/{tag}/members``, read
to the end of its pages, with an app token of the tenant the tag lives in (application
permission TeamworkTag.Read.All, which a tenant's admin must grant).
"""

from __future__ import annotations

import logging
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

import httpx
from cachetools import LRUCache

from api.retry import parse_retry_after, retrying
from handlers.teams.connector import teams_retry_policy
from handlers.teams.token import GRAPH_SCOPE, ConnectorToken, TokenError

log = logging.getLogger(__name__)

#: Pages read at most: a tag has a few hundred members at most, so more pages than this
#: means a server that never stops linking, not a big tag.
MAX_PAGES = 50
#: Tenants whose Graph token is kept (multi-tenant mode has one per customer tenant).
MAX_TENANTS = 1000

#: Entra object ids (users, the team's group) and tenant ids are GUIDs.
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
#: A tag's id as Teams sends it: base64 (``+``, ``/`` and ``=`` are percent-encoded in the
#: path), bounded so that it cannot make an absurd URL.
_TAG_ID = re.compile(r"[A-Za-z0-9+/=_-]{1,512}")


def is_guid(value: object) -> bool:
    """Whether ``value`` is a GUID (an Entra object id, a tenant id)."""
    return isinstance(value, str) and _GUID.fullmatch(value) is not None


def is_tag_id(value: object) -> bool:
    """Whether ``value`` could be a Teams tag id, and so is safe in a Graph path."""
    return isinstance(value, str) and _TAG_ID.fullmatch(value) is not None


@dataclass(frozen=True)
class TagMember:
    """One person in a tag: their Entra object id and the name Graph gives."""

    user_id: str
    name: str


class GraphError(Exception):
    """A Graph call failed. ``status`` is the HTTP status (None: no answer); ``passing``
    says a later try may succeed (429, 5xx, a dropped connection)."""

    def __init__(
        self,
        reason: str,
        *,
        status: int | None,
        passing: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.passing = passing
        #: The pause a 429 asked for, in seconds (read by the retry policy).
        self.retry_after = retry_after

    @property
    def not_permitted(self) -> bool:
        """Graph refused the app: the tenant's admin has not granted the permission."""
        return self.status in (401, 403)


class TeamsGraph:
    """Graph calls with an app token per tenant; one HTTP client for the process."""

    def __init__(
        self,
        graph_url: str,
        login_url: str,
        app_id: str,
        password: str,
        *,
        http: httpx.AsyncClient | None = None,
        retry_base: float = 0.5,
    ) -> None:
        self._base = graph_url.rstrip("/")
        self._login_url = login_url
        self._app_id = app_id
        self._password = password
        self._http = http or httpx.AsyncClient(timeout=10)
        # The connector's policy: a GET is safe to repeat on 429, 5xx and lost connections.
        self._policy = teams_retry_policy(retry_base)
        # Each tenant's token is cached by its own ConnectorToken, kept here by tenant.
        self._tokens: LRUCache[str, ConnectorToken] = LRUCache(maxsize=MAX_TENANTS)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()

    async def tag_members(self, tenant_id: str, team_id: str, tag_id: str) -> list[TagMember]:
        """Everyone in the tag ``tag_id`` of the team whose Entra group is ``team_id``, in
        Graph's order, every page read. Raises GraphError (``not_permitted`` when the
        admin has not granted TeamworkTag.Read.All), also when Graph names a member by an
        id that is not an Entra object id: giving to fewer people than the tag holds is
        worse than giving to nobody and saying so."""
        if not (is_guid(tenant_id) and is_guid(team_id) and is_tag_id(tag_id)):
            raise GraphError("the tenant, team or tag id is not one Teams sends", status=None)
        tag = urllib.parse.quote(tag_id, safe="")
        url: str | None = f"{self._base}/teams/{team_id}/tags/{tag}/members"
        members: list[TagMember] = []
        for _ in range(MAX_PAGES):
            if url is None:
                return members
            page = await self._get(tenant_id, url)
            for entry in page.get("value") or []:
                members.append(_member(entry))
            url = _next_link(page, self._base)
        raise GraphError(f"the tag's members ran past {MAX_PAGES} pages", status=None)

    def _token(self, tenant_id: str) -> ConnectorToken:
        token = self._tokens.get(tenant_id)
        if token is None:
            token = self._tokens[tenant_id] = ConnectorToken(
                self._login_url, tenant_id, self._app_id, self._password, scope=GRAPH_SCOPE
            )
        return token

    async def _get(self, tenant_id: str, url: str) -> dict[str, Any]:
        """One page, repeated by the shared retry policy while it fails for a passing
        reason."""
        return await retrying(self._policy, _may_repeat)(self._try, tenant_id, url)

    async def _try(self, tenant_id: str, url: str) -> dict[str, Any]:
        try:
            token = await self._token(tenant_id)()
        except TokenError as exc:
            raise GraphError(str(exc), status=None) from None
        try:
            answer = await self._http.get(url, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            raise GraphError(type(exc).__name__, status=None, passing=True) from None
        status = answer.status_code
        if status < 300:
            try:
                body = answer.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                raise GraphError("Graph answered with no JSON object", status=status)
            return body
        # The body can quote the request; say only what failed.
        raise GraphError(
            f"Graph answered {status}",
            status=status,
            passing=status == 429 or status >= 500,
            retry_after=parse_retry_after(answer.headers.get("retry-after"))
            if status == 429
            else None,
        )


def _member(entry: object) -> TagMember:
    """A member entry of a page, its id checked: it goes into a connector URL next."""
    user_id = entry.get("userId") if isinstance(entry, dict) else None
    if not is_guid(user_id):
        raise GraphError("Graph named a tag member without an Entra object id", status=None)
    assert isinstance(entry, dict) and isinstance(user_id, str)
    return TagMember(user_id=user_id, name=str(entry.get("displayName") or "someone"))


def _next_link(page: dict[str, Any], base: str) -> str | None:
    """The next page's address, only if it is Graph's: the app token goes with it, so a
    link elsewhere is refused rather than followed."""
    link = page.get("@odata.nextLink")
    if link in (None, ""):
        return None
    if not isinstance(link, str) or not link.startswith(f"{base}/"):
        raise GraphError("Graph linked a next page outside TEAMS_GRAPH_URL", status=None)
    return link


def _may_repeat(exc: BaseException) -> bool:
    """A page is read again only after a passing failure (429, 5xx, no connection)."""
    return isinstance(exc, GraphError) and exc.passing
