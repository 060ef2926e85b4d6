"""Benchmark: the CO silence sweep's query, old expression vs the indexed column (issue 14).

Prints, per backend (SQLite file, a local PostgreSQL) and per fleet size, the
median time of the query one sweep runs: the old ``coalesce(last_state_at,
registered_at, first_seen) < cutoff`` (a scan of every alarm, every second) and
the new ``silent_due`` (``ix_co_device_silence``: silent_alerted, last_heard_at;
a batch of at most 200). The fleet is healthy but for ``--silent`` alarms not
heard for a day and not yet alerted, so both return the same rows.

    .venv/bin/python bench/co_silence.py [--sizes 100000,1000000] [--silent 100] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Select, func, or_, select, text  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from coalguard.cloud.co.sweeper import SILENT_BATCH, silent_due  # noqa: E402
from coalguard.cloud.co.tables import CoDevice  # noqa: E402
from coalguard.cloud.db import create_schema, make_engine, make_sessionmaker  # noqa: E402
from tests.support.servers import postgres_server  # noqa: E402

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
CUTOFF = NOW - timedelta(minutes=15)


def old_query(cutoff: datetime) -> Select[tuple[CoDevice]]:
    """The sweep's query before issue 14: no index can serve the coalesce."""
    heard = func.coalesce(CoDevice.last_state_at, CoDevice.registered_at, CoDevice.first_seen)
    return select(CoDevice).where(
        CoDevice.silent_alerted.is_(False),
        heard < cutoff,
        or_(CoDevice.registered.is_(True), CoDevice.last_state_at.is_not(None)),
    )


def populate(sessions: sessionmaker, n: int, silent: int) -> None:
    """``n`` alarms heard at NOW but the last ``silent``, heard a day earlier (one statement)."""
    with sessions.begin() as s:
        if s.bind.dialect.name == "postgresql":
            rows = "SELECT i FROM generate_series(0, :n - 1) AS i"
            fresh, old = (
                "TIMESTAMPTZ '2026-11-20 14:00:00+00'",
                "TIMESTAMPTZ '2026-11-19 14:00:00+00'",
            )
            dev_id, false_, true_ = "'dev-' || i", "false", "true"
            prefix = f"WITH c(i) AS ({rows})"
        else:
            prefix = (
                "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < :n - 1)"
            )
            fresh, old = "'2026-11-20 14:00:00.000000'", "'2026-11-19 14:00:00.000000'"
            dev_id, false_, true_ = "'dev-' || i", "0", "1"
        at = f"CASE WHEN i >= :n - :silent THEN {old} ELSE {fresh} END"
        cols = (
            "device_id, registered, region_code, first_seen, registered_at, last_state_at,"
            " last_heard_at, eol, messages, duplicates, gaps, silent_alerted"
        )
        values = (
            f"{dev_id}, {true_}, '130102001001', {old}, {old}, {at}, {at},"
            f" {false_}, 0, 0, 0, {false_}"
        )
        if s.bind.dialect.name == "postgresql":
            sql = f"{prefix} INSERT INTO co_device ({cols}) SELECT {values} FROM c"
        else:
            sql = f"INSERT INTO co_device ({cols}) {prefix} SELECT {values} FROM c"
        s.execute(text(sql), {"n": n, "silent": silent})
    with sessions.begin() as s:
        s.execute(text("ANALYZE"))


def timed_ms(
    sessions: sessionmaker, query: Select[tuple[CoDevice]], runs: int
) -> tuple[float, int]:
    """Median wall time of loading the query's alarms, in a fresh session each run."""
    times, found = [], 0
    for _ in range(runs):
        with sessions() as s:
            t0 = time.perf_counter()
            found = len(s.scalars(query).all())
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), found


def bench(url: str, backend: str, n: int, silent: int, runs: int) -> None:
    engine = make_engine(url)
    create_schema(engine, for_tests_or_demo=True)
    sessions = make_sessionmaker(engine)
    t0 = time.perf_counter()
    populate(sessions, n, silent)
    filled = time.perf_counter() - t0
    old_ms, old_n = timed_ms(sessions, old_query(CUTOFF), runs)
    new_ms, new_n = timed_ms(sessions, silent_due(CUTOFF, SILENT_BATCH), runs)
    print(
        f"{backend:10} {n:>9,} alarms ({silent} silent; filled in {filled:.1f} s): "
        f"old coalesce {old_ms:8.2f} ms ({old_n} rows)  "
        f"indexed {new_ms:7.2f} ms ({new_n} rows)  x{old_ms / new_ms:.0f}",
        flush=True,
    )
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--silent", type=int, default=100)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            url = f"sqlite:///{tmp}/silence-{n}.sqlite"
            bench(url, "sqlite", n, args.silent, args.runs)
    with postgres_server() as pg:
        for n in sizes:
            bench(pg.new_database(), "postgresql", n, args.silent, args.runs)


if __name__ == "__main__":
    main()
