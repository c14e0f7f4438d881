"""A fake of Microsoft's side of Teams on loopback: the Bot Framework's OpenID document
and JWKS (with an RSA key the tests sign activities with, so the bot's real JWT check
runs), the Azure AD token endpoint, and the Bot Connector, which records every call."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

APP_ID = "0b6c1f3e-8a4d-4c7b-9e2f-5d1a2b3c4d5e"
TENANT_ID = "7d2f9a10-3b4c-4d5e-8f60-718293a4b5c6"
APP_PASSWORD = "teams-client-secret-do-not-log"
ISSUER = "https://api.botframework.com"


class FakeTeams:
    """``url`` is set by the fixture that serves ``app``."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        self.jwk = {**jwk, "kid": "test-key", "use": "sig", "alg": "RS256"}
        self.url = ""
        self.calls: list[dict[str, Any]] = []
        self.token_requests: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/v1/.well-known/openidconfiguration", self._openid),
                Route("/v1/.well-known/keys", self._keys),
                Route("/{tenant}/oauth2/v2.0/token", self._token, methods=["POST"]),
                Route(
                    "/v3/conversations/{conversation}/activities",
                    self._connector,
                    methods=["POST"],
                ),
                Route(
                    "/v3/conversations/{conversation}/activities/{activity}",
                    self._connector,
                    methods=["POST", "PUT"],
                ),
            ]
        )

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.token_requests.clear()

    def settings(self) -> dict[str, str]:
        """The bot's Teams settings, pointed at this fake."""
        return {
            "teams_app_id": APP_ID,
            "teams_app_password": APP_PASSWORD,
            "teams_tenant_id": TENANT_ID,
            "teams_openid_metadata_url": f"{self.url}/v1/.well-known/openidconfiguration",
            "teams_login_url": self.url,
            "teams_service_url": f"{self.url}/",
        }

    def sign(
        self,
        *,
        service_url: str | None = None,
        audience: str = APP_ID,
        issuer: str = ISSUER,
        expires_in: int = 300,
        key: Any = None,
    ) -> str:
        """A Bot Framework token as Teams sends it; change a claim to forge one."""
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": audience,
            "serviceurl": service_url or f"{self.url}/",
            "nbf": now - 10,
            "iat": now - 10,
            "exp": now + expires_in,
        }
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": "test-key"})

    def message(self, text: str, *, user: str = "29:amara", conversation: str = "a:amara") -> dict:
        """A personal-chat message activity from ``user``."""
        return {
            "type": "message",
            "id": f"m{time.time_ns()}",
            "text": text,
            "channelId": "msteams",
            "serviceUrl": f"{self.url}/",
            "from": {"id": user, "aadObjectId": f"aad-{user}", "name": user},
            "recipient": {"id": f"28:{APP_ID}", "name": "badgebot"},
            "conversation": {
                "id": conversation,
                "conversationType": "personal",
                "tenantId": TENANT_ID,
            },
            "channelData": {"tenant": {"id": TENANT_ID}},
            "timestamp": "2026-11-28T07:00:00.000Z",
            "locale": "en-US",
        }

    def calls_to(self, conversation: str) -> list[dict[str, Any]]:
        with self._lock:
            return [c for c in self.calls if c["conversation"] == conversation]

    async def _openid(self, request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "issuer": ISSUER,
                "jwks_uri": f"{self.url}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def _keys(self, request: Request) -> JSONResponse:
        return JSONResponse({"keys": [self.jwk]})

    async def _token(self, request: Request) -> JSONResponse:
        form = dict(urllib.parse.parse_qsl((await request.body()).decode()))
        with self._lock:
            self.token_requests.append({k: str(v) for k, v in form.items()})
        if form.get("client_secret") != APP_PASSWORD:
            return JSONResponse({"error": "invalid_client"}, 401)
        now = int(time.time())
        # The SDK decodes the token it is handed (for its expiry), so it must be a JWT.
        token = jwt.encode(
            {"aud": "https://api.botframework.com", "iat": now, "exp": now + 3600},
            "fake-token-signing-key-0123456789abcdef",
            algorithm="HS256",
        )
        return JSONResponse({"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

    async def _connector(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body() or b"{}")
        with self._lock:
            self.calls.append(
                {
                    "method": request.method,
                    "conversation": request.path_params["conversation"],
                    "activity": request.path_params.get("activity"),
                    "authorization": request.headers.get("authorization", ""),
                    "body": body,
                }
            )
            number = len(self.calls)
        return JSONResponse({"id": f"activity-{number}"})
