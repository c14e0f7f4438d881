"""Building Quantive URLs from ids that came from outside: buttons, modals, stored rows.

An id is checked against the shape of Quantive's ids before it goes into a path, so a
value such as ``../../badges/<id>?x=`` can never change which endpoint is called.
"""

from __future__ import annotations

import re
import urllib.parse

from api import errors

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def is_plausible_id(value: object) -> bool:
    """Whether ``value`` could be a Quantive id, and so is safe as one URL path segment."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def endpoint(*parts: str, ids: tuple[str, ...] = ()) -> str:
    """``parts`` joined, then each of ``ids`` checked and appended as a path segment.

    Raises api.errors.InvalidId, before anything is sent, for an id of the wrong shape.
    """
    for value in ids:
        if not is_plausible_id(value):
            raise errors.InvalidId()
    segments = [*parts, *(urllib.parse.quote(v, safe="") for v in ids)]
    return "/".join(segments)


def resolve_teams_url(base_url: str, teams_path: str) -> str:
    """Where the teams list lives, from ``QUANTIVE_TEAMS_PATH``.

    A full URL is used as it is. A path that starts with a version (``v2/teams``) is read
    against the API root, the parent of ``.../api/v1``, because Quantive serves v2 beside
    v1 (``.../api/v2/teams``). Any other path (``teams``) is read against the base URL.
    """
    path = teams_path.strip()
    if re.match(r"^https?://", path):
        return path
    path = path.lstrip("/")
    base = base_url.rstrip("/")
    if re.match(r"^v\d+/", path):
        root, _, last = base.rpartition("/")
        if re.fullmatch(r"v\d+", last):
            return f"{root}/{path}"
    return f"{base}/{path}"
