"""CO retention benchmark: rows/s of the job and bytes per alarm per day, before/after.

    .venv/bin/python bench/co_retention.py                  # 10^5 heartbeats, both backends
    .venv/bin/python bench/co_retention.py --rows 100000 --batch 5000 --backend postgresql

A fresh SQLite cloud database (migrated to head) gets one day of heartbeats
(one every ``--interval`` s, as ``store.state_doc`` writes them) from
``rows / (86400 / interval)`` alarms, all older than the retention. The job
(``cloud/co/retention.py``) then summarises them per alarm per hour and deletes
them. Sizes are of the file after VACUUM, minus the empty schema's, per alarm
per day; "at 10^6 alarms" multiplies that by 10^6.

PostgreSQL (a throwaway cluster, ``tests/support/servers.py``): the same day of
heartbeats in two databases, one with the plain table of revision 0018 (the
batched job deletes row by row) and one partitioned (revision 0021: the job
detaches the day, folds it in SQL and drops it). Both jobs must leave the same
hourly rows. Printed: each job's time and their ratio; then, on fresh copies,
removing the day's rows alone (one DELETE vs DETACH + DROP); and the day
partition's ``pg_total_relation_size`` (table, indexes, TOAST) per alarm.
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

from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy import Engine, insert, text  # noqa: E402

from coalguard.cloud.co import partitions  # noqa: E402
from coalguard.cloud.co.retention import Pass, Retention  # noqa: E402
from coalguard.cloud.co.tables import CoMessageRow  # noqa: E402
from coalguard.cloud.db import make_engine, make_sessionmaker  # noqa: E402
from coalguard.cloud.migrate import SCRIPTS, upgrade  # noqa: E402
from coalguard.edge.clock import ManualClock  # noqa: E402
from tests.support.servers import postgres_server  # noqa: E402

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


def _sqlite(args: argparse.Namespace, devices: int) -> None:
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
    print(f"SQLite heartbeats: {n:,} from {devices:,} alarms, one day, every {args.interval} s")
    print(f"retention job: {took:.2f} s, {n / took:,.0f} rows/s, {done.batches} batches "
          f"of {args.batch}, {hourly:,} hourly rows")  # fmt: skip
    b, a = before / devices, after / devices
    print(f"bytes per alarm per day: raw {b:,.0f}, hourly {a:,.0f} (ratio {b / a:.1f}x)")
    print(f"per day at 10^6 alarms: raw {b * 1e6 / 1e9:,.1f} GB, hourly {a * 1e6 / 1e9:,.2f} GB")


def _pg_db(url: str, split: bool, devices: int, interval: int) -> Engine:
    """A database at the revision before 0021 (plain table) or at head (partitioned),
    holding the day of heartbeats (in its own day partition when ``split``)."""
    flat = ScriptDirectory(str(SCRIPTS)).get_revision("0021").down_revision
    upgrade(url, "head" if split else str(flat))
    engine = make_engine(url)
    if split:
        made = Retention(make_sessionmaker(engine), timedelta(days=14), clock=ManualClock(DAY))
        assert made.by_day(DAY, Pass())
    _fill(engine, devices, interval)
    with engine.begin() as c:
        c.execute(text("ANALYZE"))
    return engine


def _hourly(engine: Engine) -> list[tuple]:  # type: ignore[type-arg]
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(text("SELECT * FROM co_message_hourly ORDER BY 1, 2"))]


def _postgresql(args: argparse.Namespace, devices: int) -> None:
    day = partitions.day_table(DAY.date())
    with postgres_server() as pg:
        flat = _pg_db(pg.new_database(), False, devices, args.interval)
        split = _pg_db(pg.new_database(), True, devices, args.interval)
        with split.connect() as c:
            size = c.execute(text(f"SELECT pg_total_relation_size('{day}')")).scalar_one()
            n = c.execute(text(f"SELECT count(*) FROM {day}")).scalar_one()
        took = {}
        for name, engine in (("batched", flat), ("partition", split)):
            job = Retention(
                make_sessionmaker(engine), timedelta(days=14), args.batch, clock=ManualClock(NOW)
            )
            t0 = time.perf_counter()
            done = job.run(NOW)
            took[name] = time.perf_counter() - t0
            assert done.deleted == n, (name, done.deleted, n)
        assert _hourly(flat) == _hourly(split), "the two jobs summarised differently"
        with split.connect() as c:
            hourly = c.execute(
                text("SELECT pg_total_relation_size('co_message_hourly')")
            ).scalar_one()
        flat.dispose()
        split.dispose()
        # Removing the rows alone, on fresh copies: one DELETE vs DETACH + DROP.
        flat = _pg_db(pg.new_database(), False, devices, args.interval)
        split = _pg_db(pg.new_database(), True, devices, args.interval)
        t0 = time.perf_counter()
        with flat.begin() as c:
            c.execute(text("DELETE FROM co_message WHERE kind = 'state' AND ts < :end"),
                      {"end": DAY + timedelta(days=1)})  # fmt: skip
        deleted = time.perf_counter() - t0
        t0 = time.perf_counter()
        with split.begin() as c:
            partitions.detach(c, DAY.date())
        with split.begin() as c:
            c.execute(text(f"DROP TABLE {day}"))
        dropped = time.perf_counter() - t0
        flat.dispose()
        split.dispose()
    print(f"PostgreSQL heartbeats: {n:,} from {devices:,} alarms, one day")
    b, p = took["batched"], took["partition"]
    print(f"retention job: batched delete {b:.2f} s ({n / b:,.0f} rows/s), partition fold + drop "
          f"{p:.2f} s ({n / p:,.0f} rows/s): ratio {b / p:.1f}x, same hourly rows")  # fmt: skip
    print(f"removing the day alone: DELETE {deleted * 1000:,.0f} ms, DETACH + DROP "
          f"{dropped * 1000:,.1f} ms: ratio {deleted / dropped:,.0f}x")  # fmt: skip
    raw, hr = size / devices, hourly / devices
    print(f"day partition {day}: {size:,} bytes = {raw:,.0f} per alarm per day (table, indexes, "
          f"TOAST); hourly {hr:,.0f} per alarm per day")  # fmt: skip
    print(f"per day at 10^6 alarms: raw {raw * 1e6 / 1e9:,.1f} GB, "
          f"hourly {hr * 1e6 / 1e9:,.2f} GB; 14 raw days {raw * 14e6 / 1e9:,.0f} GB")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--interval", type=int, default=600, help="heartbeat interval, s")
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = ap.parse_args()
    devices = max(1, args.rows // (86400 // args.interval))
    if args.backend in ("sqlite", "both"):
        _sqlite(args, devices)
    if args.backend in ("postgresql", "both"):
        _postgresql(args, devices)


if __name__ == "__main__":
    main()
