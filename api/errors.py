"""The errors the Quantive client raises: one type per outcome a caller treats differently.

Every message is written for a person and says what they can do about it. None of them
carries the API token, the request headers or a raw response body.
"""

from __future__ import annotations


class QuantiveError(Exception):
    """Base of every error raised by :class:`api.client.QuantiveClient`."""

    #: A short message a chat user can act on.
    user_message: str = "Quantive answered with an error. Please try again in a minute."

    def __init__(self, message: str | None = None, *, status: int | None = None) -> None:
        super().__init__(message or self.user_message)
        self.status = status
        if message:
            self.user_message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, message={str(self)!r})"


class AuthenticationError(QuantiveError):
    """401: the API token or account id is wrong."""

    user_message = (
        "Quantive rejected the bot's API token (401). An admin should check "
        "QUANTIVE_API_TOKEN and QUANTIVE_ACCOUNT_ID."
    )


class PlanError(QuantiveError):
    """402: the account's plan does not include badges."""

    user_message = (
        "This Quantive plan does not include badges (402). An admin can enable the feature "
        "in Quantive's billing settings."
    )


class PermissionDenied(QuantiveError):
    """403: the token's user lacks the permission for this action."""

    user_message = (
        "Quantive refused the request (403): the API token's user lacks the permission. "
        "An admin should grant it 'Award badges' and 'Manage badges'."
    )


class NotFound(QuantiveError):
    """404: the badge, assignment or user does not exist."""

    user_message = "Quantive could not find that item (404). It may have been deleted."


class BadRequest(QuantiveError):
    """400: Quantive rejected the input; ``server_message`` holds its reason when it gave one."""

    def __init__(self, server_message: str | None = None, *, status: int | None = 400) -> None:
        self.server_message = server_message
        text = f"Quantive rejected the request: {server_message}" if server_message else None
        super().__init__(text or "Quantive rejected the request as invalid (400).", status=status)


class InvalidId(BadRequest):
    """An id from a button, a form or a stored row is not shaped like a Quantive id.

    Raised before any request is sent, so the value never reaches a URL.
    """

    def __init__(self) -> None:
        super().__init__(None, status=None)
        self.user_message = "That item's id is not valid, so nothing was sent to Quantive."
        self.args = (self.user_message,)


class RateLimited(QuantiveError):
    """429: too many requests; ``retry_after`` is the server's hint in seconds."""

    def __init__(self, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        wait = f" Try again in {int(retry_after) or 1} s." if retry_after else ""
        super().__init__(f"Quantive is busy (429).{wait}", status=429)


class ServerError(QuantiveError):
    """5xx on a request that is safe to repeat, after the retries ran out."""

    user_message = "Quantive is having trouble right now. Please try again in a few minutes."


class Unreachable(QuantiveError):
    """The request never reached Quantive: connection refused, DNS, or connect timeout."""

    user_message = (
        "The bot could not reach Quantive. Check QUANTIVE_API_URL and the network, "
        "or try again in a few minutes."
    )


class OutcomeUnknown(QuantiveError):
    """A request that must not be repeated may have reached Quantive, but no answer came back.

    Raised for POST requests (create, assign, approve) on a read timeout or a 5xx answer.
    Repeating blindly could double an award, so the caller must check before trying again.
    """

    user_message = (
        "Quantive did not confirm the request, so it may or may not have gone through. "
        "Check before trying again."
    )
