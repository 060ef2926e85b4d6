"""Outbox and replay benchmark: prints figures and ratios measured in this run.

    .venv/bin/python bench/outbox.py                 # 1,000,000-record replay
    .venv/bin/python bench/outbox.py --records 100000

1. Durable ``put`` rate with 1 and 8 producer threads, against a bare SQLite
   loop that inserts and commits one row at a time with the same settings
   (WAL, synchronous=FULL). Goal: 8 producers >= 5x the bare loop.
2. Replay: ``--records`` records buffered in an outbox, sent to a local cloud
   (``coalguard cloud serve``, SQLite) by ``coalguard edge pump --drain``.
   Goal >= 20,000 records/s end to end (process start included). Its kinds
   are not registered record kinds: the cloud stores them and dead-letters
   them at projection. The catch-up of real records, projection included,
   is ``bench/catchup.py``.
3. Peak RSS of that edge process while it holds and sends the whole buffer
   (goal < 150 MB), from the kernel's rusage of the child.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from local_cloud import cpu_seconds, start_cloud  # noqa: E402

from coalguard.edge.outbox import Outbox  # noqa: E402
from coalguard.edge.outbox.sqlite import connect  # noqa: E402

COALGUARD = str(Path(sys.executable).with_name("coalguard"))
BODY = {
    "sample_id": "S-000001",
    "overall": "pass",
    "profile": "gb34169-2017/anthracite-1",
    "values": {"Mad": 2.1, "Aad": 14.2, "Vdaf": 8.7, "St_d": 0.41},
    "operator": "op-07",
}


def bare_loop(path: Path, seconds: float) -> float:
    conn = connect(path)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    import json

    text = json.dumps(BODY)
    n = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t (body) VALUES (?)", (text,))
        conn.execute("COMMIT")
        n += 1
    rate = n / (time.perf_counter() - start)
    conn.close()
    return rate


def put_rate(path: Path, producers: int, per_producer: int) -> tuple[float, float]:
    ob = Outbox(path)
    barrier = threading.Barrier(producers + 1)

    def produce() -> None:
        barrier.wait()
        for _ in range(per_producer):
            ob.put("verdict", BODY)

    threads = [threading.Thread(target=produce) for _ in range(producers)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    total = producers * per_producer
    per_commit = total / ob.stats().commits
    ob.close()
    return total / elapsed, per_commit


def fill(path: Path, records: int) -> float:
    start = time.perf_counter()
    with Outbox(path) as ob:
        kinds = ["verdict", "inspection", "ledger_entry", "camera_event"]
        chunk = 20_000
        for i in range(0, records, chunk):
            n = min(chunk, records - i)
            ob.put_many({"kind": kinds[(i + j) % 4], "body": BODY} for j in range(n))
    return records / (time.perf_counter() - start)


def replay(work: Path, outbox: Path, records: int) -> tuple[float, float]:
    db = f"sqlite:///{work}/cloud.sqlite"
    cloud, port, token_file = start_cloud(COALGUARD, work, db)
    try:
        start = time.perf_counter()
        pump = subprocess.Popen(
            [COALGUARD, "edge", "pump", "--outbox", str(outbox), "--cloud",
             f"http://127.0.0.1:{port}", "--gateway-id", "gw-bench", "--token-file",
             str(token_file), "--count", "0", "--drain", "--quiet", "--batch", "2000"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _, status, usage = os.wait4(pump.pid, 0)
        elapsed = time.perf_counter() - start
        pump.returncode = os.waitstatus_to_exitcode(status)
        if pump.returncode != 0:
            raise SystemExit(f"pump failed with exit {pump.returncode}")
        cloud_cpu = cpu_seconds(cloud.pid)
        edge_cpu = usage.ru_utime + usage.ru_stime
        print(
            f"  CPU seconds: edge {edge_cpu:.1f}, cloud {cloud_cpu:.1f}, wall {elapsed:.1f} "
            f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
    finally:
        cloud.terminate()
        cloud.wait(10)
    conn = sqlite3.connect(f"{work}/cloud.sqlite")
    stored = conn.execute("SELECT COUNT(*) FROM gateway_records").fetchone()[0]
    conn.close()
    if stored != records:
        raise SystemExit(f"cloud holds {stored} records, expected {records}")
    return records / elapsed, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--records", type=int, default=1_000_000, help="records to replay")
    ap.add_argument("--puts", type=int, default=8000, help="records per put-rate run")
    ap.add_argument("--dir", type=Path, default=None, help="work directory (default: temp)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="coalguard-bench-", dir=args.dir))
    try:
        # The disk is shared: its sync latency drifts, so the baseline is measured
        # right before and right after each put run and their mean is used.
        for producers in (1, 8):
            n = args.puts // producers if producers > 1 else args.puts // 4
            before = bare_loop(work / f"bare{producers}a.sqlite", 1.5)
            rate, group = put_rate(work / f"put{producers}.sqlite", producers, n)
            after = bare_loop(work / f"bare{producers}b.sqlite", 1.5)
            base = (before + after) / 2
            print(
                f"outbox put, {producers} producer(s): {rate:8,.0f} records/s "
                f"= {rate / base:4.1f}x "
                f"a bare SQLite loop committing each row, WAL+FULL ({before:,.0f} before, "
                f"{after:,.0f} after rows/s); {group:.1f} records per commit"
            )
        outbox = work / "replay.sqlite"
        fill_rate = fill(outbox, args.records)
        size_mb = outbox.stat().st_size / 1e6
        print(f"filled {args.records:,} records with put_many: {fill_rate:,.0f} records/s, "
              f"outbox file {size_mb:,.0f} MB")  # fmt: skip
        rate, rss = replay(work, outbox, args.records)
        print(f"replay {args.records:,} buffered records to a local cloud: {rate:10,.0f} records/s "
              f"end to end  (goal 20,000: {rate / 20000:.2f}x)")  # fmt: skip
        print(f"peak RSS of the edge process holding and sending them:   {rss:10,.0f} MB"
              f"  (goal < 150 MB)")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
