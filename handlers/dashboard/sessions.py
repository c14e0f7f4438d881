"""The dashboard's cookies: a signed session (who signed in, for which workspace) and a
signed, short-lived sign-in cookie that binds a provider's state and nonce to the browser
that started the sign-in.

Both are ``base64url(json).base64url(hmac_sha256)``, keyed with a key derived from
BADGEBOT_SECRET_KEY (else the Slack or Microsoft app's secret), so no table is needed and
every web process reads them. Anything that does not verify, or has expired, is nobody.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from cachetools import TTLCache

from bot.settings import Settings

SESSION_COOKIE = "badgebot_dashboard"
LOGIN_COOKIE = "badgebot_dashboard_login"
SESSION_SECONDS = 8 * 3600
#: How long a sign-in may take from our redirect to the provider's redirect back.
LOGIN_SECONDS = 600
#: Cookies larger than this are not read (browsers keep 4 KB per cookie anyway).
MAX_COOKIE_CHARS = 4096

Provider = Literal["slack", "microsoft"]


def session_key(settings: Settings) -> bytes:
    """The HMAC key of the dashboard's cookies, derived (never the secret itself, which
    also encrypts tokens) from the first secret the deployment has."""
    for secret in (
        settings.badgebot_secret_key,
        settings.slack_client_secret,
        settings.teams_app_password,
    ):
        if secret is not None and secret.get_secret_value():
            material = secret.get_secret_value().encode()
            return hmac.new(material, b"badgebot dashboard cookies v1", hashlib.sha256).digest()
    raise ValueError("the dashboard needs BADGEBOT_SECRET_KEY or the app's client secret")


class Signer:
    """Signs and reads JSON documents with an expiry (``exp``, Unix seconds)."""

    def __init__(self, key: bytes, purpose: str) -> None:
        # One key per purpose: a sign-in cookie can never be replayed as a session.
        self._key = hmac.new(key, purpose.encode(), hashlib.sha256).digest()

    def sign(self, document: dict[str, Any]) -> str:
        """The cookie value of ``document``."""
        body = _b64(json.dumps(document, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{_b64(self._mac(body))}"

    def read(self, value: str | None, now: float | None = None) -> dict[str, Any] | None:
        """The document, or None when it is missing, tampered with, malformed or expired."""
        if not value or len(value) > MAX_COOKIE_CHARS or value.count(".") != 1:
            return None
        body, mac = value.split(".")
        # The MAC is compared in the one encoding sign() writes: base64 leaves spare bits
        # in its last character, so decoding first would let a changed cookie through.
        if not hmac.compare_digest(mac.encode(), _b64(self._mac(body)).encode()):
            return None
        try:
            document = json.loads(_unb64(body))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return None
        if not isinstance(document, dict):
            return None
        expires = document.get("exp")
        if not isinstance(expires, int | float) or expires <= (now or time.time()):
            return None
        return document

    def _mac(self, body: str) -> bytes:
        return hmac.new(self._key, body.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class Person:
    """Someone who signed in: where (platform and workspace key) and as whom. ``aliases``
    are their other names in the approver lists (a Teams person's email, object id)."""

    platform: Literal["slack", "teams"]
    workspace: str
    user_id: str
    name: str = ""
    email: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Session:
    """A signed-in person, until ``exp``; ``csrf`` is the token of the logout form."""

    person: Person
    exp: float
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))


class SessionCookies:
    """Reads and writes the session and sign-in cookies; remembers spent states."""

    def __init__(self, key: bytes, *, secure: bool) -> None:
        self._sessions = Signer(key, "session")
        self._logins = Signer(key, "login")
        self.secure = secure
        #: States already used in this process: a sign-in cookie works once even if a
        #: browser (or an attacker who copied it) sends it again before it expires.
        self._spent: TTLCache[str, bool] = TTLCache(maxsize=50_000, ttl=LOGIN_SECONDS)

    def new_session(self, person: Person, now: float | None = None) -> tuple[Session, str]:
        """A session for ``person`` and its cookie value."""
        session = Session(person, (now or time.time()) + SESSION_SECONDS)
        document = {"person": asdict(session.person), "exp": session.exp, "csrf": session.csrf}
        return session, self._sessions.sign(document)

    def session(self, value: str | None) -> Session | None:
        """The session in a cookie value, or None (anonymous)."""
        document = self._sessions.read(value)
        if document is None:
            return None
        try:
            raw = document["person"]
            person = Person(
                platform=raw["platform"],
                workspace=str(raw["workspace"]),
                user_id=str(raw["user_id"]),
                name=str(raw.get("name", "")),
                email=str(raw.get("email", "")),
                aliases=tuple(str(a) for a in raw.get("aliases", ())),
            )
            if person.platform not in ("slack", "teams"):
                return None
            return Session(person, float(document["exp"]), str(document["csrf"]))
        except (KeyError, TypeError, ValueError):
            return None

    def new_login(self, provider: Provider, state: str, extra: dict[str, Any]) -> str:
        """The sign-in cookie of a sign-in just started (``extra``: nonce, msal's flow)."""
        document = {"p": provider, "s": state, "exp": time.time() + LOGIN_SECONDS, **extra}
        return self._logins.sign(document)

    def take_login(
        self, value: str | None, provider: Provider, state: str | None
    ) -> dict[str, Any] | None:
        """The sign-in cookie's document when it was made for ``provider`` and ``state``
        and not used before (it is spent now); else None, and nothing may be started."""
        document = self._logins.read(value)
        if document is None or document.get("p") != provider or not state:
            return None
        expected = document.get("s")
        if not isinstance(expected, str) or not hmac.compare_digest(expected, state):
            return None
        if expected in self._spent:
            return None
        self._spent[expected] = True
        return document

    def cookie_options(self, max_age: int, path: str) -> dict[str, Any]:
        """Starlette's set_cookie arguments: HttpOnly, SameSite=Lax, Secure on https."""
        return {
            "max_age": max_age,
            "path": path,
            "httponly": True,
            "samesite": "lax",
            "secure": self.secure,
        }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
