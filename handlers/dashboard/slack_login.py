"""Sign in with Slack (OpenID Connect) through slack_sdk: the authorize URL, then the
code exchanged at ``openid.connect.token`` and the person read from
``openid.connect.userInfo``, both on SLACK_API_URL."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import jwt
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth import OpenIDConnectAuthorizeUrlGenerator
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings

log = logging.getLogger(__name__)

AUTHORIZE_PATH = "/openid/connect/authorize"
SCOPES = ["openid", "email", "profile"]


def authorize_url_for(api_url: str) -> str:
    """Slack's authorize page beside its Web API: https://slack.com/api/ gives
    https://slack.com/openid/connect/authorize, and a fake Slack's API its own page."""
    base = api_url.rstrip("/").removesuffix("/api")
    return base + AUTHORIZE_PATH


class SignInFailed(Exception):
    """The provider did not confirm who signed in; the message is for the page."""


@dataclass(frozen=True)
class SlackIdentity:
    """Who signed in, as Slack's userInfo says."""

    user_id: str
    team_id: str
    enterprise_id: str | None
    name: str
    email: str


class SlackSignIn:
    """The Slack app's OpenID Connect client."""

    def __init__(self, settings: Settings, redirect_uri: str, authorize_url: str) -> None:
        assert settings.slack_client_id and settings.slack_client_secret
        self._client_id = settings.slack_client_id
        self._secret = settings.slack_client_secret.get_secret_value()
        self._api_url = settings.slack_api_url.rstrip("/") + "/"
        self._timeout = int(settings.slack_timeout)
        self._bot_token = settings.slack_bot_token
        self.redirect_uri = redirect_uri
        self._urls = OpenIDConnectAuthorizeUrlGenerator(
            client_id=self._client_id,
            redirect_uri=redirect_uri,
            scopes=SCOPES,
            authorization_url=authorize_url,
        )
        #: The single workspace's team (and org) ids from auth.test, read once.
        self._home: tuple[str | None, str | None] | None = None

    def authorize_url(self, state: str, nonce: str) -> str:
        """Where the browser goes to sign in."""
        return self._urls.generate(state=state, nonce=nonce)

    async def identity(self, code: str, nonce: str) -> SlackIdentity:
        """Exchange ``code`` and read the person; SignInFailed when Slack does not
        confirm them, or the id token was issued for another sign-in (nonce)."""
        try:
            token = await self._client().openid_connect_token(
                client_id=self._client_id,
                client_secret=self._secret,
                code=code,
                redirect_uri=self.redirect_uri,
            )
            access_token = token.get("access_token")
            _check_nonce(token.get("id_token"), nonce)
            if not isinstance(access_token, str):
                raise SignInFailed("Slack gave no access token.")
            info = await self._client(access_token).openid_connect_userInfo()
        except SlackApiError as exc:
            log.info("Slack sign-in refused: %s", exc.response.get("error"))
            raise SignInFailed("Slack did not confirm the sign-in. Try again.") from None
        except SlackClientError as exc:
            log.warning("Slack sign-in failed: %s", type(exc).__name__)
            raise SignInFailed("Slack could not be reached. Try again in a minute.") from None
        user_id = info.get("https://slack.com/user_id")
        team_id = info.get("https://slack.com/team_id")
        if not isinstance(user_id, str) or not isinstance(team_id, str):
            raise SignInFailed("Slack did not say who signed in.")
        enterprise = info.get("https://slack.com/enterprise_id")
        return SlackIdentity(
            user_id=user_id,
            team_id=team_id,
            enterprise_id=enterprise if isinstance(enterprise, str) and enterprise else None,
            name=str(info.get("name") or ""),
            email=str(info.get("email") or ""),
        )

    async def home_workspace(self) -> tuple[str | None, str | None]:
        """The single workspace's (team id, enterprise id), from the bot token's
        auth.test: a person of another workspace must not see this one's data."""
        if self._home is None:
            if self._bot_token is None:
                return None, None
            answer = await self._client(self._bot_token.get_secret_value()).auth_test()
            self._home = (answer.get("team_id"), answer.get("enterprise_id"))
        return self._home

    def _client(self, token: str | None = None) -> AsyncWebClient:
        # A client per call: sign-ins are rare, and it owns no session to close.
        return AsyncWebClient(token=token, base_url=self._api_url, timeout=self._timeout)


def _check_nonce(id_token: object, nonce: str) -> None:
    """The id token came straight from Slack over TLS, so its signature adds nothing;
    its nonce says it was issued for the sign-in this browser started."""
    if not isinstance(id_token, str):
        return  # userInfo, read with the fresh token, is what names the person
    try:
        claims = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise SignInFailed("Slack's id token could not be read.") from None
    if claims.get("nonce") != nonce:
        raise SignInFailed("That sign-in was not started here. Start again.")
