"""The platform-independent services of one process, built from the settings."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from api import QuantiveClient, RetryPolicy, build_http_client
from bot.awards import AwardService
from bot.catalogue import Catalogue
from bot.give_limits import GiveLimit
from bot.holdings import HoldingsIndex
from bot.identity import IdentityResolver
from bot.outbox import Outbox
from bot.people import PeopleDirectory
from bot.permissions import Permissions
from bot.ports import NoticeBoard
from bot.settings import Settings
from bot.store import Store

if TYPE_CHECKING:
    from bot.workspace_settings import SettingsEditor


@dataclass
class Services:
    """Everything a front end needs; build with :meth:`create`, close with :meth:`aclose`."""

    settings: Settings
    store: Store
    quantive: QuantiveClient
    catalogue: Catalogue
    identities: IdentityResolver
    awards: AwardService
    permissions: Permissions
    holdings: HoldingsIndex
    people: PeopleDirectory
    #: The running front ends' notices; each subscribes when it starts.
    notices: NoticeBoard
    #: Chat posts kept for a retry; each front end registers its platform's sender.
    outbox: Outbox
    #: Whether :meth:`aclose` closes the store: a workspace's services share their
    #: process's store, which its owner closes.
    owns_store: bool = True
    #: Shows and changes this workspace's settings (bot.workspace_settings); set by
    #: bot.workspace_services, None for services built without it (Socket Mode, the clock).
    settings_editor: SettingsEditor | None = None

    @classmethod
    def create(
        cls,
        settings: Settings,
        *,
        http: httpx.AsyncClient | None = None,
        store: Store | None = None,
    ) -> Services:
        """Build the services; must run inside the event loop that will use them.

        ``store`` is a shared store (one workspace's view of it) that the caller closes;
        without it the services open their own from DATABASE_URL."""
        token = settings.quantive_api_token
        http = http or build_http_client(
            settings.quantive_api_url,
            token.get_secret_value() if token else "",
            settings.quantive_account_id or "",
            timeout=settings.quantive_timeout,
            max_connections=settings.quantive_max_concurrency,
        )
        quantive = QuantiveClient(
            http,
            retry=RetryPolicy(
                max_retries=settings.quantive_max_retries,
                backoff_base=settings.quantive_backoff_base,
                backoff_cap=settings.quantive_backoff_cap,
            ),
            teams_path=settings.quantive_teams_path,
            max_concurrency=settings.quantive_max_concurrency,
            deadline=settings.quantive_timeout,
        )
        owns_store = store is None
        store = store or Store(settings.database)
        permissions = Permissions.of(settings)
        identities = IdentityResolver(store, quantive, settings.identity_cache_ttl)
        catalogue = Catalogue(quantive, settings.catalogue_cache_ttl)
        return cls(
            settings=settings,
            store=store,
            quantive=quantive,
            catalogue=catalogue,
            identities=identities,
            awards=AwardService(
                quantive,
                store,
                identities,
                permissions,
                notification_strategy=settings.quantive_notification_strategy,
                retry_base=settings.outbox_retry_base,
                retry_cap=settings.outbox_retry_cap,
                settle_seconds=settings.quantive_settle_seconds,
                approval_mode=settings.badge_approval,
                give_limit=GiveLimit.from_setting(
                    settings.badge_give_limit,
                    settings.digest_timezone,
                    settings.badge_give_limit_exempt,
                )
                if settings.badge_give_limit
                else None,
                known_awards_only=settings.distributed,
            ),
            permissions=permissions,
            holdings=HoldingsIndex(quantive, catalogue, settings.catalogue_cache_ttl),
            people=PeopleDirectory(quantive),
            notices=NoticeBoard(),
            outbox=Outbox(
                store,
                retry_base=settings.outbox_retry_base,
                retry_cap=settings.outbox_retry_cap,
                settle_seconds=settings.outbox_settle_seconds,
            ),
            owns_store=owns_store,
        )

    async def aclose(self) -> None:
        """Close the HTTP client, and the database when these services opened it."""
        await self.quantive.aclose()
        if self.owns_store:
            await self.store.aclose()


def give_slots(settings: Settings) -> asyncio.Semaphore:
    """Room for twice as many gives as Quantive requests in flight
    (QUANTIVE_MAX_CONCURRENCY): more would only wait for Quantive while they crowd the
    event loop. Measured with bench.give_throughput, 20 senders flooding one process on
    PostgreSQL: unbounded, ack p99 2.05 s; 8 slots 174 ms; 32 (the default) 210 ms and the
    most gives per second; 64, 504 ms.
    """
    return asyncio.Semaphore(2 * settings.quantive_max_concurrency)
