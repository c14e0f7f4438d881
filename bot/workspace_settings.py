"""The settings an admin changes for one workspace from a chat front end, without a
deploy: who approves and administers, where messages go, when the digest and recap run,
the give limit and the approval mode. The environment's values are the defaults.

Each platform names its people and places its own way (Slack user and channel ids;
Teams emails or Entra object ids and conversation ids), so some settings are one
platform's (:attr:`Editable.platforms`); the times, the give limit and the approval mode
are shared. The front ends build their forms from :func:`editable_for`, check each value with
:func:`validate` (the rules of bot.setting_rules, as at startup) and store the lot with
:func:`save`, which makes the change take effect at once in this process (other
processes see it within their services' TTL, bot.workspace_services).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from bot import setting_rules as rules
from bot.chat import Platform
from bot.permissions import Permissions
from bot.settings import Settings
from bot.store import Store

log = logging.getLogger(__name__)

#: How long a settings form waits for the stored values before it shows the ones its
#: services were built with (the form is opened within a trigger's 3 s).
READ_BUDGET_SECONDS = 1.5

Kind = Literal[
    "users",
    "teams_users",
    "channel",
    "conversation",
    "channels",
    "time",
    "weekday_time",
    "timezone",
    "days",
    "limit",
    "approval",
]
APPROVAL_MODES = ("quantive", "bot")
#: Kinds whose value is a list of people.
PEOPLE_KINDS = ("users", "teams_users")
SLACK: tuple[Platform, ...] = ("slack",)
TEAMS: tuple[Platform, ...] = ("teams",)
BOTH: tuple[Platform, ...] = ("slack", "teams")


@dataclass(frozen=True)
class Editable:
    """One setting an admin may change: its Settings field, its label, its kind and the
    platforms whose admins change it. ``optional`` settings may be left empty (no
    channel, no limit, nobody exempt)."""

    name: str
    label: str
    kind: Kind
    optional: bool = True
    platforms: tuple[Platform, ...] = BOTH


EDITABLE: tuple[Editable, ...] = (
    Editable("badge_approvers", "Approvers", "users", platforms=SLACK),
    Editable("badge_admins", "Admins", "users", platforms=SLACK),
    Editable("teams_approvers", "Approvers", "teams_users", platforms=TEAMS),
    Editable("teams_admins", "Admins", "teams_users", platforms=TEAMS),
    Editable("badge_approval", "Approval mode", "approval", optional=False),
    Editable("badge_approval_channel", "Approval channel", "channel", platforms=SLACK),
    Editable("badge_announce_channel", "Announce channel", "channel", platforms=SLACK),
    Editable(
        "teams_approval_conversation", "Approval conversation", "conversation", platforms=TEAMS
    ),
    Editable(
        "teams_announce_conversation", "Announce conversation", "conversation", platforms=TEAMS
    ),
    # Teams has no configured digest or recap conversations: approvers send "digest here".
    Editable("digest_channels", "Digest channels", "channels", platforms=SLACK),
    Editable("digest_time", "Digest time", "time", optional=False),
    Editable("digest_days", "Digest days", "days", optional=False),
    Editable("digest_timezone", "Digest time zone", "timezone", optional=False),
    Editable("recap_channels", "Recap channels", "channels", platforms=SLACK),
    Editable("recap_time", "Recap day and time", "weekday_time", optional=False),
    Editable("recap_timezone", "Recap time zone", "timezone"),
    Editable("badge_give_limit", "Give limit", "limit"),
    Editable("badge_give_limit_exempt", "Exempt from the give limit", "users"),
)
BY_NAME: dict[str, Editable] = {e.name: e for e in EDITABLE}


def editable_for(platform: Platform) -> tuple[Editable, ...]:
    """The settings ``platform``'s admins change, in the order forms show them."""
    return tuple(e for e in EDITABLE if platform in e.platforms)


class UseDefault:
    """The value that means "the environment's value": the stored one is cleared."""

    def __repr__(self) -> str:
        return "USE_DEFAULT"


USE_DEFAULT = UseDefault()


class SettingsHost(Protocol):
    """What :func:`save` needs of bot.workspace_services.Workspaces."""

    settings: Settings

    async def settings_for(self, key: str) -> Settings:
        """The workspace's settings: the environment's, with its stored ones on top."""
        ...

    async def forget(self, key: str) -> None:
        """Rebuild the workspace's services on their next use."""
        ...


