"""Block Kit and mrkdwn rendered to HTML for the playground page.

Everything a message carries is treated as untrusted: Slack's entities are undone and the
text is HTML-escaped before any formatting is applied, so ``<script>`` shows as text.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any

Block = dict[str, Any]
NameOf = Callable[[str], str]

EMOJI = {
    "tada": "🎉",
    "white_check_mark": "✅",
    "x": "❌",
    "hourglass_flowing_sand": "⏳",
    "information_source": "\u2139\ufe0f",
    "sparkles": "✨",
    "trophy": "🏆",
    "handshake": "🤝",
    "telescope": "🔭",
    "jigsaw": "🧩",
    "bulb": "💡",
    "mortar_board": "🎓",
    "rocket": "🚀",
    "heart": "❤️",
    "star2": "🌟",
    "dart": "🎯",
    "crown": "👑",
    "fire": "🔥",
    "medal": "🏅",
    "sports_medal": "🏅",
    "+1": "👍",
    "wastebasket": "🗑️",
    "first_place_medal": "🥇",
    "second_place_medal": "🥈",
    "third_place_medal": "🥉",
}
_REFERENCE = re.compile(r"<([^<>]+)>")
_STYLES = [
    (re.compile(r"`([^`\n]+)`"), r"<code>\1</code>"),
    (re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])"), r"<b>\1</b>"),
    (re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])"), r"<i>\1</i>"),
    (re.compile(r"(?<![\w~])~([^~\n]+)~(?![\w~])"), r"<s>\1</s>"),
    (re.compile(r":([a-z0-9_+\-]+):"), lambda m: EMOJI.get(m.group(1), m.group(0))),
]


def _plain(text: str) -> str:
    """Slack text (with its &amp; &lt; &gt; entities) as escaped HTML with mrkdwn styles."""
    raw = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    escaped = html.escape(raw, quote=False)
    for pattern, replacement in _STYLES:
        escaped = pattern.sub(replacement, escaped)
    return escaped


def _reference(inner: str, name_of: NameOf) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return f'<span class="mention">@{html.escape(label or name_of(target[1:]))}</span>'
    if target.startswith("#"):
        return f'<span class="mention">#{html.escape(label or target[1:])}</span>'
    if target.startswith("!subteam^"):
        return f'<span class="mention">{html.escape(label or "@group")}</span>'
    if target.startswith("!"):
        return f'<span class="mention broadcast">@{html.escape(target[1:])}</span>'
    if re.match(r"^(https?|mailto):", target):
        raw = target.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        href = html.escape(raw, quote=True)
        return f'<a href="{href}" target="_blank" rel="noopener">{_plain(label or target)}</a>'
    return html.escape(f"<{inner}>")


def mrkdwn_to_html(text: str, name_of: NameOf = str) -> str:
    """Slack mrkdwn as safe HTML: mentions by name, links, bold, italic, code and quotes."""
    lines = []
    for line in (text or "").split("\n"):
        quoted = line.startswith(">")
        body = line[1:] if quoted else line
        parts, position = [], 0
        for match in _REFERENCE.finditer(body):
            parts.append(_plain(body[position : match.start()]))
            parts.append(_reference(match.group(1), name_of))
            position = match.end()
        parts.append(_plain(body[position:]))
        rendered = "".join(parts)
        lines.append(f'<span class="quote">{rendered}</span>' if quoted else rendered)
    return "<br>".join(lines)


def text_to_html(obj: dict[str, Any] | None, name_of: NameOf = str) -> str:
    """A text object, plain or mrkdwn."""
    if not obj:
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn_to_html(str(obj.get("text", "")), name_of)
    return html.escape(str(obj.get("text", "")))


def _attr(value: object) -> str:
    return html.escape(str(value), quote=True)


def _button(element: Block, block_id: str) -> str:
    style = element.get("style", "")
    confirm = ""
    if element.get("confirm"):
        dialog = element["confirm"]
        confirm = f' data-confirm="{_attr(json.dumps(dialog.get("text", {}).get("text", "")))}"'
    return (
        f'<button class="btn {_attr(style)}" data-action="{_attr(element.get("action_id"))}"'
        f' data-block="{_attr(block_id)}" data-value="{_attr(element.get("value", ""))}"'
        f"{confirm}>{html.escape(element.get('text', {}).get('text', ''))}</button>"
    )


def _option(option: Block, selected: bool) -> str:
    mark = " selected" if selected else ""
    return (
        f'<option value="{_attr(option.get("value"))}"{mark}>'
        f"{html.escape(option.get('text', {}).get('text', ''))}</option>"
    )


def _input_element(element: Block, block_id: str, people: list[tuple[str, str]]) -> str:
    kind = element.get("type")
    action = element.get("action_id", "")
    name = f'data-block="{_attr(block_id)}" data-action="{_attr(action)}" data-kind="{kind}"'
    if kind == "plain_text_input":
        value = html.escape(element.get("initial_value", ""))
        if element.get("multiline"):
            return f'<textarea class="field" {name}>{value}</textarea>'
        return f'<input class="field" {name} value="{_attr(element.get("initial_value", ""))}">'
    if kind in ("multi_users_select", "users_select"):
        chosen = set(element.get("initial_users") or [element.get("initial_user")])
        options = "".join(
            f'<option value="{_attr(uid)}"{" selected" if uid in chosen else ""}>'
            f"{html.escape(label)}</option>"
            for uid, label in people
        )
        multiple = " multiple size=6" if kind == "multi_users_select" else ""
        return f'<select class="field" {name}{multiple}>{options}</select>'
    if kind == "static_select":
        initial = (element.get("initial_option") or {}).get("value")
        options = '<option value="">—</option>' + "".join(
            _option(o, o.get("value") == initial) for o in element.get("options", [])
        )
        return f'<select class="field" {name}>{options}</select>'
    if kind == "external_select":
        initial = element.get("initial_option")
        options = '<option value="">— pick —</option>'
        if initial:
            options += _option(initial, True)
        return f'<select class="field external" {name}>{options}</select>'
    return f'<span class="unsupported">[{html.escape(str(kind))}]</span>'


def blocks_to_html(
    blocks: list[Block] | None,
    name_of: NameOf = str,
    people: list[tuple[str, str]] | None = None,
    errors: dict[str, str] | None = None,
) -> str:
    """Render a list of blocks: messages, modals and Home tabs alike."""
    out = []
    for block in blocks or []:
        kind = block.get("type")
        block_id = str(block.get("block_id", ""))
        if kind == "header":
            out.append(f'<div class="b-header">{text_to_html(block.get("text"), name_of)}</div>')
        elif kind == "section":
            inner = text_to_html(block.get("text"), name_of)
            fields = "".join(
                f'<div class="field-cell">{text_to_html(f, name_of)}</div>'
                for f in block.get("fields", [])
            )
            accessory = block.get("accessory") or {}
            extra = ""
            if accessory.get("type") == "button":
                extra = _button(accessory, block_id)
            elif accessory.get("type") == "image":
                extra = f'<span class="img">[{html.escape(accessory.get("alt_text", ""))}]</span>'
            grid = f'<div class="fields">{fields}</div>' if fields else ""
            out.append(f'<div class="b-section"><div>{inner}{grid}</div>{extra}</div>')
        elif kind == "context":
            items = []
            for element in block.get("elements", []):
                if element.get("type") == "image":
                    items.append(
                        f'<span class="img">[{html.escape(element.get("alt_text", ""))}]</span>'
                    )
                else:
                    items.append(text_to_html(element, name_of))
            out.append(f'<div class="b-context">{" ".join(items)}</div>')
        elif kind == "divider":
            out.append("<hr>")
        elif kind == "image":
            out.append(f'<div class="img">[{html.escape(block.get("alt_text", ""))}]</div>')
        elif kind == "actions":
            buttons = "".join(
                _button(e, block_id)
                if e.get("type") == "button"
                else _input_element(e, block_id, people or [])
                for e in block.get("elements", [])
            )
            out.append(f'<div class="b-actions">{buttons}</div>')
        elif kind == "input":
            label = text_to_html(block.get("label"), name_of)
            optional = ' <span class="optional">(optional)</span>' if block.get("optional") else ""
            error = (errors or {}).get(block_id)
            error_html = f'<div class="error">{html.escape(error)}</div>' if error else ""
            element = _input_element(block.get("element", {}), block_id, people or [])
            out.append(
                f'<label class="b-input"><span>{label}{optional}</span>{element}'
                f"{error_html}</label>"
            )
        else:
            out.append(f'<div class="unsupported">[{html.escape(str(kind))} block]</div>')
    return "\n".join(out)
