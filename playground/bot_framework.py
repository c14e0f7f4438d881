"""Microsoft's side of the Bot Framework's authentication, on loopback: an RSA key that
signs activities as Teams signs them, the OpenID document and JWKS that let the bot check
them (its real JWT check runs), and a client-credentials token endpoint. The playground
and the tests' fake Teams both stand on it."""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ISSUER = "https://api.botframework.com"
OPENID_PATH = "/v1/.well-known/openidconfiguration"
KEYS_PATH = "/v1/.well-known/keys"


class BotFrameworkAuth:
    """The keys and the three routes; ``base_url`` is where the routes are served."""

    def __init__(self, app_id: str, app_password: str) -> None:
        self.app_id = app_id
        self.app_password = app_password
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        self.jwk = {**jwk, "kid": "loopback-key", "use": "sig", "alg": "RS256"}
        self.base_url = ""
        #: The forms the token endpoint received (for tests).
        self.token_requests: list[dict[str, str]] = []
        #: The tenant in each token request's path, in the same order (for tests).
        self.token_tenants: list[str] = []
        #: Seconds the tokens handed out are valid for (a test shortens it to defeat the
        #: bot's token cache).
        self.token_lifetime = 3600

    def routes(self, prefix: str = "") -> list[Route]:
        """The OpenID document, the JWKS and the token endpoint."""
        return [
            Route(f"{prefix}{OPENID_PATH}", self._openid),
            Route(f"{prefix}{KEYS_PATH}", self._keys),
            Route(f"{prefix}/{{tenant}}/oauth2/v2.0/token", self._token, methods=["POST"]),
        ]

    def sign(
        self,
        *,
        service_url: str,
        audience: str | None = None,
        issuer: str = ISSUER,
        expires_in: int = 300,
        key: Any = None,
    ) -> str:
        """A Bot Framework token as Teams sends it; change a claim to forge one."""
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": audience or self.app_id,
            "serviceurl": service_url,
            "nbf": now - 10,
            "iat": now - 10,
            "exp": now + expires_in,
        }
        return jwt.encode(
            claims, key or self.key, algorithm="RS256", headers={"kid": "loopback-key"}
        )

    async def _openid(self, request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "issuer": ISSUER,
                "jwks_uri": f"{self.base_url}{KEYS_PATH}",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def _keys(self, request: Request) -> JSONResponse:
        return JSONResponse({"keys": [self.jwk]})

    async def _token(self, request: Request) -> JSONResponse:
        form = dict(urllib.parse.parse_qsl((await request.body()).decode()))
        self.token_requests.append({k: str(v) for k, v in form.items()})
        self.token_tenants.append(str(request.path_params["tenant"]))
        if form.get("client_secret") != self.app_password:
            return JSONResponse({"error": "invalid_client"}, 401)
        now = int(time.time())
        # The Teams SDK decodes the token it is handed (for its expiry): it must be a JWT.
        token = jwt.encode(
            {"aud": "https://api.botframework.com", "iat": now, "exp": now + self.token_lifetime},
            "loopback-token-signing-key-0123456789abcdef",
            algorithm="HS256",
        )
        return JSONResponse(
            {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"}
        )
