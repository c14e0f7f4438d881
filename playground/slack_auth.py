"""What the playground's two Slack authorization flows share: the install consent
(playground.slack_consent) and "Sign in with Slack" (playground.slack_openid). Both check
an app's credentials sent as HTTP basic auth, and both show a Slack page whose form
carries the app's parameters along, or Slack's error page where they are wrong.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import html
from collections.abc import Iterable, Mapping

from starlette.responses import HTMLResponse, Response


def basic_credentials(authorization: str) -> tuple[str, str]:
    """The client id and secret of an ``Authorization: Basic ...`` header (as slack_sdk
    sends an app's credentials); two empty strings for one that does not decode."""
    try:
        basic = base64.b64decode(authorization.removeprefix("Basic ")).decode()
    except (binascii.Error, UnicodeDecodeError):
        basic = ""
    client_id, _, secret = basic.partition(":")
    return client_id, secret


def secret_matches(given: str, expected: str) -> bool:
    """Whether ``given`` is the app's secret, compared in constant time so that the answer's
    timing does not tell how much of a guess was right. Bytes, not str: compare_digest
    refuses a str that is not ASCII, and a header may carry anything."""
    return hmac.compare_digest(given.encode(), expected.encode())


def hidden_fields(query: Mapping[str, str], kept: Iterable[str]) -> str:
    """The ``kept`` parameters of the app's request as hidden inputs, so that the page's
    form posts them back as they came."""
    return "".join(
        f'<input type="hidden" name="{k}" value="{html.escape(query.get(k, ""))}">' for k in kept
    )


def slack_page(title: str, width: int, style: str, main: str) -> str:
    """A page of the playground's Slack: ``main`` on a white card ``width`` rem wide, under
    ``title``, with the page's own ``style`` beside the shared one."""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<link rel="icon" href="/favicon.ico">'
        f"<title>{title} · playground Slack</title><style>"
        "body{font-family:system-ui,sans-serif;background:#f4ede4;margin:0}"
        f"main{{max-width:{width}rem;margin:3rem auto;background:#fff;border-radius:8px;"
        "padding:2rem;box-shadow:0 1px 4px rgba(0,0,0,.15)}"
        f"{style}.note{{color:#616061;font-size:13px}}</style></head>\n"
        f"<body><main>{main}</main></body></html>\n"
    )


def error_page(text: str, status: int) -> Response:
    """Slack's page for a request it refuses (an unknown app or redirect URL): it says
    why and redirects nowhere."""
    return HTMLResponse(
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Slack: something's not right</title></head>"
        f"<body><h1>Something's not right</h1><p>{html.escape(text)}</p></body></html>\n",
        status,
    )
