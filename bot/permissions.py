"""Who may approve and administer. Quantive cannot tell which chat user clicked, so the bot
checks it itself, against the configured lists."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Permissions:
    """The approvers and admins, by chat user id."""

    approvers: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()

    def can_approve(self, user_id: str) -> bool:
        """Whether the user may approve and reject awards, and manage digests."""
        return user_id in self.approvers

    def can_administer(self, user_id: str) -> bool:
        """Whether the user may create, edit and delete badges and revoke awards."""
        return user_id in (self.admins or self.approvers)
