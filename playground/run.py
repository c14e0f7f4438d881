"""Start the emulator, the bots and the playground together on loopback.

Two bots serve the page's two Slack workspaces: the demo workspace's runs on one
SLACK_BOT_TOKEN (as a company's own install does); the second workspace's runs in
distribution mode (SLACK_CLIENT_ID, no bot token), so that it is installed with "Add to
Slack" and connected to Quantive from its Home tab, as any workspace of a public app is.
Both serve the dashboard, which the page's "Dashboard" signs in to through the
playground's Slack; the demo workspace comes with a few weeks of awards to show in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import shutil
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from api.emulator import DEFAULT_TOKEN, Emulator
from bot.background_server import BackgroundServer
from bot.secrets import new_key
from bot.settings import Settings
from bot.store import migrate
from bot.web import create_web_app
from playground.app import Playground
from playground.bot_framework import BotFrameworkAuth
from playground.demo_awards import seed_playground_awards
from playground.slack_consent import AUTHORIZE_PATH, SlackOAuth
from playground.slack_openid import SignInApp, SlackOpenID
from playground.slack_team import SlackTeam
from playground.teams_api import PREFIX
from playground.teams_tenant import APP_ID, TENANT_ID, TeamsTenant, demo_teams_people
from playground.teams_view import TeamsView
from playground.workspace import Workspace, demo_people

APPROVERS = ["UMARIA", "UOLIVER"]
#: The same approvers in Teams, listed by email as a Teams admin would.
TEAMS_APPROVERS = ["maria.garcia@acme.example", "oliver.smith@acme.example"]
TEAMS_DIGEST_CONVERSATION = "19:approvals@thread.tacv2"
TEAMS_ANNOUNCE_CONVERSATION = "19:kudos@thread.tacv2"
#: The second workspace (an id as Slack's are: the bot refuses malformed ones), and the
#: distributed app it installs.
SECOND_TEAM_ID, SECOND_TEAM_NAME = "TACMELABS", "Acme Labs"
CLIENT_ID = "1001.2002"
#: The demo workspace's own Slack app, whose client id and secret sign in to its dashboard.
DEMO_CLIENT_ID = "1000.1001"
#: The distributed bot's database, beside the demo bot's (playground.db).
INSTALLS_DATABASE = "installs.db"


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` different ports nothing listens on: each bot's PUBLIC_URL must be known
    before it starts (its OAuth and sign-in redirect URLs are built from it). The probes
    stay bound until all are chosen, so that no two answers are the same port."""
    with contextlib.ExitStack() as held:
        probes = [held.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind((host, 0))
        return [int(probe.getsockname()[1]) for probe in probes]


class PlaygroundStack:
    """The three servers of offline mode; ``start()`` returns once all of them answer."""

    def __init__(self, port: int = 3000, data_dir: str | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="badgebot-playground-")
        folder = Path(data_dir or self._tmp.name)
        self.emulator = Emulator()
        self._emulator_server = BackgroundServer(self.emulator.app)
        signing_secret = secrets.token_hex(16)
        self.workspace = Workspace(demo_people(APPROVERS))
        self.demo = SlackTeam("T1", "Playground", self.workspace, signing_secret)
        # The same people (so Quantive knows them by email), no approvers: whoever
        # connects the workspace becomes its first approver, as with any new install.
        self.second = SlackTeam(
            SECOND_TEAM_ID,
            SECOND_TEAM_NAME,
            Workspace(demo_people([])),
            secrets.token_hex(16),
            app_id="A2",
            installed=False,
        )
        self._client_secret = secrets.token_hex(16)
        self.oauth = SlackOAuth(CLIENT_ID, self._client_secret)
        self.oauth.add_team(self.second)
        self._demo_client_secret = secrets.token_hex(16)
        self.openid = SlackOpenID()
        self._teams_password = secrets.token_hex(16)
        self.tenant = TeamsTenant(demo_teams_people(TEAMS_APPROVERS))
        self.teams = TeamsView(
            self.tenant,
            BotFrameworkAuth(APP_ID, self._teams_password),
            self._run_teams_digest,
            self._recent_calls,
        )
        self.playground = Playground(
            self.demo,
            self._run_digest,
            self._recent_calls,
            self.teams,
            self.oauth,
            openid=self.openid,
        )
        self._playground_server = BackgroundServer(self.playground.app, port=port)
        self._signing_secret = signing_secret
        self._database = folder / "playground.db"
        self._installs_database = folder / INSTALLS_DATABASE
        self._bot_server: BackgroundServer | None = None
        self._distributed_server: BackgroundServer | None = None
        self.settings: Settings | None = None
        self.distributed_settings: Settings | None = None

    def start(self) -> PlaygroundStack:
        """Start the emulator, the playground (the bot's Slack) and then the bot."""
        self._emulator_server.start()
        self._playground_server.start()
        self.playground.set_base_url(self._playground_server.url)
        self.teams.base_url = self._playground_server.url
        self.teams.auth.base_url = f"{self._playground_server.url}{PREFIX}"
        teams_api = f"{self._playground_server.url}{PREFIX}"
        demo_port, second_port = free_ports(2)
        demo_public = f"http://127.0.0.1:{demo_port}"
        self.settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token="xoxb-playground",
            slack_signing_secret=self._signing_secret,
            slack_api_url=f"{self._playground_server.url}/api/",
            # Beside the bot token, for Sign in with Slack only: the dashboard is on.
            slack_client_id=DEMO_CLIENT_ID,
            slack_client_secret=self._demo_client_secret,
            public_url=demo_public,
            quantive_api_url=f"{self._emulator_server.url}/api/v1",
            quantive_api_token=DEFAULT_TOKEN,
            quantive_account_id=self.emulator.account_id,
            database_url=f"sqlite:///{self._database}",
            badge_approvers=APPROVERS,
            badge_approval_channel="CAPPROVALS",
            badge_announce_channel="CKUDOS",
            digest_channels=["CAPPROVALS"],
            teams_app_id=APP_ID,
            teams_app_password=self._teams_password,
            teams_tenant_id=TENANT_ID,
            teams_approvers=TEAMS_APPROVERS,
            teams_announce_conversation=TEAMS_ANNOUNCE_CONVERSATION,
            teams_openid_metadata_url=f"{teams_api}/v1/.well-known/openidconfiguration",
            teams_login_url=teams_api,
            teams_service_url=f"{teams_api}/",
        )
        self.distributed_settings = self._distributed(second_port)
        public = str(self.distributed_settings.public_url)
        asyncio.run(self._prepare_database())
        self._sign_in(self.demo, DEMO_CLIENT_ID, self._demo_client_secret, demo_public)
        self._sign_in(self.second, CLIENT_ID, self._client_secret, public)
        self._bot_server = BackgroundServer(
            create_web_app(self.settings), port=int(demo_public.rsplit(":", 1)[1])
        ).start()
        self.demo.bot_url = self._bot_server.url
        self.teams.bot_url = self._bot_server.url
        self.teams.install_everyone()
        self._distributed_server = BackgroundServer(
            create_web_app(self.distributed_settings), port=int(public.rsplit(":", 1)[1])
        ).start()
        self.second.bot_url = public
        return self

    def _sign_in(self, team: SlackTeam, client_id: str, secret: str, public: str) -> None:
        """Let ``team``'s people sign in to the dashboard of the bot at ``public``."""
        self.openid.add_app(
            SignInApp(
                client_id,
                secret,
                redirect_uri=f"{public}/dashboard/auth/slack",
                login_url=f"{public}/dashboard/login/slack",
                team=team,
            )
        )

    def _distributed(self, port: int) -> Settings:
        """The second workspace's bot: distribution mode on loopback, its consent page and
        Web API the playground's, nothing taken from the environment that could change it."""
        playground = self._playground_server.url
        public = f"http://127.0.0.1:{port}"
        self.oauth.redirect_uri = f"{public}/slack/oauth_redirect"
        self.oauth.install_url = f"{public}/slack/install"
        self.playground.connect_hint = {
            "url": f"{self._emulator_server.url}/api/v1",
            "account": self.emulator.account_id,
            "token": DEFAULT_TOKEN,
        }
        return Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token=None,
            slack_app_token=None,
            slack_client_id=CLIENT_ID,
            slack_client_secret=self._client_secret,
            slack_signing_secret=self.second.signing_secret,
            public_url=public,
            badgebot_secret_key=new_key(),
            slack_api_url=f"{playground}/api/",
            slack_authorize_url=f"{playground}{AUTHORIZE_PATH}",
            quantive_api_token=None,
            quantive_account_id=None,
            database_url=f"sqlite:///{self._installs_database}",
            badge_approvers=[],
            teams_app_id=None,
            teams_app_password=None,
            teams_tenant_id=None,
            teams_multi_tenant=False,
        )

    async def _prepare_database(self) -> None:
        """Migrate, subscribe the Teams approvals channel to the digest, and give the
        demo workspace its weeks of awards (the second workspace's copy stays empty)."""
        from bot.store import Store

        assert self.settings is not None
        await migrate(self.settings.database)
        if not self._installs_database.exists():
            # A copy of the demo bot's database, migrated and still empty: the same schema
            # without a second migration run (half a second of every start).
            shutil.copyfile(self._database, self._installs_database)
        store = Store(self.settings.database)
        try:
            await store.subscribe_digest(TEAMS_DIGEST_CONVERSATION, "29:maria", platform="teams")
            await seed_playground_awards(store, self.emulator)
        finally:
            await store.aclose()

    @property
    def url(self) -> str:
        """The page's address."""
        return self._playground_server.url.replace("127.0.0.1", "localhost") + "/"

    def stop(self) -> None:
        """Stop every server."""
        servers = (
            self._distributed_server,
            self._bot_server,
            self._playground_server,
            self._emulator_server,
        )
        for server in servers:
            if server is not None:
                server.stop()
        self._tmp.cleanup()

    async def _run_digest(self) -> str:
        # The clock process's job, run in the playground's loop against the same database.
        from bot.digest import DigestError
        from handlers.slack.app import slack_runtime

        assert self.settings is not None
        async with slack_runtime(self.settings) as ctx:
            try:
                report = await ctx.digest.run(force=True)
            except DigestError as exc:
                return str(exc)
        return f"digest: {report.pending} pending, posted to {len(report.posted)} channel(s)"

    async def _run_teams_digest(self) -> str:
        # The clock's Teams job, run in the playground's loop against the same database.
        from bot.digest import DigestError
        from bot.services import Services
        from handlers.teams.app import teams_runtime

        assert self.settings is not None
        services = Services.create(self.settings)
        try:
            async with teams_runtime(self.settings, services) as ctx:
                try:
                    report = await ctx.digest.run(force=True)
                except DigestError as exc:
                    return str(exc)
        finally:
            await services.aclose()
        return f"digest: {report.pending} pending, posted to {len(report.posted)} conversation(s)"

    def _recent_calls(self) -> list[dict[str, object]]:
        return [asdict(c) for c in self.emulator.calls.all()[-25:]]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether nothing listens on ``port`` yet."""
    with socket.socket() as probe:
        # As uvicorn binds: the TIME-WAIT sockets a stopped playground leaves for a minute
        # do not hold the port, while a program listening on it still does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def choose_port(wanted: int) -> int:
    """``wanted`` if it is free, else the next free port after it, saying so in one line."""
    if wanted == 0 or port_is_free(wanted):
        return wanted
    port = next((p for p in range(wanted + 1, min(wanted + 50, 65536)) if port_is_free(p)), 0)
    print(
        f"Port {wanted} is already in use by another program; the playground takes "
        f"{port or 'a free port'} instead (set PORT to choose one).",
        file=sys.stderr,
    )
    return port


class _WarningsAndWorse(logging.Filter):
    """Passes a logger's warnings and errors only, whatever level the logger is set to."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether ``record`` is a warning or worse."""
        return record.levelno >= logging.WARNING


