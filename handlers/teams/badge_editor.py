"""``create`` and ``edit Badge`` in Teams (badge admins): the badge editor as an Adaptive
Card form (name, summary, icon, colour, pattern), the twin of Slack's editor modal, with
the same check (bot.badge_editor.save_badge). Its Save button is an Action.Execute, so the
answer replaces the form: the saved badge, or the form again with what was wrong and what
was typed."""

from __future__ import annotations

from typing import Any

from api import errors
from api.models import Badge
from bot.badge_editor import (
    BACKGROUNDS,
    NAME_LIMIT,
    PATTERNS,
    SUMMARY_LIMIT,
    BadgeForm,
    FormProblem,
    save_badge,
)
from bot.identity import ChatProfile
from handlers.teams import cards
from handlers.teams.admin import may_administer
from handlers.teams.cards import Card, Element, run
from handlers.teams.command_parser import TeamsCommand
from handlers.teams.context import TeamsContext, Turn
from handlers.teams.wording import unknown_badge_text

#: The form's Save button.
SAVE_BADGE_VERB = "save_badge"
#: What Quantive may take before the click must be answered (Teams waits about 5 s, and
#: handlers.teams.app answers every invoke within 4.5 s).
QUANTIVE_BUDGET_SECONDS = 3.5
#: How Teams people see the badges, said when Quantive's answer to a create was lost.
LIST_HINT = "Send “list” before trying again."


def _choices(options: dict[str, str], current: str) -> list[dict[str, str]]:
    """A ChoiceSet's choices; the badge's current value stays one of them even when the
    editor does not offer it (set in Quantive's web app), so saving keeps it."""
    found = [{"title": title, "value": value} for value, title in options.items()]
    if current and current not in options:
        found.insert(0, {"title": f"{current} (current)", "value": current})
    return found


def badge_form_card(form: BadgeForm, problem: FormProblem | None = None) -> Card:
    """The editor form, filled with ``form``; ``problem`` is shown above the fields. Its
    values are typed by people or come from Quantive, so they go only into inputs' values
    and TextRuns, never into markdown."""
    editing = form.badge_id is not None
    body: list[Element] = [cards.heading("Edit badge" if editing else "New badge")]
    if problem is not None:
        body.append(cards.rich({**run(problem.message), "color": "Attention"}))
    icons = {name: f"{char} {name}" for name, char in cards.ICON_CHARACTERS.items()}
    body += [
        {
            "type": "Input.Text",
            "id": "name",
            "label": "Name",
            "isRequired": True,
            "errorMessage": "Give the badge a name.",
            "maxLength": NAME_LIMIT,
            "value": cards.plain(form.name, NAME_LIMIT),
        },
        {
            "type": "Input.Text",
            "id": "summary",
            "label": "What is it for?",
            "isMultiline": True,
            "maxLength": SUMMARY_LIMIT,
            "value": cards.plain(form.summary, SUMMARY_LIMIT),
        },
        _choice_set("icon", "Icon", icons, form.icon),
        _choice_set("background", "Background colour", BACKGROUNDS, form.background),
        _choice_set("pattern", "Pattern", {p: p for p in PATTERNS}, form.pattern),
    ]
    # "action" first, as this button has always sent it.
    data = {"action": SAVE_BADGE_VERB, "badge_id": form.badge_id or ""}
    save = cards.execute_action(
        "Save" if editing else "Create", SAVE_BADGE_VERB, data, style="positive"
    )
    return cards.card(body, [save, cards.cancel_action()])


def _choice_set(input_id: str, label: str, options: dict[str, str], current: str) -> Element:
    element: Element = {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": label,
        "style": "compact",
        "choices": _choices(options, current),
    }
    if current:
        element["value"] = current
    return element


def form_of(badge: Badge | None) -> BadgeForm:
    """The form for a new badge, or prefilled with the badge to edit."""
    if badge is None:
        return BadgeForm(name="")
    return BadgeForm(
        name=badge.name,
        summary=badge.summary,
        icon=badge.icon,
        background=badge.background,
        pattern=badge.pattern,
        badge_id=badge.id,
    )


async def create_command(ctx: TeamsContext, turn: Turn, command: TeamsCommand) -> None:
    """The empty editor form."""
    if not may_administer(ctx, await ctx.directory.profile(turn.sender, turn.ref)):
        await ctx.reply(turn, "Only badge admins can create badges.")
        return
    await ctx.tell(turn, cards.card_message(badge_form_card(form_of(None)), "New badge"))


async def edit_command(ctx: TeamsContext, turn: Turn, command: TeamsCommand) -> None:
    """The editor form, filled with the named badge."""
    if not may_administer(ctx, await ctx.directory.profile(turn.sender, turn.ref)):
        await ctx.reply(turn, "Only badge admins can edit badges.")
        return
    try:
        match = await ctx.services.catalogue.match(command.rest)
    except errors.QuantiveError as exc:
        await ctx.reply(turn, f"I couldn't load the badges. {exc.user_message}")
        return
    if match.badge is None or match.rest:
        said = match.typed or command.rest
        await ctx.reply(turn, unknown_badge_text(said, match.suggestions, "edit"))
        return
    content = badge_form_card(form_of(match.badge))
    await ctx.tell(turn, cards.card_message(content, f"Edit {match.badge.name}"))


async def badge_form_submitted(
    ctx: TeamsContext, profile: ChatProfile, data: dict[str, Any]
) -> dict[str, Any]:
    """Save: answer with the saved badge, or with the form again and what was wrong."""
    form = BadgeForm(
        name=_text(data.get("name")),
        summary=_text(data.get("summary")),
        icon=_text(data.get("icon")),
        background=_text(data.get("background")),
        pattern=_text(data.get("pattern")),
        badge_id=_text(data.get("badge_id")) or None,
    )
    # Checked on the click too: the form may have been forwarded, or waited while the
    # person stopped being an admin.
    if not may_administer(ctx, profile):
        return cards.message_response("Only badge admins can change badges.")
    problem = await save_badge(
        ctx.services, form, budget=QUANTIVE_BUDGET_SECONDS, list_hint=LIST_HINT
    )
    if problem is not None:
        return cards.card_response(badge_form_card(form, problem))
    verb = "updated" if form.badge_id else "created"
    saved = cards.rich(
        run(f"{cards.badge_character(form.icon)} Badge "),
        run(form.name.strip(), bold=True),
        run(f" {verb}. ✨"),
    )
    return cards.card_response(cards.card([saved]))


def _text(value: Any) -> str:
    """An input's value as text ("" for anything that is not text)."""
    return value if isinstance(value, str) else ""
