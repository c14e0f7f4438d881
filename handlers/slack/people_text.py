"""People and teams from Quantive shown in Slack: mentions when found by email, else names."""

from __future__ import annotations

from collections.abc import Iterable

from bot.people import Person
from handlers.slack.context import SlackContext
from handlers.slack.mrkdwn import escape, mention


async def chat_ids_for(ctx: SlackContext, people: Iterable[Person]) -> dict[str, str]:
    """Slack user ids by Quantive id, for the people Slack knows by email (cached)."""
    return await ctx.services.identities.chat_users_for(people, ctx.directory.user_id_for_email)


def person_text(person: Person, chat_ids: dict[str, str]) -> str:
    """A mention for a person Slack knows, else the escaped name (teams in bold)."""
    if person.id in chat_ids:
        return mention(chat_ids[person.id])
    return f"*{escape(person.name)}*" if person.is_team else escape(person.name)
