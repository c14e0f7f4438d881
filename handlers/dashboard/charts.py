"""Server-side SVG charts: no script, no CDN, nothing leaves the bot. Each chart is an
``<svg role="img">`` with a ``<title>`` and a description, each bar has its own
``<title>`` (a tooltip, and what a screen reader reads), and the page puts a table of the
same numbers beside it. Every text is escaped here."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.dashboard.figures import Count, WeekBar

#: The three outcomes, in stacking order, with colours that differ in lightness too
#: (readable in greyscale and by most colour-blind readers).
OUTCOMES = (("approved", "#1f6f4a"), ("pending", "#d08c00"), ("rejected", "#b3261e"))
WIDTH = 640


def weekly_chart(weeks: Sequence[WeekBar], *, chart_id: str = "weekly") -> str:
    """Awards per week as stacked bars (approved, pending, rejected)."""
    title = "Awards per week, by outcome"
    if not weeks:
        return _empty(title, chart_id)
    height, top, bottom, left = 220, 12, 36, 36
    plot_h = height - top - bottom
    most = max(w.approved + w.pending + w.rejected for w in weeks) or 1
    step = (WIDTH - left - 8) / len(weeks)
    bar_w = max(4.0, min(48.0, step * 0.7))
    parts = [_axis(left, top, plot_h, most)]
    label_every = -(-len(weeks) // 7)  # at most 7 dates under the bars, so none overlap
    for i, week in enumerate(weeks):
        x = left + i * step + (step - bar_w) / 2
        y = top + plot_h
        total = week.approved + week.pending + week.rejected
        counts = {"approved": week.approved, "pending": week.pending, "rejected": week.rejected}
        label = (
            f"Week of {week.week_start.isoformat()}: {total} awards, {week.approved} approved, "
            f"{week.pending} pending, {week.rejected} rejected"
        )
        rects = []
        for outcome, colour in OUTCOMES:
            h = plot_h * counts[outcome] / most
            if h <= 0:
                continue
            y -= h
            rects.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{colour}" class="bar-{outcome}"/>'
            )
        parts.append(
            f'<g class="week" data-week="{week.week_start.isoformat()}">'
            f"<title>{escape(label)}</title>{''.join(rects)}</g>"
        )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 16}" '
                f'text-anchor="middle" class="tick">{week.week_start.strftime("%d %b")}</text>'
            )
    return _svg(title, chart_id, height, parts, "Stacked bars; the table below has the numbers.")


def count_chart(title: str, counts: Sequence[Count], *, chart_id: str) -> str:
    """Horizontal bars of labelled counts (awards by badge, by team)."""
    if not counts:
        return _empty(title, chart_id)
    # A narrower canvas than the weekly chart's: these sit in a third of the page, and
    # their labels must stay readable there once scaled.
    width, row_h, label_w = 360, 26, 130
    height = row_h * len(counts) + 8
    most = max(c.count for c in counts) or 1
    bar_room = width - label_w - 40
    parts = []
    for i, item in enumerate(counts):
        y = 4 + i * row_h
        w = max(1.0, bar_room * item.count / most)
        label = _shorten(item.label, 18)
        parts.append(
            f'<g class="count" data-key="{escape(item.key)}">'
            f"<title>{escape(item.label)}: {item.count}</title>"
            f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end" class="label">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 10}" '
            f'fill="#2f5d8a"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 18}" class="value">{item.count}</text></g>'
        )
    return _svg(title, chart_id, height, parts, "Bars; the table below has the numbers.", width)


def _axis(left: int, top: int, plot_h: int, most: int) -> str:
    """The baseline and the top value, enough to read the bars' scale."""
    base = top + plot_h
    return (
        f'<line x1="{left}" y1="{base}" x2="{WIDTH - 4}" y2="{base}" class="axis"/>'
        f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" class="tick">{most}</text>'
        f'<text x="{left - 6}" y="{base}" text-anchor="end" class="tick">0</text>'
    )


def _svg(
    title: str, chart_id: str, height: int, parts: list[str], desc: str, width: int = WIDTH
) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" role="img" class="chart" id="{chart_id}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'preserveAspectRatio="xMinYMin meet">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>{"".join(parts)}</svg>'
    )


def _empty(title: str, chart_id: str) -> str:
    return f'<p class="empty" id="{chart_id}">{escape(title)}: no awards in this period.</p>'


def _shorten(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"
