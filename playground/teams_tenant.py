"""The playground's pretend Teams tenant: people, the bot's 1:1 chats, a team with
channels, messages (text or an Adaptive Card), each person's open dialog."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from api.emulator.state import load_demo_data

APP_ID = "00000000-0000-4000-8000-00000000b0b0"
BOT_ID = f"28:{APP_ID}"
TENANT_ID = "00000000-0000-4000-8000-0000000ac3e0"
TEAM_CHANNELS = {
    "19:general@thread.tacv2": "General",
    "19:approvals@thread.tacv2": "Approvals",
    "19:kudos@thread.tacv2": "Kudos",
}


@dataclass
class TeamsPerson:
    """A member of the tenant: ``29:`` id, first name (what @ matches), full name, email
    and Azure AD object id."""

    id: str
    first: str
    name: str
    email: str
    aad: str
    approver: bool = False

    @property
    def personal(self) -> str:
        """The conversation id of their 1:1 chat with the bot."""
        return f"a:{self.id.removeprefix('29:')}"


@dataclass
class TeamsMessage:
    """A message: a person's text, or the bot's text or card. ``replaced_for`` holds the
    card an invoke answer showed one person until the next update for everyone."""

    id: str
    conversation: str
    sender: str
    text: str = ""
    card: dict[str, Any] | None = None
    replaced_for: dict[str, dict[str, Any]] = field(default_factory=dict)
    seq: int = 0


@dataclass
class Dialog:
    """A message extension dialog open for one person."""

    title: str
    card: dict[str, Any]
    conversation: str
    context: str


def demo_teams_people(approver_emails: list[str]) -> list[TeamsPerson]:
    """The emulator's demo organisation as Teams users (29:maria, ...)."""
    people = []
    for user in load_demo_data()["users"]:
        first = user["firstName"].lower()
        email = user["email"].lower()
        people.append(
            TeamsPerson(
                f"29:{first}", first, user["name"], email, f"aad-{first}", email in approver_emails
            )
        )
    return people


#: The tenant's tags (``@Platform``): the demo organisation's Quantive teams, and one no
#: Quantive team is named like. The page's chats belong to no team (no
#: ``channelData.team``), so the bot says it cannot read that tag's members from Microsoft
#: Graph here and asks for the people instead.
DEMO_TAGS = ("Platform", "Design", "Night-Shift")


class TeamsTenant:
    """All Teams state; thread-safe, and versioned so the page knows when to redraw."""

    def __init__(self, people: list[TeamsPerson], tags: tuple[str, ...] = DEMO_TAGS) -> None:
        self.people = {p.id: p for p in people}
        self.tags = tags
        #: Files the bot uploaded to a person's pretend OneDrive (the export), by name.
        self.files: dict[str, bytes] = {}
        self.messages: list[TeamsMessage] = []
        self.dialogs: dict[str, Dialog] = {}
        self.version = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def person(self, key: str) -> TeamsPerson | None:
        """A person by ``29:`` id, Azure AD object id or 1:1 conversation id."""
        for person in self.people.values():
            if key in (person.id, person.aad, person.personal):
                return person
        return None

    def by_first_name(self, first: str) -> TeamsPerson | None:
        """A person by the first name typed after @, ignoring case."""
        return next((p for p in self.people.values() if p.first == first.lower()), None)

    def tag(self, word: str) -> str | None:
        """A tag by the word typed after @, ignoring case."""
        return next((t for t in self.tags if t.lower() == word.lower()), None)

    def conversations(self, user: str) -> list[tuple[str, str]]:
        """What the person's sidebar lists: their chat with badgebot, then the channels."""
        person = self.people[user]
        return [(person.personal, "badgebot"), *TEAM_CHANNELS.items()]

    def name_of(self, conversation: str) -> str:
        """A conversation's title."""
        if conversation in TEAM_CHANNELS:
            return f"Acme / {TEAM_CHANNELS[conversation]}"
        return "Chat with badgebot"

    def post(
        self, conversation: str, sender: str, text: str = "", card: dict[str, Any] | None = None
    ) -> str:
        """Add a message; returns its id."""
        with self._lock:
            message_id = f"1{next(self._ids):012d}"
            self.version += 1
            self.messages.append(
                TeamsMessage(message_id, conversation, sender, text, card, seq=self.version)
            )
            return message_id

    def update(
        self, conversation: str, message_id: str, text: str, card: dict[str, Any] | None
    ) -> bool:
        """Replace a message for everyone (the connector's PUT)."""
        with self._lock:
            for message in self.messages:
                if message.id == message_id and message.conversation == conversation:
                    message.text, message.card = text, card
                    message.replaced_for.clear()
                    self.version += 1
                    return True
        return False

    def replace_for(self, user: str, message_id: str, card: dict[str, Any]) -> None:
        """Show ``card`` instead of a message's card to one person (an invoke's answer)."""
        with self._lock:
            for message in self.messages:
                if message.id == message_id:
                    message.replaced_for[user] = card
                    self.version += 1

    def visible(self, conversation: str) -> list[TeamsMessage]:
        """The conversation's messages, oldest first."""
        with self._lock:
            return [m for m in self.messages if m.conversation == conversation]

    def message(self, message_id: str) -> TeamsMessage | None:
        """One message by id."""
        with self._lock:
            return next((m for m in self.messages if m.id == message_id), None)

    def open_dialog(self, user: str, dialog: Dialog | None) -> None:
        """Open (or, with None, close) the person's dialog."""
        with self._lock:
            if dialog is None:
                self.dialogs.pop(user, None)
            else:
                self.dialogs[user] = dialog
            self.version += 1
