"""Secrets at rest: Quantive tokens and Slack tokens are stored encrypted with Fernet
(``cryptography``: AES-128-CBC with an HMAC-SHA256 tag, so a changed ciphertext is refused
rather than decrypted to garbage), under ``BADGEBOT_SECRET_KEY``.

``python -m bot secret-key`` prints a new key. Losing the key loses the stored tokens
(admins connect again); it is never written to the database or a log.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken


class SecretKeyError(ValueError):
    """``BADGEBOT_SECRET_KEY`` is missing or is not a Fernet key."""


class SecretBox:
    """Encrypts and decrypts text under one Fernet key."""

    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.strip().encode("ascii"))
        except (ValueError, TypeError, UnicodeError):
            raise SecretKeyError(
                "BADGEBOT_SECRET_KEY is not a valid key: run `python -m bot secret-key` "
                "and set the line it prints."
            ) from None

    def encrypt(self, text: str) -> str:
        """``text`` encrypted, as URL-safe ASCII fit for a text column."""
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The text behind :meth:`encrypt`'s output; SecretKeyError if it was made under
        another key or changed since."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError, UnicodeError):
            raise SecretKeyError(
                "a stored secret cannot be decrypted with BADGEBOT_SECRET_KEY: was the key "
                "changed? Connect the workspace again."
            ) from None


def new_key() -> str:
    """A new random key for ``BADGEBOT_SECRET_KEY``."""
    return Fernet.generate_key().decode("ascii")


def last_four(secret: str) -> str:
    """What may be shown of a token once it is stored: its last four characters."""
    return secret[-4:] if len(secret) > 8 else "…"
