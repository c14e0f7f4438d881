"""The weekly recap as an Adaptive Card: the twin of handlers/slack/recap_blocks.py.
Names go into TextRuns and no mention entity is ever added, so nobody is notified."""

from __future__ import annotations

from bot.awards import truncate
from bot.recap import Recap
from handlers.teams.cards import Card, Element, card, heading, note, rich, run


def recap_title(recap: Recap) -> str:
    """ "This week's recognition: 7 awards"."""
    return f"This week's recognition: {recap.awards} award{'s' if recap.awards != 1 else ''}"


def recap_card(recap: Recap) -> Card:
    """Heading, badges with counts, who was recognised, and the newest comments."""
    body: list[Element] = [
        heading(recap_title(recap)),
        note(f"Since {recap.week_start.strftime('%a %d %b')}."),
    ]
    if not recap.awards:
        body.append(note("No awards this week."))
        return card(body)
    # One paragraph of runs per badge, not a FactSet: Teams reads markdown in a fact's
    # title, so a badge named [Reset](https://…) would be a live link there.
    body += [
        rich(run(truncate(name, 100), bold=True), run(f": {n}")) for name, n in recap.per_badge[:30]
    ]
    if recap.people:
        body.append(rich(run("People: ", bold=True), run(truncate(", ".join(recap.people), 1500))))
    if recap.teams:
        body.append(rich(run("Teams: ", bold=True), run(truncate(", ".join(recap.teams), 800))))
    for giver, badge, comment in recap.comments:
        body.append(
            rich(
                run(giver, bold=True),
                run(" for "),
                run(badge, bold=True),
                run(f": “{truncate(comment, 400)}”", italic=True),
            )
        )
    return card(body)
