"""handlers.teams.settings_card without a server: the form shows each Teams setting with
the right input, marks the defaults, reads back exactly what it shows, puts problems
under their fields, and keeps people's text out of markdown."""

from __future__ import annotations

import json
from typing import Any

from bot.settings import Settings
from bot.workspace_settings import Current, check, validate
from handlers.teams import cards
from handlers.teams.help_card import help_card
from handlers.teams.settings_card import (
    SETTINGS_VERB,
    TEAMS_EDITABLE,
    card_changes,
    saved_card,
    settings_card,
)
from tests.teams_client import action, nodes, texts

ENV = Settings(
    teams_approvers=["maria.garcia@acme.example", "aad-oliver"],
    badge_give_limit="5/week",
    recap_time="thu 15:30",
)


def current(settings: Settings = ENV, changed: tuple[str, ...] = ()) -> list[Current]:
    return [Current(e, getattr(settings, e.name), e.name not in changed) for e in TEAMS_EDITABLE]


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in nodes(card) if str(n.get("type", "")).startswith("Input.")}


def test_each_setting_has_its_input_and_the_defaults_are_marked() -> None:
    card = settings_card(current(changed=("badge_give_limit",)))
    by_id = inputs(card)
    assert by_id["teams_approvers"]["type"] == "Input.Text"
    assert by_id["teams_approvers"]["value"] == "maria.garcia@acme.example, aad-oliver"
    assert by_id["digest_time"] == {**by_id["digest_time"], "type": "Input.Time", "value": "09:00"}
    assert by_id["digest_days"]["type"] == "Input.ChoiceSet"
    assert by_id["badge_approval"]["type"] == "Input.ChoiceSet"
    assert by_id["recap_day"]["value"] == "thu" and by_id["recap_clock"]["value"] == "15:30"
    assert by_id["badge_give_limit"]["label"] == "Give limit"  # changed: not the default
    assert by_id["digest_time"]["label"] == "Digest time (default)"
    assert not {"badge_approvers", "digest_channels", "badge_approval_channel"} & set(by_id)
    assert action(card, SETTINGS_VERB)["data"] == {"action": SETTINGS_VERB}


def test_the_untouched_form_reads_back_as_the_values_it_shows() -> None:
    by_id = inputs(settings_card(current()))
    # What Teams sends for inputs left alone: each one's value, or nothing when empty.
    data = {key: element.get("value", "") for key, element in by_id.items()}
    changes = card_changes({"action": SETTINGS_VERB, **data})
    assert set(changes) == {e.name for e in TEAMS_EDITABLE}
    clean, problems = check(changes, ENV, ENV, platform="teams")
    assert problems == {}
    assert all(clean[name] == getattr(ENV, name) for name in changes), clean


def test_problems_land_under_their_fields_and_quote_typed_text_as_plain_runs() -> None:
    typed = {"digest_time": "7pm", "badge_give_limit": "<at>Maria</at> [x](https://evil)"}
    _, problems = check(card_changes(typed), ENV, ENV, platform="teams")
    card = settings_card(current(), card_changes(typed), problems)
    body = card["body"]
    ids = [element.get("id") for element in body]
    for name in ("digest_time", "badge_give_limit"):
        under = body[ids.index(name) + 1]
        assert under["type"] == "RichTextBlock"
        assert cards.plain(problems[name]) in texts(under)  # its <at> tags broken too
    # Typed text stays in the input and in runs, its <at> tag broken; no TextBlock has it.
    assert inputs(card)["badge_give_limit"]["value"].startswith("<\u200bat>Maria")
    assert all("evil" not in n.get("text", "") for n in nodes(card) if n.get("type") == "TextBlock")
    assert "<at>" not in json.dumps(card)


def test_a_recap_missing_one_half_or_not_text_is_refused() -> None:
    assert card_changes({"recap_day": "mon"}) == {"recap_time": "mon"}
    [(name, value)] = card_changes({"recap_day": 1, "recap_clock": "09:00"}).items()
    assert validate(name, value)[1] is not None
    assert card_changes({}) == {}


def test_the_saved_card_lists_what_is_set_now_in_runs() -> None:
    shown = saved_card(current(changed=("badge_give_limit",)))
    words = texts(shown)
    assert "Settings saved" in words and "Give limit: 5/week" in words
    assert "Admins: the approvers (default)" in words
    assert not [n for n in nodes(shown) if n.get("type", "").startswith("Input.")]


def test_help_names_settings_and_connect_only_where_tenants_connect() -> None:
    single, multi = texts(help_card()), texts(help_card(multi_tenant=True))
    assert "settings" in single and "connect" not in single.replace("connected", "")
    assert "connect badgebot to your Quantive" in multi
