"""``app_home_opened``: publish the Home tab."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handlers.slack.context import SlackContext
from handlers.slack.home import publish_home


def app_home_opened(ctx: SlackContext) -> Callable[..., Any]:
    """Publish the Home tab when someone opens it."""

    async def handle(event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            await publish_home(ctx, event["user"])

    return handle
