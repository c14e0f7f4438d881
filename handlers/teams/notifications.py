"""Everything the bot posts in Teams about an award: approval cards, 1:1 notices, the
celebration, and the in-place updates (``PUT .../activities/{id}``) of every card that
showed an award once it is decided. Proactive messages use the conversation references
the bot keeps from every activity it receives.

A notice that still fails after the connector's in-call retries is kept in the chat
outbox (bot.outbox) and retried by the worker, as Slack's are; this notifier is the
outbox's sender for Teams. One whose answer was lost is given up as uncertain and logged:
the Bot Connector has no way to look for it, and sending it again could double it."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.awards import Award
from bot.effects import effects
from bot.outbox import Failure, Lookup, Operation, Outbox, with_key
from bot.ports import audience, notice_key
from bot.settings import Settings
from bot.store import ConversationRef, Store
from handlers.teams import cards
from handlers.teams.connector import ConnectorError, TeamsConnector
from handlers.teams.directory import TeamsDirectory

log = logging.getLogger(__name__)

#: Redraws a digest card (conversation, activity id) after one of its awards changed.
DigestRedraw = Callable[[str, str], Awaitable[None]]


class Unreachable(Exception):
    """The bot cannot write to this person: the app is not installed for them, or they
    are listed by an email the bot has never seen in Teams."""


class TeamsNotifier:
    """Posts and updates award cards in Teams."""

    def __init__(
        self,
        settings: Settings,
        connector: TeamsConnector,
        directory: TeamsDirectory,
        store: Store,
        redraw_digest: DigestRedraw,
        outbox: Outbox | None = None,
        *,
        tenant_id: str | None = None,
    ) -> None:
        self._settings = settings
        #: The tenant whose people this notifier writes to: the activity's tenant in
        #: multi-tenant mode, else the bot's home tenant (TEAMS_TENANT_ID).
        self._tenant_id = tenant_id or settings.teams_tenant_id or ""
        self.connector = connector
        self._directory = directory
        self._store = store
        self._redraw_digest = redraw_digest
        self._outbox = outbox
        if outbox is not None:
            outbox.register("teams", self)

    async def where(self, conversation_id: str) -> ConversationRef:
        """The reference of a conversation, with the default connector when never seen."""
        ref = await self._store.conversation(conversation_id)
        return ref or ConversationRef(
            conversation_id=conversation_id,
            kind="channel",
            service_url=self._settings.teams_service_url,
            tenant_id=self._tenant_id,
        )

    async def post(
        self, ref: ConversationRef, activity: dict[str, Any], record: tuple[str, str] | None = None
    ) -> str:
        """Send into a conversation; ``record`` = (assignment id, kind) remembers the
        message so that it is updated when the award changes."""
        activity_id = await self.connector.send(ref.service_url, ref.conversation_id, activity)
        if record is not None and activity_id:
            await self._store.add_message(
                record[0], ref.conversation_id, activity_id, record[1], platform="teams"
            )
        return activity_id

    async def personal(self, user_key: str) -> ConversationRef:
        """The 1:1 chat with a person (by ``29:`` id, email or Azure AD object id), opened
        when the bot never wrote there. Raises Unreachable."""
        user_id = user_key if user_key.startswith("29:") else None
        if user_id is None:
            user_id = await self._directory.user_id_for(user_key.lower())
        if user_id is not None:
            ref = await self._store.personal_conversation(user_id)
            if ref is not None:
                return ref
        if user_id is None and "@" in user_key:
            raise Unreachable(f"{user_key} has not used badgebot in Teams yet")
        member = user_id or user_key  # an Azure AD object id opens a chat too
        tenant = self._tenant_id
        service_url = self._settings.teams_service_url
        try:
            conversation_id = await self.connector.create_personal(service_url, tenant, member)
        except ConnectorError as exc:
            if exc.unreachable:
                raise Unreachable("badgebot is not installed for them in Teams") from None
            raise
        ref = ConversationRef(conversation_id, "personal", service_url, tenant, user_id or member)
        await self._store.remember_conversation(ref)
        return ref

    async def dm(
        self,
        user_key: str,
        activity: dict[str, Any],
        record: tuple[str, str] | None = None,
        *,
        key: str | None = None,
    ) -> str:
        """A 1:1 message to a person; one that fails for a passing reason is kept in the
        outbox (and "" returned). ``key`` names the notice, so it is queued once."""
        operation = {"kind": "dm", "user": user_key, "activity": activity, "record": record}
        return await self._deliver({**operation, "key": key})

    async def _deliver(self, operation: Operation) -> str:
        """Send now; keep a passing failure in the outbox for the worker."""
        operation = with_key(operation)
        started = time.time()
        try:
            return await self.send(operation)
        except ConnectorError as exc:
            if self._outbox is None or not self.failure(exc).transient:
                raise
            await self._outbox.keep("teams", operation, self.failure(exc), started)
            return ""

    async def send(self, operation: Operation) -> str:
        """One try of a notice (the outbox's retry too): ``dm`` to a person, ``post`` to
        a conversation by id."""
        record = operation.get("record")
        where = (
            await self.personal(operation["user"])
            if operation["kind"] == "dm"
            else await self.where(operation["conversation"])
        )
        return await self.post(where, operation["activity"], tuple(record) if record else None)

    def failure(self, exc: Exception) -> Failure:
        """A failed send, read for the outbox: 429, 5xx and lost connections pass; a lost
        answer passes too, but is never sent blindly again."""
        if isinstance(exc, ConnectorError):
            passing = exc.status is None or exc.status == 429 or exc.status >= 500
            return Failure(str(exc), passing and not exc.unreachable, not exc.certain)
        return Failure(type(exc).__name__, transient=False)

    async def find(self, operation: Operation, since: float) -> Lookup:
        """The Bot Connector cannot list what the bot sent: a lost answer stays unknown."""
        return Lookup.UNKNOWN

    async def request_approval(self, award: Award) -> int:
        """Post the approval card to TEAMS_APPROVAL_CONVERSATION, or 1:1 to each approver;
        each is its own effect. Returns how many were posted."""
        message = cards.card_message(
            cards.approval_request_card(award), cards.approval_request_summary(award)
        )
        record = (award.assignment_id, "request")
        if self._settings.teams_approval_conversation:
            conversation = self._settings.teams_approval_conversation
            todo = {
                f"approval card in {conversation}": self._post_to(conversation, message, record)
            }
        else:
            todo = {
                f"approval card to approver {i + 1}": self.dm(approver, message, record)
                for i, approver in enumerate(self._settings.teams_approvers)
            }
        reached = await effects(todo)
        return sum(reached.values())

    async def _post_to(
        self,
        conversation_id: str,
        activity: dict[str, Any],
        record: tuple[str, str] | None,
        key: str | None = None,
    ) -> str:
        operation = {"kind": "post", "conversation": conversation_id, "activity": activity}
        return await self._deliver({**operation, "record": record, "key": key})

    async def announce(self, award: Award, *, celebrate: bool = True) -> list[str]:
        """Tell the recipients reached in Teams 1:1 and, with ``celebrate``, celebrate in
        the announce (or origin) conversation; each stands alone. Returns the recipients
        who could not be told."""
        dm = cards.card_message(cards.recipient_dm_card(award), cards.recipient_dm_summary(award))
        people = [r for r in award.recipients if r.chat_user_id and r.platform in (None, "teams")]
        key_part = notice_key(award)
        todo: dict[str, Awaitable[Any]] = {
            f"notice {i} to {r.name}": self.dm(
                r.chat_user_id or "", dm, key=f"notice:{key_part}:{r.chat_user_id}"
            )
            for i, r in enumerate(people)
        }
        conversation = self._settings.teams_announce_conversation or award.origin_channel
        if conversation and celebrate:
            todo["celebration"] = self._post_to(
                conversation,
                cards.card_message(cards.celebration_card(award), cards.celebration_summary(award)),
                None,
                key=f"celebration:{key_part}:{conversation}",
            )
        outcome = await effects(todo)
        return [r.name for i, r in enumerate(people) if not outcome[f"notice {i} to {r.name}"]]

    async def refresh(self, award: Award) -> None:
        """Update every Teams card that shows the award, for everyone; each on its own."""
        todo: dict[str, Awaitable[Any]] = {}
        message = cards.card_message(
            cards.approval_request_card(award), cards.approval_request_summary(award)
        )
        for ref in await self._store.messages_for(award.assignment_id):
            if ref.platform != "teams":
                continue
            if ref.kind == "digest":
                todo[f"digest {ref.ts}"] = self._redraw_digest(ref.channel, ref.ts)
                continue
            todo[f"card {ref.ts}"] = self.update(ref.channel, ref.ts, message)
        await effects(todo)

    async def update(self, conversation_id: str, activity_id: str, message: dict[str, Any]) -> None:
        """Replace a sent message for everyone in its conversation."""
        where = await self.where(conversation_id)
        await self.connector.update(where.service_url, conversation_id, activity_id, message)

    async def after_decision(self, award: Award) -> None:
        """Redraw the cards; tell the giver, and on approval the recipients, when they
        were reached in Teams, and celebrate an award given here. Each is its own
        effect."""
        todo: dict[str, Awaitable[Any]] = {"card updates": self.refresh(award)}
        told = audience(award, "teams")
        if told.giver and award.giver.chat_user_id:
            todo["notice to the giver"] = self.dm(
                award.giver.chat_user_id,
                cards.card_message(
                    cards.giver_decision_card(award), cards.giver_decision_summary(award)
                ),
            )
        if told.recipients or told.celebrate:
            todo["announcement"] = self._announce_and_report(award, celebrate=told.celebrate)
        await effects(todo)

    async def _announce_and_report(self, award: Award, *, celebrate: bool = True) -> None:
        """Announce an approved award; then tell the giver whom Teams would not let the bot
        reach (the app is not installed for them), since they would otherwise never know."""
        missed = await self.announce(award, celebrate=celebrate)
        if missed and award.giver.chat_user_id and award.giver.platform == "teams":
            await self.dm(
                award.giver.chat_user_id,
                cards.text_message(
                    f"I couldn't tell {', '.join(missed)} about the {award.badge_name} badge in "
                    "Teams (badgebot isn't installed for them), but it is theirs in Quantive."
                ),
            )
