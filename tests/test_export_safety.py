"""The HR export never hands a spreadsheet a formula (issue 21 item 7): awards given
through the running bot (Teams' dialog, which gives by badge id, so a badge name from
Quantive can start with anything), then ``python -m bot export`` as HR runs it."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bot.__main__ import main
from tests.harness import BotHarness, new_awards
from tests.teams_client import send

#: Badges renamed in Quantive, and the comment given with each: every character that
#: makes Excel, LibreOffice or Google Sheets read a cell as a formula, first.
GIVEN = {
    "64c000000000000000000002": ('=HYPERLINK("https://evil.example","Visionary")', "=1+2"),
    "64c000000000000000000003": ("+Problem Solver", "+cmd|' /C calc'!A0"),
    "64c000000000000000000004": ("-Innovator", "-2+3"),
    "64c000000000000000000005": ("@Mentor", "@SUM(1)"),
    "64c000000000000000000006": ("\t=Go-Getter", "fine, plain"),
    "64c000000000000000000007": ("\r=Customer Hero", "also plain"),
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def given(emulator, slack, teams, database_url, monkeypatch) -> BotHarness:
    """The awards of GIVEN, made by an approver in Teams (so approved at once)."""
    for badge_id, (name, _) in GIVEN.items():
        emulator.state.badges[badge_id]["name"] = name
    bot = BotHarness(emulator, slack, database_url, **teams.settings()).start()
    try:
        for badge_id, (_, comment) in GIVEN.items():
            dialog = teams.invoke(
                "composeExtension/submitAction",
                {
                    "commandId": "giveBadge",
                    "commandContext": "compose",
                    "data": {"people": "aad-liam", "badge": badge_id, "reason": comment},
                },
                user="29:maria",
                conversation="a:maria",
            )
            send(bot, teams, dialog)
        assert len(new_awards(emulator)) == len(GIVEN)
    finally:
        bot.stop()
    for key, value in {
        "QUANTIVE_API_URL": emulator.url,
        "QUANTIVE_API_TOKEN": "emulator-token",
        "QUANTIVE_ACCOUNT_ID": emulator.account_id,
        "DATABASE_URL": database_url,
    }.items():
        monkeypatch.setenv(key, value)
    return bot


def test_the_csv_export_neutralises_every_formula(given, tmp_path) -> None:
    out = tmp_path / "awards.csv"
    assert main(["export", "--out", str(out)]) == 0
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(GIVEN)
    cells = [cell for row in rows for cell in row.values()]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    # OWASP's neutralisation: a leading apostrophe, the rest of the text as it was.
    expected = {
        (f"'{name}", f"'{c}" if c.startswith(FORMULA_STARTS) else c) for name, c in GIVEN.values()
    }
    assert {(r["badge"], r["comment"]) for r in rows} == expected


def test_the_holders_csv_neutralises_badge_names_too(given, capsys) -> None:
    assert main(["export", "--holders"]) == 0
    # newline="": a badge name's own carriage return is inside its quoted cell.
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out, newline="")))
    names = {r["badge"] for r in rows}
    assert "'@Mentor" in names and not [n for n in names if n.startswith(FORMULA_STARTS)]


def test_jsonl_keeps_every_text_exactly(given, capsys) -> None:
    assert main(["export", "--format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {(r["badge"], r["comment"]) for r in rows} == set(GIVEN.values())
