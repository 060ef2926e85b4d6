"""Catch-up benchmark: a checkpoint's buffer replayed to the cloud, projection included.

    .venv/bin/python bench/catchup.py                       # 200,000 records, SQLite + PostgreSQL
    .venv/bin/python bench/catchup.py --records 1000000 --db sqlite
    .venv/bin/python bench/catchup.py --coalguard /other/venv/bin/coalguard   # another build

``--records`` records of whole trucks (``bench/truck_records.py``: camera read,
seven inspection transitions, analyzer result, one hash-chained ledger entry
per transition) are put in an outbox, then ``coalguard edge pump --drain``
sends them to a local ``coalguard cloud serve`` (uplink batches of 2,000,
gzip) until the cloud has stored AND projected every one. Printed:

- records/s end to end (pump start → last record projected), against the goal
  of 20,000 and against a bare insert of the same rows measured in this run
  (SQLite: ``executemany`` + commit per 2,000 rows, WAL, synchronous=FULL;
  PostgreSQL: ``COPY`` per 2,000 rows);
- the cloud process's CPU per record (``/proc`` utime + stime during the
  replay, ingest and projection; goal <= 50 µs) and the edge's;
- what the cloud made of them (every record applied or archived, every ledger
  hash right), so a fast wrong run cannot pass.

The machine is shared: the load average is printed beside each figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from local_cloud import cpu_seconds, start_cloud  # noqa: E402
from truck_records import PER_TRUCK, records  # noqa: E402

from coalguard.edge.outbox import Outbox  # noqa: E402
from coalguard.edge.outbox.sqlite import connect  # noqa: E402

BATCH = 2000


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def fill(path: Path, recs: list[dict[str, Any]]) -> None:
    with Outbox(path) as ob:
        for k in range(0, len(recs), 20_000):
            ob.put_many(
                {
                    "kind": r["kind"],
                    "body": r["body"],
                    "priority": r["priority"],
                    "record_id": r["id"],
                    "born_at": datetime.fromisoformat(r["born_at"]),
                }
                for r in recs[k : k + 20_000]
            )


def _bare_rows(recs: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    now = datetime.now(UTC).isoformat()
    return [
        (r["id"], "gw", r["kind"], r["priority"], r["born_at"], now, json.dumps(r["body"]))
        for r in recs
    ]


_BARE_COLS = "id, gateway_id, kind, priority, born_at, received_at, body"


def bare_sqlite(work: Path, recs: list[dict[str, Any]]) -> float:
    """The same rows into one SQLite table, executemany + commit per batch (WAL, FULL)."""
    conn = connect(work / "bare.sqlite")
    conn.execute(
        "CREATE TABLE bare (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, gateway_id TEXT, "
        "kind TEXT, priority TEXT, born_at TEXT, received_at TEXT, body TEXT)"
    )
    t0 = time.perf_counter()
    rows = _bare_rows(recs)
    for k in range(0, len(rows), BATCH):
        conn.execute("BEGIN")
        conn.executemany(
            f"INSERT INTO bare ({_BARE_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows[k : k + BATCH]
        )
        conn.execute("COMMIT")
    rate = len(rows) / (time.perf_counter() - t0)
    conn.close()
    return rate


def bare_copy(url: str, recs: list[dict[str, Any]]) -> float:
    """The same rows into one PostgreSQL table by ``COPY``, a commit per batch."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(
            "CREATE TABLE bare (seq BIGSERIAL PRIMARY KEY, id VARCHAR(36) UNIQUE, "
            "gateway_id VARCHAR(64), kind VARCHAR(64), priority VARCHAR(16), "
            "born_at TIMESTAMPTZ, received_at TIMESTAMPTZ, body JSONB)"
        )
        conn.commit()
        t0 = time.perf_counter()
        rows = _bare_rows(recs)
        for k in range(0, len(rows), BATCH):
            with conn.cursor() as cur, cur.copy(f"COPY bare ({_BARE_COLS}) FROM STDIN") as cp:
                for row in rows[k : k + BATCH]:
                    cp.write_row(row)
            conn.commit()
        rate = len(rows) / (time.perf_counter() - t0)
        conn.execute("DROP TABLE bare")
        conn.commit()
    return rate


class Cloud:
    """Reads the cloud's database (SQLite file or PostgreSQL) while it runs."""

    def __init__(self, url: str) -> None:
        self.url = url

    def scalar(self, sql: str) -> Any:
        return self.rows(sql)[0][0]

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.url.startswith("sqlite:///"):
            conn = sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30)
            try:
                return conn.execute(sql).fetchall()
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(self.url.replace("postgresql+psycopg://", "postgresql://")) as c:
            return c.execute(sql).fetchall()


def wait(what: str, check: Callable[[], bool], deadline_s: float, every: float = 0.1) -> None:
    end = time.monotonic() + deadline_s
    while not check():
        if time.monotonic() > end:
            raise SystemExit(f"gave up waiting for {what} after {deadline_s:.0f} s")
        time.sleep(every)


