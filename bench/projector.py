"""The cloud's CPU per record at catch-up, in process: ingest (``store_batch``) and
projection (``Projector.run_until_idle``), apart, without HTTP or the edge.

    .venv/bin/python bench/projector.py                      # 8,000 records, 5 runs, SQLite
    .venv/bin/python bench/projector.py --records 16000 --runs 7
    .venv/bin/python bench/projector.py --against /tmp/base  # another tree, runs alternated

Whole trucks of records (``bench/truck_records.py``). Each run builds a fresh SQLite
cloud, stores the records in batches of 2,000 as the batch route does (parse, envelope,
insert), then projects them all. Printed per run and as the best of the runs (the
machine is shared: the least disturbed run is the nearest to the code's own cost):
CPU µs per record for ingest and projection, and the ratio to a bare ``executemany``
of the same rows measured in the same run. ``--against TREE`` runs another checkout's
code (e.g. a ``git worktree`` of main) alternately with this one and prints the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 2000


def one_run(records: int) -> dict[str, float]:
    """In this process (the code on ``sys.path``): µs of CPU per record for each phase."""
    import gc
    from datetime import UTC, datetime

    from truck_records import records as truck_records

    from coalguard.cloud.app import create_app
    from coalguard.cloud.gateways import register_gateway
    from coalguard.cloud.settings import CloudSettings

    work = Path(tempfile.mkdtemp(prefix="bench-projector-"))
    url = f"sqlite:///{work}/cloud.sqlite"
    app = create_app(CloudSettings(db_url=url, checks_interval_s=0), schema="create")
    register_gateway(app.state.engine, "gw-bench", now=datetime.now(UTC))
    recs = list(truck_records(records))
    raws = [
        json.dumps({"records": recs[k : k + BATCH]}, ensure_ascii=False).encode()
        for k in range(0, len(recs), BATCH)
    ]
    gc.collect()
    gc.freeze()  # as ``cloud serve`` does (process.settle_heap)
    t0 = time.process_time()
    for raw in raws:
        _ingest(app.state.engine, raw)
    t1 = time.process_time()
    projected = app.state.projector.run_until_idle()
    t2 = time.process_time()
    if projected != records:
        raise SystemExit(f"projected {projected} of {records} records")
    bare = _bare(work, recs)
    return {
        "ingest": 1e6 * (t1 - t0) / records,
        "project": 1e6 * (t2 - t1) / records,
        "bare": 1e6 * bare / records,
    }


def _ingest(engine: object, raw: bytes) -> None:
    """What the batch route does with a batch's text (``read_batch``, or an older tree's way)."""
    from datetime import UTC, datetime

    from coalguard.cloud.api.routes import batches
    from coalguard.cloud.batch_store import store_batch
    from coalguard.edge.outbox.record import DEFAULT_MAX_RECORD_BYTES
    from coalguard.edge.uplink.wire import known_finite

    kwargs: dict[str, object] = {}
    if hasattr(batches, "read_batch"):  # the route's own reading
        batch = batches.read_batch(raw, 10_000)
        items, kwargs["checked"], kwargs["context"] = batch
    elif (plain := batches.plain_batch(raw, 10_000)) is not None:  # an older tree
        items, kwargs["checked"] = plain
        kwargs["context"] = {batches.FINITE: True}
    else:
        items, kwargs["context"] = batches.parse_batch(raw)["records"], known_finite(raw)
    store_batch(
        engine, "gw-bench", items, max_record_bytes=DEFAULT_MAX_RECORD_BYTES,
        received_at=datetime.now(UTC), **kwargs,
    )  # fmt: skip


def _bare(work: Path, recs: list[dict[str, object]]) -> float:
    """CPU seconds of a bare executemany of the same rows (WAL, a commit per batch)."""
    import sqlite3

    conn = sqlite3.connect(work / "bare.sqlite", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE bare (id TEXT UNIQUE, kind TEXT, born_at TEXT, body TEXT)")
    rows = [(r["id"], r["kind"], r["born_at"], json.dumps(r["body"])) for r in recs]
    t0 = time.process_time()
    for k in range(0, len(rows), BATCH):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO bare VALUES (?, ?, ?, ?)", rows[k : k + BATCH])
        conn.execute("COMMIT")
    spent = time.process_time() - t0
    conn.close()
    return spent


def run_tree(tree: Path, records: int) -> dict[str, float]:
    """One run in a fresh interpreter with ``tree``'s code first on the path."""
    env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{tree / 'bench'}"}
    out = subprocess.run(
        [sys.executable, __file__, "--one", str(records)],
        env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def _line(label: str, r: dict[str, float]) -> str:
    total = r["ingest"] + r["project"]
    return (
        f"{label:>8}: ingest {r['ingest']:6.1f} µs + projection {r['project']:6.1f} µs "
        f"= {total:6.1f} µs/record ({total / r['bare']:.1f}x a bare insert's "
        f"{r['bare']:.1f} µs; goal 50 µs in all)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=8000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--against", type=Path, help="another tree, run alternately")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_run(args.one)))
        return
    trees = {"this": ROOT, **({"against": args.against.resolve()} if args.against else {})}
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in trees}
    for n in range(args.runs):
        for label, tree in trees.items():
            r = run_tree(tree, args.records)
            runs[label].append(r)
            print(_line(f"{label} {n + 1}", r), flush=True)
    print(f"best of {args.runs} runs, {args.records:,} records, load {os.getloadavg()[0]:.1f}:")
    best = {k: min(v, key=lambda r: r["ingest"] + r["project"]) for k, v in runs.items()}
    for label, r in best.items():
        print(_line(label, r))
    if "against" in best:
        a, b = best["this"], best["against"]
        print(
            f"this / against: ingest {a['ingest'] / b['ingest']:.2f}, "
            f"projection {a['project'] / b['project']:.2f}, "
            f"in all {(a['ingest'] + a['project']) / (b['ingest'] + b['project']):.2f}"
        )


if __name__ == "__main__":
    main()
