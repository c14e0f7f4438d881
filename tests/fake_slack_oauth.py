"""The OAuth side of the fake Slack (tests.fake_slack.FakeSlack): the installs that
``oauth.v2.access`` completes, ``auth.test`` per token, and token rotation."""

from __future__ import annotations

import base64
import binascii
import itertools
import threading
from typing import Any


class SlackOAuthFake:
    """Mixed into FakeSlack, which calls :meth:`_init_oauth` on start and on reset."""

    _cond: threading.Condition

    def _init_oauth(self) -> None:
        #: oauth.v2.access answers by code, each given once.
        self.install_codes: dict[str, dict[str, Any]] = {}
        #: auth.test answers by token; other tokens get the single-workspace answer.
        self.identities: dict[str, dict[str, Any]] = {}
        #: What a refresh token rotates: the oauth answer it came with, spent when used.
        self.refreshes: dict[str, dict[str, Any]] = {}
        #: (client_id, client_secret) that oauth.v2.access must be called with, when set.
        self.oauth_client: tuple[str, str] | None = None
        self._rotations = itertools.count(1)

    def add_install(
        self,
        code: str,
        team_id: str | None,
        team_name: str | None,
        *,
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
        org_wide: bool = False,
        bot_token: str | None = None,
        rotating: bool = False,
        expires_in: int = 43200,
        installer: str = "UINSTALLER",
        app_id: str = "ABADGEBOT",
    ) -> dict[str, Any]:
        """Ready the oauth.v2.access answer for ``code`` (a workspace's install, or with
        ``org_wide`` an Enterprise Grid org's) and auth.test for its bot token; with
        ``rotating`` the token expires in ``expires_in`` seconds and has a refresh token."""
        owner = team_id or enterprise_id or "X"
        token = bot_token or (
            _rotating_token(f"{owner}-{code}") if rotating else f"xoxb-{owner}-{code}-0123456789"
        )
        answer: dict[str, Any] = {
            "ok": True,
            "app_id": app_id,
            "authed_user": {"id": installer},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": f"U{owner}BOT",
            "team": {"id": team_id, "name": team_name} if team_id else None,
            "enterprise": {"id": enterprise_id, "name": enterprise_name} if enterprise_id else None,
            "is_enterprise_install": org_wide,
        }
        if rotating:
            answer["refresh_token"] = _refresh_token(f"{owner}-{code}")
            answer["expires_in"] = expires_in
        with self._cond:
            self.install_codes[code] = answer
            self._know(answer)
        return answer

    def _know(self, answer: dict[str, Any]) -> None:
        """Let auth.test answer for the token of an oauth answer, and its refresh token
        rotate it."""
        team, enterprise = answer.get("team") or {}, answer.get("enterprise") or {}
        self.identities[answer["access_token"]] = {
            "ok": True,
            "url": f"https://{(team.get('name') or 'org').lower()}.slack.com/",
            "team": team.get("name"),
            "team_id": team.get("id"),
            "user": "badgebot",
            "user_id": answer["bot_user_id"],
            "bot_id": "B" + answer["bot_user_id"][1:],
            "enterprise_id": enterprise.get("id"),
            "is_enterprise_install": answer["is_enterprise_install"],
        }
        if answer.get("refresh_token"):
            self.refreshes[answer["refresh_token"]] = answer

    def _oauth_access(self, args: dict[str, Any], authorization: str) -> dict[str, Any]:
        """oauth.v2.access: a code's install once, or a rotation of a refresh token once;
        the app's credentials come as HTTP basic auth, as slack_sdk sends them."""
        try:
            basic = base64.b64decode(authorization.removeprefix("Basic ")).decode()
        except (binascii.Error, UnicodeDecodeError):
            basic = ""
        client_id, _, secret = basic.partition(":")
        args["client_id"] = client_id  # recorded, for tests to check; never the secret
        if self.oauth_client is not None and (client_id, secret) != self.oauth_client:
            return {"ok": False, "error": "invalid_client"}
        with self._cond:
            if args.get("grant_type") == "refresh_token":
                old = self.refreshes.pop(str(args.get("refresh_token")), None)
                if old is None:
                    return {"ok": False, "error": "invalid_refresh_token"}
                n = next(self._rotations)
                answer = {
                    **old,
                    "access_token": _rotating_token(f"rotated-{n}"),
                    "refresh_token": _refresh_token(f"rotated-{n}"),
                    "expires_in": 43200,
                }
                self._know(answer)
                return answer
            answer = self.install_codes.pop(str(args.get("code")), None)
        return answer or {"ok": False, "error": "invalid_code"}


def _rotating_token(seed: str) -> str:
    """A token shaped like Slack's rotating bot tokens (``xoxe.xoxb-1-``, some 150
    characters), long enough that its ciphertext outgrows VARCHAR(200)."""
    body = base64.urlsafe_b64encode(f"{seed}-".encode() * 20).decode().rstrip("=")
    return f"xoxe.xoxb-1-{body[:140]}"


def _refresh_token(seed: str) -> str:
    body = base64.urlsafe_b64encode(f"refresh-{seed}-".encode() * 20).decode().rstrip("=")
    return f"xoxe-1-{body[:140]}"
