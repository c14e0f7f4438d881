"""The playground's pretend Slack workspace: people, channels, messages, modals, Home tabs."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from api.emulator.state import load_demo_data

BOT_USER_ID = "UBADGEBOT"
#: Slack's own voice, for what Slack says itself (a command no installed app provides).
SLACKBOT_USER_ID = "USLACKBOT"
CHANNELS = {"CGENERAL": "general", "CAPPROVALS": "approvals", "CKUDOS": "kudos"}
#: User groups: @platform matches a Quantive team; @oncall does not, so its members get it.
USERGROUPS = {
    "SPLATFORM": ("platform", ["ULIAM", "USOFIA", "UNOAH"]),
    "SONCALL": ("oncall", ["UPRIYA", "UKENJI", "UJONAS"]),
}


@dataclass
class Person:
    """A workspace member."""

    id: str
    name: str
    real_name: str
    email: str
    approver: bool = False


@dataclass
class Message:
    """A message in a channel or DM; ``ephemeral_to`` limits who sees it."""

    ts: str
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    ephemeral_to: str | None = None
    seq: int = 0


@dataclass
class Modal:
    """The modal open for one person, with the field errors the bot last returned."""

    view: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


def demo_people(approvers: list[str]) -> list[Person]:
    """The emulator's demo organisation as Slack members (UMARIA, ULIAM, ...)."""
    people = []
    for user in load_demo_data()["users"]:
        user_id = "U" + user["firstName"].upper()
        people.append(
            Person(
                user_id,
                user["firstName"].lower(),
                user["name"],
                user["email"].lower(),
                approver=user_id in approvers,
            )
        )
    return people


class Workspace:
    """All state; thread-safe, and versioned so the page knows when to redraw."""

    def __init__(self, people: list[Person]) -> None:
        self.people = {p.id: p for p in people}
        self.messages: list[Message] = []
        self.modals: dict[str, Modal] = {}
        self.homes: dict[str, dict[str, Any]] = {}
        self.last_read: dict[tuple[str, str], int] = {}
        self.version = 0
        self._lock = threading.RLock()
        self._ts = itertools.count(1)

    def _changed(self) -> None:
        self.version += 1

    def _next(self) -> tuple[int, str]:
        seq = next(self._ts)
        return seq, f"{int(time.time())}.{seq:06d}"

    def name_of(self, user_id: str) -> str:
        """A member's short name, or the id."""
        if user_id == BOT_USER_ID:
            return "badgebot"
        if user_id == SLACKBOT_USER_ID:
            return "Slackbot"
        person = self.people.get(user_id)
        return person.name if person else user_id

    def channel_name(self, channel: str) -> str:
        """``#general`` or ``badgebot`` for a DM."""
        return "#" + CHANNELS[channel] if channel in CHANNELS else "badgebot (DM)"

    # --- changes --------------------------------------------------------------------

    def post(
        self,
        channel: str,
        user: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        ephemeral_to: str | None = None,
    ) -> Message:
        """Add a message."""
        with self._lock:
            seq, ts = self._next()
            message = Message(ts, channel, user, text, blocks, ephemeral_to, seq)
            self.messages.append(message)
            self._changed()
            return message

    def update(
        self, channel: str, ts: str, text: str | None, blocks: list[dict[str, Any]] | None
    ) -> bool:
        """Replace a message's content in place."""
        with self._lock:
            for message in self.messages:
                if message.channel == channel and message.ts == ts:
                    message.text = text or message.text
                    message.blocks = blocks
                    self._changed()
                    return True
            return False

    def delete(self, channel: str, ts: str) -> None:
        """Remove a message."""
        with self._lock:
            self.messages = [m for m in self.messages if not (m.channel == channel and m.ts == ts)]
            self._changed()

    def open_modal(self, user: str, view: dict[str, Any]) -> None:
        """Show a modal to a person."""
        with self._lock:
            self.modals[user] = Modal(view)
            self._changed()

    def close_modal(self, user: str, errors: dict[str, str] | None = None) -> None:
        """Close a person's modal, or keep it open with field errors."""
        with self._lock:
            if errors and user in self.modals:
                self.modals[user].errors = errors
            else:
                self.modals.pop(user, None)
            self._changed()

    def publish_home(self, user: str, view: dict[str, Any]) -> None:
        """Set a person's Home tab."""
        with self._lock:
            self.homes[user] = view
            self._changed()

    def touch(self) -> None:
        """Have the page redraw, for a change outside the workspace (an install)."""
        with self._lock:
            self._changed()

    def mark_read(self, user: str, channel: str) -> None:
        """Everything in the channel counts as read by the person."""
        with self._lock:
            self.last_read[(user, channel)] = max((m.seq for m in self.messages), default=0)

    # --- reading --------------------------------------------------------------------

    def conversations(self, user: str) -> list[tuple[str, str]]:
        """(id, name) of what the person sees in the sidebar."""
        return [*CHANNELS.items(), ("D" + user, "badgebot")]

    def visible(self, user: str, channel: str) -> list[Message]:
        """The messages the person sees in a conversation."""
        with self._lock:
            return [
                m
                for m in self.messages
                if m.channel == channel and (m.ephemeral_to is None or m.ephemeral_to == user)
            ]

    def unread(self, user: str, channel: str) -> int:
        """How many messages arrived since the person last looked."""
        seen = self.last_read.get((user, channel), 0)
        return sum(1 for m in self.visible(user, channel) if m.seq > seen and m.user != user)
