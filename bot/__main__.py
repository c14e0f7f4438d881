"""``python -m bot COMMAND``; the command line itself is bot.cli."""

from __future__ import annotations

import sys

from bot.cli import main

__all__ = ["main"]  # pyproject's script entry: badgebot = "bot.__main__:main"

if __name__ == "__main__":
    sys.exit(main())
