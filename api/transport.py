"""How a request reaches Quantive: the shared HTTP client, the slots requests wait in, the
retry policy, the deadline of a POST, and the mapping of a failed answer to an error.

Safe requests (GET, PATCH, DELETE) are retried on connection errors, 429 and 502/503/504.
POST requests are retried only while they certainly have not reached the server, because
repeating an assign could double an award, and each has one total deadline that includes
its wait for a connection slot.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from dataclasses import dataclass
from typing import Any

import httpx

from api import errors
from api.retry import RETRYABLE_STATUSES, RetryPolicy, Transient, parse_retry_after

log = logging.getLogger(__name__)

# Errors raised before a single byte of the request was sent: always safe to retry.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    """The one TLS context of every Quantive client in the process, as httpx would make
    it (certifi's CA bundle, or SSL_CERT_FILE / SSL_CERT_DIR). Each context loads the CA
    bundle anew: some 30 ms of CPU, holding the event loop, and 0.7 MiB, per client; in
    distribution mode that is per workspace (measured: bench/ack_path_workspaces.py)."""
    return httpx.create_ssl_context()


def build_http_client(
    base_url: str,
    token: str,
    account_id: str,
    *,
    timeout: float = 10.0,
    connect_timeout: float = 5.0,
    max_connections: int = 16,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The one ``httpx.AsyncClient`` a process shares for Quantive, with its auth headers.

    The pool is kept small: httpcore's pool costs CPU in proportion to connections times
    waiting requests, so a queue in front of it (see :class:`Transport`) is far cheaper.
    """
    return httpx.AsyncClient(
        base_url=base_url.rstrip("/") + "/",
        headers={
            "Authorization": f"Bearer {token}",
            "gtmhub-accountId": account_id,
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
        timeout=httpx.Timeout(timeout, connect=connect_timeout, pool=None),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        transport=transport,
        verify=shared_tls_context(),
    )


class Transport:
    """Sends one request to Quantive, retried as the policy allows; raises :mod:`api.errors`."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        retry: RetryPolicy,
        *,
        max_concurrency: int,
        deadline: float,
    ) -> None:
        self.http = http
        self.retry = retry
        #: Requests wait here, not in httpcore's pool, where waiting is costly.
        self.slots = asyncio.Semaphore(max_concurrency)
        #: The longest a POST may take, from asking for a slot to its answer.
        self.deadline = deadline

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        idempotent: bool = True,
    ) -> Any:
        """The decoded JSON answer (None when empty) of ``method path``."""
        if idempotent:
            return await self._attempts(_Call(method, path, json, params, idempotent=True))
        # One total deadline, the wait for a slot included, so that whoever takes over an
        # unanswered POST knows when this process has certainly stopped waiting for it.
        sent = _Sent()
        try:
            async with asyncio.timeout(self.deadline):
                return await self._attempts(
                    _Call(method, path, json, params, idempotent=False, sent=sent)
                )
        except TimeoutError:
            if not sent.maybe:
                log.warning("quantive %s %s: no slot before the deadline", method, path)
                raise errors.Unreachable(
                    "Quantive is slow to answer right now. Please try again in a few minutes."
                ) from None
            log.warning("quantive %s %s: no answer before the deadline", method, path)
            raise errors.OutcomeUnknown() from None

    async def _attempts(self, call: _Call) -> Any:
        retrying = self.retry.for_request(idempotent=call.idempotent)
        try:
            return await retrying(self._try_once, call)
        except Transient as failure:
            if failure.note:
                log.warning("quantive %s %s: %s", call.method, call.path, failure.note)
            raise failure.error from None

    async def _try_once(self, call: _Call) -> Any:
        """One try; a failure that a repeat may fix is raised as :class:`Transient`."""
        sent = call.sent
        try:
            async with self.slots:
                if sent is not None:
                    sent.maybe = True
                response = await self.http.request(
                    call.method, call.path, json=call.json, params=call.params
                )
        except _NOT_SENT as exc:
            if sent is not None:
                sent.maybe = False
            raise Transient(
                errors.Unreachable(), reached=False, note=f"unreachable ({type(exc).__name__})"
            ) from None
        except httpx.TransportError as exc:
            # Sent, or partly sent, then the connection broke or the answer was late.
            if not call.idempotent:
                error: errors.QuantiveError = errors.OutcomeUnknown()
                note = f"no answer ({type(exc).__name__})"
                raise Transient(error, reached=True, note=note) from None
            if isinstance(exc, httpx.TimeoutException):
                error = errors.Unreachable(
                    "Quantive did not answer in time. Please try again in a few minutes."
                )
            else:
                error = errors.Unreachable()
            raise Transient(error, reached=True) from None

        status = response.status_code
        if status < 300:
            return _json_or_none(response)
        error = _error_for(response, idempotent=call.idempotent)
        if status == 429:
            if sent is not None:
                sent.maybe = False  # a 429 was refused, not handled
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise Transient(error, reached=False, retry_after=retry_after)
        if status in RETRYABLE_STATUSES:
            raise Transient(error, reached=True)
        raise error


class _Sent:
    """Whether a POST may have reached Quantive yet: False while it waits for a slot."""

    maybe = False


@dataclass(frozen=True)
class _Call:
    """One request as every try of it is sent, with the :class:`_Sent` of a POST (None
    for a safe request, whose tries need not tell whether it arrived)."""

    method: str
    path: str
    json: Any
    params: dict[str, str] | None
    idempotent: bool
    sent: _Sent | None = None


def _error_for(response: httpx.Response, *, idempotent: bool) -> errors.QuantiveError:
    """Map a failed response to the error type a caller must handle."""
    status = response.status_code
    log.info("quantive %s %s -> %s", response.request.method, response.request.url.path, status)
    if status == 400:
        return errors.BadRequest(_server_message(response))
    if status == 401:
        return errors.AuthenticationError(status=status)
    if status == 402:
        return errors.PlanError(status=status)
    if status == 403:
        return errors.PermissionDenied(status=status)
    if status == 404:
        return errors.NotFound(status=status)
    if status == 429:
        return errors.RateLimited(parse_retry_after(response.headers.get("Retry-After")))
    if status >= 500 and not idempotent:
        return errors.OutcomeUnknown(status=status)
    if status >= 500:
        return errors.ServerError(status=status)
    return errors.BadRequest(_server_message(response), status=status)


def _server_message(response: httpx.Response) -> str | None:
    """The human message in an error body, if there is one; never the raw body."""
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        for key in ("message", "error", "detail", "title"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:300]
    return None


def _json_or_none(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None
