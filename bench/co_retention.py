"""CO retention benchmark: rows/s of the job and bytes per alarm per day, before/after.

    .venv/bin/python bench/co_retention.py                  # 10^5 heartbeats
    .venv/bin/python bench/co_retention.py --rows 100000 --batch 5000

A fresh SQLite cloud database (migrated to head) gets one day of heartbeats
(one every ``--interval`` s, as ``store.state_doc`` writes them) from
``rows / (86400 / interval)`` alarms, all older than the retention. The job
(``cloud/co/retention.py``) then summarises them per alarm per hour and deletes
them. Sizes are of the file after VACUUM, minus the empty schema's, per alarm
per day; "at 10^6 alarms" multiplies that by 10^6.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from coalguard.cloud.co.retention import Retention  # noqa: E402
from coalguard.cloud.co.tables import CoMessageRow  # noqa: E402
from coalguard.cloud.db import make_engine, make_sessionmaker  # noqa: E402
from coalguard.cloud.migrate import upgrade  # noqa: E402
from coalguard.edge.clock import ManualClock  # noqa: E402

NOW = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
DAY = NOW - timedelta(days=20)  # the day of heartbeats, past the 14 days kept


def _size(path: Path) -> int:
    """The file's bytes once compacted (its own connection: VACUUM runs outside a transaction)."""
    c = sqlite3.connect(path, isolation_level=None)
    try:
        c.execute("VACUUM")
    finally:
        c.close()
    return path.stat().st_size


def _hourly_rows(path: Path) -> int:
    c = sqlite3.connect(path)
    try:
        return c.execute("SELECT count(*) FROM co_message_hourly").fetchone()[0]
    finally:
        c.close()


def _fill(engine, devices: int, interval: int) -> int:  # type: ignore[no-untyped-def]
    per_day = 86400 // interval
    rows = []
    total = 0
    with engine.begin() as c:
        for d in range(devices):
            for k in range(per_day):
                ts = DAY + timedelta(seconds=k * interval + d % interval)
                rows.append(
                    {
                        "device_id": f"HB-CO-{d:07d}",
                        "seq": k + 1,
                        "kind": "state",
                        "event_type": None,
                        "ts": ts,
                        "received_at": ts,
                        "unregistered": False,
                        "payload": {
                            "ts": ts.isoformat(),
                            "seq": k + 1,
                            "co_ppm": (d * 7 + k) % 40,
                            "battery_pct": 100 - k / per_day,
                            "alarm": "normal",
                            "tamper": False,
                            "fault": False,
                            "eol": False,
                        },
                    }
                )
                if len(rows) == 10_000:
                    c.execute(insert(CoMessageRow), rows)
                    total += len(rows)
                    rows = []
        if rows:
            c.execute(insert(CoMessageRow), rows)
            total += len(rows)
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--interval", type=int, default=600, help="heartbeat interval, s")
    ap.add_argument("--batch", type=int, default=5000)
    args = ap.parse_args()
    per_day = 86400 // args.interval
    devices = max(1, args.rows // per_day)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cloud.sqlite"
        url = f"sqlite:///{path}"
        upgrade(url)
        engine = make_engine(url)
        empty = _size(path)
        n = _fill(engine, devices, args.interval)
        before = _size(path) - empty
        job = Retention(
            make_sessionmaker(engine), timedelta(days=14), args.batch, clock=ManualClock(NOW)
        )
        t0 = time.perf_counter()
        done = job.run(NOW)
        took = time.perf_counter() - t0
        engine.dispose()
        after = _size(path) - empty
        hourly = _hourly_rows(path)
    assert done.deleted == n, (done.deleted, n)
    print(f"heartbeats: {n:,} from {devices:,} alarms, one day, every {args.interval} s")
    print(f"retention job: {took:.2f} s, {n / took:,.0f} rows/s, {done.batches} batches "
          f"of {args.batch}, {hourly:,} hourly rows")  # fmt: skip
    b, a = before / devices, after / devices
    print(f"bytes per alarm per day: raw {b:,.0f}, hourly {a:,.0f} (ratio {b / a:.1f}x)")
    print(f"per day at 10^6 alarms: raw {b * 1e6 / 1e9:,.1f} GB, hourly {a * 1e6 / 1e9:,.2f} GB")


if __name__ == "__main__":
    main()
