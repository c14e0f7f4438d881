"""``emulator``: the Quantive emulator as a standalone server."""

from __future__ import annotations

import argparse
import sys

HELP = "serve the Quantive emulator (a fake API with demo data)"
ABOUT = (
    "Serve the Quantive emulator: a fake Quantive API seeded with a demo organisation, "
    "for trying the bot and for tests."
)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare ``emulator`` and its options."""
    emu = sub.add_parser("emulator", help=HELP, description=ABOUT)
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=8081)
    # Its default is the emulator's own token, filled in by run_emulator: importing the
    # emulator here would slow down every command, --help included.
    emu.add_argument("--token", default=None, help="the Bearer token to accept")
    emu.add_argument("--account-id", default=None, help="default: the seed data's account id")
    emu.add_argument("--data", default=None, help="seed JSON file (default: the demo org)")
    emu.add_argument("--state", default=None, help="SQLite file that keeps state across runs")
    emu.add_argument(
        "--page-size", type=int, default=100, help="the largest page a list answers (default 100)"
    )
    emu.set_defaults(run=run_emulator)


def run_emulator(args: argparse.Namespace) -> int:
    """Serve the Quantive emulator until interrupted."""
    import uvicorn

    from api.emulator import DEFAULT_TOKEN, Emulator
    from api.emulator.state import load_demo_data

    token = args.token if args.token is not None else DEFAULT_TOKEN
    emulator = Emulator(
        token=token,
        account_id=args.account_id,
        seed=load_demo_data(args.data),
        state_path=args.state,
        page_size=args.page_size,
    )
    print(
        f"Quantive emulator on http://{args.host}:{args.port}/api/v1 "
        f"(token {token!r}, account {emulator.account_id!r})",
        file=sys.stderr,
    )
    uvicorn.run(emulator.app, host=args.host, port=args.port, log_level="warning")
    return 0
