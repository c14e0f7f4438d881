"""The bot's front ends: ``serve`` (Slack and Teams over HTTP, the Procfile's web process),
``socket`` (Slack in Socket Mode), ``playground`` (offline, no accounts) and ``run`` (the
real bot when configured, else the playground)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bot.cli.migrate import run_migrate

if TYPE_CHECKING:
    from bot.settings import Settings

# Each command's line in --help, and the longer description atop its own --help.
RUN_HELP = "the bot when configured, else the offline playground"
RUN_ABOUT = (
    "Migrate the database and serve the bot when a chat platform (Slack or Teams) and "
    "Quantive are configured; otherwise start the offline playground (make run)."
)
PLAYGROUND_HELP = "the offline playground: the bot with no accounts needed"
PLAYGROUND_ABOUT = (
    "The Quantive emulator, the bot and a page that plays the chat, on loopback: "
    "no Slack, Teams or Quantive account needed."
)
SERVE_HELP = "serve Slack and Teams (whichever is set) and web endpoints"
SERVE_ABOUT = (
    "Serve Slack and Teams, whichever is configured, over HTTP: Slack at POST "
    "/slack/events, Teams at POST /api/messages, and GET /healthz (the Procfile's web "
    "process). The database must be migrated first (badgebot migrate)."
)
SOCKET_HELP = "connect to Slack in Socket Mode (needs SLACK_APP_TOKEN)"
SOCKET_ABOUT = (
    "Connect to Slack in Socket Mode, for deployments without a public URL; needs "
    "SLACK_APP_TOKEN, an app-level token (xapp-)."
)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare ``run``, ``playground``, ``serve`` and ``socket`` and their options."""
    sub.add_parser("run", help=RUN_HELP, description=RUN_ABOUT).set_defaults(run=run_default)
    playground = sub.add_parser("playground", help=PLAYGROUND_HELP, description=PLAYGROUND_ABOUT)
    playground.add_argument(
        "--port", type=int, default=3000, help="default: 3000, or the next free"
    )
    playground.set_defaults(run=run_playground)
    serve = sub.add_parser("serve", help=SERVE_HELP, description=SERVE_ABOUT)
    serve.add_argument("--host", default="0.0.0.0", help="default: 0.0.0.0 (every interface)")
    serve.add_argument("--port", type=int, default=None, help="default: $PORT or 3000")
    serve.set_defaults(run=run_serve)
    sub.add_parser("socket", help=SOCKET_HELP, description=SOCKET_ABOUT).set_defaults(
        run=run_socket
    )


def run_serve(args: argparse.Namespace) -> int:
    """Serve Slack's and Teams' HTTP requests and /healthz (the Procfile's web process)."""
    import uvicorn

    from bot.cli.startup import ready_settings
    from bot.web import create_web_app

    settings = ready_settings("serve")
    if settings is None:
        return 2
    port = args.port if args.port is not None else settings.port
    uvicorn.run(
        create_web_app(settings), host=args.host, port=port, log_level="info", proxy_headers=True
    )
    return 0


def run_socket(args: argparse.Namespace) -> int:
    """Connect to Slack in Socket Mode, for deployments without a public URL."""
    import asyncio

    from bot.cli.startup import ready_settings

    settings = ready_settings("socket")
    if settings is None:
        return 2
    from bot.cli.startup import stop_on_signals
    from handlers.slack.app import run_socket_mode

    async def socket_mode() -> None:
        # SIGTERM and Ctrl-C close the connection and let the worker finish its round.
        await run_socket_mode(settings, stop_on_signals())

    asyncio.run(socket_mode())
    return 0


def run_playground(args: argparse.Namespace) -> int:
    """The playground: emulator, bot and a page that plays the chat, with no accounts."""
    from playground.run import serve_playground

    serve_playground(args.port)
    return 0


def run_default(args: argparse.Namespace) -> int:
    """``make run``: the real bot when a chat platform and Quantive are configured, else
    the playground."""
    from bot.settings import load_settings

    settings = load_settings()
    if (settings.slack_enabled or settings.teams_enabled) and not settings.problems_for("serve"):
        from bot.web import running_front_ends

        print(
            f"Settings found: starting the bot (python -m bot serve), serving "
            f"{running_front_ends(settings)}.",
            file=sys.stderr,
        )
        args.host, args.port = "0.0.0.0", None
        # make run is the all-in-one path, so it migrates; the Procfile's release does it
        # for deployments.
        return run_migrate(args) or run_serve(args)
    print(playground_reason(settings), file=sys.stderr)
    args.port = settings.port
    return run_playground(args)


def _real_bot_settings(settings: Settings) -> dict[str, bool]:
    """What the real bot needs, by variable name, and whether each is set: Slack's unless
    only Teams is configured, and Teams' when any of it is."""
    needs: dict[str, bool] = {}
    if settings.slack_enabled or not settings.teams_enabled:
        needs |= {
            "SLACK_BOT_TOKEN": settings.slack_bot_token is not None,
            "SLACK_SIGNING_SECRET": settings.slack_signing_secret is not None,
        }
    needs |= {
        "QUANTIVE_API_TOKEN": settings.quantive_api_token is not None,
        "QUANTIVE_ACCOUNT_ID": bool(settings.quantive_account_id),
    }
    if settings.slack_enabled or not settings.teams_enabled:
        needs["BADGE_APPROVERS"] = bool(settings.badge_approvers)
    if settings.teams_enabled:
        needs |= {
            "TEAMS_APP_ID": bool(settings.teams_app_id),
            "TEAMS_APP_PASSWORD": settings.teams_app_password is not None,
            "TEAMS_TENANT_ID": bool(settings.teams_tenant_id),
            "TEAMS_APPROVERS": bool(settings.teams_approvers),
        }
    return needs


def playground_reason(settings: Settings) -> str:
    """Why ``make run`` starts the playground: no settings, or which ones are missing."""
    found = _real_bot_settings(settings)
    present = [name for name, ok in found.items() if ok]
    if not present:
        return "No Slack, Teams or Quantive settings: starting the offline playground."
    missing = [name for name, ok in found.items() if not ok]
    if not missing:
        problems = " ".join(settings.problems_for("serve"))
        return f"The settings are not usable yet: {problems} Starting the offline playground."
    return (
        f"Found {', '.join(present)}, but the real bot also needs {', '.join(missing)}: "
        "starting the offline playground instead."
    )
