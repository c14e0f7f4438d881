"""``python -m bot emulator`` serves the seeded catalogue standalone, with auth and admin API."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import ACCOUNT_ID


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def standalone_process() -> Iterator[str]:
    """``python -m bot emulator`` for the module; its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "emulator", "--port", str(port), "--token", "T"],
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            httpx.get(url + "/_emulator/calls", timeout=0.5)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise
            time.sleep(0.05)  # waiting for a child process to bind; no event to wait on
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def standalone(standalone_process: str) -> str:
    """The module's standalone emulator, reset through its admin API."""
    assert httpx.post(standalone_process + "/_emulator/reset").status_code < 300
    return standalone_process


def test_standalone_emulator_serves_catalogue_and_checks_auth(standalone: str) -> None:
    headers = {"Authorization": "Bearer T", "gtmhub-accountId": ACCOUNT_ID}
    ok = httpx.get(standalone + "/api/v1/badges", headers=headers)
    assert ok.status_code == 200 and ok.json()["totalCount"] == 10
    current_prefix = httpx.get(standalone + "/results/api/v1/badges", headers=headers)
    assert current_prefix.status_code == 200
    assert httpx.get(standalone + "/api/v1/badges").status_code == 401
    wrong_account = {**headers, "gtmhub-accountId": "other"}
    assert httpx.get(standalone + "/api/v1/badges", headers=wrong_account).status_code == 401


def test_admin_endpoint_injects_faults(standalone: str) -> None:
    headers = {"Authorization": "Bearer T", "gtmhub-accountId": ACCOUNT_ID}
    httpx.post(
        standalone + "/_emulator/faults", json={"route": "GET /badges", "status": 503, "times": 1}
    )
    assert httpx.get(standalone + "/api/v1/badges", headers=headers).status_code == 503
    assert httpx.get(standalone + "/api/v1/badges", headers=headers).status_code == 200
    calls = httpx.get(standalone + "/_emulator/calls").json()
    assert [c["status"] for c in calls if c["route"] == "GET /badges"] == [503, 200]


def test_state_file_keeps_awards_across_restarts(tmp_path) -> None:
    from api.emulator import Emulator

    path = str(tmp_path / "emu.sqlite")
    first = Emulator(state_path=path)
    award = first.state.assign(
        {
            "badgeId": "64c000000000000000000001",
            "assigneeIds": ["64a000000000000000000004"],
            "assignedById": "64a000000000000000000003",
        }
    )
    second = Emulator(state_path=path)
    assert award["id"] in {a["id"] for a in second.state.pending()}
