"""``python -m bot secret-key | connect | connections | disconnect``, run as the operator
runs them (subprocesses, the token on stdin) against an emulated Quantive on loopback.
The token must never show: not in argv, not on stdout or stderr, not in the stored file.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from api.emulator import Emulator
from bot.background_server import BackgroundServer
from bot.cli import build_parser, main
from bot.secrets import new_key
from bot.store import Store
from tests.conftest import ACCOUNT_ID

#: A token unlike any other string in the output, so a leak of any part is caught.
TOKEN = "qtok-7f3e9b2c4d1a8e6f5b0c9d2e1a3f4b5c"
KEY = new_key()
TEAM = ("--slack-team", "T0123ABCD")


@pytest.fixture(scope="module")
def quantive_url() -> Iterator[str]:
    """An emulated Quantive that accepts only TOKEN, for the module; its API base."""
    emulator = Emulator(token=TOKEN)
    with BackgroundServer(emulator.app) as server:
        yield f"{server.url}/api/v1"


@pytest.fixture
def environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated_sqlite: Path
) -> dict[str, str]:
    """The commands' environment: the secret key and a migrated database of this test (a
    copy of the session's migrated file: migrating anew costs most of a second)."""
    shutil.copyfile(migrated_sqlite, tmp_path / "badgebot.db")
    database = f"sqlite:///{tmp_path / 'badgebot.db'}"
    monkeypatch.setenv("BADGEBOT_SECRET_KEY", KEY)
    monkeypatch.setenv("DATABASE_URL", database)
    return dict(os.environ)


