"""The turn of an incoming Teams activity: who sent it and the reference of the
conversation it came from, read from the wire JSON and kept only when Teams could have
sent its ids."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from bot.store import ConversationRef
from handlers.teams.context import Turn
from handlers.teams.directory import Sender, is_plausible_teams_id

log = logging.getLogger(__name__)


def make_turn(activity: dict[str, Any]) -> Turn | None:
    """The turn of an activity, if it names a sender and a conversation."""
    ref = conversation_ref(activity)
    sender = activity.get("from") or {}
    if ref is None or not isinstance(sender, dict) or not sender.get("id"):
        return None
    activity_id = activity.get("id")
    if not is_plausible_teams_id(sender["id"]) or (
        activity_id is not None and not is_plausible_teams_id(activity_id)
    ):
        # Teams never sends such ids; they would reach the store and connector URLs.
        log.warning("ignored a Teams activity whose ids Teams could not have sent")
        return None
    aad = sender.get("aadObjectId")
    who = Sender(
        user_id=sender["id"],
        name=str(sender.get("name") or "someone"),
        aad_object_id=aad if is_plausible_teams_id(aad) else None,
    )
    if ref.kind == "personal":
        ref = dataclasses.replace(ref, user_id=who.user_id)
    return Turn(activity=activity, sender=who, ref=ref)


def conversation_ref(activity: dict[str, Any]) -> ConversationRef | None:
    """The reference of the conversation ``activity`` came from, if it names one."""
    conversation = activity.get("conversation") or {}
    service_url = activity.get("serviceUrl")
    if not isinstance(conversation, dict) or not service_url or not conversation.get("id"):
        return None
    if not is_plausible_teams_id(conversation["id"]):
        log.warning("ignored a Teams activity from a conversation id Teams could not have sent")
        return None
    kind = str(conversation.get("conversationType") or "personal")
    tenant = conversation.get("tenantId") or (
        (activity.get("channelData") or {}).get("tenant") or {}
    ).get("id")
    return ConversationRef(
        conversation_id=str(conversation["id"]),
        kind=kind,
        service_url=str(service_url),
        # Stored with the reference: kept only when Teams could have sent it.
        tenant_id=str(tenant) if is_plausible_teams_id(tenant) else "",
    )
