"""Modals that only say one thing: a refusal, "checking…", "saved", the stand-in opened
while something loads. Slack needs a modal, not a message, where a click or a submission
has no channel to answer in (the Home tab, another modal)."""

from __future__ import annotations

from typing import Any


def message_modal(
    title: str,
    text: str,
    *,
    close: str = "Close",
    callback_id: str | None = None,
    private_metadata: str | None = None,
) -> dict[str, Any]:
    """A modal with ``title`` whose one section says ``text`` (mrkdwn, already escaped
    and within Slack's 3,000 characters), with no submit button. ``callback_id`` names it
    where a later submission or update must find it; ``private_metadata`` carries on what
    the modal that follows needs. The keys come in the order the bot has always sent."""
    view: dict[str, Any] = {"type": "modal"}
    if callback_id is not None:
        view["callback_id"] = callback_id
    view["title"] = {"type": "plain_text", "text": title}
    view["close"] = {"type": "plain_text", "text": close}
    if private_metadata is not None:
        view["private_metadata"] = private_metadata
    view["blocks"] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    return view
