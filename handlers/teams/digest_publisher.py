"""The digest and the weekly recap in Teams: cards posted to the conversations subscribed
with ``digest here`` and ``recap here`` (the digest updated in place) with the connector."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.awards import Award
from bot.chat import Platform
from bot.digest import DigestPostFailed, count_text
from bot.recap import Recap
from handlers.teams.cards import card_message
from handlers.teams.connector import ConnectorError
from handlers.teams.digest_cards import MAX_DIGEST_ITEMS, digest_card
from handlers.teams.notifications import TeamsNotifier
from handlers.teams.recap_cards import recap_card, recap_title


class TeamsDigestPublisher:
    """bot.digest.DigestPublisher for Teams."""

    max_items = MAX_DIGEST_ITEMS
    platform: Platform = "teams"

    def __init__(self, notifier: TeamsNotifier) -> None:
        self._notifier = notifier

    def render(self, views: list[Award], total: int, now: datetime | None) -> dict[str, Any]:
        """The digest as a card message."""
        return card_message(digest_card(views, total, now), count_text(total))

    async def post(self, channel: str, message: dict[str, Any]) -> str:
        """Post it (see :func:`post_once`)."""
        return await post_once(self._notifier, channel, message)

    async def update(self, channel: str, message_id: str, message: dict[str, Any]) -> None:
        """Redraw a posted digest in place."""
        await self._notifier.update(channel, message_id, message)

    async def chat_user_for_email(self, email: str) -> str | None:
        """Teams cards show people by name, so no lookup is needed."""
        return None


class TeamsRecapPublisher:
    """bot.recap.RecapPublisher for Teams."""

    platform: Platform = "teams"

    def __init__(self, notifier: TeamsNotifier) -> None:
        self._notifier = notifier

    def render(self, recap: Recap) -> dict[str, Any]:
        """The recap as a card message."""
        return card_message(recap_card(recap), recap_title(recap))

    async def post(self, channel: str, message: dict[str, Any]) -> str:
        """Post it (see :func:`post_once`)."""
        return await post_once(self._notifier, channel, message)


async def post_once(notifier: TeamsNotifier, channel: str, message: dict[str, Any]) -> str:
    """Post a digest or recap card; its activity id. Raises DigestPostFailed: certain when
    the connector refused it, not when its answer was lost (it may be there)."""
    try:
        return await notifier.post(await notifier.where(channel), message)
    except ConnectorError as exc:
        raise DigestPostFailed(str(exc), certain=exc.certain) from None