class _NotTheTokenNotice(logging.Filter):
    """Drops Bolt's "As you gave `client` as well, `token` will be unused": Bolt reads
    SLACK_BOT_TOKEN from the environment by itself, and the client it is given is the
    playground's, so the notice tells a new user nothing they could act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether ``record`` is anything but that notice."""
        return not record.getMessage().startswith("As you gave `client` as well")


def _add_once(logger: logging.Logger, kind: type[logging.Filter]) -> None:
    if not any(isinstance(f, kind) for f in logger.filters):
        logger.addFilter(kind())


@contextlib.contextmanager
def quiet_start() -> Iterator[None]:
    """No INFO lines while the servers start, so that the URL printed next stands out;
    warnings and errors still show. httpx's line per request is dropped for good, by a
    filter: the Teams SDK sets that logger's level back each time it makes a client. So is
    Bolt's notice above, which every "Run digest now" would repeat."""
    _add_once(logging.getLogger("httpx"), _WarningsAndWorse)
    _add_once(logging.getLogger("slack_bolt.AsyncApp"), _NotTheTokenNotice)
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        root.setLevel(level)


def serve_playground(port: int) -> None:
    """Run the playground until interrupted, on ``port`` or the next free one."""
    with quiet_start():
        stack = PlaygroundStack(port=choose_port(port)).start()
    sys.stderr.flush()  # whatever start-up said comes before the URL, not after it
    # The URL last, on a line of its own, where a terminal makes it easy to click or copy.
    print(
        "\n  badgebot playground, with no Slack or Quantive account (Ctrl-C to stop):"
        f"\n  {stack.url}\n",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
