"""The badge catalogue: cached with a short TTL, and matched against what people type."""

from __future__ import annotations

import asyncio
import difflib
import logging
import time
from dataclasses import dataclass, field

from api import QuantiveClient
from api.models import Badge

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BadgeMatch:
    """The result of reading a badge name at the start of some text."""

    badge: Badge | None
    #: The text after the badge name: the comment.
    rest: str = ""
    #: Close names when nothing matched, or the candidates when a prefix was ambiguous.
    suggestions: list[str] = field(default_factory=list)


#: A name or id that is not in a list older than this reloads the list once: a badge made
#: in Quantive's UI or through another bot process is found at once, not a TTL later.
MISS_RELOAD_SECONDS = 5.0


class Catalogue:
    """The account's badges, fetched at most once per TTL; stale data is served while it
    refreshes, so a slow Quantive does not stall a modal whose trigger_id lives 3 s.

    Each process keeps its own copy in memory rather than in the database: the list is
    Quantive's, not the bot's, so the database would only be a second cache of it. Copies
    agree because a miss reloads (see MISS_RELOAD_SECONDS) and the TTL bounds the rest.
    """

    def __init__(self, quantive: QuantiveClient, ttl: float = 60.0) -> None:
        self._quantive = quantive
        self._ttl = ttl
        self._badges: list[Badge] | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        self._refresh: asyncio.Task[None] | None = None
        self._generation = 0

    async def badges(self) -> list[Badge]:
        """Every badge, sorted by name."""
        if self._badges is None:
            async with self._lock:
                if self._badges is None:
                    await self._load()
        elif time.monotonic() - self._fetched_at > self._ttl and self._refresh is None:
            self._refresh = asyncio.create_task(self._background_refresh())
        return list(self._badges or [])

    def cached(self) -> list[Badge] | None:
        """The list in memory, however old, or None before it was first loaded (or after
        :meth:`invalidate`); never waits, so a modal can open before Quantive answers."""
        return None if self._badges is None else list(self._badges)

    def invalidate(self) -> None:
        """Forget the cached list, after a badge was created, edited or deleted."""
        self._badges = None
        self._fetched_at = 0.0
        self._generation += 1  # a load already under way must not bring the old list back

    def forget(self, badge_id: str) -> None:
        """Drop one badge that Quantive no longer knows (a 404 for it), keeping the rest
        of the list: a full reload would make the next caller wait for Quantive."""
        if self._badges is not None:
            self._badges = [b for b in self._badges if b.id != badge_id]

    async def _load(self) -> None:
        generation = self._generation
        badges = sorted(await self._quantive.list_badges(), key=lambda b: b.name.lower())
        if generation == self._generation:
            self._badges = badges
            self._fetched_at = time.monotonic()
        elif self._badges is None:
            await self._load()  # invalidated while reading: read again

    async def _background_refresh(self) -> None:
        try:
            await self._load()
        except Exception as exc:  # keep serving the stale list
            log.warning("badge catalogue refresh failed: %s", exc)
        finally:
            self._refresh = None

    async def by_id(self, badge_id: str) -> Badge | None:
        """The badge with this id, if it exists."""
        found = next((b for b in await self.badges() if b.id == badge_id), None)
        if found is None and await self._reload_after_miss():
            found = next((b for b in await self.badges() if b.id == badge_id), None)
        return found

    async def match(self, text: str) -> BadgeMatch:
        """Read a badge name at the start of ``text``; see :func:`match_badge`."""
        found = match_badge(await self.badges(), text)
        if found.badge is None and await self._reload_after_miss():
            found = match_badge(await self.badges(), text)
        return found

    async def _reload_after_miss(self) -> bool:
        """Reload a list older than MISS_RELOAD_SECONDS; True when it was reloaded."""
        if time.monotonic() - self._fetched_at < MISS_RELOAD_SECONDS:
            return False
        async with self._lock:
            if time.monotonic() - self._fetched_at < MISS_RELOAD_SECONDS:
                return True  # another caller just reloaded it
            try:
                await self._load()
            except Exception as exc:  # answer from the list we have
                log.warning("badge catalogue reload failed: %s", exc)
                return False
        return True


def match_badge(badges: list[Badge], text: str) -> BadgeMatch:
    """Find the badge named at the start of ``text`` and return it with the rest.

    Tried in order: a quoted name ("Team Player" or “Team Player”); the longest name the
    text starts with, ignoring case ("team player great pairing" is Team Player); and a
    first word that begins exactly one badge name ("vision thanks" is Visionary).
    """
    text = text.strip()
    if not text:
        return BadgeMatch(None)
    lowered = text.lower()

    for open_q, close_q in (('"', '"'), ("“", "”"), ("'", "'")):
        if text.startswith(open_q):
            end = text.find(close_q, 1)
            if end > 0:
                quoted = text[1:end].strip()
                rest = text[end + 1 :].strip()
                found = match_badge(badges, quoted)
                if found.badge is not None and not found.rest:
                    return BadgeMatch(found.badge, rest)
                return BadgeMatch(None, rest, found.suggestions or _close(badges, quoted))

    best: Badge | None = None
    for badge in badges:
        name = badge.name.strip().lower()
        if name and (lowered == name or lowered.startswith(name + " ")):
            if best is None or len(name) > len(best.name.strip()):
                best = badge
    if best is not None:
        return BadgeMatch(best, text[len(best.name.strip()) :].strip())

    first, _, rest = text.partition(" ")
    word = first.lower()
    starting = [b for b in badges if len(word) >= 2 and b.name.lower().startswith(word)]
    if len(starting) == 1:
        return BadgeMatch(starting[0], rest.strip())
    if len(starting) > 1:
        return BadgeMatch(None, text, [b.name for b in starting])
    return BadgeMatch(None, text, _close(badges, first))


def _close(badges: list[Badge], word: str) -> list[str]:
    names = {b.name.lower(): b.name for b in badges}
    words = {w: b.name for b in badges for w in b.name.lower().split()}
    found = difflib.get_close_matches(word.lower(), list(names), n=3, cutoff=0.6)
    found += difflib.get_close_matches(word.lower(), list(words), n=3, cutoff=0.7)
    out: list[str] = []
    for item in found:
        name = names.get(item) or words[item]
        if name not in out:
            out.append(name)
    return out[:3]
