"""The badge catalogue: cached with a short TTL, and matched against what people type."""

from __future__ import annotations

import asyncio
import difflib
import logging
import re
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
    #: When nothing matched: what was read as the badge's name (a near miss's words, or
    #: an ambiguous first word), so that an answer quotes that and not the comment; "" when
    #: it is not known where the name ends.
    typed: str = ""


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


#: What may follow a badge name in a sentence and is not part of it ("Team Player, thanks").
_TRAILING = ",;:.!?"
#: How alike a typed word and a word of a name must be to count as a typo of it.
_NEAR = 0.75
#: How alike a name typed without its spaces ("TeamPlayer") must be to the name.
_NEAR_JOINED = 0.85
_WORD = re.compile(r"\S+")


def match_badge(badges: list[Badge], text: str) -> BadgeMatch:
    """Find the badge named at the start of ``text`` and return it with the rest.

    Tried in order: a quoted name ("Team Player" or “Team Player”); the longest name the
    text starts with, ignoring case ("team player great pairing" is Team Player); and a
    first word that begins exactly one badge name ("vision thanks" is Visionary).

    A near miss of a name longer than any of those ("Team Plyer thanks", "Tem Player
    thanks") matches nothing: it would give the wrong badge, or the right one with the
    typo swallowed into the comment. It is suggested instead, with ``typed`` set to the
    words it spans, so that the answer quotes the name and not the comment.
    """
    text = text.strip()
    if not text:
        return BadgeMatch(None)

    for open_q, close_q in (('"', '"'), ("“", "”"), ("'", "'")):
        if text.startswith(open_q):
            end = text.find(close_q, 1)
            if end > 0:
                quoted = text[1:end].strip()
                rest = text[end + 1 :].strip()
                found = match_badge(badges, quoted)
                if found.badge is not None and not found.rest:
                    return BadgeMatch(found.badge, rest)
                return BadgeMatch(
                    None, rest, found.suggestions or _close(badges, quoted), typed=quoted
                )

    words = list(_WORD.finditer(text))
    typed = [w.group().lower() for w in words]
    exact = _longest_exact(badges, typed)
    longer_than = len(exact.name.split()) if exact else 0
    near = _near_misses(badges, typed, longer_than)
    if near:
        end = words[near[0][2] - 1].end()
        return BadgeMatch(
            None,
            text[end:].strip(),
            [badge.name for badge, _, _ in near][:3],
            typed=text[:end].rstrip(_TRAILING),
        )
    if exact is not None:
        end = words[longer_than - 1].end()
        return BadgeMatch(exact, text[end:].strip())

    first, _, rest = text.partition(" ")
    word = first.lower()
    starting = [b for b in badges if len(word) >= 2 and b.name.lower().startswith(word)]
    if len(starting) == 1:
        return BadgeMatch(starting[0], rest.strip())
    if len(starting) > 1:
        return BadgeMatch(None, text, [b.name for b in starting], typed=first)
    return BadgeMatch(None, text, _close(badges, first))


def _same(typed: str, name_word: str) -> bool:
    """A typed word is a name's word, punctuation after it aside."""
    return typed == name_word or typed.rstrip(_TRAILING) == name_word


def _longest_exact(badges: list[Badge], typed: list[str]) -> Badge | None:
    """The badge with the most words whose whole name the typed words start with."""
    best: Badge | None = None
    best_words = 0
    for badge in badges:
        name = badge.name.lower().split()
        if not name or len(name) > len(typed) or len(name) <= best_words:
            continue
        if all(t == n for t, n in zip(typed, name[:-1], strict=False)) and _same(
            typed[len(name) - 1], name[-1]
        ):
            best, best_words = badge, len(name)
    return best


def _near_misses(
    badges: list[Badge], typed: list[str], longer_than: int
) -> list[tuple[Badge, float, int]]:
    """Names of more than ``longer_than`` words that the first typed words nearly spell,
    as (badge, likeness, typed words spanned), the likest first.

    Each word of the name is typed or nearly typed (one a typo of the other), or the name
    is typed without a space; a lone word that begins the name is no typo (the first-word
    rule reads it)."""
    found: list[tuple[Badge, float, int]] = []
    for badge in badges:
        name = badge.name.lower().split()
        size = len(name)
        if size <= longer_than:
            continue
        if size <= len(typed):
            window = [*typed[: size - 1], typed[size - 1].rstrip(_TRAILING)]
            likeness = [_likeness(t, n) for t, n in zip(window, name, strict=True)]
            abbreviation = size == 1 and len(window[0]) >= 2 and name[0].startswith(window[0])
            if window != name and not abbreviation and min(likeness) >= _NEAR:
                found.append((badge, sum(likeness) / size, size))
                continue
        if size >= 2 and size - 1 <= len(typed):
            joined = "".join(typed[: size - 1]).rstrip(_TRAILING)
            likeness_joined = _likeness(joined, "".join(name))
            if likeness_joined >= _NEAR_JOINED:
                found.append((badge, likeness_joined, size - 1))
    found.sort(key=lambda item: (-item[1], -len(item[0].name)))
    return found


def _likeness(typed: str, name_word: str) -> float:
    return difflib.SequenceMatcher(None, typed, name_word).ratio()


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