def badgebot(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS`` with ``stdin``; its exit status and outputs."""
    argv = [sys.executable, "-m", "bot", *args]
    assert TOKEN not in " ".join(argv)  # the token goes in on stdin, never as an argument
    return subprocess.run(
        argv, input=stdin, capture_output=True, text=True, env=env, timeout=60, check=False
    )


def wal_bytes(folder: Path) -> bytes:
    """What SQLite's write-ahead log holds yet (rows not checkpointed into the file)."""
    wal = folder / "badgebot.db-wal"
    return wal.read_bytes() if wal.exists() else b""


async def connection_rows(database: str) -> list[object]:
    """Every stored connection, read straight from the database."""
    store = Store(database)
    try:
        return list(await store.all_connections())
    finally:
        await store.aclose()


def assert_no_token(*outputs: subprocess.CompletedProcess[str]) -> None:
    for done in outputs:
        for text in (done.stdout, done.stderr):
            assert TOKEN not in text and TOKEN[:-4] not in text and TOKEN[5:13] not in text


def test_secret_key_prints_one_valid_key_and_nothing_else(environment: dict[str, str]) -> None:
    done = badgebot(environment, "secret-key")
    assert done.returncode == 0
    (key,) = done.stdout.splitlines()
    assert done.stdout == key + "\n" and Fernet(key.encode()).decrypt(Fernet(key).encrypt(b"x"))
    assert key != KEY


def test_connect_list_and_disconnect_show_only_the_last_four(
    environment: dict[str, str],
    quantive_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = ("--quantive-url", quantive_url, "--account-id", ACCOUNT_ID)
    connected = badgebot(environment, "connect", *TEAM, *target, stdin=TOKEN + "\n")
    assert connected.returncode == 0, connected.stderr
    host = quantive_url.split("/")[2]
    assert connected.stdout == (
        f"Connected Slack workspace T0123ABCD to Quantive at {host}, account {ACCOUNT_ID}, "
        "token …4b5c.\n"
    )
    # The raw database file: the token is in it only encrypted.
    stored = (tmp_path / "badgebot.db").read_bytes() + wal_bytes(tmp_path)
    assert TOKEN.encode() not in stored and b"4b5c" in stored

    listed = badgebot(environment, "connections")
    assert listed.returncode == 0
    (line,) = listed.stdout.splitlines()
    assert line.startswith(f"Slack workspace T0123ABCD: {host}, account {ACCOUNT_ID}, token …4b5c")
    assert line.endswith(" UTC") and "checked 20" in line

    # The rest in-process, where a command costs no interpreter start.
    monkeypatch.setenv("BADGEBOT_SECRET_KEY", new_key())
    assert main(["connections"]) == 0
    assert "cannot be decrypted with this BADGEBOT_SECRET_KEY" in capsys.readouterr().out
    monkeypatch.setenv("BADGEBOT_SECRET_KEY", KEY)

    gone = badgebot(environment, "disconnect", *TEAM)
    assert gone.returncode == 0 and "Disconnected Slack workspace T0123ABCD" in gone.stdout
    assert main(["disconnect", *TEAM]) == 1
    again = capsys.readouterr()
    assert again.err == "disconnect: Slack workspace T0123ABCD was not connected.\n"
    assert main(["connections"]) == 0
    empty = capsys.readouterr()
    assert "No workspace or tenant is connected" in empty.out
    assert_no_token(connected, listed, gone)
    assert TOKEN not in again.err + empty.out


def test_export_in_distribution_mode_says_where_each_workspaces_export_is(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Many workspaces, one command line: the export names no workspace, so it refuses
    rather than write zero rows (or call a default Quantive with no token)."""
    for name, value in {
        "SLACK_CLIENT_ID": "1111.2222",
        "SLACK_CLIENT_SECRET": "client-secret",
        "SLACK_SIGNING_SECRET": "signing-secret",
        "PUBLIC_URL": "https://badgebot.example.com",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("SLACK_BOT_TOKEN", "QUANTIVE_API_TOKEN", "QUANTIVE_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)
    for argv in (["export"], ["export", "--holders"]):
        assert main(argv) == 2
        assert "/dashboard/export.csv" in capsys.readouterr().err


def test_a_wrong_token_says_what_to_fix_and_stores_nothing(
    environment: dict[str, str], quantive_url: str, tmp_path: Path
) -> None:
    wrong = TOKEN[:-4] + "0000"
    target = ("--quantive-url", quantive_url, "--account-id", ACCOUNT_ID)
    done = badgebot(environment, "connect", *TEAM, *target, stdin=wrong + "\n")
    assert done.returncode == 1 and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert "refused the token or the account id (401)" in line and "Nothing was stored" in line
    assert wrong not in line and "0000" not in line
    assert asyncio.run(connection_rows(environment["DATABASE_URL"])) == []


# --- in-process: what is refused before Quantive or the store is asked ------------------


def test_there_is_no_token_option() -> None:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    for name in ("connect", "connections", "disconnect", "secret-key"):
        options = [o for a in sub.choices[name]._actions for o in a.option_strings]
        assert not [o for o in options if "token" in o]


CONNECT_EU = ["connect", *TEAM, "--quantive-url", "eu", "--account-id", ACCOUNT_ID]


@pytest.mark.parametrize("key", ["", "not-a-fernet-key"])
def test_a_missing_or_invalid_secret_key_exits_2_before_reading_the_token(
    key: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BADGEBOT_SECRET_KEY", key)
    monkeypatch.setattr(sys, "stdin", io.StringIO(TOKEN + "\n"))
    assert main(CONNECT_EU) == 2
    err = capsys.readouterr().err
    assert "BADGEBOT_SECRET_KEY" in err and "secret-key" in err and "not-a-fernet" not in err
    assert sys.stdin.read() == TOKEN + "\n"  # left unread


@pytest.mark.parametrize(
    ("selector", "says"),
    [
        (["--slack-team", "E0123ABCD"], "--slack-team 'E0123ABCD' is not a Slack workspace id"),
        (["--slack-team", "t0123abcd"], "is not a Slack workspace id: T, then capital"),
        (["--slack-enterprise", "T0123ABCD"], "is not a Slack org id"),
        (["--teams-tenant", "contoso.onmicrosoft.com"], "is not a tenant id: a GUID"),
    ],
)
def test_a_malformed_id_is_named_with_what_it_should_look_like(
    selector: list[str], says: str, environment: dict[str, str], capsys
) -> None:
    assert main(["disconnect", *selector]) == 2
    assert says in capsys.readouterr().err


def test_an_empty_stdin_or_a_bad_url_exits_1(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(CONNECT_EU) == 1
    assert "no API token on standard input" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO(TOKEN + "\n"))
    bad_url = [
        *CONNECT_EU[:-4],
        "--quantive-url",
        "http://quantive.example.com",
        "--account-id",
        "a",
    ]
    assert main(bad_url) == 1
    assert "must start with https://" in capsys.readouterr().err


def test_on_a_terminal_the_token_is_asked_for_without_echo(
    environment: dict[str, str], quantive_url: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    prompts: list[str] = []

    def getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return TOKEN

    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", getpass)
    tenant = "0F8FAD5B-D9CB-469F-A165-70867728950E"
    argv = ["connect", "--teams-tenant", tenant, "--quantive-url", quantive_url]
    assert main([*argv, "--account-id", ACCOUNT_ID]) == 0
    out = capsys.readouterr().out
    assert prompts == ["Quantive API token (not shown): "]
    assert out.startswith(f"Connected Teams tenant {tenant.lower()} to Quantive")
    assert TOKEN not in out
