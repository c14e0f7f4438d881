"""The command line behind ``python -m bot`` (and the ``badgebot`` script): the parser and
the dispatch; each command lives in the module of its family and returns an exit status.

Like bot.web, this package is a composition root: it alone (with bot.web) may import the
chat SDKs, ``handlers`` and ``playground``.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable

from bot.cli import connections, emulator, export, migrate, scheduled, serving, teams_package

Command = Callable[[argparse.Namespace], int]

DESCRIPTION = "badgebot: give and approve Quantive badges from Slack and Microsoft Teams."
EPILOG = "Run 'badgebot COMMAND --help' for a command's options."

#: Each family's module, in the order its commands are listed in --help.
FAMILIES = (serving, scheduled, migrate, connections, export, teams_package, emulator)


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, with room for the longest command's name.

    argparse measures the commands at their section's indent rather than their own, so
    the longest name would get its own line and its description the next one.
    """

    def add_argument(self, action: argparse.Action) -> None:
        """Add ``action`` to the help, counting its commands at their own indent."""
        super().add_argument(action)
        if action.help is argparse.SUPPRESS:
            return
        for subaction in self._iter_indented_subactions(action):
            length = len(self._format_action_invocation(subaction)) + self._current_indent
            self._action_max_length = max(self._action_max_length, length)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command; a parsed command's function is its ``run`` attribute."""
    parser = argparse.ArgumentParser(
        prog="badgebot", description=DESCRIPTION, epilog=EPILOG, formatter_class=HelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True, title="commands", metavar="COMMAND")
    for family in FAMILIES:
        family.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request's full URL at INFO: noise, and Quantive's user lookups put
    # emails in their query strings, which must never reach a log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Alembic says which plugins it loads when it is first imported, which the commands
    # now do lazily, after logging is set up: noise for anyone reading the start-up.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    command: Command = args.run
    return command(args)
