"""The emulated Quantive account: users, teams, badges and awards, in memory or in SQLite."""

from __future__ import annotations

import copy
import json
import secrets
import sqlite3
import threading
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

MANAGE_BADGES = "ManageBadges"


class EmulatorError(Exception):
    """A request the emulator refuses; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def load_demo_data(path: str | Path | None = None) -> dict[str, Any]:
    """The seed data: ``path`` if given, else the demo organisation shipped with the package."""
    if path:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    text = resources.files("api.emulator").joinpath("demo.json").read_text(encoding="utf-8")
    return json.loads(text)


def new_id() -> str:
    """A fresh 24-hex id, shaped like Quantive's Mongo ids."""
    return secrets.token_hex(12)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class AccountState:
    """One Quantive account. Every method is thread-safe and persists when a path is set."""

    def __init__(self, seed: dict[str, Any], *, state_path: str | Path | None = None) -> None:
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        if state_path:
            self._db = sqlite3.connect(str(state_path), check_same_thread=False)
            self._db.execute("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT)")
            row = self._db.execute("SELECT value FROM state WHERE key = 'account'").fetchone()
            if row:
                seed = json.loads(row[0])
        self._seed = copy.deepcopy(seed)
        self._load(seed)

    def _load(self, data: dict[str, Any]) -> None:
        data = copy.deepcopy(data)
        self.account_id: str = data.get("accountId", "5be26318e5274a0007f17f61")
        self.users: dict[str, dict[str, Any]] = {u["id"]: u for u in data.get("users", [])}
        self.teams: dict[str, dict[str, Any]] = {t["id"]: t for t in data.get("teams", [])}
        self.badges: dict[str, dict[str, Any]] = {b["id"]: b for b in data.get("badges", [])}
        self.assignments: dict[str, dict[str, Any]] = {
            a["id"]: {"accountId": self.account_id, **a} for a in data.get("assignments", [])
        }
        first_user = next(iter(self.users), "")
        self.current_user_id: str = data.get("currentUserId", first_user)

    def snapshot(self) -> dict[str, Any]:
        """The whole account as seed data."""
        with self._lock:
            return copy.deepcopy(
                {
                    "accountId": self.account_id,
                    "currentUserId": self.current_user_id,
                    "users": list(self.users.values()),
                    "teams": list(self.teams.values()),
                    "badges": list(self.badges.values()),
                    "assignments": list(self.assignments.values()),
                }
            )

    def reset(self) -> None:
        """Back to the seed data."""
        with self._lock:
            self._load(self._seed)
            self._save()

    def _save(self) -> None:
        if self._db is not None:
            self._db.execute(
                "INSERT OR REPLACE INTO state (key, value) VALUES ('account', ?)",
                (json.dumps(self.snapshot()),),
            )
            self._db.commit()

    # --- badges ---------------------------------------------------------------------

    def list_badges(self) -> list[dict[str, Any]]:
        """Every badge."""
        with self._lock:
            return copy.deepcopy(list(self.badges.values()))

    def get_badge(self, badge_id: str) -> dict[str, Any]:
        """One badge, or 404."""
        with self._lock:
            if badge_id not in self.badges:
                raise EmulatorError(404, "badge not found")
            return copy.deepcopy(self.badges[badge_id])

    def create_badge(self, body: dict[str, Any]) -> dict[str, Any]:
        """A new badge; 400 when the name is missing or taken."""
        with self._lock:
            name = self._valid_badge_name(body.get("name"), exclude_id=None)
            badge = {"id": new_id(), **_badge_fields(body), "name": name}
            self.badges[badge["id"]] = badge
            self._save()
            return copy.deepcopy(badge)

    def update_badge(self, badge_id: str, body: dict[str, Any]) -> None:
        """Change a badge's fields; 404 when unknown, 400 when the new name is taken."""
        with self._lock:
            if badge_id not in self.badges:
                raise EmulatorError(404, "badge not found")
            fields = _badge_fields(body)
            if "name" in body:
                fields["name"] = self._valid_badge_name(body.get("name"), exclude_id=badge_id)
            self.badges[badge_id].update(fields)
            self._save()

    def delete_badge(self, badge_id: str) -> None:
        """Remove a badge and its awards; 404 when unknown."""
        with self._lock:
            if self.badges.pop(badge_id, None) is None:
                raise EmulatorError(404, "badge not found")
            for aid in [a for a, v in self.assignments.items() if v["badgeId"] == badge_id]:
                del self.assignments[aid]
            self._save()

    def _valid_badge_name(self, name: Any, *, exclude_id: str | None) -> str:
        if not isinstance(name, str) or not name.strip():
            raise EmulatorError(400, "name is required")
        name = name.strip()
        for bid, badge in self.badges.items():
            if bid != exclude_id and badge["name"].lower() == name.lower():
                raise EmulatorError(400, f"a badge named '{name}' already exists")
        return name

    # --- awards ---------------------------------------------------------------------

    def assign(self, body: dict[str, Any], *, token_user_decides: bool = False) -> dict[str, Any]:
        """A new award: approved at once when the giver may manage badges, else pending.

        With ``token_user_decides``, the token's user's permissions decide instead of the
        giver's, which is the other possible reading of Quantive's API.
        """
        with self._lock:
            badge_id = body.get("badgeId")
            if not isinstance(badge_id, str) or badge_id not in self.badges:
                raise EmulatorError(400, "badgeId is missing or unknown")
            assignees = body.get("assigneeIds")
            if not isinstance(assignees, list) or not assignees:
                raise EmulatorError(400, "assigneeIds must be a non-empty list")
            unknown = [a for a in assignees if a not in self.users and a not in self.teams]
            if unknown:
                raise EmulatorError(400, f"unknown assignee ids: {', '.join(map(str, unknown))}")
            giver = body.get("assignedById") or self.current_user_id
            if giver not in self.users:
                raise EmulatorError(400, "assignedById is not a user of this account")
            decider = self.current_user_id if token_user_decides else giver
            manager = MANAGE_BADGES in self.users.get(decider, {}).get("permissions", [])
            assignment = {
                "id": new_id(),
                "accountId": self.account_id,
                "badgeId": badge_id,
                "assigneeIds": list(dict.fromkeys(assignees)),
                "assignedById": giver,
                "assignedOn": _now(),
                "comment": body.get("comment") or "",
                "richTextComment": body.get("richTextComment") or "",
                "notificationStrategy": body.get("notificationStrategy") or "",
                "notify": body.get("notify") or [],
                "status": "approved" if manager else "pending",
                "approvedBy": giver if manager else "",
            }
            self.assignments[assignment["id"]] = assignment
            self._save()
            return copy.deepcopy(assignment)

    def add_assignments(self, items: list[dict[str, Any]]) -> None:
        """Awards made before this account was served, kept as given (their ids, states
        and dates): a demo's history, so that the queue and the holders agree with it."""
        with self._lock:
            for item in items:
                self.assignments[item["id"]] = {"accountId": self.account_id, **item}
            self._save()

    def pending(self) -> list[dict[str, Any]]:
        """Awards waiting for approval, oldest first."""
        return self.pending_page(0, None)[0]

    def pending_page(self, start: int, stop: int | None) -> tuple[list[dict[str, Any]], int]:
        """Copies of the waiting awards in ``[start:stop]``, oldest first, and how many wait
        in all; only the page is copied, since a page is all that is sent."""
        with self._lock:
            items = [a for a in self.assignments.values() if a["status"] == "pending"]
            items.sort(key=lambda a: a["assignedOn"])
            return copy.deepcopy(items[start:stop]), len(items)

    def decide(self, assignment_id: str, *, approve: bool) -> None:
        """Approve or reject a pending award; 404 when unknown, 400 when already decided."""
        with self._lock:
            assignment = self.assignments.get(assignment_id)
            if assignment is None:
                raise EmulatorError(404, "assignment not found")
            if assignment["status"] != "pending":
                raise EmulatorError(400, f"assignment is already {assignment['status']}")
            assignment["status"] = "approved" if approve else "rejected"
            assignment["approvedBy"] = self.current_user_id
            self._save()

    def assignments_of(self, assignee_id: str, *, approved_only: bool) -> list[dict[str, Any]]:
        """Awards whose assignees include ``assignee_id``, each with its badge embedded."""
        with self._lock:
            out = []
            for a in self.assignments.values():
                if assignee_id in a["assigneeIds"] and a["badgeId"] in self.badges:
                    if approved_only and a["status"] != "approved":
                        continue
                    item = {k: v for k, v in a.items() if k not in ("badgeId", "richTextComment")}
                    out.append({**item, "badge": self.badges[a["badgeId"]]})
            return copy.deepcopy(out)

    def holders(self, badge_id: str) -> dict[str, Any]:
        """The users and teams holding an approved award of the badge; 404 when unknown."""
        with self._lock:
            if badge_id not in self.badges:
                raise EmulatorError(404, "badge not found")
            holder_ids: list[str] = []
            for a in self.assignments.values():
                if a["badgeId"] == badge_id and a["status"] == "approved":
                    holder_ids += [i for i in a["assigneeIds"] if i not in holder_ids]
            users = [self.public_user(i) for i in holder_ids if i in self.users]
            teams = []
            for tid in (i for i in holder_ids if i in self.teams):
                team = self.public_team(tid)
                team["badges"] = [self.badges[badge_id]]
                teams.append(team)
            return copy.deepcopy({"Teams": teams, "Users": users})

    def unassign(self, assignee_id: str, assignment_id: str) -> None:
        """Take the award back from one assignee; 404 when there is no such pair."""
        with self._lock:
            assignment = self.assignments.get(assignment_id)
            if assignment is None or assignee_id not in assignment["assigneeIds"]:
                raise EmulatorError(404, "no such assignment for that assignee")
            assignment["assigneeIds"].remove(assignee_id)
            if not assignment["assigneeIds"]:
                del self.assignments[assignment_id]
            self._save()

    # --- people ---------------------------------------------------------------------

    def public_user(self, user_id: str) -> dict[str, Any]:
        """A user as Quantive's API shows it, with some of the noise the real one has."""
        user = self.users[user_id]
        return {
            **user,
            "accountId": self.account_id,
            "isActive": True,
            "teamIds": [t for t, team in self.teams.items() if user_id in team["members"]],
            "userSettings": {"homeScreen": "okrs", "leftNavItems": {"okrs": True}},
        }

    def public_team(self, team_id: str) -> dict[str, Any]:
        """A team as Quantive's API shows it."""
        team = self.teams[team_id]
        return {**team, "accountId": self.account_id, "isActive": True, "color": "#4C6FFF"}

    def list_users(self) -> list[dict[str, Any]]:
        """Every user, as the API shows them."""
        with self._lock:
            return [self.public_user(u) for u in self.users]

    def list_teams(self) -> list[dict[str, Any]]:
        """Every team, as the API shows them."""
        with self._lock:
            return [self.public_team(t) for t in self.teams]


def _badge_fields(body: dict[str, Any]) -> dict[str, Any]:
    keys = ("name", "summary", "icon", "background", "pattern", "assignCondition", "type")
    return {k: body[k] for k in keys if k in body and body[k] is not None}
