"""``python -m bot --help`` lists every command, each on one line, with no stray markup."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys

import pytest

from bot.cli import build_parser, main

COMMANDS = (
    "run",
    "playground",
    "serve",
    "socket",
    "clock",
    "digest",
    "recap",
    "migrate",
    "secret-key",
    "connect",
    "connections",
    "disconnect",
    "export",
    "teams-package",
    "emulator",
)


@functools.cache
def help_text() -> str:
    """The top-level help as a user's 80-column terminal shows it (one real run for the
    module's tests: the text does not change between them)."""
    env = {**os.environ, "COLUMNS": "80"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    return done.stdout


def command_lines(text: str) -> dict[str, str]:
    """Each command's line in the help, by name: its name, then its description."""
    found = re.findall(r"^ {2,}([a-z][a-z-]*) {2,}(\S.*)$", text, flags=re.MULTILINE)
    return dict(found)


def test_help_lists_every_command_with_a_one_line_description() -> None:
    text = help_text()
    lines = command_lines(text)
    assert set(lines) == set(COMMANDS)
    for name in COMMANDS:  # nothing wrapped onto a continuation line
        description = lines[name]
        following = text.split(description, 1)[1].splitlines()[1]
        assert not re.match(r"^ {6,}\S", following), f"{name}'s description wraps"


def test_help_has_no_stray_markup() -> None:
    text = help_text()
    assert "``" not in text and "`" not in text


def test_serve_says_it_serves_slack_teams_and_the_web_endpoints() -> None:
    serve = command_lines(help_text())["serve"]
    assert "Slack" in serve and "Teams" in serve and "web" in serve


def test_the_help_lists_every_command_the_parser_knows() -> None:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    assert set(sub.choices) == set(COMMANDS)  # a new command gets listed here too


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_has_its_own_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([name, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: badgebot {name}") and "``" not in out
