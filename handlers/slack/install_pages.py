"""The web pages of "Add to Slack": the install page, and the pages an installer sees when
Slack sends them back. Pure functions of their inputs; every value is HTML-escaped, since
workspace names and Slack's error codes come from outside."""

from __future__ import annotations

import html
import urllib.parse

#: The button, drawn by the page itself: Slack's image would be fetched from Slack's CDN,
#: and the bot's pages load nothing from anywhere but the bot.
_BUTTON = "Add to Slack"
_BUTTON_STYLE = (
    "#add-to-slack{display:inline-block;padding:.6rem 1.1rem;border:1px solid #ddd;"
    "border-radius:6px;color:#1d1c1d;background:#fff;font-weight:700;text-decoration:none}"
    "#add-to-slack:hover,#add-to-slack:focus{border-color:#611f69;outline:2px solid #611f69}"
)

#: What each failure Bolt's OAuth flow reports means to the person installing.
_FAILURES = {
    "access_denied": "The install was cancelled in Slack, so nothing was installed.",
    "invalid_browser": (
        "This page was opened in a different browser from the one that started the install "
        "(or with cookies turned off), so it cannot be trusted. Nothing was installed."
    ),
    "invalid_state": (
        "This install link has expired or was already used. Nothing was installed by it."
    ),
    "missing_code": "Slack did not send an install code, so nothing was installed.",
    "invalid_code": (
        "Slack did not confirm the install (its code had expired or was already used), "
        "so nothing was installed."
    ),
    "storage_error": "badgebot could not record the install. Nothing was installed.",
    "unavailable": "badgebot could not complete the install right now. Nothing was installed.",
}


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;"
        f"padding:0 1rem;line-height:1.5}}{_BUTTON_STYLE}</style></head>\n"
        f"<body><h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n"
    )


def authorize_url(
    authorization_url: str,
    *,
    client_id: str,
    scopes: list[str],
    redirect_uri: str,
    state: str,
    team: str | None = None,
) -> str:
    """Slack's authorize URL, every parameter URL-encoded (slack_sdk's generator pastes
    them in as they are, so a ``team`` from the query string could add parameters)."""
    query = {"client_id": client_id, "scope": ",".join(scopes), "redirect_uri": redirect_uri}
    query["state"] = state
    if team:
        query["team"] = team
    return f"{authorization_url}?{urllib.parse.urlencode(query)}"


def install_page(url: str) -> str:
    """The "Add to Slack" page: one link to Slack's authorize URL."""
    return _page(
        "Install badgebot",
        "<p>badgebot lets your workspace give and approve Quantive badges in Slack.</p>\n"
        f'<p><a id="add-to-slack" href="{html.escape(url)}">{_BUTTON}</a></p>\n'
        "<p>After the install, open badgebot's Home tab in Slack to connect Quantive.</p>",
    )


def success_page(workspace: str | None, home_url: str | None) -> str:
    """The page after a completed install: which workspace, and what to do next."""
    name = html.escape(workspace or "your workspace")
    home = (
        f'<p><a id="open-home" href="{html.escape(home_url)}">Open badgebot in Slack</a></p>'
        if home_url
        else ""
    )
    return _page(
        "badgebot is installed",
        f"<p>badgebot is now installed in <strong>{name}</strong>.</p>\n"
        "<p>Next, open <strong>badgebot's Home tab</strong> in Slack: a workspace admin "
        "connects your Quantive account there, and then everyone can give badges.</p>\n"
        f"{home}",
    )


def failure_page(reason: str, install_path: str) -> str:
    """The page after an install that did not complete, with a link to start again."""
    text = _FAILURES.get(reason)
    if text is None:
        # An ``error`` Slack put in the redirect (invalid_scope, ...): name it as it is.
        text = f"Slack did not complete the install ({reason[:100]}), so nothing was installed."
    return _page(
        "badgebot was not installed",
        f"<p>{html.escape(text)}</p>\n"
        f'<p><a id="start-again" href="{html.escape(install_path)}">Start the install again</a>'
        "</p>",
    )


def home_tab_url(app_id: str | None, team_id: str | None) -> str | None:
    """Slack's link that opens the app in the installer's workspace; None without an app id."""
    if not app_id:
        return None
    query = {"app": app_id, **({"team": team_id} if team_id else {})}
    return f"https://slack.com/app_redirect?{urllib.parse.urlencode(query)}"
