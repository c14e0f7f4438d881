"""The playground's static files: the Slack page, the script both views share, and the
tab's icon (without one, every browser logs a 404 for /favicon.ico on each load)."""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

#: The 🏅 of the page's title, as a scalable icon; browsers take SVG at /favicon.ico.
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
    '<text y=".9em" font-size="90">🏅</text></svg>'
)


def _read(name: str) -> str:
    return resources.files("playground").joinpath(name).read_text("utf-8")


async def page(request: Request) -> Response:
    """The Slack view."""
    return HTMLResponse(_read("page.html"))


async def common_js(request: Request) -> Response:
    """The script both views share."""
    return Response(_read("common.js"), media_type="text/javascript")


async def favicon(request: Request) -> Response:
    """The tab's icon; cached for a day, as it never changes while the playground runs."""
    return Response(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


def static_routes() -> list[Route]:
    """The routes of the static files."""
    return [
        Route("/", page),
        Route("/common.js", common_js),
        Route("/favicon.ico", favicon),
    ]
