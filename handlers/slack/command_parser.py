"""Parsing the text of ``/badge`` (sent with ``should_escape: true``) into its parts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_GROUP = re.compile(r"<!subteam\^([A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>")
_BROADCAST = re.compile(r"<!(channel|here|everyone)(?:\|[^>]*)?>")
_SEPARATOR = re.compile(r"(?:\s+|,|\band\b|&amp;)+")


@dataclass(frozen=True)
class UserGroupRef:
    """A user group mentioned as ``<!subteam^S1|@platform>``."""

    id: str
    handle: str


@dataclass
class ParsedCommand:
    """What ``/badge`` was asked: the verb, the leading mentions and the remaining text."""

    verb: str
    users: list[str] = field(default_factory=list)
    user_labels: dict[str, str] = field(default_factory=dict)
    groups: list[UserGroupRef] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    broadcasts: list[str] = field(default_factory=list)
    rest: str = ""
    #: True for ``/badge @user ...``, written without the word "give".
    shorthand: bool = False


def parse_command(text: str) -> ParsedCommand:
    """Split ``/badge`` text into verb, mentions and rest.

    ``give @a @b Team Player thanks`` and the shorthand ``@a Team Player thanks`` both give;
    any other first word is a verb (``help``, ``list``, ...) whose arguments are ``rest``.
    Mentions are read only at the start, so mentions inside the comment stay in ``rest``.
    """
    text = (text or "").strip()
    if not text:
        return ParsedCommand(verb="")
    if text.startswith("<"):
        verb, args = "give", text
    else:
        first, _, args = text.partition(" ")
        verb = first.lower()
    parsed = ParsedCommand(verb=verb, rest=args.strip(), shorthand=text.startswith("<"))
    if verb != "give":
        return parsed

    position = 0
    while True:
        gap = _SEPARATOR.match(args, position)
        start = gap.end() if gap else position
        for pattern in (_USER, _GROUP, _CHANNEL, _BROADCAST):
            match = pattern.match(args, start)
            if match:
                break
        else:
            break
        if pattern is _USER:
            user_id = match.group(1)
            if user_id not in parsed.users:
                parsed.users.append(user_id)
            if match.group(2):
                parsed.user_labels[user_id] = match.group(2)
        elif pattern is _GROUP:
            handle = (match.group(2) or match.group(1)).lstrip("@")
            parsed.groups.append(UserGroupRef(match.group(1), handle))
        elif pattern is _CHANNEL:
            parsed.channels.append(match.group(1))
        else:
            parsed.broadcasts.append(match.group(1))
        position = match.end()
    parsed.rest = args[position:].strip()
    return parsed
