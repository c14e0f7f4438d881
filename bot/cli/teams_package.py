"""``teams-package``: the Teams app package (manifest and icons) to upload to Teams."""

from __future__ import annotations

import argparse
import sys

HELP = "write the Teams app package (a zip) to upload to Teams"
ABOUT = "Write the Teams app package, a zip of the manifest and two icons, to upload to Teams."


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare ``teams-package`` and its options."""
    package = sub.add_parser("teams-package", help=HELP, description=ABOUT)
    package.add_argument("--app-id", required=True, help="the Azure bot's Microsoft App ID")
    package.add_argument("--domain", required=True, help="the host serving /api/messages")
    package.add_argument("--out", default="badgebot-teams.zip")
    package.set_defaults(run=run_teams_package)


def run_teams_package(args: argparse.Namespace) -> int:
    """Write the Teams app package (manifest and icons) for upload to Teams."""
    from pathlib import Path

    from handlers.teams.package import PackageError, write_package

    try:
        out = write_package(args.app_id, args.domain, Path(args.out))
    except PackageError as exc:
        print(f"teams-package: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {out}: upload it in Teams (Apps > Manage your apps > Upload an app)")
    return 0
