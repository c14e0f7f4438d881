"""The dashboard's HTML shell (inline CSS: no CDN, no web font) and its small pages:
sign-in, not allowed, and a message. Every text from outside is escaped here or by the
caller, with html.escape."""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

#: Nothing loads from anywhere but the page itself; no script runs at all.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

CSS = """
:root { color-scheme: light; --ink: #1d2330; --muted: #5a6272; --line: #d9dde5;
  --card: #fff; --bg: #f4f6f9; --accent: #2f5d8a; --focus: #0b57d0; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: var(--bg); }
header.top { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center;
  justify-content: space-between; padding: .75rem 1.25rem; background: var(--card);
  border-bottom: 1px solid var(--line); }
header.top h1 { font-size: 1.25rem; margin: 0; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, select:focus-visible, input:focus-visible,
summary:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
button, .button { font: inherit; padding: .45rem .9rem; border-radius: .4rem;
  border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer;
  text-decoration: none; display: inline-block; }
button.quiet, .button.quiet { background: transparent; color: var(--accent); }
form.filters { display: flex; flex-wrap: wrap; gap: .75rem; align-items: flex-end;
  background: var(--card); border: 1px solid var(--line); border-radius: .5rem;
  padding: .75rem 1rem; }
form.filters label { display: flex; flex-direction: column; font-size: .9rem;
  color: var(--muted); gap: .2rem; }
select, input { font: inherit; padding: .35rem .5rem; border: 1px solid #9aa3b2;
  border-radius: .35rem; background: #fff; color: var(--ink); min-width: 9rem; }
.notes { background: #fff4d6; border: 1px solid #e8c66a; border-radius: .5rem;
  padding: .5rem 1rem; }
.grid { display: grid; gap: 1rem; margin-top: 1rem;
  grid-template-columns: repeat(auto-fit, minmax(min(100%, 20rem), 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: .5rem;
  padding: .75rem 1rem; min-width: 0; }
.card.wide { grid-column: 1 / -1; }
.card h2 { font-size: 1.05rem; margin: .2rem 0 .6rem; }
.stats { display: grid; gap: .75rem; grid-template-columns: repeat(auto-fit,
  minmax(min(100%, 10rem), 1fr)); margin-top: 1rem; }
.stat { background: var(--card); border: 1px solid var(--line); border-radius: .5rem;
  padding: .6rem 1rem; }
.stat .value { font-size: 1.7rem; font-weight: 650; display: block; }
.stat .what { color: var(--muted); font-size: .9rem; }
svg.chart { width: 100%; height: auto; display: block; }
svg .tick, svg .label, svg .value { font-size: 12px; fill: var(--ink); }
svg .axis { stroke: #8a93a3; }
.legend { display: flex; gap: 1rem; flex-wrap: wrap; font-size: .9rem; margin: .3rem 0; }
.swatch { display: inline-block; width: .9em; height: .9em; border-radius: .15em;
  vertical-align: -.1em; margin-right: .3em; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line);
  vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.scroll { overflow-x: auto; }
details summary { cursor: pointer; color: var(--accent); margin: .4rem 0; }
ol.top { margin: 0; padding-left: 1.4rem; }
ol.top li { display: list-item; }
ol.top .count { float: right; font-variant-numeric: tabular-nums; }
.comment { border-bottom: 1px solid var(--line); padding: .5rem 0; }
.comment p { margin: .2rem 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.meta { color: var(--muted); font-size: .85rem; }
.empty { color: var(--muted); }
.signin { max-width: 28rem; margin: 3rem auto; text-align: center; }
.signin .button { display: block; margin: .75rem 0; padding: .7rem; }
@media (max-width: 40rem) { main { padding: .75rem; } form.filters label { flex: 1 1 100%; }
  select, input { width: 100%; } }
"""


def shell(title: str, body: str, *, header: str = "") -> str:
    """A whole page around ``body`` (already escaped HTML)."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f'<body>{header}<main id="main">{body}</main></body></html>'
    )


def html_response(content: str, status: int = 200) -> HTMLResponse:
    """A page with the dashboard's security headers."""
    return HTMLResponse(content, status, headers=SECURITY_HEADERS)


def sign_in_page(*, slack: bool, microsoft: bool, message: str = "") -> str:
    """The choice of sign-in: Slack, Microsoft, or both."""
    buttons = []
    if slack:
        buttons.append('<a class="button" href="/dashboard/login/slack">Sign in with Slack</a>')
    if microsoft:
        buttons.append(
            '<a class="button" href="/dashboard/login/microsoft">Sign in with Microsoft</a>'
        )
    note = f'<p class="notes" role="alert">{escape(message)}</p>' if message else ""
    body = (
        '<section class="signin"><h1>badgebot dashboard</h1>'
        f"{note}<p>Recognition across your workspace, for badge admins and approvers.</p>"
        f"{''.join(buttons)}</section>"
    )
    return shell("Sign in · badgebot dashboard", body)


ANOTHER_ACCOUNT = '<a class="button quiet" href="/dashboard/login">Sign in as someone else</a>'


def forbidden_page(who: str, reason: str, csrf: str | None = None) -> str:
    """The 403 page: who is signed in, why they may not see it, and who may; with a
    sign-out button when a session is open (``csrf``)."""
    body = (
        '<section class="signin"><h1>Not for this account</h1>'
        f"<p>You are signed in as <strong>{escape(who)}</strong>.</p>"
        f'<p id="reason">{escape(reason)}</p>'
        "<p>The dashboard is shown only to the badge admins and approvers of a workspace "
        "(BADGE_ADMINS and BADGE_APPROVERS for Slack, TEAMS_ADMINS and TEAMS_APPROVERS "
        "for Teams, or the Settings of the bot's Home tab), and only with their own "
        "workspace's data. Ask one of them to add you.</p>"
        f"{logout_form(csrf) if csrf else ANOTHER_ACCOUNT}</section>"
    )
    return shell("Not allowed · badgebot dashboard", body)


def message_page(title: str, text: str) -> str:
    """A short page saying what happened, with a way back to sign-in."""
    body = (
        f'<section class="signin"><h1>{escape(title)}</h1><p role="alert">{escape(text)}</p>'
        '<a class="button" href="/dashboard/login">Back to sign-in</a></section>'
    )
    return shell(f"{title} · badgebot dashboard", body)


def logout_form(csrf: str) -> str:
    """The sign-out button: a POST with the session's token (a link could be forged)."""
    return (
        '<form method="post" action="/dashboard/logout" class="logout">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        '<button type="submit" class="quiet">Sign out</button></form>'
    )