def validate(name: str, value: Any, known: Iterable[str] = ()) -> tuple[Any, str | None]:
    """``(clean value, None)``, or ``(None, problem sentence)`` naming the setting by its
    label. Lists may come as lists or comma-separated text; blank optional values are
    cleaned to "none" (``None`` or ``[]``); :data:`USE_DEFAULT` passes as it is.

    ``known`` are entries of a list the workspace holds now: they pass as they are, so
    that a form sent back unchanged is never refused over an entry its admin did not
    type (TEAMS_APPROVERS, say, was never held to a shape by the environment)."""
    editable = BY_NAME.get(name)
    if editable is None:
        return None, f"{name!r} is not a setting admins can change."
    if isinstance(value, UseDefault):
        return value, None
    what = editable.label
    if editable.kind in (*PEOPLE_KINDS, "channels"):
        items = _items(value)
        if items is None:
            return None, f"{what} must be a list."
        kept = set(known)
        problem = _list_problem(editable, [v for v in items if v not in kept])
        return (None, problem) if problem else (items, None)
    if value is not None and not isinstance(value, str):
        return None, f"{what} must be text."
    text = (value or "").strip()
    if not text:
        if editable.optional:
            return None, None
        return None, f"{what} cannot be empty."
    problem = _text_problem(editable.kind, text, what)
    if problem:
        return None, problem
    if editable.kind == "weekday_time":
        text = " ".join(text.lower().split())
    elif editable.kind in ("days", "approval", "limit"):
        text = text.lower().replace(" ", "")
    return text, None


def _list_problem(editable: Editable, items: list[str]) -> str | None:
    what = editable.label
    if editable.kind == "channels":
        bad = [v for v in items if not rules.SLACK_CHANNEL.fullmatch(v)]
        return f"{what} must be channels, not {bad[0]!r}." if bad else None
    if editable.name == "badge_give_limit_exempt":
        # Shared by both platforms: Slack ids, or emails and Entra object ids (Teams').
        bad = [
            v
            for v in items
            if not (
                rules.SLACK_USER.fullmatch(v)
                or rules.EMAIL.fullmatch(v)
                or rules.ENTRA_ID.fullmatch(v)
            )
        ]
        return f"{what} must be people, not {bad[0]!r}." if bad else None
    if editable.kind == "teams_users":
        return rules.teams_people_problem(items, what)
    return rules.slack_users_problem(items, what)


def _items(value: Any) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        return None
    # Order kept, repeats dropped: a picker can send one person twice.
    return list(dict.fromkeys(v.strip() for v in value if v.strip()))


def _text_problem(kind: Kind, text: str, what: str) -> str | None:
    if kind == "channel":
        return None if rules.SLACK_CHANNEL.fullmatch(text) else f"{what} must be a channel."
    if kind == "conversation":
        return rules.teams_conversation_problem(text, what)
    if kind == "time":
        return rules.clock_problem(text, what)
    if kind == "weekday_time":
        return rules.weekday_clock_problem(text, what)
    if kind == "timezone":
        return rules.timezone_problem(text, what)
    if kind == "days":
        return rules.days_problem(text, what)
    if kind == "limit":
        return rules.limit_problem(text, what)
    if kind == "approval" and text.lower() not in APPROVAL_MODES:
        return f"{what} must be one of: {', '.join(APPROVAL_MODES)}."
    return None


def check(
    changes: Mapping[str, Any],
    current: Settings,
    defaults: Settings,
    by: str | None = None,
    *,
    platform: Platform = "slack",
    aliases: Iterable[str] = (),
) -> tuple[dict[str, Any], dict[str, str]]:
    """Every change validated, then the whole checked as it would be: someone still
    approves on ``platform``, and ``by`` (the admin saving, with their other names
    ``aliases`` on Teams) does not take their own rights away. A setting of another
    platform is refused: a forged form cannot reach it.

    Returns the clean values (:data:`USE_DEFAULT` resolved to nothing yet) and the
    problems, by setting name."""
    clean: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, value in changes.items():
        editable = BY_NAME.get(name)
        if editable is not None and platform not in editable.platforms:
            problems[name] = f"{name!r} is not a setting admins can change here."
            continue
        known = getattr(current, name) if editable and editable.kind in PEOPLE_KINDS else ()
        value, problem = validate(name, value, known)
        if problem:
            problems[name] = problem
        else:
            clean[name] = value
    if problems:
        return clean, problems
    after = current.model_copy(
        update={n: getattr(defaults, n) if v is USE_DEFAULT else v for n, v in clean.items()}
    )
    approvers, admins = (
        ("badge_approvers", "badge_admins")
        if platform == "slack"
        else ("teams_approvers", "teams_admins")
    )
    if not getattr(after, approvers):
        problems[approvers] = "Choose at least one approver, or nobody could approve."
    elif by is not None and not Permissions.of(after).can_administer(
        by, platform=platform, aliases=aliases
    ):
        # Admins fall back to the approvers (bot.permissions): say where the saver went.
        where = admins if getattr(after, admins) else approvers
        problems[where] = (
            "Keep yourself in this list: you would no longer be able to change settings."
        )
    return clean, problems


