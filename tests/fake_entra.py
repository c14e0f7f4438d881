"""A fake Microsoft Entra authority for msal's authorization-code flow, over https on
loopback (msal takes only https authorities): the tenant's OpenID document, an authorize
page that sends the browser straight back with a code for the person a test chose, and a
token endpoint that checks the app's secret and PKCE and issues an id token signed with a
test RSA key."""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.background_server import BackgroundServer


@dataclass(frozen=True)
class EntraPerson:
    object_id: str
    tenant_id: str
    name: str
    email: str


class FakeEntra:
    """``url`` is set by :func:`serve_entra`."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.url = ""
        self.signing_in: EntraPerson | None = None
        self.token_requests: list[dict[str, str]] = []
        self._codes: dict[str, tuple[EntraPerson, dict[str, str]]] = {}
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/{tenant}/v2.0/.well-known/openid-configuration", self._openid),
                Route("/{tenant}/oauth2/v2.0/authorize", self._authorize),
                Route("/{tenant}/oauth2/v2.0/token", self._token, methods=["POST"]),
            ]
        )

    def sign_in_as(self, object_id: str, tenant_id: str, name: str, email: str) -> None:
        with self._lock:
            self.signing_in = EntraPerson(object_id, tenant_id, name, email)

    async def _openid(self, request: Request) -> Response:
        tenant = request.path_params["tenant"]
        return JSONResponse(
            {
                "issuer": f"{self.url}/{{tenantid}}/v2.0",
                "authorization_endpoint": f"{self.url}/{tenant}/oauth2/v2.0/authorize",
                "token_endpoint": f"{self.url}/{tenant}/oauth2/v2.0/token",
                "jwks_uri": f"{self.url}/{tenant}/discovery/v2.0/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def _authorize(self, request: Request) -> Response:
        query = dict(request.query_params)
        with self._lock:
            person = self.signing_in
        if person is None or query.get("client_id") != self.client_id:
            return PlainTextResponse("nobody is signing in", 400)
        code = f"entra-code-{next(self._numbers)}"
        with self._lock:
            self._codes[code] = (person, query)
        back = urllib.parse.urlencode({"code": code, "state": query.get("state", "")})
        return RedirectResponse(f"{query['redirect_uri']}?{back}", 302)

    async def _token(self, request: Request) -> Response:
        form = dict(urllib.parse.parse_qsl((await request.body()).decode()))
        self.token_requests.append({k: v for k, v in form.items() if k != "client_secret"})
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self.client_secret
        ):
            return JSONResponse({"error": "invalid_client"}, 401)
        with self._lock:
            found = self._codes.pop(form.get("code", ""), None)
        if found is None:
            return JSONResponse({"error": "invalid_grant"}, 400)
        person, asked = found
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if asked.get("code_challenge") and challenge.decode() != asked["code_challenge"]:
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        now = int(time.time())
        claims = {
            "iss": f"{self.url}/{person.tenant_id}/v2.0",
            "aud": self.client_id,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "oid": person.object_id,
            "tid": person.tenant_id,
            "sub": f"sub-{person.object_id}",
            "name": person.name,
            "preferred_username": person.email,
            "nonce": asked.get("nonce", ""),
        }
        id_token = jwt.encode(claims, self.key, "RS256", headers={"kid": "entra-test"})
        info = {"uid": person.object_id, "utid": person.tenant_id}
        client_info = base64.urlsafe_b64encode(json.dumps(info).encode()).decode().rstrip("=")
        return JSONResponse(
            {
                "token_type": "Bearer",
                "scope": "openid profile",
                "expires_in": 3600,
                "access_token": jwt.encode(
                    {"aud": "00000003", "exp": now + 3600}, self.key, "RS256"
                ),
                "id_token": id_token,
                "client_info": client_info,
            }
        )


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as files, for uvicorn's TLS."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "entra.crt", folder / "entra.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextmanager
def serve_entra(entra: FakeEntra, folder: Path) -> Iterator[Path]:
    """Serve ``entra`` over https; yields the certificate to trust (REQUESTS_CA_BUNDLE)."""
    cert, key = self_signed_certificate(folder)
    server = BackgroundServer(entra.app)
    # BackgroundServer speaks plain http; uvicorn reads these when it starts serving.
    server._server.config.ssl_certfile = str(cert)
    server._server.config.ssl_keyfile = str(key)
    # msal's requests session never closes its TLS connection: uvicorn would wait out its
    # 2 s graceful shutdown on it at every test's end.
    server._server.config.timeout_graceful_shutdown = 0.1
    with server:
        entra.url = f"https://127.0.0.1:{server.port}"
        yield cert
