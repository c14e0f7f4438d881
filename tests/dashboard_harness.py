"""The app with the dashboard on, on a loopback slot whose address is its PUBLIC_URL, and
the award rows the dashboard tests read (see tests.dashboard_data)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from api.emulator import Emulator
from bot.store import Store
from tests.dashboard_data import add_award, midweek
from tests.fake_slack import FakeSlack
from tests.harness import SLOTS, BotHarness

CLIENT_ID, CLIENT_SECRET = "1111.2222", "dashboard-client-secret"
TEAMWORK, INNOVATION = ("b-teamwork", "Teamwork"), ("b-innovation", "Innovation")
MARIA, OLIVER = ("UMARIA", "Maria"), ("UOLIVER", "Oliver")
LIAM, SOFIA, NOAH, AMARA = (
    ("ULIAM", "Liam"),
    ("USOFIA", "Sofia"),
    ("UNOAH", "Noah"),
    ("UAMARA", "Amara"),
)
SCRIPT_COMMENT = "<script>alert(1)</script> & thanks for <b>that</b>"


class DashboardBot(BotHarness):
    """BotHarness whose PUBLIC_URL is the slot it will be mounted on."""

    def __init__(self, emulator: Emulator, slack: FakeSlack, database_url: str, **overrides: Any):
        self._reserved = SLOTS.acquire()
        values = {
            "slack_client_id": CLIENT_ID,
            "slack_client_secret": SecretStr(CLIENT_SECRET),
            "public_url": self._reserved.server.url,
            "badge_admins": ["UMARIA"],
            **overrides,
        }
        try:
            super().__init__(emulator, slack, database_url, **values)
        except BaseException:
            SLOTS.release(self._reserved)
            raise
        slack.oauth_client = (CLIENT_ID, CLIENT_SECRET)

    def start(self) -> DashboardBot:
        # On the slot reserved at construction: PUBLIC_URL names its port.
        self._start_on(self._reserved)
        return self

    @property
    def base(self) -> str:
        return self.server.url


#: (weeks ago, badge, recipient, status): what the figures must show, week by week.
AWARDS = [
    (3, TEAMWORK, LIAM, "approved"),
    (3, TEAMWORK, LIAM, "approved"),
    (3, INNOVATION, SOFIA, "rejected"),
    (2, INNOVATION, LIAM, "approved"),
    (2, TEAMWORK, SOFIA, "pending"),
    (2, TEAMWORK, NOAH, "pending"),
    (1, INNOVATION, AMARA, "pending"),
]


async def seed(store: Store, workspace: str = "default", prefix: str = "a") -> None:
    """The awards of AWARDS in ``workspace``, given by Maria and Oliver in turn."""
    scoped = store.for_workspace(workspace)
    for n, (weeks_ago, badge, recipient, status) in enumerate(AWARDS):
        await add_award(
            scoped,
            f"{prefix}{n}",
            badge=badge,
            giver=MARIA if n % 2 == 0 else OLIVER,
            recipient=recipient,
            given_at=midweek(weeks_ago) + timedelta(minutes=n),
            status=status,
            comment=SCRIPT_COMMENT if n == 6 else f"thanks {n}",
            decided_after=3600.0 if status != "pending" else None,
        )


def week_of(weeks_ago: int) -> str:
    """The Monday of that week, as the page writes it."""
    day = midweek(weeks_ago).date()
    return (day - timedelta(days=day.weekday())).isoformat()


def custom_range() -> str:
    """The query of a custom period from the oldest award's week to today."""
    today = datetime.now(UTC).date().isoformat()
    return f"period=custom&from={week_of(3)}&to={today}"
