"""One pretend Slack workspace of the page and the bot that serves it: its members and
messages (playground.workspace), its Web API (playground.slack_api), and the signed
requests it sends that bot, as Slack sends an app's requests."""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import httpx
from slack_sdk.signature import SignatureVerifier

from playground.slack_api import SlackApi
from playground.workspace import CHANNELS, USERGROUPS, Workspace


def to_slack_text(typed: str, workspace: Workspace) -> str:
    """What Slack sends for typed text with ``should_escape``: &, < and > escaped, and
    @name, @group, @channel and #channel turned into references."""
    text = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    by_name = {p.name: p for p in workspace.people.values()}
    groups = {handle: gid for gid, (handle, _) in USERGROUPS.items()}
    channels = {name: cid for cid, name in CHANNELS.items()}

    def mention(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        if name in ("channel", "here", "everyone"):
            return f"<!{name}>"
        if name in by_name:
            return f"<@{by_name[name].id}|{name}>"
        if name in groups:
            return f"<!subteam^{groups[name]}|@{name}>"
        return match.group(0)

    text = re.sub(r"(?<![\w@])@([A-Za-z][\w.\-]*)", mention, text)
    return re.sub(
        r"(?<![\w#])#([a-z][\w\-]*)",
        lambda m: (
            f"<#{channels[m.group(1)]}|{m.group(1)}>" if m.group(1) in channels else m.group(0)
        ),
        text,
    )


#: What the page hears from the bot before the bot has started (the page is up first).
STILL_STARTING = "badgebot is still starting; try again in a moment"


def still_starting() -> httpx.Response:
    """The answer for a request sent before the bot listens, instead of a 500."""
    return httpx.Response(503, text=STILL_STARTING)


@dataclass
class SlackTeam:
    """A workspace on the page: who is in it, which app id its requests carry, and the
    bot (at ``bot_url``, with its signing secret) they are sent to.

    ``installed`` is False for a workspace that has not added badgebot yet: the page then
    offers "Add to Slack", and sends the bot nothing from it.
    """

    team_id: str
    name: str
    workspace: Workspace
    signing_secret: str
    app_id: str = "A1"
    installed: bool = True
    bot_url: str = ""
    api: SlackApi = field(init=False)

    def __post_init__(self) -> None:
        self.api = SlackApi(self.workspace, self.team_id, self.name)
        self._verifier = SignatureVerifier(self.signing_secret)
        self._http = httpx.AsyncClient(timeout=10)

    @property
    def domain(self) -> str:
        """The workspace's Slack domain, as payloads carry it."""
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")

    def user(self, user: str) -> dict[str, str]:
        """A payload's ``user``."""
        return {"id": user, "username": self.workspace.name_of(user), "team_id": self.team_id}

    def team(self) -> dict[str, str]:
        """A payload's ``team``."""
        return {"id": self.team_id, "domain": self.domain}

    async def send(self, body: str, content_type: str) -> httpx.Response:
        """POST a body to the bot's ``/slack/events``, signed as Slack signs it."""
        if not self.bot_url:
            return still_starting()
        ts = str(int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": self._verifier.generate_signature(timestamp=ts, body=body),
        }
        return await self._http.post(f"{self.bot_url}/slack/events", content=body, headers=headers)

    async def interactive(self, payload: dict[str, Any]) -> httpx.Response:
        """An interaction payload (button, form, shortcut), form-encoded as Slack sends it."""
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return await self.send(body, "application/x-www-form-urlencoded")

    async def aclose(self) -> None:
        """Close the client that talks to the bot."""
        await self._http.aclose()
