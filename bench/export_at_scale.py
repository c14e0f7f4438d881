"""Benchmark: the HR export of 100,000 awards, streamed page by page, beside the same rows
read into memory first, in one run.

The awards are written straight into a migrated SQLite file (long comments, two
recipients each); the export writes CSV to a file. Peak Python memory is measured with
tracemalloc for both; the ratio is what streaming saves.

    .venv/bin/python -m bench.export_at_scale
"""

from __future__ import annotations

import asyncio
import csv
import tempfile
import time
import tracemalloc
from pathlib import Path

from sqlalchemy import create_engine, insert

from bench.processes import migrated_sqlite
from bot.awards.record import Award, Decider, Party, award_row
from bot.export import COLUMNS, awards_given, export_row, write_export
from bot.store import Store
from bot.store.tables import awards

AWARDS = 100_000


def seed(url: str) -> None:
    """AWARDS award records, in batches, with a synchronous engine (fast, not measured):
    each the row bot.awards.record.award_row makes of a record, as the bot stores it."""
    engine = create_engine(url)  # the plain sqlite3 driver, for seeding only
    start = time.time() - AWARDS
    recipients = [
        Party(name="Liam Chen", email="liam@acme.example", quantive_id="a", platform="slack"),
        Party(name="Design", quantive_id="t", is_team=True),
    ]
    decider = Decider(name="Maria Garcia", email="maria@acme.example", chat_user_id="UMARIA")
    with engine.begin() as conn:
        for batch in range(0, AWARDS, 10_000):
            rows = []
            for i in range(batch, min(batch + 10_000, AWARDS)):
                platform = "slack" if i % 3 else "teams"
                award = Award(
                    assignment_id=f"64d{i:021d}",
                    give_id=i + 1,
                    platform=platform,
                    badge_id="64c000000000000000000002",
                    badge_name="Visionary",
                    giver=Party(
                        name="Giver",
                        chat_user_id=f"U{i % 500}",
                        platform=platform,
                        email=f"giver{i % 500}@acme.example",
                    ),
                    recipients=recipients,
                    comment=f'thanks, "really" — for #{i}\n' + "x" * 200,
                    status="approved",
                    given_at=start + i,
                    decided_at=start + i + 60,
                    decided_by=decider,
                )
                rows.append({**award_row(award), "updated_at": start + i + 60})
            conn.execute(insert(awards), rows)
    engine.dispose()


async def streamed(url: str, out: Path) -> int:
    """The export as shipped."""
    store = Store(url)
    try:
        with out.open("w", newline="", encoding="utf-8") as handle:
            return await write_export(store, handle)
    finally:
        await store.aclose()


async def in_memory(url: str, out: Path) -> int:
    """The naive way: every row read first, then written."""
    store = Store(url)
    try:
        rows = [award async for award in awards_given(store, None, None)]
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            for award in rows:
                decider = award.decided_by.email if award.decided_by else ""
                writer.writerow(export_row(award, decider))
        return len(rows)
    finally:
        await store.aclose()


def measure(run, url: str, out: Path) -> tuple[float, float, int]:
    """Seconds, peak MiB and rows of one export."""
    tracemalloc.start()
    started = time.perf_counter()
    rows = asyncio.run(run(url, out))
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak / 2**20, rows


def main() -> None:
    """Run the benchmark and print its figures."""
    with tempfile.TemporaryDirectory() as tmp:
        url = migrated_sqlite(Path(tmp) / "export.db")
        seed(url)
        out = Path(tmp) / "awards.csv"
        s_time, s_peak, s_rows = measure(streamed, url, out)
        size = out.stat().st_size / 2**20
        m_time, m_peak, m_rows = measure(in_memory, url, out)
    print(f"HR export of {AWARDS:,} awards to CSV ({size:.1f} MiB), SQLite")
    for name, seconds, peak, rows in [
        ("streamed by pages", s_time, s_peak, s_rows),
        ("read into memory ", m_time, m_peak, m_rows),
    ]:
        print(f"  {name}: {seconds:5.2f} s, peak Python memory {peak:6.1f} MiB ({rows} rows)")
    print(f"  peak memory ratio in-memory/streamed: {m_peak / s_peak:.1f}")
    print(f"  time ratio streamed/in-memory: {s_time / m_time:.2f}")


if __name__ == "__main__":
    main()
