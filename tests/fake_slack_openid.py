"""The Sign in with Slack side of the fake Slack (tests.fake_slack.FakeSlack): an
authorize page that sends the browser straight back with a code for the person a test
chose, ``openid.connect.token`` (each code once, the app's credentials as basic auth) and
``openid.connect.userInfo`` (by the access token it gave)."""

from __future__ import annotations

import base64
import binascii
import itertools
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import jwt
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response


@dataclass(frozen=True)
class SlackPerson:
    user_id: str
    team_id: str
    name: str = ""
    email: str = ""
    enterprise_id: str | None = None


class SlackOpenIDFake:
    """Mixed into FakeSlack, which calls :meth:`_init_openid` on start and on reset."""

    _cond: threading.Condition
    oauth_client: tuple[str, str] | None

    def _init_openid(self) -> None:
        #: Who the authorize page signs in next (None: it answers 400).
        self.signing_in: SlackPerson | None = None
        #: The query of each authorize request (client_id, scope, state, nonce, ...).
        self.authorize_requests: list[dict[str, str]] = []
        self._openid_codes: dict[str, tuple[SlackPerson, str]] = {}
        self._openid_tokens: dict[str, SlackPerson] = {}
        self._openid_numbers = itertools.count(1)

    def sign_in_as(
        self,
        user_id: str,
        team_id: str = "T1",
        *,
        name: str = "",
        email: str = "",
        enterprise_id: str | None = None,
    ) -> None:
        """Let the next authorize requests sign ``user_id`` of ``team_id`` in."""
        with self._cond:
            self.signing_in = SlackPerson(user_id, team_id, name or user_id, email, enterprise_id)

    def openid_code(self, person: SlackPerson, nonce: str = "") -> str:
        """A code that ``openid.connect.token`` takes once, as the authorize page makes."""
        code = f"oidc-code-{next(self._openid_numbers)}"
        with self._cond:
            self._openid_codes[code] = (person, nonce)
        return code

    async def _openid_authorize(self, request: Request) -> Response:
        query = dict(request.query_params)
        with self._cond:
            self.authorize_requests.append(query)
            person = self.signing_in
        if person is None or not query.get("redirect_uri"):
            return PlainTextResponse("nobody is signing in", 400)
        code = self.openid_code(person, query.get("nonce", ""))
        back = urllib.parse.urlencode({"code": code, "state": query.get("state", "")})
        return RedirectResponse(f"{query['redirect_uri']}?{back}", 302)

    def _openid_token(self, args: dict[str, Any], authorization: str) -> dict[str, Any]:
        try:
            basic = base64.b64decode(authorization.removeprefix("Basic ")).decode()
        except (binascii.Error, UnicodeDecodeError):
            basic = ""
        client_id, _, secret = basic.partition(":")
        args["client_id"] = client_id  # recorded for tests; never the secret
        if self.oauth_client is not None and (client_id, secret) != self.oauth_client:
            return {"ok": False, "error": "invalid_client"}
        with self._cond:
            found = self._openid_codes.pop(str(args.get("code")), None)
        if found is None:
            return {"ok": False, "error": "invalid_code"}
        person, nonce = found
        token = f"xoxp-oidc-{next(self._openid_numbers)}"
        with self._cond:
            self._openid_tokens[token] = person
        now = int(time.time())
        claims = {
            "iss": "https://slack.com",
            "sub": person.user_id,
            "aud": client_id,
            "exp": now + 300,
            "iat": now,
            "nonce": nonce,
            "https://slack.com/user_id": person.user_id,
            "https://slack.com/team_id": person.team_id,
        }
        id_token = jwt.encode(claims, "fake-slack-id-token-key-0123456789abcdef", "HS256")
        return {"ok": True, "access_token": token, "token_type": "Bearer", "id_token": id_token}

    def _openid_user_info(self, authorization: str) -> dict[str, Any]:
        with self._cond:
            person = self._openid_tokens.get(authorization.removeprefix("Bearer "))
        if person is None:
            return {"ok": False, "error": "invalid_auth"}
        info: dict[str, Any] = {
            "ok": True,
            "sub": person.user_id,
            "https://slack.com/user_id": person.user_id,
            "https://slack.com/team_id": person.team_id,
            "email": person.email,
            "email_verified": True,
            "name": person.name,
        }
        if person.enterprise_id:
            info["https://slack.com/enterprise_id"] = person.enterprise_id
        return info
