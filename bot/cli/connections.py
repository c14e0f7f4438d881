"""``secret-key``, ``connect``, ``connections`` and ``disconnect``: the operator's commands
for each workspace's (or tenant's) own Quantive connection.

A token is read from standard input (with a hidden prompt on a terminal), never from the
command line, where ``ps`` and shell history would show it; only its last four characters
are ever printed.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.connections import ConnectionStore
    from bot.secrets import SecretBox
    from bot.settings import Settings

SECRET_KEY_HELP = "print a new key for BADGEBOT_SECRET_KEY"
CONNECT_HELP = "connect a workspace or tenant to its Quantive account"
CONNECTIONS_HELP = "list each workspace's and tenant's Quantive connection"
DISCONNECT_HELP = "forget a workspace's or tenant's Quantive connection"
CONNECT_ABOUT = (
    "Connect one Slack workspace, Slack org or Teams tenant to its Quantive account. The API "
    "token is read from standard input (one line; a hidden prompt on a terminal), checked "
    "against Quantive, then stored encrypted under BADGEBOT_SECRET_KEY."
)
#: Exit status of a command whose settings or arguments are wrong, as argparse's.
USAGE = 2


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare ``secret-key``, ``connect``, ``connections`` and ``disconnect``."""
    key = sub.add_parser(
        "secret-key",
        help=SECRET_KEY_HELP,
        description="Print a new random key for BADGEBOT_SECRET_KEY, which encrypts the "
        "stored tokens. Changing the key makes the stored tokens unreadable.",
    )
    key.set_defaults(run=run_secret_key)

    connect = sub.add_parser("connect", help=CONNECT_HELP, description=CONNECT_ABOUT)
    _add_selector(connect)
    # bot.regions is light; bot.connections would load the HTTP client for every command.
    from bot.regions import region_names

    connect.add_argument(
        "--quantive-url",
        required=True,
        metavar="REGION_OR_URL",
        help=f"a region ({region_names()}) or the API's https base URL",
    )
    connect.add_argument("--account-id", required=True, help="the Quantive account's id")
    connect.set_defaults(run=run_connect)

    listing = sub.add_parser(
        "connections",
        help=CONNECTIONS_HELP,
        description="List every connected workspace and tenant: its Quantive host, account "
        "id, the token's last four characters and when the connection was checked (UTC).",
    )
    listing.set_defaults(run=run_connections)

    disconnect = sub.add_parser(
        "disconnect",
        help=DISCONNECT_HELP,
        description="Forget a workspace's or tenant's Quantive connection and its token.",
    )
    _add_selector(disconnect)
    disconnect.set_defaults(run=run_disconnect)


