"""The command line: ``python -m bot serve|socket|clock|digest|emulator|run``."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.cli import COMMANDS, add_arguments


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command; returns the exit status."""
    parser = argparse.ArgumentParser(prog="badgebot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    add_arguments(sub)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