def replay(
    coalguard: str, work: Path, url: str, outbox: Path, n: int, ledger: int, split: bool
) -> dict[str, float]:
    log = (work / "cloud.log").open("wb")
    env = {**os.environ, "COALGUARD_CLOUD_CHECKS_INTERVAL_S": "0"} if split else None
    cloud, port, token_file = start_cloud(coalguard, work, url, log, env)
    cloud_pids = [cloud.pid]
    worker = None
    if split:  # the projector, sweeps and notifier in a process of their own
        worker_log = work / "work.log"
        with worker_log.open("wb") as out:
            worker = subprocess.Popen(
                [coalguard, "cloud", "work", "--db", url, "--interval", "0.1", "--demo"],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        cloud_pids.append(worker.pid)
        # Its start-up is not the replay's: measure from the line it prints once running.
        wait("cloud work", lambda: "coalguard cloud work" in worker_log.read_text(), 60)
    db = Cloud(url)
    try:
        cpu0 = [cpu_seconds(pid) for pid in cloud_pids]
        start = time.perf_counter()
        pump = subprocess.Popen(
            [coalguard, "edge", "pump", "--outbox", str(outbox), "--cloud",
             f"http://127.0.0.1:{port}", "--gateway-id", "gw-bench", "--token-file",
             str(token_file), "--count", "0", "--drain", "--quiet", "--batch", str(BATCH)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _, status, usage = os.wait4(pump.pid, 0)
        sent = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"pump failed with exit {os.waitstatus_to_exitcode(status)}")
        top = db.scalar("SELECT max(seq) FROM gateway_records")
        wait("the projection", lambda: projected_all(db, n, top), max(120.0, n / 200), 0.05)
        elapsed = time.perf_counter() - start
        cpus = [cpu_seconds(pid) - c0 for pid, c0 in zip(cloud_pids, cpu0, strict=True)]
    finally:
        for proc in (cloud, worker):
            if proc is not None:
                proc.terminate()
                proc.wait(20)
        log.close()
    check_results(db, n, ledger)
    return {
        "rate": n / elapsed,
        "ingest_rate": n / sent,
        "cloud_us": sum(cpus) / n * 1e6,
        "cloud_us_apart": [c / n * 1e6 for c in cpus],  # serve, then work when split
        "edge_us": (usage.ru_utime + usage.ru_stime) / n * 1e6,
        "elapsed": elapsed,
    }


def projected_all(db: Cloud, n: int, top: int) -> bool:
    """Every record projected; counted only once the newest is (a count of a million rows
    twenty times a second would take a core from the processes measured)."""
    if (db.scalar("SELECT max(seq) FROM chk_projected") or 0) < top:
        return False
    return db.scalar("SELECT count(*) FROM chk_projected") >= n


def check_results(db: Cloud, n: int, ledger: int) -> None:
    """Every record stored once and projected right, every ledger hash right."""
    stored = db.scalar("SELECT count(*) FROM gateway_records")
    outcomes = dict(db.rows("SELECT outcome, count(*) FROM chk_projected GROUP BY outcome"))
    entries = db.scalar("SELECT count(*) FROM gw_ledger_entry WHERE hash_ok")
    trucks = db.scalar("SELECT count(*) FROM chk_inspection")
    if stored != n or set(outcomes) - {"applied", "archived"} or entries != ledger:
        raise SystemExit(f"wrong result: {stored} stored, {outcomes}, {entries} good entries")
    expected = -(-n // PER_TRUCK)
    if trucks != expected:
        raise SystemExit(f"wrong result: {trucks} inspections, expected {expected}")


def run(coalguard: str, work: Path, backend: str, recs: list[dict[str, Any]], split: bool) -> None:
    n = len(recs)
    ledger = sum(1 for r in recs if r["kind"] == "ledger.entry")
    outbox = work / "outbox.sqlite"
    if outbox.exists():
        outbox.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{outbox}{suffix}").unlink(missing_ok=True)
    fill(outbox, recs)
    if backend == "sqlite":
        url = f"sqlite:///{work}/cloud.sqlite"
        bare, bare_name = bare_sqlite(work, recs), "bare SQLite executemany"
        got = replay(coalguard, work, url, outbox, n, ledger, split)
    else:
        from tests.support.servers import PostgresServer

        pg = PostgresServer()
        pg.start()
        try:
            bare, bare_name = bare_copy(pg.new_database(), recs), "bare PostgreSQL COPY"
            got = replay(coalguard, work, pg.new_database(), outbox, n, ledger, split)
        finally:
            pg.stop()
    apart = (
        "; cloud serve {:.0f} + cloud work {:.0f}".format(*got["cloud_us_apart"]) if split else ""
    )
    print(
        f"catch-up of {n:,} records, cloud on {backend}"
        f"{' (projector in its own process: cloud work)' if split else ''}: "
        f"{got['rate']:8,.0f} records/s end to end "
        f"({got['elapsed']:.1f} s, projection included; goal 20,000: {got['rate'] / 20000:.2f}x)\n"
        f"  = {got['rate'] / bare:.3f}x a {bare_name} of the same rows ({bare:,.0f} rows/s)\n"
        f"  pump finished sending at {got['ingest_rate']:,.0f} records/s\n"
        f"  cloud CPU {got['cloud_us']:.0f} µs/record (goal <= 50{apart}), "
        f"edge CPU {got['edge_us']:.0f} µs/record ({load()})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--records", type=int, default=200_000, help="records to replay")
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument(
        "--coalguard",
        default=str(Path(sys.executable).with_name("coalguard")),
        help="the coalguard command to run the cloud and the pump with (another build)",
    )
    ap.add_argument("--dir", type=Path, default=None, help="work directory (default: temp)")
    ap.add_argument(
        "--split",
        action="store_true",
        help="serve with its background off and a `cloud work` process beside it "
        "(cloud CPU is the two processes')",
    )
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="coalguard-catchup-", dir=args.dir))
    recs = list(records(args.records))
    try:
        for backend in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
            (work / backend).mkdir()
            run(args.coalguard, work / backend, backend, recs, args.split)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
