"""pydantic models of the Quantive Badges API's requests and responses.

Field names are snake_case in Python and camelCase on the wire. Unknown fields are
ignored, so Quantive's huge user and team records shrink to what the bot uses.
"""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

log = logging.getLogger(__name__)

#: The states the bot understands. Quantive does not document its values; see ``status``.
AwardState = Literal["pending", "approved", "rejected"]
KNOWN_STATES: frozenset[str] = frozenset({"pending", "approved", "rejected"})


class QuantiveModel(BaseModel):
    """Base model: camelCase aliases, population by name or alias, unknown fields ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="ignore",
    )

    def to_wire(self) -> dict[str, object]:
        """The JSON body Quantive expects: camelCase keys, unset optional fields left out."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class BadgeInput(QuantiveModel):
    """The body of ``POST /badges`` and ``PATCH /badges/{id}``."""

    name: str
    summary: str = ""
    icon: str = ""
    background: str = ""
    pattern: str = ""
    # Undocumented fields, carried through untouched.
    assign_condition: str | None = None
    type: str | None = None


class Badge(BadgeInput):
    """A badge in the account's catalogue."""

    id: str


class AssignRequest(QuantiveModel):
    """The body of ``POST /badges/assign``: one badge to one or more users or teams."""

    badge_id: str
    assignee_ids: list[str]
    assigned_by_id: str | None = None
    comment: str | None = None
    rich_text_comment: str | None = None
    notification_strategy: str | None = None
    notify: list[str] | None = None


class Assignment(QuantiveModel):
    """An award: a badge given to users or teams, pending, approved or rejected."""

    id: str
    badge_id: str = ""
    assignee_ids: list[str] = Field(default_factory=list)
    assigned_by_id: str | None = None
    assigned_on: str | None = None
    approved_by: str | None = None
    account_id: str | None = None
    comment: str | None = None
    rich_text_comment: str | None = None
    notification_strategy: str | None = None
    notify: list[str] | None = None
    status: str = "pending"
    badge: Badge | None = None

    @field_validator("assignee_ids", "notify", mode="before")
    @classmethod
    def _null_list(cls, value: object) -> object:
        return [] if value is None else value

    def model_post_init(self, context: object, /) -> None:
        """Fill ``badge_id`` from the embedded badge of the V2 responses."""
        if not self.badge_id and self.badge is not None:
            self.badge_id = self.badge.id

    @property
    def state(self) -> AwardState:
        """The status as the bot understands it: an unknown value counts as pending."""
        value = (self.status or "").lower()
        if value in KNOWN_STATES:
            return value  # type: ignore[return-value]
        log.warning("unknown assignment status %r on %s; treating it as pending", value, self.id)
        return "pending"


class User(QuantiveModel):
    """A Quantive user, reduced to what the bot needs."""

    id: str = Field(validation_alias=AliasChoices("id", "_id"))
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    name: str = ""

    @property
    def display_name(self) -> str:
        """The best human name available."""
        full = f"{self.first_name} {self.last_name}".strip()
        return self.name or full or self.email or self.id


class Team(QuantiveModel):
    """A Quantive team, reduced to what the bot needs."""

    id: str = Field(validation_alias=AliasChoices("id", "_id"))
    name: str = ""
    members: list[str] = Field(default_factory=list)
    badges: list[Badge] = Field(default_factory=list)

    @field_validator("members", "badges", mode="before")
    @classmethod
    def _null_list(cls, value: object) -> object:
        return [] if value is None else value


class BadgeHolders(QuantiveModel):
    """The answer of ``GET /badges/assign/{id}``: the users and teams holding a badge."""

    users: list[User] = Field(default_factory=list, validation_alias=AliasChoices("Users", "users"))
    teams: list[Team] = Field(default_factory=list, validation_alias=AliasChoices("Teams", "teams"))

    @field_validator("users", "teams", mode="before")
    @classmethod
    def _null_list(cls, value: object) -> object:
        return [] if value is None else value

    def holder_ids(self) -> set[str]:
        """The ids of every user and team holding the badge."""
        return {u.id for u in self.users} | {t.id for t in self.teams}
