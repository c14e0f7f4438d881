"""People and teams from Quantive shown in Slack: mentions when found by email, else names."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from handlers.context import SlackContext
from handlers.mrkdwn import escape, mention

LOOKUP_CONCURRENCY = 5


@dataclass(frozen=True)
class Named:
    """Someone to show: a Quantive id with a name and, for people, an email."""

    id: str
    name: str
    email: str = ""
    is_team: bool = False


async def chat_ids_for(ctx: SlackContext, people: Iterable[Named]) -> dict[str, str]:
    """Slack user ids by Quantive id, for the people Slack knows by email (cached)."""
    limit = asyncio.Semaphore(LOOKUP_CONCURRENCY)
    found: dict[str, str] = {}

    async def one(person: Named) -> None:
        async with limit:
            try:
                chat_id = await ctx.services.identities.chat_user_for_email(
                    person.email, ctx.directory.user_id_for_email
                )
            except SlackApiError:
                return
            if chat_id:
                found[person.id] = chat_id

    await asyncio.gather(*(one(p) for p in people if p.email and not p.is_team))
    return found


def named_text(person: Named, chat_ids: dict[str, str]) -> str:
    """A mention for a person Slack knows, else the escaped name (teams in bold)."""
    if person.id in chat_ids:
        return mention(chat_ids[person.id])
    return f"*{escape(person.name)}*" if person.is_team else escape(person.name)
