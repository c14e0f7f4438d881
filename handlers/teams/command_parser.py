"""Parsing a message to the bot (``give @Maria Visionary thanks``) into its parts: the
twin of handlers/slack/command_parser.py. Mentions arrive as ``<at>Maria</at>`` in the
text, with ``mention`` entities carrying who each one is; a tag (``<at>Platform</at>``
whose entity's ``mentioned.type`` is ``tag``) is kept by its name, which may name a
Quantive team, and its id, by which Microsoft Graph lists its members."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from handlers.teams.directory import Sender, is_plausible_teams_id
from handlers.teams.graph import is_tag_id

_TAG = re.compile(r"<[^>]*>")
_SEPARATOR = re.compile(r"(?:\s+|,|\band\b|&)+")
_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")


@dataclass(frozen=True)
class TagMention:
    """A Teams tag mentioned (``@Platform``): its name, and its id when Teams sent one
    that is safe in a Graph path (None otherwise: it can then only name a team)."""

    name: str
    tag_id: str | None = None


@dataclass
class TeamsCommand:
    """The verb, the leading people mentioned, and the remaining text."""

    verb: str
    users: list[Sender] = field(default_factory=list)
    #: Mentions of a channel or a whole team: badges never go to those.
    channels: list[str] = field(default_factory=list)
    #: Names of the Teams tags mentioned (``@Platform``), the twin of Slack's user groups.
    tags: list[TagMention] = field(default_factory=list)
    rest: str = ""
    shorthand: bool = False


def parse_message(activity: dict[str, Any]) -> TeamsCommand:
    """Split a message into verb, leading mentions and rest, the bot's own mention removed.

    ``give @a @b Team Player thanks`` and the shorthand ``@a Team Player thanks`` both
    give; mentions later in the text stay in ``rest`` as plain names.
    """
    text = str(activity.get("text") or "")
    bot_id = str((activity.get("recipient") or {}).get("id") or "")
    mentions: list[tuple[str, Sender | TagMention]] = []
    for entity in activity.get("entities") or []:
        if not isinstance(entity, dict) or entity.get("type") != "mention":
            continue
        mentioned = entity.get("mentioned")
        if not isinstance(mentioned, dict):
            continue
        tag = str(entity.get("text") or "")
        who = str(mentioned.get("id") or "")
        if mentioned.get("type") == "tag" and tag and tag in text:
            name = html.unescape(str(mentioned.get("name") or _TAG.sub("", tag))).strip()
            tag_id = who if is_tag_id(who) else None
            mentions.append((tag, TagMention(name, tag_id)))
            text = text.replace(tag, f"\x00{len(mentions) - 1}\x00", 1)
            continue
        # A mention whose id Teams could not have sent stays plain text: its id would
        # go into a connector URL and the store.
        if not tag or not is_plausible_teams_id(who) or tag not in text:
            continue
        if who == bot_id:
            text = text.replace(tag, " ", 1)
            continue
        name = str(mentioned.get("name") or _TAG.sub("", tag))
        aad = mentioned.get("aadObjectId")
        person = Sender(who, html.unescape(name), aad if is_plausible_teams_id(aad) else None)
        mentions.append((tag, person))
        text = text.replace(tag, f"\x00{len(mentions) - 1}\x00", 1)
    # Channel messages arrive as HTML; what is left of it is formatting.
    text = " ".join(html.unescape(_TAG.sub(" ", text)).split())
    if not text:
        return TeamsCommand(verb="")
    shorthand = _PLACEHOLDER.match(text) is not None
    if shorthand:
        verb, args = "give", text
    else:
        first, _, args = text.partition(" ")
        verb = first.lower()
    command = TeamsCommand(verb=verb, shorthand=shorthand)
    position = 0
    if verb in ("give", "mine", "revoke"):
        while True:
            gap = _SEPARATOR.match(args, position)
            start = gap.end() if gap else position
            match = _PLACEHOLDER.match(args, start)
            if match is None:
                break
            sender = mentions[int(match.group(1))][1]
            if isinstance(sender, TagMention):
                if sender.name and all(t.name != sender.name for t in command.tags):
                    command.tags.append(sender)
            elif sender.user_id.startswith("19:"):
                command.channels.append(sender.name)
            elif all(u.user_id != sender.user_id for u in command.users):
                command.users.append(sender)
            position = match.end()
    rest = args[position:].strip()
    command.rest = _PLACEHOLDER.sub(lambda m: mentions[int(m.group(1))][1].name, rest)
    return command
