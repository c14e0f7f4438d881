"""The recognition dashboard's web side (issue 23): sign-in through Slack (OpenID Connect,
slack_sdk) or Microsoft (msal), signed sessions, the page with server-side SVG charts and
the CSV download. The figures come from bot.dashboard.figures.

Routes (handlers.dashboard.routes.Dashboard, imported only when the dashboard is on, for
it loads slack_sdk and msal): ``GET /dashboard``, ``GET /dashboard/login``,
``GET /dashboard/login/slack``, ``GET /dashboard/auth/slack``,
``GET /dashboard/login/microsoft``, ``GET /dashboard/auth/microsoft``,
``POST /dashboard/logout`` and ``GET /dashboard/export.csv``.
"""

from __future__ import annotations

from bot.settings import Settings


def dashboard_enabled(settings: Settings) -> bool:
    """Whether the dashboard is served: PUBLIC_URL with the Slack app's client id and
    secret, or with the Microsoft app's registration (Teams)."""
    return bool(settings.public_url) and (slack_ready(settings) or microsoft_ready(settings))


def slack_ready(settings: Settings) -> bool:
    """Whether Sign in with Slack can run: the Slack app's client id and secret."""
    secret = settings.slack_client_secret
    return bool(settings.slack_client_id and secret and secret.get_secret_value())


def microsoft_ready(settings: Settings) -> bool:
    """Whether Sign in with Microsoft can run: the Entra app's id, secret and tenant."""
    secret = settings.teams_app_password
    return bool(
        settings.teams_app_id and secret and secret.get_secret_value() and settings.teams_tenant_id
    )
