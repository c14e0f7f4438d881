"""The bot's own state in SQLite: identity cache, awards it showed, message references,
decision and digest claims, and digest subscriptions.

SQLite calls here are short local writes, so they run on the event loop directly. Claims
use ``INSERT OR IGNORE`` on a primary key, which is atomic across processes sharing the file.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS identities (
    chat_user_id TEXT PRIMARY KEY,
    quantive_user_id TEXT NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    fetched_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chat_users_by_email (
    email TEXT PRIMARY KEY,
    chat_user_id TEXT,
    fetched_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS awards (
    assignment_id TEXT PRIMARY KEY,
    view TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS award_messages (
    channel TEXT NOT NULL,
    ts TEXT NOT NULL,
    assignment_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (channel, ts, assignment_id)
);
CREATE INDEX IF NOT EXISTS award_messages_by_assignment ON award_messages (assignment_id);
CREATE TABLE IF NOT EXISTS decision_claims (
    assignment_id TEXT PRIMARY KEY,
    decision TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    claimed_at REAL NOT NULL,
    done_at REAL
);
CREATE TABLE IF NOT EXISTS digest_subscriptions (
    channel TEXT PRIMARY KEY,
    subscribed_by TEXT NOT NULL,
    subscribed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS digest_claims (
    channel TEXT NOT NULL,
    day TEXT NOT NULL,
    claimed_at REAL NOT NULL,
    ts TEXT,
    assignment_ids TEXT NOT NULL DEFAULT '[]',
    hidden_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, day)
);
CREATE TABLE IF NOT EXISTS award_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    state TEXT NOT NULL,
    request TEXT NOT NULL,
    view TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS award_outbox_due ON award_outbox (state, next_attempt_at);
CREATE TABLE IF NOT EXISTS slack_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    operation TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS seen_requests (
    key TEXT PRIMARY KEY,
    seen_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS seen_requests_by_time ON seen_requests (seen_at);
"""

#: Columns added since the first release: (table, column, definition). A database written
#: by an older version gains them at start-up, with nothing lost.
ADDED_COLUMNS = (
    ("award_outbox", "sent_at", "REAL"),
    ("award_outbox", "evidence", "TEXT NOT NULL DEFAULT '{}'"),
    ("award_outbox", "assignment_id", "TEXT"),
    ("slack_outbox", "leased_until", "REAL NOT NULL DEFAULT 0"),
)


@dataclass(frozen=True)
class Identity:
    """A chat user's Quantive identity, as cached."""

    chat_user_id: str
    quantive_user_id: str
    email: str
    name: str


@dataclass(frozen=True)
class DecisionClaim:
    """Who claimed the decision on an award, and whether Quantive confirmed it."""

    assignment_id: str
    decision: str
    decided_by: str
    reason: str
    done: bool


@dataclass(frozen=True)
class MessageRef:
    """A Slack message that shows an award: a single request or a digest."""

    channel: str
    ts: str
    kind: str


@dataclass(frozen=True)
class OutboxAward:
    """An accepted give as kept in the outbox until Quantive has it.

    ``sent_at`` is when its assign request last went out (None: never); ``evidence`` is
    what was known before sending, to recognise the award later (see bot.awards).
    """

    id: int
    state: str
    request: dict[str, Any]
    view: dict[str, Any]
    attempts: int
    sent_at: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SlackOperation:
    """A Slack call waiting to be retried."""

    id: int
    operation: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class DigestPost:
    """A digest message as claimed and posted for one channel and day."""

    channel: str
    day: str
    ts: str | None
    assignment_ids: list[str]
    hidden_count: int


