"""The help card: every command people can write to the bot in Teams, with what it does.
Apart from the commands themselves, so that the welcome card and the commands share it."""

from __future__ import annotations

from handlers.teams import cards
from handlers.teams.cards import Element

HELP_LINES = [
    ("give @person Badge why", "give a badge (several people, or a tag, work too)"),
    ("list", "every badge"),
    ("who Badge", "who holds a badge"),
    ("mine [@person]", "the badges you (or they) hold"),
    ("pending", "awards waiting for approval (approvers get buttons)"),
    ("top [week|month|quarter|year]", "the most recognised people and teams"),
    ("home", "your badges, your requests, and the approval queue"),
    ("digest here | off | status", "the daily digest in this conversation (approvers)"),
    ("recap here | off | status", "the weekly recap of recognition here (approvers)"),
    ("create, edit Badge, delete Badge, revoke @person Badge", "for badge admins"),
    ("export [week|month|quarter|year|all]", "the awards as a CSV file (badge admins)"),
    ("settings", "approvers, where requests go, digest times, the give limit (badge admins)"),
]
#: Only where each tenant connects its own Quantive (TEAMS_MULTI_TENANT).
CONNECT_LINE = ("connect", "connect badgebot to your Quantive account (badge admins)")


def help_card(intro: str | None = None, *, multi_tenant: bool = False) -> cards.Card:
    """Every command, with what it does; ``connect`` too where tenants connect."""
    body: list[Element] = [cards.heading(intro or "badgebot: recognise people with badges")]
    lines = [*HELP_LINES, *([CONNECT_LINE] if multi_tenant else [])]
    body.append(
        {
            "type": "FactSet",
            "facts": [{"title": usage, "value": what} for usage, what in lines],
        }
    )
    body.append(
        cards.note(
            "In a channel, mention me first: @badgebot give @Maria Visionary thanks! "
            "You can also use “Give a badge” from the message box or from any message's "
            "… menu."
        )
    )
    return cards.card(body)
