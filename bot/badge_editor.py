"""Creating and editing a badge from a chat form (Slack's modal, Teams' card): the choices
the form offers and the one check both front ends run before Quantive saves it, so that a
badge refused in one is refused in the other, in the same words."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from api import errors
from api.models import BadgeInput
from bot.services import Services

#: Background colours the editor offers (Quantive takes any colour string).
BACKGROUNDS = {
    "#4C6FFF": "Blue",
    "#8E44AD": "Purple",
    "#27AE60": "Green",
    "#F39C12": "Orange",
    "#16A085": "Teal",
    "#E74C3C": "Red",
    "#C0392B": "Crimson",
    "#F1C40F": "Yellow",
    "#2C3E50": "Navy",
    "#D35400": "Pumpkin",
}
PATTERNS = ["dots", "waves", "grid", "stripes", "zigzag", "stars", "none"]
#: The longest name and summary a form takes (Slack's inputs say so; a forged Teams
#: submission is held to the same).
NAME_LIMIT = 60
SUMMARY_LIMIT = 500


@dataclass(frozen=True)
class BadgeForm:
    """What the admin filled in; ``badge_id`` is the badge edited (None: a new one)."""

    name: str
    summary: str = ""
    icon: str = ""
    background: str = ""
    pattern: str = ""
    badge_id: str | None = None


@dataclass(frozen=True)
class FormProblem:
    """Why the form was not saved: the field to show it on, and the sentence."""

    field: str
    message: str


async def save_badge(
    services: Services, form: BadgeForm, *, budget: float, list_hint: str = ""
) -> FormProblem | None:
    """Check the form and save it in Quantive within ``budget`` seconds; None when saved
    (the catalogue is then read afresh). ``list_hint`` is how the platform lists the
    badges, said when Quantive's answer was lost, since the badge may exist after all.

    The caller checks that the person may administer badges: who they are is the
    platform's to say."""
    name = form.name.strip()
    if not name:
        return FormProblem("name", "Give the badge a name.")
    if len(name) > NAME_LIMIT:
        return FormProblem("name", f"Keep the name to {NAME_LIMIT} characters.")
    if len(form.summary) > SUMMARY_LIMIT:
        return FormProblem("summary", f"Keep the summary to {SUMMARY_LIMIT} characters.")
    catalogue = services.catalogue
    try:
        taken = [
            b
            for b in await catalogue.badges()
            if b.name.lower() == name.lower() and b.id != form.badge_id
        ]
    except errors.QuantiveError:
        taken = []  # Quantive itself will refuse a duplicate below
    if taken:
        return FormProblem("name", f"A badge called “{taken[0].name}” already exists.")
    badge = BadgeInput(
        name=name,
        summary=form.summary.strip(),
        icon=form.icon.strip(),
        background=form.background.strip(),
        pattern=form.pattern.strip(),
    )
    quantive = services.quantive
    try:
        call = (
            quantive.update_badge(form.badge_id, badge)
            if form.badge_id
            else quantive.create_badge(badge)
        )
        await asyncio.wait_for(call, budget)
    except errors.BadRequest as exc:
        return FormProblem("name", exc.server_message or "Quantive refused this badge.")
    except (errors.QuantiveError, TimeoutError) as exc:
        message = getattr(exc, "user_message", "Quantive did not answer in time.")
        if not form.badge_id and list_hint:
            message += f" {list_hint}"
        return FormProblem("name", message[:150])
    catalogue.invalidate()
    return None