def _add_selector(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--slack-team", metavar="TEAM_ID", help="a Slack workspace's id")
    which.add_argument(
        "--slack-enterprise", metavar="ENTERPRISE_ID", help="a Slack org installed org-wide"
    )
    which.add_argument("--teams-tenant", metavar="TENANT_ID", help="an Entra tenant id (a GUID)")


@contextlib.asynccontextmanager
async def open_connection_store(settings: Settings) -> AsyncIterator[ConnectionStore]:
    """The store of every workspace's connection, open for one command.

    The database must be migrated (``python -m bot migrate``); SchemaBehind says so.
    """
    from bot.store import Store

    store = Store(settings.database)
    try:
        await store.check_schema()
        yield store
    finally:
        await store.aclose()


def run_secret_key(args: argparse.Namespace) -> int:
    """Print a new Fernet key, alone on one line (``export KEY=$(...)`` takes it whole)."""
    from bot.secrets import new_key

    print(new_key())
    return 0


def run_connect(args: argparse.Namespace) -> int:
    """Check a workspace's Quantive token and account, then store them encrypted."""
    import asyncio

    target = _target(args, "connect")
    if target is None:
        return USAGE
    workspace, settings = target
    box = _secret_box(settings, "connect")
    if box is None:
        return USAGE
    token = _read_token()
    if not token:
        print(
            "connect: no API token on standard input: pipe it in, one line, or run the "
            "command in a terminal to be asked for it.",
            file=sys.stderr,
        )
        return 1
    with _quiet_transport():
        return asyncio.run(_connect(settings, box, workspace, args, token))


async def _connect(
    settings: Settings, box: SecretBox, workspace: str, args: argparse.Namespace, token: str
) -> int:
    from bot.connections import ConnectionProblem, connect, quantive_host
    from bot.workspaces import describe_workspace

    async with open_connection_store(settings) as store:
        replaced = await store.for_workspace(workspace).connection() is not None
        try:
            row = await connect(
                store, box, workspace, args.quantive_url, args.account_id, token, _operator()
            )
        except ConnectionProblem as problem:
            print(f"connect: {problem} Nothing was stored.", file=sys.stderr)
            return 1
    print(
        f"Connected {describe_workspace(workspace)} to Quantive at "
        f"{quantive_host(row.quantive_url)}, account {row.account_id}, token "
        f"…{row.token_last4}" + (" (its earlier connection is replaced)." if replaced else ".")
    )
    return 0


def run_connections(args: argparse.Namespace) -> int:
    """List every workspace's connection, one a line; the token by its last four only."""
    import asyncio

    settings = _settings("connections")
    if settings is None:
        return USAGE
    return asyncio.run(_connections(settings))


async def _connections(settings: Settings) -> int:
    from datetime import UTC, datetime

    from bot.connections import list_connections, quantive_host
    from bot.secrets import SecretBox, SecretKeyError
    from bot.workspaces import describe_workspace

    async with open_connection_store(settings) as store:
        rows = await list_connections(store)
    if not rows:
        print("No workspace or tenant is connected to Quantive yet: run `badgebot connect`.")
        return 0
    try:
        box: SecretBox | None = SecretBox(settings.secret_key) if settings.secret_key else None
    except SecretKeyError:
        box = None
    for row in rows:
        checked = (
            "checked " + datetime.fromtimestamp(row.checked_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
            if row.checked_at
            else "never checked"
        )
        line = (
            f"{describe_workspace(row.workspace)}: {quantive_host(row.quantive_url)}, "
            f"account {row.account_id}, token …{row.token_last4}, {checked}"
        )
        # Worth saying here: a changed key is otherwise found only when the bot fails.
        if box is not None and not _decrypts(box, row.token_encrypted):
            line += " (cannot be decrypted with this BADGEBOT_SECRET_KEY: connect it again)"
        print(line)
    return 0


def run_disconnect(args: argparse.Namespace) -> int:
    """Forget a workspace's connection and its token; exit 1 when it had none."""
    import asyncio

    target = _target(args, "disconnect")
    if target is None:
        return USAGE
    workspace, settings = target
    return asyncio.run(_disconnect(settings, workspace))


async def _disconnect(settings: Settings, workspace: str) -> int:
    from bot.connections import disconnect
    from bot.workspaces import describe_workspace

    async with open_connection_store(settings) as store:
        removed = await disconnect(store, workspace)
    if not removed:
        print(f"disconnect: {describe_workspace(workspace)} was not connected.", file=sys.stderr)
        return 1
    print(f"Disconnected {describe_workspace(workspace)} from Quantive; its token is deleted.")
    return 0


# --- helpers ---------------------------------------------------------------------------


def _workspace(args: argparse.Namespace, command: str) -> str | None:
    """The workspace key the selector names, or None after saying what is wrong with it."""
    from bot.workspaces import slack_workspace, teams_workspace

    if args.teams_tenant is not None:
        key = teams_workspace(args.teams_tenant)
        wrong = "is not a tenant id: a GUID such as 0f8fad5b-d9cb-469f-a165-70867728950e"
        given, flag = args.teams_tenant, "--teams-tenant"
    elif args.slack_enterprise is not None:
        key = slack_workspace(None, args.slack_enterprise, org_wide=True)
        wrong = "is not a Slack org id: E, then capital letters and digits, such as E0123ABCD"
        given, flag = args.slack_enterprise, "--slack-enterprise"
    else:
        team = args.slack_team
        # slack_workspace takes E… as a team too (a request's ids); an operator means T….
        key = slack_workspace(team, None, org_wide=False) if team.startswith("T") else None
        wrong = (
            "is not a Slack workspace id: T, then capital letters and digits, such as "
            "T0123ABCD (for an org-wide install use --slack-enterprise)"
        )
        given, flag = team, "--slack-team"
    if key is None:
        print(f"{command}: {flag} {given!r} {wrong}.", file=sys.stderr)
    return key


def _target(args: argparse.Namespace, command: str) -> tuple[str, Settings] | None:
    """The workspace the selector names and the settings, or None after saying what is
    wrong; both are checked either way, so one run names every problem."""
    workspace = _workspace(args, command)
    settings = _settings(command)
    if workspace is None or settings is None:
        return None
    return workspace, settings


def _settings(command: str) -> Settings | None:
    """The settings, or None after printing each problem on its own line."""
    from bot.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        print(f"{command}: fix these settings first:", file=sys.stderr)
        for line in str(exc).splitlines():
            print(f"  - {line}", file=sys.stderr)
        return None


def _secret_box(settings: Settings, command: str) -> SecretBox | None:
    """The box of BADGEBOT_SECRET_KEY, or None after saying why there is none."""
    from bot.secrets import SecretBox, SecretKeyError

    if not settings.secret_key:
        print(
            f"{command}: BADGEBOT_SECRET_KEY is not set: it encrypts the stored tokens. Run "
            "`badgebot secret-key` and set the line it prints.",
            file=sys.stderr,
        )
        return None
    try:
        return SecretBox(settings.secret_key)
    except SecretKeyError as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return None


def _read_token() -> str:
    """The token: one line of standard input, or a hidden prompt on a terminal."""
    if sys.stdin is None:
        return ""
    if sys.stdin.isatty():
        import getpass

        # getpass writes its prompt to the terminal, not stdout, and echoes nothing.
        return getpass.getpass("Quantive API token (not shown): ").strip()
    return sys.stdin.readline().strip()


@contextlib.contextmanager
def _quiet_transport() -> Iterator[None]:
    """The problem is said in one sentence; the transport's "-> 401" log line would say it
    again. The level is put back, as main() may run in a longer process (tests)."""
    import logging

    api_log = logging.getLogger("api")
    level = api_log.level
    api_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        api_log.setLevel(level)


def _operator() -> str:
    """Who connected, as stored in ``connected_by``: the command line's OS user."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "cli"


def _decrypts(box: SecretBox, ciphertext: str) -> bool:
    from bot.secrets import SecretKeyError

    try:
        box.decrypt(ciphertext)
    except SecretKeyError:
        return False
    return True
