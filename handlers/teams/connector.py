"""The bot's calls to the Bot Connector: send, update, open a 1:1 chat, look up a member.

A thin httpx client over the routes in the reference, rather than the SDK's ApiClient,
because the bot must tell three outcomes apart that the SDK folds into one exception: a
refusal (nothing happened, e.g. 403 "the app is not installed for this person"), a
passing failure (429, 5xx: retried here, honouring Retry-After), and a lost answer (the
message may have been sent). The clock process also sends digests without the SDK's App.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from api.retry import RetryPolicy, parse_retry_after, retrying
from handlers.teams.token import ConnectorToken, TokenError

log = logging.getLogger(__name__)

#: Tries per call for 429, 5xx and connection errors.
MAX_TRIES = 3
#: The longest Retry-After honoured; longer waits give up and report the failure.
MAX_RETRY_AFTER = 10.0


def teams_retry_policy(retry_base: float) -> RetryPolicy:
    """The in-call retries of a Microsoft call (the Bot Connector's, Graph's): MAX_TRIES
    tries, backing off from ``retry_base``, Retry-After honoured up to MAX_RETRY_AFTER."""
    return RetryPolicy(
        max_retries=MAX_TRIES - 1,
        backoff_base=retry_base,
        backoff_cap=retry_base * 2 ** (MAX_TRIES - 1),
        max_retry_after=MAX_RETRY_AFTER,
    )


Activity = dict[str, Any]


class ConnectorError(Exception):
    """A connector call failed. ``status`` is the HTTP status (None: no answer), and
    ``certain`` says nothing happened (an answer came back refusing the call)."""

    def __init__(
        self,
        reason: str,
        *,
        status: int | None,
        certain: bool,
        passing: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.certain = certain
        #: A failure that a later try may not meet (429, 5xx, a dropped connection).
        self.passing = passing
        #: The pause a 429 asked for, in seconds (read by the retry policy).
        self.retry_after = retry_after

    @property
    def unreachable(self) -> bool:
        """The person or conversation cannot be written to (the app is not installed for
        them, or the conversation is gone): retrying will not help."""
        return self.status in (403, 404)


class TeamsConnector:
    """Connector calls with the bot's token; one HTTP client for the process."""

    def __init__(
        self,
        token: ConnectorToken,
        app_id: str,
        *,
        http: httpx.AsyncClient | None = None,
        retry_base: float = 0.5,
    ) -> None:
        self._token = token
        self._app_id = app_id
        self._http = http or httpx.AsyncClient(timeout=10)
        self._retry_base = retry_base
        self._policy = teams_retry_policy(retry_base)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()

    async def send(self, service_url: str, conversation_id: str, activity: Activity) -> str:
        """Post ``activity`` into the conversation; returns the new activity's id."""
        body = await self._call(
            "POST", service_url, f"v3/conversations/{conversation_id}/activities", activity
        )
        return str(body.get("id") or "")

    async def update(
        self, service_url: str, conversation_id: str, activity_id: str, activity: Activity
    ) -> None:
        """Replace a sent activity in place, for everyone in the conversation."""
        await self._call(
            "PUT",
            service_url,
            f"v3/conversations/{conversation_id}/activities/{activity_id}",
            {**activity, "id": activity_id},
        )

    async def create_personal(self, service_url: str, tenant_id: str, member_id: str) -> str:
        """Open (or find) the 1:1 chat between the bot and a person; its conversation id.
        Raises ConnectorError with ``unreachable`` when the app is not installed for them."""
        body = await self._call(
            "POST",
            service_url,
            "v3/conversations",
            {
                "bot": {"id": f"28:{self._app_id}"},
                "members": [{"id": member_id}],
                "isGroup": False,
                "tenantId": tenant_id,
                "channelData": {"tenant": {"id": tenant_id}},
            },
        )
        return str(body.get("id") or "")

    async def member(self, service_url: str, conversation_id: str, member_id: str) -> Activity:
        """One member of a conversation: ``id``, ``name``, ``email``,
        ``userPrincipalName``, ``aadObjectId``."""
        return await self._call(
            "GET", service_url, f"v3/conversations/{conversation_id}/members/{member_id}", None
        )

    async def _call(
        self, method: str, service_url: str, path: str, body: Activity | None
    ) -> Activity:
        """One connector call, repeated by the shared retry policy (api.retry) while it
        fails for a passing reason and certainly did nothing."""
        url = f"{service_url.rstrip('/')}/{path}"
        return await retrying(self._policy, _may_repeat)(self._try, method, url, body)

    async def _try(self, method: str, url: str, body: Activity | None) -> Activity:
        try:
            token = await self._token()
        except TokenError as exc:
            raise ConnectorError(str(exc), status=None, certain=True) from None
        try:
            answer = await self._http.request(
                method, url, json=body, headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.TimeoutException as exc:
            # The call may have arrived: a send is not repeated, or it could double.
            certain = method == "GET"
            reason = type(exc).__name__ if certain else f"no answer ({type(exc).__name__})"
            raise ConnectorError(reason, status=None, certain=certain, passing=certain) from None
        except httpx.HTTPError as exc:
            raise ConnectorError(
                type(exc).__name__, status=None, certain=True, passing=True
            ) from None
        if answer.status_code < 300:
            return _json(answer)
        status = answer.status_code
        raise ConnectorError(
            f"the connector answered {status}",
            status=status,
            certain=True,
            passing=status == 429 or status >= 500,
            retry_after=parse_retry_after(answer.headers.get("retry-after"))
            if status == 429
            else None,
        )


def _may_repeat(exc: BaseException) -> bool:
    """A call is repeated only when it failed for a passing reason (429, 5xx, no
    connection) and certainly did nothing."""
    return isinstance(exc, ConnectorError) and exc.passing and exc.certain


def _json(answer: httpx.Response) -> Activity:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
