"""badgebot's settings, read from the environment (and a ``.env`` file) by pydantic-settings.

Nothing is read at import time: call :func:`load_settings`. Each process mode checks what
it needs with :meth:`Settings.problems_for` and stops with one clear line per problem.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from api.client import DEFAULT_BASE_URL
from bot import setting_rules as rules
from bot.store.database import DatabaseUrlError, driver_url

Mode = Literal["serve", "socket", "clock", "digest", "recap", "export", "playground"]
CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """Every setting, with its environment variable name in upper case."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    # Slack
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    #: The Slack app's OAuth credentials: with them (and no SLACK_BOT_TOKEN) the bot is
    #: installed with "Add to Slack" into any number of workspaces (distribution mode).
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    #: Where the web process is reached from the internet, e.g. https://badgebot.example.com;
    #: builds the OAuth redirect URLs.
    public_url: str | None = None
    #: The Fernet key that encrypts every stored token (python -m bot secret-key).
    badgebot_secret_key: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    #: Where "Add to Slack" sends the installer for consent: Slack's page, or (the
    #: playground) a fake consent page on loopback, as SLACK_API_URL is a fake Web API.
    slack_authorize_url: str = "https://slack.com/oauth/v2/authorize"
    #: Seconds a Slack call waits for its answer; a post that outlives it may still have
    #: been made, so the outbox looks for it before sending it again.
    slack_timeout: float = Field(default=10.0, gt=0)
    port: int = Field(default=3000, ge=0, le=65535)

    # Quantive
    quantive_api_url: str = DEFAULT_BASE_URL
    quantive_api_token: SecretStr | None = None
    quantive_account_id: str | None = None
    quantive_teams_path: str = "teams"
    quantive_timeout: float = Field(default=10.0, gt=0)
    quantive_max_retries: int = Field(default=3, ge=0, le=10)
    quantive_backoff_base: float = Field(default=0.25, ge=0)
    quantive_backoff_cap: float = Field(default=4.0, ge=0)
    quantive_notification_strategy: str | None = None
    quantive_max_concurrency: int = Field(default=16, ge=1, le=200)
    #: How long Quantive is given to finish an unanswered award before it is sent again.
    quantive_settle_seconds: float = Field(default=30.0, ge=0)
    #: How often one process reads Quantive's approval queue for awards decided in its web
    #: app (bot.sync); 0 turns the sync off. Rounded up to OUTBOX_POLL_SECONDS.
    quantive_sync_seconds: float = Field(default=60.0, ge=0)

    # The bot's own state
    #: Secret because a PostgreSQL URL carries its password.
    database_url: SecretStr = SecretStr("sqlite:///badgebot.db")
    identity_cache_ttl: int = Field(default=24 * 3600, ge=0)
    catalogue_cache_ttl: int = Field(default=60, ge=0)

    # The outboxes: awards and Slack messages that could not be delivered at once
    outbox_poll_seconds: float = Field(default=5.0, gt=0)
    outbox_retry_base: float = Field(default=2.0, gt=0)
    outbox_retry_cap: float = Field(default=300.0, gt=0)
    outbox_stale_seconds: float = Field(default=60.0, gt=0)
    #: Seconds before a chat post whose answer was lost is looked for (or given up).
    outbox_settle_seconds: float = Field(default=10.0, gt=0)

    # Who may do what, and where messages go
    badge_approvers: CommaList = Field(default_factory=list)
    badge_admins: CommaList = Field(default_factory=list)
    #: ``quantive``: Quantive's queue holds awards waiting for approval. ``bot``: the bot
    #: holds a non-approver's award and assigns it only once an approver approves.
    badge_approval: Literal["quantive", "bot"] = "quantive"
    badge_approval_channel: str | None = None
    badge_announce_channel: str | None = None

    # Microsoft Teams (the front end is being built: see README, "Microsoft Teams")
    badge_reactions: str | None = None
    badge_give_limit: str | None = None
    badge_give_limit_exempt: CommaList = Field(default_factory=list)
    teams_app_id: str | None = None
    teams_app_password: SecretStr | None = None
    teams_tenant_id: str | None = None
    #: Serve every Entra tenant that installs the Teams app, each with its own Quantive
    #: connection (the Entra app must be multi-tenant; TEAMS_TENANT_ID stays its home).
    teams_multi_tenant: bool = False
    teams_approvers: CommaList = Field(default_factory=list)
    teams_admins: CommaList = Field(default_factory=list)
    teams_approval_conversation: str | None = None
    teams_announce_conversation: str | None = None
    teams_openid_metadata_url: str = (
        "https://login.botframework.com/v1/.well-known/openidconfiguration"
    )
    teams_login_url: str = "https://login.microsoftonline.com"
    teams_service_url: str = "https://smba.trafficmanager.net/teams/"
    #: Microsoft Graph, read for the members of a tag no Quantive team is named like.
    teams_graph_url: str = "https://graph.microsoft.com/v1.0"
    #: Seconds a Bot Connector call waits for its answer, and the first in-call backoff.
    teams_timeout: float = Field(default=10.0, gt=0)
    teams_retry_base: float = Field(default=0.5, ge=0)

    # The daily digest
    digest_time: str = "09:00"
    digest_timezone: str = "UTC"
    digest_days: str = "mon-fri"
    digest_channels: CommaList = Field(default_factory=list)
    digest_when_empty: bool = False

    # The weekly recap
    recap_channels: CommaList = Field(default_factory=list)
    recap_time: str = "fri 16:00"
    recap_timezone: str | None = None
    recap_when_empty: bool = False

    @field_validator(
        "badge_approvers",
        "badge_admins",
        "digest_channels",
        "teams_approvers",
        "teams_admins",
        "badge_give_limit_exempt",
        "recap_channels",
        mode="before",
    )
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator(
        "badge_approval_channel",
        "badge_announce_channel",
        "quantive_account_id",
        "teams_app_id",
        "teams_tenant_id",
        "teams_approval_conversation",
        "teams_announce_conversation",
        "slack_client_id",
        "public_url",
    )
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @property
    def database(self) -> str:
        """``DATABASE_URL`` in clear, for the store only; log :func:`bot.store.describe`."""
        return self.database_url.get_secret_value()

    @property
    def digest_hour_minute(self) -> tuple[int, int]:
        """``DIGEST_TIME`` as (hour, minute); call :meth:`problems_for` first."""
        hour, minute = self.digest_time.split(":")
        return int(hour), int(minute)

    @property
    def slack_enabled(self) -> bool:
        """Whether the Slack app's settings are present (``python -m bot serve`` runs Slack)."""
        return bool(
            self.slack_bot_token
            or self.slack_signing_secret
            or self.slack_app_token
            or self.slack_client_id
        )

    @property
    def slack_distributed(self) -> bool:
        """Whether Slack runs as a distributed app: installed through OAuth into many
        workspaces, each connected to its own Quantive, rather than one SLACK_BOT_TOKEN."""
        return bool(self.slack_client_id) and not self.slack_bot_token

    @property
    def distributed(self) -> bool:
        """Whether each workspace or tenant has its own Quantive connection and settings
        (Slack distribution, or TEAMS_MULTI_TENANT), instead of the QUANTIVE_* settings."""
        return self.slack_distributed or self.teams_multi_tenant

    @property
    def secret_key(self) -> str:
        """``BADGEBOT_SECRET_KEY`` in clear, for bot.secrets only ('' when unset)."""
        return _secret(self.badgebot_secret_key)

    @property
    def recap_day_hour_minute(self) -> tuple[str, int, int]:
        """``RECAP_TIME`` as (day, hour, minute); call :meth:`problems_for` first."""
        day, clock = self.recap_time.strip().lower().split()
        hour, minute = clock.split(":")
        return day, int(hour), int(minute)

    @property
    def recap_zone(self) -> str:
        """The recap's time zone: RECAP_TIMEZONE, else DIGEST_TIMEZONE."""
        return self.recap_timezone or self.digest_timezone

    @property
    def teams_enabled(self) -> bool:
        """Whether any of the Azure bot registration is set (then all of it must be)."""
        return bool(self.teams_app_id or self.teams_app_password or self.teams_tenant_id)

    @property
    def admins(self) -> list[str]:
        """Who may create, edit, delete and revoke: ``BADGE_ADMINS``, else the approvers."""
        return self.badge_admins or self.badge_approvers

    def problems_for(self, mode: Mode) -> list[str]:
        """One human sentence per setting that stops ``mode`` from working."""
        problems: list[str] = []
        # serve, clock and digest run whichever platforms are configured; at least one.
        if mode in ("serve", "clock", "digest", "recap") and not (
            self.slack_enabled or self.teams_enabled
        ):
            problems.append(
                "Neither Slack nor Teams is configured: set SLACK_BOT_TOKEN and "
                "SLACK_SIGNING_SECRET, or TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID."
            )
        needs_slack = mode == "socket" or (
            mode in ("serve", "clock", "digest", "recap") and self.slack_enabled
        )
        if self.distributed:
            problems.extend(self._distribution_problems(mode, needs_slack))
        if needs_slack and self.slack_distributed:
            pass  # no bot token: each installation has its own
        elif needs_slack and not _secret(self.slack_bot_token):
            problems.append("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...).")
        elif needs_slack and not _secret(self.slack_bot_token).startswith("xoxb-"):
            problems.append("SLACK_BOT_TOKEN should be a bot token starting with 'xoxb-'.")
        if mode == "serve" and needs_slack and not _secret(self.slack_signing_secret):
            problems.append("SLACK_SIGNING_SECRET is not set: copy it from Basic Information.")
        if mode == "socket" and not _secret(self.slack_app_token).startswith("xapp-"):
            problems.append(
                "SLACK_APP_TOKEN must be an app-level token (xapp-...) with connections:write."
            )
        if mode != "playground" and not self.distributed:
            if not _secret(self.quantive_api_token):
                problems.append("QUANTIVE_API_TOKEN is not set: an admin issues one in Quantive.")
            if not self.quantive_account_id:
                problems.append("QUANTIVE_ACCOUNT_ID is not set: it is your Quantive account id.")
        if self.outbox_stale_seconds <= self.quantive_timeout:
            problems.append(
                "OUTBOX_STALE_SECONDS must exceed QUANTIVE_TIMEOUT, or a crashed give could be "
                "retried while Quantive is still handling it."
            )
        if mode in ("serve", "clock", "digest", "recap") and self.teams_enabled:
            for name in ("teams_app_id", "teams_app_password", "teams_tenant_id"):
                if not getattr(self, name):
                    problems.append(
                        f"{name.upper()} is not set: Teams needs the Azure bot registration's "
                        "app id, client secret and tenant id together."
                    )
        for name in (
            "teams_openid_metadata_url",
            "teams_login_url",
            "teams_service_url",
            "teams_graph_url",
        ):
            if not re.match(r"^https?://", getattr(self, name)):
                problems.append(f"{name.upper()} must start with http:// or https://.")
        if not re.match(r"^https?://", self.quantive_api_url):
            problems.append("QUANTIVE_API_URL must start with http:// or https://.")
        if not re.match(r"^https?://", self.slack_api_url):
            problems.append("SLACK_API_URL must start with http:// or https://.")
        if not re.match(r"^https?://", self.slack_authorize_url):
            problems.append("SLACK_AUTHORIZE_URL must start with http:// or https://.")
        try:
            driver_url(self.database)
        except DatabaseUrlError as exc:
            problems.append(str(exc))
        # The rules live in bot.setting_rules: admins' per-workspace values obey the same.
        problems += [
            problem
            for problem in (
                rules.clock_problem(self.digest_time, "DIGEST_TIME"),
                rules.timezone_problem(self.digest_timezone, "DIGEST_TIMEZONE"),
                rules.weekday_clock_problem(self.recap_time, "RECAP_TIME"),
                self.recap_timezone
                and rules.timezone_problem(self.recap_timezone, "RECAP_TIMEZONE"),
                rules.days_problem(self.digest_days, "DIGEST_DAYS"),
                self.badge_give_limit
                and rules.limit_problem(self.badge_give_limit, "BADGE_GIVE_LIMIT"),
                rules.slack_users_problem(self.badge_approvers, "BADGE_APPROVERS"),
                rules.slack_users_problem(self.badge_admins, "BADGE_ADMINS"),
            )
            if problem
        ]
        if (
            mode in ("serve", "socket")
            and needs_slack
            and not self.distributed
            and not self.badge_approvers
        ):
            problems.append(
                "BADGE_APPROVERS is empty: nobody could approve awards. "
                "List Slack user ids, comma-separated."
            )
        if (
            mode == "serve"
            and self.teams_enabled
            and not self.distributed
            and not self.teams_approvers
        ):
            problems.append(
                "TEAMS_APPROVERS is empty: nobody could approve awards in Teams. "
                "List emails or Azure AD object ids, comma-separated."
            )
        return problems

    def _distribution_problems(self, mode: Mode, needs_slack: bool) -> list[str]:
        """What serving many workspaces needs: Slack's OAuth settings (SLACK_CLIENT_ID
        without SLACK_BOT_TOKEN) and the key that encrypts each workspace's tokens."""
        # Imported here: settings load before anything else, and the key check needs
        # cryptography only in this mode.
        from bot.secrets import SecretBox, SecretKeyError

        problems: list[str] = []
        if mode == "socket" and self.slack_distributed:
            return ["Socket Mode serves one workspace: set SLACK_BOT_TOKEN, or run `serve`."]
        if needs_slack and self.slack_distributed and not _secret(self.slack_client_secret):
            problems.append(
                "SLACK_CLIENT_SECRET is not set: copy the Client Secret from Basic Information."
            )
        if (
            mode == "serve"
            and self.slack_distributed
            and not re.match(r"^https?://[^/\s]+", self.public_url or "")
        ):
            problems.append(
                "PUBLIC_URL is not set: the address people reach the bot at, such as "
                "https://badgebot.example.com (it builds the OAuth redirect URL)."
            )
        if not self.secret_key:
            problems.append(
                "BADGEBOT_SECRET_KEY is not set: it encrypts the stored tokens. Run "
                "`python -m bot secret-key` and set the line it prints."
            )
        else:
            try:
                SecretBox(self.secret_key)
            except SecretKeyError as exc:
                problems.append(str(exc))
        return problems


class SettingsError(Exception):
    """The settings cannot start this mode; the message lists every problem, one a line."""


def load_settings(**overrides: object) -> Settings:
    """Read the settings from the environment, ``.env`` and ``overrides``.

    Raises SettingsError with readable lines instead of pydantic's trace; values are never
    echoed, so a secret in the wrong variable does not end up in a log.
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            lines.append(f"{name}: {error['msg']}")
        raise SettingsError("\n".join(lines)) from None


def check_settings(settings: Settings, mode: Mode) -> None:
    """Raise SettingsError listing every problem that stops ``mode``."""
    problems = settings.problems_for(mode)
    if problems:
        raise SettingsError("\n".join(problems))


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""
