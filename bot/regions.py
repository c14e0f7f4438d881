"""The Quantive hosts people pick by name (``eu``, ``us``, …) instead of typing a URL.

Kept apart from bot.connections, and free of heavy imports, because the command line's
help lists the names and must not load the HTTP client to do so.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Region:
    """A named Quantive host: its API base URL and a few words about it."""

    name: str
    url: str
    about: str


#: From shared/reference/quantive-api-notes.md ("Hosts and headers"). The notes give EU
#: and US outright, say other regions "add as. or sa." (so those two follow the US host's
#: pattern and are the least certain), and name both legacy Gtmhub hosts. The first is
#: the default, equal to api.client.DEFAULT_BASE_URL (a test keeps them equal).
REGIONS: tuple[Region, ...] = (
    Region("eu", "https://app.quantive.com/results/api/v1", "Quantive, EU"),
    Region("us", "https://app.us.quantive.com/results/api/v1", "Quantive, US"),
    Region("as", "https://app.as.quantive.com/results/api/v1", "Quantive, Asia"),
    Region("sa", "https://app.sa.quantive.com/results/api/v1", "Quantive, South America"),
    Region("gtmhub", "https://app.gtmhub.com/api/v1", "legacy Gtmhub host"),
    Region("gtmhub-us", "https://app.us.gtmhub.com/api/v1", "legacy Gtmhub host, older US"),
)


def region_names() -> str:
    """The region names, for help texts and messages: ``eu, us, as, sa, gtmhub, gtmhub-us``."""
    return ", ".join(region.name for region in REGIONS)


def region_url(name: str) -> str | None:
    """The API base URL of the region ``name`` (any case), or None."""
    wanted = name.strip().lower()
    return next((r.url for r in REGIONS if r.name == wanted), None)


def quantive_host(url: str) -> str:
    """The host of an API base URL, with the region's name when it is one of :data:`REGIONS`."""
    named = next((r.name for r in REGIONS if r.url == url), None)
    host = urlsplit(url).netloc or url
    return f"{host} ({named})" if named else host