class Store:
    """All of the bot's persistent state. One instance per process."""

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            self._path, check_same_thread=False, isolation_level=None, timeout=10
        )
        self._db.row_factory = sqlite3.Row
        if self._path != ":memory:":
            # WAL with synchronous=NORMAL survives a crashed process; only a power cut can
            # lose the last commits, and each write stops costing an fsync.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        with self._lock:
            for table, column, definition in ADDED_COLUMNS:
                names = {r["name"] for r in self._db.execute(f"PRAGMA table_info({table})")}
                if column not in names:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _exec(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, params)

    # --- identities -----------------------------------------------------------------

    def cached_identity(self, chat_user_id: str, max_age: float) -> Identity | None:
        """The cached identity if younger than ``max_age`` seconds."""
        row = self._exec(
            "SELECT * FROM identities WHERE chat_user_id = ? AND fetched_at >= ?",
            (chat_user_id, time.time() - max_age),
        ).fetchone()
        if row is None:
            return None
        return Identity(row["chat_user_id"], row["quantive_user_id"], row["email"], row["name"])

    def remember_identity(self, identity: Identity) -> None:
        """Cache an identity."""
        self._exec(
            "INSERT OR REPLACE INTO identities VALUES (?, ?, ?, ?, ?)",
            (
                identity.chat_user_id,
                identity.quantive_user_id,
                identity.email,
                identity.name,
                time.time(),
            ),
        )

    def cached_chat_user_by_email(self, email: str, max_age: float) -> tuple[bool, str | None]:
        """(known, chat user id) for an email; a known None means "nobody in the chat"."""
        row = self._exec(
            "SELECT chat_user_id FROM chat_users_by_email WHERE email = ? AND fetched_at >= ?",
            (email.lower(), time.time() - max_age),
        ).fetchone()
        return (False, None) if row is None else (True, row["chat_user_id"])

    def remember_chat_user_by_email(self, email: str, chat_user_id: str | None) -> None:
        """Cache the chat user (or the absence of one) for an email."""
        self._exec(
            "INSERT OR REPLACE INTO chat_users_by_email VALUES (?, ?, ?)",
            (email.lower(), chat_user_id, time.time()),
        )

    # --- awards and their messages --------------------------------------------------

    def save_award_view(self, assignment_id: str, view: dict[str, Any]) -> None:
        """Keep what a message about the award shows, to redraw it after a decision."""
        self._exec(
            "INSERT OR REPLACE INTO awards VALUES (?, ?, ?)",
            (assignment_id, json.dumps(view), time.time()),
        )

    def award_view(self, assignment_id: str) -> dict[str, Any] | None:
        """The saved view of an award, if any."""
        row = self._exec(
            "SELECT view FROM awards WHERE assignment_id = ?", (assignment_id,)
        ).fetchone()
        return json.loads(row["view"]) if row else None

    def award_views(self) -> list[dict[str, Any]]:
        """Every saved view, newest first."""
        rows = self._exec("SELECT view FROM awards ORDER BY updated_at DESC").fetchall()
        return [json.loads(r["view"]) for r in rows]

    def add_message(self, assignment_id: str, channel: str, ts: str, kind: str) -> None:
        """Remember that message (channel, ts) shows the award."""
        self._exec(
            "INSERT OR IGNORE INTO award_messages VALUES (?, ?, ?, ?)",
            (channel, ts, assignment_id, kind),
        )

    def messages_for(self, assignment_id: str) -> list[MessageRef]:
        """Every message that shows the award."""
        rows = self._exec(
            "SELECT channel, ts, kind FROM award_messages WHERE assignment_id = ?",
            (assignment_id,),
        ).fetchall()
        return [MessageRef(r["channel"], r["ts"], r["kind"]) for r in rows]

    # --- decisions ------------------------------------------------------------------

    def claim_decision(
        self, assignment_id: str, decision: str, decided_by: str, reason: str = ""
    ) -> bool:
        """Claim the right to decide an award. Only the first claim wins."""
        cursor = self._exec(
            "INSERT OR IGNORE INTO decision_claims (assignment_id, decision, decided_by, reason,"
            " claimed_at) VALUES (?, ?, ?, ?, ?)",
            (assignment_id, decision, decided_by, reason, time.time()),
        )
        return cursor.rowcount == 1

    def finish_decision(self, assignment_id: str) -> None:
        """Mark a claimed decision as confirmed by Quantive."""
        self._exec(
            "UPDATE decision_claims SET done_at = ? WHERE assignment_id = ?",
            (time.time(), assignment_id),
        )

    def release_decision(self, assignment_id: str) -> None:
        """Drop a claim whose call failed, so that someone can try again."""
        self._exec("DELETE FROM decision_claims WHERE assignment_id = ?", (assignment_id,))

    def decision(self, assignment_id: str) -> DecisionClaim | None:
        """The claim on an award, if any."""
        row = self._exec(
            "SELECT * FROM decision_claims WHERE assignment_id = ?", (assignment_id,)
        ).fetchone()
        if row is None:
            return None
        return DecisionClaim(
            row["assignment_id"],
            row["decision"],
            row["decided_by"],
            row["reason"],
            row["done_at"] is not None,
        )

    # --- digest ---------------------------------------------------------------------

    def subscribe_digest(self, channel: str, user: str) -> bool:
        """Subscribe a channel; False when it already was."""
        cursor = self._exec(
            "INSERT OR IGNORE INTO digest_subscriptions VALUES (?, ?, ?)",
            (channel, user, time.time()),
        )
        return cursor.rowcount == 1

    def unsubscribe_digest(self, channel: str) -> bool:
        """Unsubscribe a channel; False when it was not subscribed."""
        cursor = self._exec("DELETE FROM digest_subscriptions WHERE channel = ?", (channel,))
        return cursor.rowcount == 1

    def digest_subscriptions(self) -> list[str]:
        """Channels subscribed at run time."""
        rows = self._exec("SELECT channel FROM digest_subscriptions ORDER BY channel").fetchall()
        return [r["channel"] for r in rows]

    def claim_digest(self, channel: str, day: str, *, force: bool = False) -> bool:
        """Claim (channel, day) before posting; only the first claim wins unless forced."""
        if force:
            self._exec(
                "INSERT OR REPLACE INTO digest_claims (channel, day, claimed_at) VALUES (?, ?, ?)",
                (channel, day, time.time()),
            )
            return True
        cursor = self._exec(
            "INSERT OR IGNORE INTO digest_claims (channel, day, claimed_at) VALUES (?, ?, ?)",
            (channel, day, time.time()),
        )
        return cursor.rowcount == 1

    def release_digest(self, channel: str, day: str) -> None:
        """Give up a claim whose post certainly failed, so a later run may post."""
        self._exec(
            "DELETE FROM digest_claims WHERE channel = ? AND day = ? AND ts IS NULL", (channel, day)
        )

    def record_digest(
        self, channel: str, day: str, ts: str, assignment_ids: list[str], hidden_count: int
    ) -> None:
        """Record what a posted digest shows, and link it to each award."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "UPDATE digest_claims SET ts = ?, assignment_ids = ?, hidden_count = ?"
                    " WHERE channel = ? AND day = ?",
                    (ts, json.dumps(assignment_ids), hidden_count, channel, day),
                )
                self._db.executemany(
                    "INSERT OR IGNORE INTO award_messages VALUES (?, ?, ?, 'digest')",
                    [(channel, ts, a) for a in assignment_ids],
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def digest_post(self, channel: str, ts: str) -> DigestPost | None:
        """The digest posted as message (channel, ts), if it is one."""
        row = self._exec(
            "SELECT * FROM digest_claims WHERE channel = ? AND ts = ?", (channel, ts)
        ).fetchone()
        if row is None:
            return None
        return DigestPost(
            row["channel"],
            row["day"],
            row["ts"],
            json.loads(row["assignment_ids"]),
            row["hidden_count"],
        )

    # --- award outbox ---------------------------------------------------------------

    def enqueue_award(
        self,
        request: dict[str, Any],
        view: dict[str, Any],
        evidence: dict[str, Any],
        *,
        held: bool = False,
    ) -> int:
        """Write an accepted give before Quantive is called; it starts as ``sending``, or
        as ``held`` when it waits for an approver (BADGE_APPROVAL=bot) and nothing is sent."""
        now = time.time()
        cursor = self._exec(
            "INSERT INTO award_outbox (state, request, view, attempts, next_attempt_at,"
            " updated_at, sent_at, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                "held" if held else "sending",
                json.dumps(request),
                json.dumps(view),
                0 if held else 1,
                now,
                now,
                None if held else now,
                json.dumps(evidence),
            ),
        )
        return int(cursor.lastrowid or 0)

    def release_held(self, award_id: int, state: str) -> bool:
        """Move a held award on, to ``sending`` (approved) or ``rejected``; False when it
        is no longer held, so two decisions can never both act on it."""
        now = time.time()
        cursor = self._exec(
            "UPDATE award_outbox SET state = ?, attempts = attempts + 1, updated_at = ?"
            " WHERE id = ? AND state = 'held'",
            (state, now, award_id),
        )
        return cursor.rowcount == 1

    def held_awards(self) -> list[OutboxAward]:
        """Awards the bot holds for an approver, oldest first."""
        rows = self._exec("SELECT * FROM award_outbox WHERE state = 'held' ORDER BY id")
        return [_outbox_award(r) for r in rows.fetchall()]

    def update_outbox(
        self,
        award_id: int,
        *,
        view: dict[str, Any] | None = None,
        evidence: dict[str, Any] | None = None,
    ) -> None:
        """Replace the view or the evidence kept with an outbox row."""
        if view is not None:
            self._exec(
                "UPDATE award_outbox SET view = ? WHERE id = ?", (json.dumps(view), award_id)
            )
        if evidence is not None:
            self._exec(
                "UPDATE award_outbox SET evidence = ? WHERE id = ?",
                (json.dumps(evidence), award_id),
            )

    def mark_award_sent(self, award_id: int) -> None:
        """Note that the assign request of an outbox row is going out now."""
        now = time.time()
        self._exec(
            "UPDATE award_outbox SET sent_at = ?, updated_at = ? WHERE id = ?",
            (now, now, award_id),
        )

    def assignment_delivered(self, assignment_id: str) -> bool:
        """Whether an outbox row was already matched to this Quantive award."""
        row = self._exec(
            "SELECT 1 FROM award_outbox WHERE assignment_id = ? AND state = 'delivered'",
            (assignment_id,),
        ).fetchone()
        return row is not None

    def outbox_award(self, award_id: int) -> OutboxAward | None:
        """One outbox row."""
        row = self._exec("SELECT * FROM award_outbox WHERE id = ?", (award_id,)).fetchone()
        return _outbox_award(row) if row else None

    def due_awards(self, now: float, stale_before: float) -> list[OutboxAward]:
        """Awards to try again: waiting ones that are due, and ``sending`` ones whose
        process died mid-call (not touched since ``stale_before``)."""
        rows = self._exec(
            "SELECT * FROM award_outbox WHERE (state IN ('queued', 'uncertain')"
            " AND next_attempt_at <= ?) OR (state = 'sending' AND updated_at < ?)"
            " ORDER BY id",
            (now, stale_before),
        ).fetchall()
        return [_outbox_award(r) for r in rows]

    def take_award(self, award: OutboxAward, stale_before: float) -> bool:
        """Claim an outbox row for one attempt; False when another worker has it."""
        cursor = self._exec(
            "UPDATE award_outbox SET state = 'sending', attempts = attempts + 1,"
            " updated_at = ? WHERE id = ? AND (state IN ('queued', 'uncertain')"
            " OR (state = 'sending' AND updated_at < ?))",
            (time.time(), award.id, stale_before),
        )
        return cursor.rowcount == 1

    def retry_award_later(self, award_id: int, state: str, delay: float, error: str) -> None:
        """Put an award back in the queue (``queued``, or ``uncertain`` to check first)."""
        now = time.time()
        self._exec(
            "UPDATE award_outbox SET state = ?, next_attempt_at = ?, updated_at = ?,"
            " last_error = ? WHERE id = ?",
            (state, now + delay, now, error[:300], award_id),
        )

    def finish_award(
        self, award_id: int, state: str, view: dict[str, Any] | None = None, error: str = ""
    ) -> None:
        """Mark an award ``delivered`` (with its final view), ``refused``, or ``unknown``
        (Quantive never showed whether it was made)."""
        if view is not None:
            self._exec(
                "UPDATE award_outbox SET state = ?, view = ?, updated_at = ?, last_error = ?,"
                " assignment_id = ? WHERE id = ?",
                (
                    state,
                    json.dumps(view),
                    time.time(),
                    error[:300],
                    view.get("assignment_id") or None,
                    award_id,
                ),
            )
        else:
            self._exec(
                "UPDATE award_outbox SET state = ?, updated_at = ?, last_error = ? WHERE id = ?",
                (state, time.time(), error[:300], award_id),
            )

    def outbox_counts(self) -> dict[str, int]:
        """How many awards are in each outbox state."""
        rows = self._exec("SELECT state, COUNT(*) AS n FROM award_outbox GROUP BY state")
        return {r["state"]: r["n"] for r in rows.fetchall()}

    # --- stuck decisions ------------------------------------------------------------

    def unfinished_decisions(self, claimed_before: float) -> list[DecisionClaim]:
        """Claims whose Quantive call never confirmed, older than ``claimed_before``."""
        rows = self._exec(
            "SELECT * FROM decision_claims WHERE done_at IS NULL AND claimed_at < ?",
            (claimed_before,),
        ).fetchall()
        return [
            DecisionClaim(r["assignment_id"], r["decision"], r["decided_by"], r["reason"], False)
            for r in rows
        ]

    # --- Slack outbox ---------------------------------------------------------------

    def enqueue_slack(self, operation: dict[str, Any], delay: float, error: str) -> None:
        """Keep a failed Slack call to retry after ``delay`` seconds."""
        self._exec(
            "INSERT INTO slack_outbox (operation, attempts, next_attempt_at, last_error)"
            " VALUES (?, 1, ?, ?)",
            (json.dumps(operation), time.time() + delay, error[:300]),
        )

    def due_slack(self, now: float, limit: int = 50) -> list[SlackOperation]:
        """Slack calls due for another try and not leased by a worker, oldest first."""
        rows = self._exec(
            "SELECT * FROM slack_outbox WHERE next_attempt_at <= ? AND leased_until <= ?"
            " ORDER BY id LIMIT ?",
            (now, now, limit),
        ).fetchall()
        return [SlackOperation(r["id"], json.loads(r["operation"]), r["attempts"]) for r in rows]

    def lease_slack(self, operation_id: int, seconds: float) -> bool:
        """Take a queued Slack call for ``seconds``; False when another worker holds it.

        One atomic conditional update, so two processes sharing the database never both
        retry one post; a worker that dies lets the lease run out, and another takes it.
        """
        now = time.time()
        cursor = self._exec(
            "UPDATE slack_outbox SET leased_until = ? WHERE id = ? AND leased_until <= ?"
            " AND next_attempt_at <= ?",
            (now + seconds, operation_id, now, now),
        )
        return cursor.rowcount == 1

    def retry_slack_later(self, operation_id: int, delay: float, error: str) -> None:
        """Push a Slack call back after another failure."""
        self._exec(
            "UPDATE slack_outbox SET attempts = attempts + 1, next_attempt_at = ?,"
            " last_error = ?, leased_until = 0 WHERE id = ?",
            (time.time() + delay, error[:300], operation_id),
        )

    def drop_slack(self, operation_id: int) -> None:
        """Forget a Slack call that went through (or can never go through)."""
        self._exec("DELETE FROM slack_outbox WHERE id = ?", (operation_id,))

    def slack_queue_length(self) -> int:
        """How many Slack calls wait for a retry."""
        return int(self._exec("SELECT COUNT(*) AS n FROM slack_outbox").fetchone()["n"])

    # --- requests already handled ---------------------------------------------------

    def first_sighting(self, key: str) -> bool:
        """True the first time ``key`` (a trigger_id or event_id) is seen; False for a replay.

        Keys must outlast Slack's signing window, so a replayed request is recognised for
        as long as its signature is accepted; :meth:`forget_sightings` drops older ones.
        """
        cursor = self._exec(
            "INSERT OR IGNORE INTO seen_requests (key, seen_at) VALUES (?, ?)", (key, time.time())
        )
        return cursor.rowcount == 1

    def forget_sightings(self, older_than: float) -> None:
        """Drop request keys seen more than ``older_than`` seconds ago."""
        self._exec("DELETE FROM seen_requests WHERE seen_at < ?", (time.time() - older_than,))


def _outbox_award(row: sqlite3.Row) -> OutboxAward:
    return OutboxAward(
        row["id"],
        row["state"],
        json.loads(row["request"]),
        json.loads(row["view"]),
        row["attempts"],
        row["sent_at"],
        json.loads(row["evidence"] or "{}"),
    )