async def save(
    store: Store,
    workspaces: SettingsHost,
    key: str,
    changes: Mapping[str, Any],
    by: str,
    *,
    platform: Platform = "slack",
    aliases: Iterable[str] = (),
) -> list[str]:
    """Store the workspace's ``changes`` (setting name to value) if all are valid, and
    make them take effect at once; returns the problems (then nothing is stored).
    ``by`` (and ``aliases``) name the admin on ``platform``, as :func:`check` takes them.

    A value equal to the environment's, or :data:`USE_DEFAULT`, clears the stored one, so
    the workspace follows the environment again when the deployment changes it."""
    defaults = workspaces.settings
    scoped = store.for_workspace(key)
    stored = await scoped.workspace_settings()
    current = apply_overrides(defaults, stored)
    clean, problems = check(
        changes, current, defaults, by, platform=platform, aliases=tuple(aliases)
    )
    if problems:
        return list(problems.values())
    for name, value in clean.items():
        if value is USE_DEFAULT or value == getattr(defaults, name):
            if name in stored:
                await scoped.clear_workspace_setting(name)
        elif name not in stored or stored[name] != value:
            await scoped.set_workspace_setting(name, value, by)
    await workspaces.forget(key)
    return []


@dataclass(frozen=True)
class Current:
    """A setting's value now, and whether it is the environment's (the default)."""

    editable: Editable
    value: Any
    is_default: bool


async def current_values(store: Store, workspaces: SettingsHost, key: str) -> list[Current]:
    """Each editable setting of the workspace as it is now, for a front end to show."""
    stored = await store.for_workspace(key).workspace_settings()
    settings = apply_overrides(workspaces.settings, stored)
    return [Current(e, getattr(settings, e.name), e.name not in stored) for e in EDITABLE]


@dataclass(frozen=True)
class SettingsEditor:
    """One workspace's editable settings, bound to it: what a front end's listener holds
    (bot.services ``settings_editor``) to show them and save changes."""

    store: Store
    workspaces: SettingsHost
    key: str

    async def settings(self) -> Settings:
        """The workspace's settings as stored now (perhaps newer than its services')."""
        return await self.workspaces.settings_for(self.key)

    async def current(self) -> list[Current]:
        """Each editable setting as it is now (see :func:`current_values`)."""
        return await current_values(self.store, self.workspaces, self.key)

    async def save(
        self,
        changes: Mapping[str, Any],
        by: str,
        *,
        platform: Platform = "slack",
        aliases: Iterable[str] = (),
    ) -> list[str]:
        """Store and apply ``changes`` (see :func:`save`)."""
        return await save(
            self.store,
            self.workspaces,
            self.key,
            changes,
            by,
            platform=platform,
            aliases=aliases,
        )


def as_built(
    settings: Settings, editor: SettingsEditor | None, editables: Iterable[Editable] = EDITABLE
) -> list[Current]:
    """The values as a workspace's services have them (``settings``), with no database
    call: a value is the default when it is the environment's (save stores only values
    that differ)."""
    defaults = editor.workspaces.settings if editor is not None else settings
    return [
        Current(
            e, getattr(settings, e.name), getattr(settings, e.name) == getattr(defaults, e.name)
        )
        for e in editables
    ]


async def current_or_built(
    settings: Settings, editor: SettingsEditor | None, editables: Iterable[Editable] = EDITABLE
) -> list[Current]:
    """The values as stored now (another process may have saved since the services were
    built), else, when the database is slow or away, :func:`as_built`: the form is still
    worth showing with what the services have."""
    if editor is not None:
        try:
            return await asyncio.wait_for(editor.current(), READ_BUDGET_SECONDS)
        except Exception as exc:
            log.warning("could not read the stored settings: %s", type(exc).__name__)
    return as_built(settings, editor, editables)


def apply_overrides(settings: Settings, overrides: dict[str, Any]) -> Settings:
    """``settings`` with a workspace's stored values on top; names it does not know are
    ignored (a setting removed from the code must not stop a workspace)."""
    known = {name: value for name, value in overrides.items() if name in Settings.model_fields}
    return settings.model_copy(update=known) if known else settings
