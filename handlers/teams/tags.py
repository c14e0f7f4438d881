"""Who a Teams tag mention gives to, as Slack's user groups do (handlers.slack.give_flow's
``expand_groups``): the Quantive team named like the tag, else each member of the tag,
read from Microsoft Graph and resolved like a mentioned person."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from api.models import Team
from bot.awards import GiveRefused
from bot.identity import ChatProfile
from handlers.teams.command_parser import TagMention
from handlers.teams.context import TeamsContext, Turn
from handlers.teams.directory import Sender
from handlers.teams.graph import GraphError, is_guid

log = logging.getLogger(__name__)


async def expand_tags(
    ctx: TeamsContext, turn: Turn, tags: Sequence[TagMention]
) -> tuple[list[Team], list[ChatProfile]]:
    """The Quantive teams named like the tags, and the profiles of the members of the
    tags that match no team (the giver left out, as Slack leaves them out of a group).

    Raises GiveRefused, saying in one sentence what to do, when a tag's members cannot be
    read: nothing is given rather than give to fewer people than the giver meant."""
    teams: list[Team] = []
    members: list[Sender] = []
    for tag in tags:
        found = await ctx.services.quantive.find_teams_by_name(tag.name)
        if found:
            if all(t.id != found[0].id for t in teams):
                teams.append(found[0])
            continue
        for member in await _tag_members(ctx, turn, tag):
            if member.user_id != turn.sender.aad_object_id and member not in members:
                members.append(member)
    people = await asyncio.gather(*(ctx.directory.profile(m, turn.ref) for m in members))
    # The lookup answers with the 29: id: the giver (mentioned by object id) and people
    # also mentioned by name are found again here, and are left to the caller's list.
    unique = {p.user_id: p for p in people if p.user_id != turn.sender.user_id}
    return teams, list(unique.values())


async def _tag_members(ctx: TeamsContext, turn: Turn, tag: TagMention) -> list[Sender]:
    """The tag's members as mentioned people (by Entra object id, which the connector's
    member lookup accepts), or GiveRefused."""
    team_id = _team_group_id(turn.activity)
    if team_id is None or tag.tag_id is None:
        # A tag in a group chat or a 1:1 chat names no team, and Graph lists tags by team.
        raise GiveRefused(
            f"Nothing was awarded: I can only read who is in @{tag.name} when the tag is "
            "mentioned in a channel of its team, so mention the people instead."
        )
    tenant = turn.ref.tenant_id if ctx.settings.teams_multi_tenant else ""
    tenant = tenant or ctx.settings.teams_tenant_id or ""
    try:
        found = await ctx.graph.tag_members(tenant, team_id, tag.tag_id)
    except GraphError as exc:
        log.warning("Graph would not list a Teams tag's members: %s", exc)
        if exc.not_permitted:
            raise GiveRefused(
                f"Nothing was awarded: to give to the members of @{tag.name}, a Microsoft "
                "365 admin must grant badgebot the Microsoft Graph application permission "
                "TeamworkTag.Read.All (or mention the people instead)."
            ) from None
        raise GiveRefused(
            f"Nothing was awarded: I couldn't read who is in @{tag.name} from Microsoft "
            "Graph just now, so try again in a moment or mention the people instead."
        ) from None
    if not found:
        raise GiveRefused(
            f"Nothing was awarded: the tag @{tag.name} has no members, so mention the "
            "people instead."
        )
    return [Sender(m.user_id, m.name, m.user_id) for m in found]


def _team_group_id(activity: dict[str, Any]) -> str | None:
    """The Entra group id of the team the activity came from (``channelData.team``), if
    it is one: it goes into a Graph path."""
    channel_data = activity.get("channelData")
    team = channel_data.get("team") if isinstance(channel_data, dict) else None
    group = team.get("aadGroupId") if isinstance(team, dict) else None
    return group if is_guid(group) else None
