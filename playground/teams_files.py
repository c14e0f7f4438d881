"""The playground's pretend OneDrive, for the export's file consent card: what Teams sends
when a person allows or declines the file (``fileConsent/invoke``), and the upload URL the
bot PUTs the file to, which the page then opens."""

from __future__ import annotations

import urllib.parse
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from playground.teams_tenant import TeamsTenant

#: Where uploaded files live (under the playground's own address).
FILES_PATH = "/teams/files"


def consent_value(data: dict[str, Any], files_url: str) -> dict[str, Any]:
    """The invoke's value for a click on a drawn consent card's Allow or Decline (its
    data: ``answer``, ``name``, ``context``): on Allow, with an upload session."""
    name = urllib.parse.quote(str(data.get("name") or "export.csv"), safe="")
    value: dict[str, Any] = {
        "type": "fileUpload",
        "action": data.get("answer"),
        "context": data.get("context") or {},
    }
    if data.get("answer") == "accept":
        url = f"{files_url}/{name}"
        value["uploadInfo"] = {
            "contentUrl": url,
            "name": data.get("name"),
            "uploadUrl": url,
            "uniqueId": name,
            "fileType": "csv",
        }
    return value


class PretendDrive:
    """Files kept in the tenant by name: the bot PUTs one, the page GETs it."""

    def __init__(self, tenant: TeamsTenant) -> None:
        self.tenant = tenant

    async def file(self, request: Request) -> Response:
        """Store an upload, or serve a stored file as a CSV download."""
        name = request.path_params["name"]
        if request.method == "PUT":
            self.tenant.files[name] = await request.body()
            return JSONResponse({"id": name}, 201)
        if name not in self.tenant.files:
            return Response("no such file", 404)
        return Response(
            self.tenant.files[name],
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "X-Content-Type-Options": "nosniff",
            },
        )
