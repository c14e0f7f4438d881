"""Who may approve and administer. Quantive cannot tell which chat user clicked, so the bot
checks it itself, against the configured lists: Slack user ids for Slack; emails or Azure
AD object ids for Teams, where a person's ``29:`` id is unknown until they write."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.chat import Platform

if TYPE_CHECKING:
    from bot.settings import Settings


@dataclass(frozen=True)
class Permissions:
    """The approvers and admins of each platform."""

    approvers: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()
    teams_approvers: tuple[str, ...] = ()
    teams_admins: tuple[str, ...] = ()

    @classmethod
    def of(cls, settings: Settings) -> Permissions:
        """The lists ``settings`` hold: one place builds them, for the services, the
        settings' own check and the connect card."""
        return cls(
            tuple(settings.badge_approvers),
            tuple(settings.badge_admins),
            tuple(settings.teams_approvers),
            tuple(settings.teams_admins),
        )

    def can_approve(
        self, user_id: str, *, platform: Platform = "slack", aliases: Iterable[str] = ()
    ) -> bool:
        """Whether the user may approve and reject awards, and manage digests.

        ``aliases`` are the other names of a Teams user (email, Azure AD object id)."""
        if platform == "slack":
            return user_id in self.approvers
        return _listed(self.teams_approvers, user_id, aliases)

    def can_administer(
        self, user_id: str, *, platform: Platform = "slack", aliases: Iterable[str] = ()
    ) -> bool:
        """Whether the user may create, edit and delete badges and revoke awards."""
        if platform == "slack":
            return user_id in (self.admins or self.approvers)
        return _listed(self.teams_admins or self.teams_approvers, user_id, aliases)


def _listed(entries: tuple[str, ...], user_id: str, aliases: Iterable[str]) -> bool:
    # Emails are compared without case: Azure AD and Quantive disagree on it.
    wanted = {e.strip().lower() for e in entries if e.strip()}
    return any(key.lower() in wanted for key in (user_id, *aliases) if key)
