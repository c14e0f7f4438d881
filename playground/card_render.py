"""Adaptive Cards rendered to HTML for the playground's Teams view: the elements the bot
uses (TextBlock, RichTextBlock, FactSet, ColumnSet, Image, Container, ActionSet,
Input.Text, Input.ChoiceSet) and actions (Action.Execute, Action.ShowCard,
Action.Submit, Action.OpenUrl). Every text is escaped; only TextBlock reads ``**bold**``, as Teams'
markdown does, and a RichTextBlock's runs are never markdown."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from typing import Any

Element = dict[str, Any]
#: People for Teams' people picker (``Data.Query`` on graph users): (value, name).
Directory = Iterable[tuple[str, str]]


def _markdown(text: str) -> str:
    escaped = html.escape(text)
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", escaped).replace("\n", "<br>")


def _run(run: Element) -> str:
    text = html.escape(str(run.get("text", ""))).replace("\n", "<br>")
    if run.get("weight") == "Bolder":
        text = f"<b>{text}</b>"
    if run.get("italic"):
        text = f"<i>{text}</i>"
    if run.get("isSubtle"):
        text = f'<span class="subtle">{text}</span>'
    return text


def card_to_html(card: Element | None, people: Directory = (), key: str = "card") -> str:
    """A whole card, its actions at the bottom; ``key`` makes its ShowCard ids stable
    across redraws (the message id), so an open one stays open."""
    if not isinstance(card, dict):
        return ""
    people = list(people)
    body = "".join(
        element_to_html(e, people, f"{key}-{i}") for i, e in enumerate(card.get("body") or [])
    )
    actions = actions_to_html(card.get("actions") or [], people, f"{key}-a")
    return f'<div class="ac-card">{body}{actions}</div>'


def element_to_html(element: Element, people: list[tuple[str, str]], key: str) -> str:
    """One body element."""
    kind = element.get("type")
    separator = " ac-separator" if element.get("separator") else ""
    if kind == "TextBlock":
        size = " ac-large" if element.get("size") in ("Medium", "Large") else ""
        weight = " ac-bold" if element.get("weight") == "Bolder" else ""
        return f'<div class="ac-text{size}{weight}">{_markdown(str(element.get("text", "")))}</div>'
    if kind == "RichTextBlock":
        runs = "".join(_run(r) for r in element.get("inlines") or [] if isinstance(r, dict))
        return f'<div class="ac-text">{runs}</div>'
    if kind == "FactSet":
        rows = "".join(
            f"<tr><th>{html.escape(str(f.get('title', '')))}</th>"
            f"<td>{html.escape(str(f.get('value', '')))}</td></tr>"
            for f in element.get("facts") or []
        )
        return f'<table class="ac-facts">{rows}</table>'
    if kind == "ColumnSet":
        columns = "".join(
            '<div class="ac-column">'
            + "".join(
                element_to_html(item, people, f"{key}-{n}-{m}")
                for m, item in enumerate(c.get("items") or [])
            )
            + "</div>"
            for n, c in enumerate(element.get("columns") or [])
        )
        return f'<div class="ac-columns{separator}">{columns}</div>'
    if kind == "Image":
        url = str(element.get("url", ""))
        if not url.startswith(("https://", "http://", "data:image/")):
            return ""
        alt = html.escape(str(element.get("altText", "")))
        return f'<img class="ac-image" src="{html.escape(url)}" alt="{alt}">'
    if kind == "Container":
        items = "".join(
            element_to_html(item, people, f"{key}-{m}")
            for m, item in enumerate(element.get("items") or [])
        )
        return f'<div class="ac-container{separator}">{items}</div>'
    if kind == "ActionSet":
        return actions_to_html(element.get("actions") or [], people, key)
    if kind == "Input.Text":
        return _input_text(element)
    if kind == "Input.ChoiceSet":
        return _choice_set(element, people)
    return ""


def _label(element: Element) -> str:
    label = html.escape(str(element.get("label", "")))
    return f'<span class="ac-label">{label}</span>' if label else ""


def _input_text(element: Element) -> str:
    name = html.escape(str(element.get("id", "")))
    value = html.escape(str(element.get("value", "")))
    limit = int(element.get("maxLength") or 0)
    length = f' maxlength="{limit}"' if limit else ""
    if element.get("isMultiline"):
        field = f'<textarea class="field" data-input="{name}"{length}>{value}</textarea>'
    else:
        field = f'<input class="field" data-input="{name}" value="{value}"{length}>'
    return f'<label class="ac-input">{_label(element)}{field}</label>'


def _choice_set(element: Element, people: list[tuple[str, str]]) -> str:
    name = html.escape(str(element.get("id", "")))
    choices = [
        (str(c.get("value", "")), str(c.get("title", ""))) for c in element.get("choices") or []
    ]
    query = element.get("choices.data") or {}
    if query.get("dataset") == "graph.microsoft.com/users":
        choices += people  # Teams' people picker: the tenant's people
    multiple = " multiple" if element.get("isMultiSelect") else ""
    current = str(element.get("value") or "")
    # The card's value is preselected, as in Teams: an edit form keeps what it was given.
    options = "".join(
        f'<option value="{html.escape(value)}"{" selected" if value == current else ""}>'
        f"{html.escape(title)}</option>"
        for value, title in choices
    )
    blank = "" if multiple else '<option value="">Choose…</option>'
    field = f'<select class="field" data-input="{name}"{multiple}>{blank}{options}</select>'
    return f'<label class="ac-input">{_label(element)}{field}</label>'


def actions_to_html(actions: list[Element], people: list[tuple[str, str]], key: str) -> str:
    """Buttons; a ShowCard's card follows, hidden until its button is clicked."""
    buttons, shown = [], []
    for number, action in enumerate(actions):
        title = html.escape(str(action.get("title", "")))
        style = {"positive": " primary", "destructive": " danger"}.get(action.get("style"), "")
        kind = action.get("type")
        if kind == "Action.Execute":
            data = html.escape(json.dumps(action.get("data") or {}))
            verb = html.escape(str(action.get("verb", "")))
            buttons.append(
                f'<button class="btn{style}" data-verb="{verb}" data-data="{data}">{title}</button>'
            )
        elif kind == "Action.Submit":
            data = html.escape(json.dumps(action.get("data") or {}))
            buttons.append(f'<button class="btn primary" data-submit="{data}">{title}</button>')
        elif kind == "Action.OpenUrl":
            url = str(action.get("url", ""))
            if url.startswith(("https://", "http://")):  # never javascript: or data:
                buttons.append(
                    f'<a class="btn" href="{html.escape(url)}" target="_blank" '
                    f'rel="noopener noreferrer">{title}</a>'
                )
        elif kind == "Action.ShowCard":
            target = f"sc-{key}-{number}"
            buttons.append(f'<button class="btn{style}" data-show="{target}">{title}</button>')
            inner = card_to_html(action.get("card"), people, target)
            shown.append(f'<div class="ac-showcard" id="{target}" hidden>{inner}</div>')
    return f'<div class="ac-actions">{"".join(buttons)}</div>{"".join(shown)}'
