"""The dashboard page: the filter form, the figures as cards, charts with their tables,
top lists, participation, the queue and the newest comments. Pure: figures in, HTML out,
every text from people or Quantive escaped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from html import escape

from bot.dashboard.figures import Count, Figures
from handlers.dashboard.charts import OUTCOMES, count_chart, weekly_chart
from handlers.dashboard.choice import Choice
from handlers.dashboard.layout import logout_form, shell

PERIOD_LABELS = {
    "week": "This week",
    "month": "This month",
    "quarter": "This quarter",
    "year": "This year",
    "custom": "Custom range",
}


def dashboard_page(
    figures: Figures,
    choice: Choice,
    *,
    badges: Sequence[Count],
    teams: Sequence[Count],
    notes: Sequence[str],
    who: str,
    csrf: str,
    can_export: bool,
) -> str:
    """The whole page for one period and filter."""
    header = (
        '<header class="top"><h1>badgebot dashboard</h1>'
        f'<div class="meta">Signed in as {escape(who)}</div>{logout_form(csrf)}</header>'
    )
    note_html = "".join(f"<p>{escape(n)}</p>" for n in notes)
    body = [
        _filters(figures, choice, badges, teams),
        f'<div class="notes" role="status">{note_html}</div>' if notes else "",
        _stats(figures),
        '<div class="grid">',
        _weekly(figures),
        _counts_card("Awards by badge", figures.by_badge, "by-badge", "Badge"),
        _counts_card("Awards by team", figures.by_team, "by-team", "Team"),
        _top_card("Most recognised people", figures.top_people, "top-people"),
        _top_card("Most recognised teams", figures.top_teams, "top-teams"),
        _top_card("Most generous givers", figures.top_givers, "top-givers"),
        _queue(figures),
        _comments(figures),
        "</div>",
    ]
    if can_export:
        body.append(
            '<p><a class="button" id="export" '
            f'href="/dashboard/export.csv?{escape(choice.query())}" download>'
            "Download this period as CSV</a></p>"
        )
    return shell("badgebot dashboard", "".join(body), header=header)


def _filters(
    figures: Figures, choice: Choice, badges: Sequence[Count], teams: Sequence[Count]
) -> str:
    period = figures.period
    last_day = (period.end - timedelta(microseconds=1)).date()
    first = choice.first_day or period.start.date().isoformat()
    last = choice.last_day or last_day.isoformat()
    periods = "".join(
        f'<option value="{k}"{" selected" if k == choice.period else ""}>{v}</option>'
        for k, v in PERIOD_LABELS.items()
    )
    return (
        '<form class="filters" method="get" action="/dashboard" aria-label="Filters">'
        f'<label>Period<select name="period" id="period">{periods}</select></label>'
        f'<label>From (custom)<input type="date" name="from" id="from" value="{escape(first)}">'
        "</label>"
        f'<label>To (custom)<input type="date" name="to" id="to" value="{escape(last)}"></label>'
        f"{_select('Badge', 'badge', 'Every badge', badges, choice.badge_id)}"
        f"{_select('Team', 'team', 'Every team', teams, choice.team_id)}"
        '<button type="submit" id="apply">Show</button></form>'
        f'<p class="meta" id="period-shown">{escape(_period_words(figures))}</p>'
    )


def _select(label: str, name: str, every: str, items: Sequence[Count], chosen: str | None) -> str:
    options = [f'<option value="">{every}</option>']
    for item in items:
        selected = " selected" if item.key == chosen else ""
        options.append(
            f'<option value="{escape(item.key)}"{selected}>{escape(item.label)}</option>'
        )
    return f'<label>{label}<select name="{name}" id="{name}">{"".join(options)}</select></label>'


#: How the page names each period.
_PERIOD_WORDS = {
    "week": "This week",
    "month": "This month",
    "quarter": "This quarter",
    "year": "This year",
    "custom": "Custom range",
}


def _period_words(figures: Figures) -> str:
    period = figures.period
    # In the period's own time zone: its first and last local days.
    words = _PERIOD_WORDS.get(period.name, period.name)
    return f"{words}: {period.first_day.isoformat()} to {period.last_day.isoformat()}"


def _stats(figures: Figures) -> str:
    p, q = figures.participation, figures.queue
    known = f" of {p.known_people} known" if p.known_people else ""
    cards = [
        ("total", str(figures.total), "awards in this period"),
        ("givers", str(p.givers), f"people gave{known}"),
        ("receivers", str(p.receivers), f"people received{known}"),
        ("queue-waiting", str(q.waiting), "waiting for approval"),
    ]
    return (
        '<section class="stats" aria-label="Summary">'
        + "".join(
            f'<div class="stat"><span class="value" id="{i}">{v}</span>'
            f'<span class="what">{escape(w)}</span></div>'
            for i, v, w in cards
        )
        + "</section>"
    )


def _weekly(figures: Figures) -> str:
    legend = "".join(
        f'<span><span class="swatch" style="background:{c}"></span>{o}</span>' for o, c in OUTCOMES
    )
    rows = "".join(
        f'<tr data-week="{w.week_start.isoformat()}"><td>{w.week_start.isoformat()}</td>'
        f'<td class="n approved">{w.approved}</td><td class="n pending">{w.pending}</td>'
        f'<td class="n rejected">{w.rejected}</td>'
        f'<td class="n total">{w.approved + w.pending + w.rejected}</td></tr>'
        for w in figures.weeks
    )
    table = (
        '<details><summary>Table of awards per week</summary><div class="scroll">'
        '<table id="weekly-table"><thead><tr><th scope="col">Week of</th>'
        '<th scope="col" class="n">Approved</th><th scope="col" class="n">Pending</th>'
        '<th scope="col" class="n">Rejected</th><th scope="col" class="n">Total</th></tr>'
        f"</thead><tbody>{rows}</tbody></table></div></details>"
    )
    return (
        '<section class="card wide" aria-labelledby="weekly-h"><h2 id="weekly-h">Awards per week'
        f'</h2><div class="legend" aria-hidden="true">{legend}</div>'
        f"{weekly_chart(figures.weeks)}{table}</section>"
    )


def _counts_card(title: str, counts: Sequence[Count], ident: str, what: str) -> str:
    rows = "".join(
        f'<tr data-key="{escape(c.key)}"><td>{escape(c.label)}</td>'
        f'<td class="n">{c.count}</td></tr>'
        for c in counts
    )
    table = (
        f"<details><summary>Table of {title.lower()}</summary>"
        f'<table id="{ident}-table"><thead><tr><th scope="col">{what}</th>'
        f'<th scope="col" class="n">Awards</th></tr></thead><tbody>{rows}</tbody></table>'
        "</details>"
    )
    return (
        f'<section class="card" aria-labelledby="{ident}-h"><h2 id="{ident}-h">{title}</h2>'
        f"{count_chart(title, counts, chart_id=ident)}{table if counts else ''}</section>"
    )


def _top_card(title: str, counts: Sequence[Count], ident: str) -> str:
    if counts:
        items = "".join(
            f'<li data-key="{escape(c.key)}"><span class="who">{escape(c.label)}</span>'
            f'<span class="count">{c.count}</span></li>'
            for c in counts
        )
        inner = f'<ol class="top" id="{ident}">{items}</ol>'
    else:
        inner = f'<p class="empty" id="{ident}">Nobody in this period.</p>'
    return (
        f'<section class="card" aria-labelledby="{ident}-h">'
        f'<h2 id="{ident}-h">{title}</h2>{inner}</section>'
    )


def _queue(figures: Figures) -> str:
    q = figures.queue
    oldest = _when(q.oldest_given_at) if q.oldest_given_at is not None else "none waiting"
    median = _duration(q.median_decision_seconds)
    share = f"{q.rejected_share:.0%}" if q.rejected_share is not None else "no decisions yet"
    return (
        '<section class="card" aria-labelledby="queue-h"><h2 id="queue-h">Approval queue</h2>'
        "<table><tbody>"
        f'<tr><th scope="row">Waiting</th><td class="n" id="queue-count">{q.waiting}</td></tr>'
        f'<tr><th scope="row">Oldest waiting since</th><td class="n">{oldest}</td></tr>'
        f'<tr><th scope="row">Median time to decide</th><td class="n">{median}</td></tr>'
        f'<tr><th scope="row">Share rejected</th><td class="n">{share}</td></tr>'
        "</tbody></table></section>"
    )


def _comments(figures: Figures) -> str:
    if not figures.comments:
        inner = '<p class="empty">No comments in this period.</p>'
    else:
        inner = "".join(
            f'<article class="comment"><div class="meta">{_when(c.given_at)} · '
            f"{escape(c.badge_name)} · {escape(c.giver)} → {escape(c.recipients)}</div>"
            f"<p>{escape(c.comment)}</p></article>"
            for c in figures.comments
        )
    return (
        '<section class="card wide" aria-labelledby="comments-h">'
        f'<h2 id="comments-h">Newest comments</h2><div id="comments">{inner}</div></section>'
    )


def _when(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "no decisions yet"
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
