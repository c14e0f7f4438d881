"""Workspace keys: every row of the bot's state, every Quantive connection and every
setting belongs to one workspace, named by its key.

- ``default``: the single-workspace mode (``SLACK_BOT_TOKEN`` and the ``QUANTIVE_*``
  settings), Slack and Teams together, as before several workspaces were served;
- ``slack:T…``: one Slack workspace; ``slack:E…``: a Slack Enterprise Grid org installed
  org-wide, which serves every workspace of the org with one installation;
- ``teams:<tenant id>``: one Microsoft Entra tenant.
"""

from __future__ import annotations

import re

DEFAULT_WORKSPACE = "default"

_SLACK_ID = re.compile(r"[TE][A-Z0-9]{2,40}")
_TENANT_ID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def slack_workspace(team_id: str | None, enterprise_id: str | None, org_wide: bool) -> str | None:
    """The key of a Slack request's or installation's workspace; None when its ids are
    missing or malformed (then nothing of any workspace is touched)."""
    chosen = enterprise_id if org_wide else team_id
    if not chosen or not _SLACK_ID.fullmatch(chosen):
        return None
    if org_wide and not chosen.startswith("E"):
        return None
    return f"slack:{chosen}"


def teams_workspace(tenant_id: str | None) -> str | None:
    """The key of a Teams tenant; None unless ``tenant_id`` is a GUID."""
    if not tenant_id or not _TENANT_ID.fullmatch(tenant_id.strip()):
        return None
    return f"teams:{tenant_id.strip().lower()}"


def describe_workspace(key: str) -> str:
    """The key in words, for the command line and logs."""
    if key == DEFAULT_WORKSPACE:
        return "the single workspace (environment settings)"
    platform, _, ident = key.partition(":")
    if platform == "slack":
        return f"Slack {'org' if ident.startswith('E') else 'workspace'} {ident}"
    return f"Teams tenant {ident}"


def slack_ids(key: str) -> tuple[str | None, str | None, bool]:
    """A Slack workspace key back to (team id, enterprise id, org-wide), as Slack's
    installation lookups take them; an org's key names no team."""
    ident = key.removeprefix("slack:")
    if ident.startswith("E"):
        return None, ident, True
    return ident, None, False
