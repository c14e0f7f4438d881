"""The commands behind ``python -m bot``; each returns an exit status."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import uvicorn

from api.emulator import DEFAULT_TOKEN, Emulator
from api.emulator.state import load_demo_data

Command = Callable[[argparse.Namespace], int]


def run_emulator(args: argparse.Namespace) -> int:
    """Serve the Quantive emulator until interrupted."""
    emulator = Emulator(
        token=args.token,
        account_id=args.account_id,
        seed=load_demo_data(args.data),
        state_path=args.state,
    )
    print(
        f"Quantive emulator on http://{args.host}:{args.port}/api/v1 "
        f"(token {args.token!r}, account {emulator.account_id!r})",
        file=sys.stderr,
    )
    uvicorn.run(emulator.app, host=args.host, port=args.port, log_level="warning")
    return 0


COMMANDS: dict[str, Command] = {"emulator": run_emulator}


def add_arguments(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare every command and its options."""
    emu = sub.add_parser("emulator", help="serve the Quantive emulator")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=8081)
    emu.add_argument("--token", default=DEFAULT_TOKEN, help="the Bearer token to accept")
    emu.add_argument("--account-id", default=None, help="default: the seed data's account id")
    emu.add_argument("--data", default=None, help="seed JSON file (default: the demo org)")
    emu.add_argument("--state", default=None, help="SQLite file that keeps state across runs")
