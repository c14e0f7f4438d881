"""The services of every workspace a process serves (keys: bot.workspaces), each built
from the workspace's Quantive connection and settings over one shared store."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.secrets import SecretBox, SecretKeyError
from bot.services import Services
from bot.settings import Settings
from bot.store import Store
from bot.workspace_settings import SettingsEditor, apply_overrides
from bot.workspaces import DEFAULT_WORKSPACE

log = logging.getLogger(__name__)

#: How soon the stored settings are read again after the database failed to answer.
RETRY_SECONDS = 5.0

#: How long replaced services stay open for the requests that still hold them.
RETIRE_SECONDS = 60.0


@dataclass
class _Built:
    """A workspace's services, what they were built from, and when that was last read."""

    services: Services
    fingerprint: tuple[Any, str]
    read_at: float


class NotConnected(Exception):
    """The workspace is installed but has no Quantive connection yet (or its stored token
    can no longer be read); nothing may call Quantive for it."""


class Workspaces:
    """The core's services of every workspace this process serves, built on first use.

    In the single-workspace mode there is one, from the environment, whatever key is
    asked for. Otherwise each workspace's services come from its Quantive connection and
    its settings (the environment's are the defaults), over one shared store; they are
    kept for ``ttl`` seconds, so a change made by another process is seen within that
    time, and at once in the process that made it (:meth:`forget`).
    """

    def __init__(self, settings: Settings, store: Store, *, ttl: float = 30.0) -> None:
        self.settings = settings
        self.store = store
        self._ttl = ttl
        self._box = SecretBox(settings.secret_key) if settings.distributed else None
        self._built: dict[str, _Built] = {}
        self._retiring: dict[asyncio.Task[None], Services] = {}
        self._building: dict[str, asyncio.Lock] = {}
        #: Called with each workspace's services when they are built, so the front ends
        #: can subscribe to its notices and register their outbox senders.
        self.on_built: list[Callable[[str, Services], None]] = []

    @property
    def distributed(self) -> bool:
        """Whether each workspace has its own connection (else one from the environment)."""
        return self._box is not None

    async def services(self, key: str) -> Services:
        """The workspace's services; NotConnected when it has no usable connection.

        Its connection and settings are read again once ``ttl`` seconds have passed, and
        the services rebuilt only when either changed. In the single-workspace mode every
        key is the default workspace's, whose stored settings lie over the environment's
        as a workspace's do: admins change them without a deploy there too."""
        if self._box is None:
            key = DEFAULT_WORKSPACE
        kept = self._built.get(key)
        if kept is not None and time.monotonic() - kept.read_at < self._ttl:
            return kept.services
        async with self._building.setdefault(key, asyncio.Lock()):
            kept = self._built.get(key)
            if kept is not None and time.monotonic() - kept.read_at < self._ttl:
                return kept.services
            if self._box is None:
                return await self._single_services(kept)
            scoped = self.store.for_workspace(key)
            row = await scoped.connection()
            overrides = await scoped.workspace_settings()
            fingerprint = (row, _fingerprint(overrides))
            unchanged = self._unchanged(key, kept, fingerprint)
            if unchanged is not None:
                return unchanged
            if row is None:
                raise NotConnected(key)
            return self._build(key, scoped, row, overrides, fingerprint)

    async def settings_for(self, key: str) -> Settings:
        """The workspace's settings: the environment's, with its own stored on top."""
        if self._box is None:
            key = DEFAULT_WORKSPACE
        scoped = self.store.for_workspace(key)
        return apply_overrides(self.settings, await scoped.workspace_settings())

    async def seed_first_admins(self, key: str, who: str, names: tuple[str, ...]) -> None:
        """Make ``who`` (the person who connected the workspace) its first admin and
        approver, under each of ``names`` (the platform's settings) that neither the store
        nor the environment fills yet, so that someone can approve; admins change it
        later."""
        scoped = self.store.for_workspace(key)
        stored = await scoped.workspace_settings()
        settings = apply_overrides(self.settings, stored)
        for name in names:
            if name not in stored and not getattr(settings, name):
                await scoped.set_workspace_setting(name, [who], who)

    async def connected(self) -> list[str]:
        """The keys of every workspace that has a Quantive connection."""
        if self._box is None:
            return [DEFAULT_WORKSPACE]
        return await self.store.connected_workspaces()

    async def forget(self, key: str) -> None:
        """Drop the workspace's services, so the next use reads its connection and
        settings again (after connect, disconnect, a settings change, an uninstall)."""
        kept = self._built.pop(DEFAULT_WORKSPACE if self._box is None else key, None)
        if kept is not None:
            self._retire(kept.services)

    async def aclose(self) -> None:
        """Close every workspace's HTTP clients (the shared store is its owner's)."""
        for task, services in list(self._retiring.items()):
            # Closed now rather than after their grace: the process is ending.
            task.cancel()
            await services.aclose()
        for kept in self._built.values():
            await kept.services.aclose()
        self._built.clear()

    async def _single_services(self, kept: _Built | None) -> Services:
        """The one workspace's services, from the environment and its stored settings."""
        try:
            overrides = await self.store.workspace_settings()
        except Exception as exc:
            # The database is down: serve on with what was read last (or the environment
            # alone), and read again a few seconds later rather than after a whole TTL;
            # not at every request, which would each wait out the connect timeout.
            log.warning("could not read the stored settings: %s", type(exc).__name__)
            if kept is None:
                kept = self._keep(DEFAULT_WORKSPACE, self.settings, self.store, None)
            kept.read_at = time.monotonic() - self._ttl + min(self._ttl, RETRY_SECONDS)
            return kept.services
        fingerprint = (None, _fingerprint(overrides))
        unchanged = self._unchanged(DEFAULT_WORKSPACE, kept, fingerprint)
        if unchanged is not None:
            return unchanged
        settings = apply_overrides(self.settings, overrides)
        return self._keep(DEFAULT_WORKSPACE, settings, self.store, fingerprint).services

    def _unchanged(
        self, key: str, kept: _Built | None, fingerprint: tuple[Any, str]
    ) -> Services | None:
        """The kept services, read again just now, when what they were built from is
        unchanged; else None, with the kept ones (if any) retired for a rebuild. Both
        modes' rebuilds take this step, so they agree on when services are replaced."""
        if kept is None:
            return None
        if kept.fingerprint == fingerprint:
            kept.read_at = time.monotonic()
            return kept.services
        self._retire(self._built.pop(key).services)
        return None

    def _keep(
        self, key: str, settings: Settings, store: Store, fingerprint: tuple[Any, str] | None
    ) -> _Built:
        """Build the workspace's services, tell the front ends, and keep them."""
        services = Services.create(settings, store=store)
        services.settings_editor = SettingsEditor(self.store, self, key)
        for hook in self.on_built:
            hook(key, services)
        # No fingerprint (the settings could not be read): any read differs, so rebuilds.
        kept = _Built(services, fingerprint or (None, ""), time.monotonic())
        self._built[key] = kept
        return kept

    def _build(
        self,
        key: str,
        scoped: Store,
        row: Any,
        overrides: dict[str, Any],
        fingerprint: tuple[Any, str],
    ) -> Services:
        # Imported here: only distribution mode reads stored connections.
        from bot.connections import quantive_settings_for

        assert self._box is not None
        try:
            quantive = quantive_settings_for(row, self._box)
        except SecretKeyError:
            log.error("the stored Quantive token of %s cannot be decrypted", key)
            raise NotConnected(key) from None
        settings = apply_overrides(self.settings, overrides).model_copy(update=quantive)
        return self._keep(key, settings, scoped, fingerprint).services

    def _retire(self, services: Services) -> None:
        """Close replaced services once the requests still using them are done."""

        async def close_later() -> None:
            await asyncio.sleep(RETIRE_SECONDS)
            await services.aclose()

        task = asyncio.create_task(close_later())
        self._retiring[task] = services
        task.add_done_callback(lambda done: self._retiring.pop(done, None))


def _fingerprint(overrides: dict[str, Any]) -> str:
    return json.dumps(overrides, sort_keys=True, default=str)
