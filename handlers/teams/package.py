"""The Teams app package: ``manifest.json`` and the two icons, zipped with no folder inside,
ready to upload in Teams' admin center or as a custom app."""

from __future__ import annotations

import json
import re
import uuid
import zipfile
from pathlib import Path
from typing import Any

from handlers.teams.icons import ACCENT, colour_icon, outline_icon

MANIFEST_SCHEMA = (
    "https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"
)
MANIFEST_VERSION = "1.17"

#: The bot's commands as Teams lists them under the compose box (at most 10 per scope).
COMMANDS = [
    ("give", "give @person <badge> [reason]: give a badge"),
    ("list", "the badges you can give"),
    ("who", "who <badge>: who holds a badge"),
    ("mine", "the badges you hold"),
    ("pending", "awards waiting for approval"),
    ("top", "the most recognised people and teams"),
    ("home", "your badges, your requests and, for approvers, the queue"),
    ("digest", "digest here / off: the morning digest in this conversation"),
    ("help", "every command with an example"),
]

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-zA-Z0-9-]{1,63}\.)+[a-zA-Z]{2,63}$")


class PackageError(ValueError):
    """An argument the package cannot be built from; the message says which."""


def manifest(app_id: str, domain: str, version: str = "1.0.0") -> dict[str, Any]:
    """The app manifest for the Azure bot ``app_id`` served at ``https://<domain>``."""
    if not _GUID.match(app_id):
        raise PackageError(f"--app-id must be the bot's Microsoft App ID, a GUID (got {app_id!r})")
    if not _DOMAIN.match(domain):
        raise PackageError(f"--domain must be a host name such as bot.example.com (got {domain!r})")
    commands = [{"title": title, "description": text} for title, text in COMMANDS]
    return {
        "$schema": MANIFEST_SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        # The package's own id: stable for one bot, so a new upload replaces the old app.
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"badgebot:{app_id}")),
        "developer": {
            "name": "badgebot",
            "websiteUrl": f"https://{domain}/",
            "privacyUrl": f"https://{domain}/privacy",
            "termsOfUseUrl": f"https://{domain}/terms",
        },
        "name": {"short": "badgebot", "full": "badgebot: Quantive badges in Teams"},
        "description": {
            "short": "Give and approve Quantive badges without leaving Teams",
            "full": (
                "Recognise colleagues with Quantive badges: give one with a message, and "
                "approvers approve or reject it with one click. A morning digest lists "
                "what still waits."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": app_id,
                "scopes": ["personal", "team", "groupChat"],
                # The export's file consent card (handlers.teams.export) needs it.
                "supportsFiles": True,
                "isNotificationOnly": False,
                "commandLists": [
                    {"scopes": ["personal", "team", "groupChat"], "commands": commands}
                ],
            }
        ],
        "composeExtensions": [
            {
                "botId": app_id,
                "commands": [
                    {
                        "id": "giveBadge",
                        "type": "action",
                        "title": "Give a badge",
                        "description": "Give a Quantive badge, for this message or anything",
                        "context": ["compose", "commandBox", "message"],
                        "fetchTask": True,
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [domain],
        "webApplicationInfo": {"id": app_id, "resource": f"api://botid-{app_id}"},
    }


def write_package(app_id: str, domain: str, out: Path) -> Path:
    """Write the zip: ``manifest.json``, ``color.png`` and ``outline.png`` at its root."""
    data = json.dumps(manifest(app_id, domain), indent=2)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", data)
        package.writestr("color.png", colour_icon())
        package.writestr("outline.png", outline_icon())
    return out
