"""The frames of the bot's modals: the forms (give, reject, badge editor, settings,
connect), their inputs, and the modals that only say one thing (a refusal, "checking…",
"saved", the stand-in opened while something loads), which Slack needs where a click or
a submission has no channel to answer in (the Home tab, another modal).

Every builder puts the keys in the order the bot has always sent them.
"""

from __future__ import annotations

from typing import Any

from handlers.slack.block_limits import Block


def form_modal(
    callback_id: str,
    title: str,
    submit: str,
    blocks: list[Block],
    *,
    private_metadata: str | None = None,
) -> dict[str, Any]:
    """A form: ``blocks`` under ``title``, with a ``submit`` button (its submission comes
    back as ``callback_id``) and Cancel; ``private_metadata`` carries what the submission
    needs to know and no input holds (the channel it was opened from, the badge edited)."""
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
    }
    if private_metadata is not None:
        view["private_metadata"] = private_metadata
    view["blocks"] = blocks
    return view


def input_block(block_id: str, label: str, element: Block, *, optional: bool = False) -> Block:
    """An input of a form, read back from the submission by ``block_id``. Slack adds
    "(optional)" to an optional input's label itself."""
    block: Block = {"type": "input", "block_id": block_id, "element": element}
    if optional:
        block["optional"] = True
    block["label"] = {"type": "plain_text", "text": label}
    return block


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
    the modal that follows needs."""
    view: dict[str, Any] = {"type": "modal"}
    if callback_id is not None:
        view["callback_id"] = callback_id
    view["title"] = {"type": "plain_text", "text": title}
    view["close"] = {"type": "plain_text", "text": close}
    if private_metadata is not None:
        view["private_metadata"] = private_metadata
    view["blocks"] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    return view
