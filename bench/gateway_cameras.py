"""Gateway camera-metadata benchmark: prints figures and ratios measured in this run.

    .venv/bin/python bench/gateway_cameras.py                  # 2,000 events, 100,000 aged rows
    .venv/bin/python bench/gateway_cameras.py --events 500 --aged 20000

1. Intake rate of ``CameraDesk.intake`` (validate, de-duplicate, link, store,
   record through the outbox tables in the same transaction), against a bare
   SQLite loop that inserts the same row and commits one at a time with the
   same settings (WAL, synchronous=FULL).
2. Retention purge of ``--aged`` rows past the window: rows per second.
3. Intake while a purge of as many rows runs in another thread: p50 and
   worst-case latency against intake alone. Purging in batches must not stall
   intake for the purge's duration (goal: the worst wait stays under 10 % of
   the purge's duration and under 250 ms, which a camera's HTTP push absorbs;
   one batch transaction, with a WAL checkpoint on a shared disk, sets the floor).
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coalguard.edge.clock import ManualClock  # noqa: E402
from coalguard.edge.outbox import JoinedOutbox  # noqa: E402
from coalguard.gateway.config import GatewayConfig  # noqa: E402
from coalguard.gateway.outbox import open_outbox  # noqa: E402
from coalguard.gateway.service import Gateway  # noqa: E402
from coalguard.gateway.sink import OutboxSink  # noqa: E402
from coalguard.gateway.store import Store  # noqa: E402
from coalguard.gateway.stored_time import iso  # noqa: E402

SHA = hashlib.sha256(b"x").hexdigest()


def event(n: int, clock: ManualClock, camera: str = "cam-sampling") -> dict:
    return {
        "camera_id": camera,
        "event_id": f"{camera}-{n}",
        "type": "plate",
        "ts": iso(clock.now()),
        "plate": f"冀A{n % 100000:05d}",
        "confidence": 0.5,
        "snapshot": {"ref": f"nvr://{camera}/{n}.jpg", "sha256": SHA},
    }


def gateway(tmp: Path, clock: ManualClock) -> tuple[Gateway, JoinedOutbox]:
    cfg = GatewayConfig.model_validate(
        {
            "checkpoint": {
                "id": "bench",
                "name": "bench",
                "region_code": "13",
                "jurisdiction": "hebei-2022",
            },
            "storage": {"data_dir": str(tmp)},
            "http": {"camera_token_required": False},  # in-process intake, no HTTP
            "camera": [{"id": c, "name": c} for c in ("cam-entry", "cam-sampling", "cam-exit")],
        }
    )
    store = Store(cfg.db_path)
    outbox = open_outbox(cfg, store, clock)  # the outbox tables in the gateway database, as run
    return Gateway.build(cfg, store, OutboxSink(outbox), clock), outbox


def bare_loop(tmp: Path, n: int, clock: ManualClock) -> float:
    db = sqlite3.connect(tmp / "bare.sqlite", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(
        "CREATE TABLE e (id TEXT PRIMARY KEY, camera TEXT, event_id TEXT, at TEXT, "
        "plate TEXT, body TEXT, UNIQUE (camera, event_id))"
    )
    t0 = time.perf_counter()
    for i in range(n):
        ev = event(i, clock)
        db.execute("BEGIN")
        db.execute(
            "INSERT INTO e VALUES (?,?,?,?,?,?)",
            (str(i), ev["camera_id"], ev["event_id"], ev["ts"], ev["plate"], str(ev)),
        )
        db.execute("COMMIT")
    dt = time.perf_counter() - t0
    db.close()
    return n / dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=2000)
    ap.add_argument("--aged", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=500, help="rows per purge transaction")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        clock = ManualClock()
        base = bare_loop(tmp, args.events, clock)
        gw, outbox = gateway(tmp / "gw", clock)
        gw.cameras.purge_batch = args.batch
        t0 = time.perf_counter()
        for i in range(args.events):
            gw.cameras.intake(event(i, clock))
        rate = args.events / (time.perf_counter() - t0)
        print(
            f"1. intake: bare SQLite loop {base:,.0f}/s, gateway {rate:,.0f}/s, "
            f"ratio {rate / base:.2f}x"
        )

        # Age rows in bulk (as 93 days of traffic would), then time a purge.
        with gw.store.tx() as db:
            old = iso(clock.now() - timedelta(days=100))
            db.executemany(
                "INSERT INTO camera_events(id, camera_id, event_id, type, at, received_at, plate,"
                " body) VALUES (?, 'cam-exit', ?, 'plate', ?, ?, 'X', '{}')",
                [(f"old-{i}", f"old-{i}", old, old) for i in range(args.aged)],
            )
        alone = []
        for i in range(300):
            t = time.perf_counter()
            gw.cameras.intake(event(10_000_000 + i, clock))
            alone.append(time.perf_counter() - t)
        t0 = time.perf_counter()
        run = gw.cameras.purge()
        purge_s = time.perf_counter() - t0
        print(
            f"2. purge: {run.purged:,} rows in {run.batches} batches, {purge_s:.2f} s, "
            f"{run.purged / purge_s:,.0f} rows/s"
        )

        with gw.store.tx() as db:
            db.executemany(
                "INSERT INTO camera_events(id, camera_id, event_id, type, at, received_at, plate,"
                " body) VALUES (?, 'cam-exit', ?, 'plate', ?, ?, 'X', '{}')",
                [(f"old2-{i}", f"old2-{i}", old, old) for i in range(args.aged)],
            )
        during: list[float] = []
        span: list[float] = []

        def timed_purge() -> None:
            t = time.perf_counter()
            gw.cameras.purge()
            span.append(time.perf_counter() - t)

        purger = threading.Thread(target=timed_purge)
        purger.start()
        i = 0
        while purger.is_alive() or i < 50:
            t = time.perf_counter()
            gw.cameras.intake(event(20_000_000 + i, clock))
            during.append(time.perf_counter() - t)
            i += 1
        purger.join()
        p50a, p50d = statistics.median(alone), statistics.median(during)
        print(
            f"3. intake latency: alone p50 {p50a * 1000:.1f} ms, max {max(alone) * 1000:.1f} ms; "
            f"during purge p50 {p50d * 1000:.1f} ms, max {max(during) * 1000:.1f} ms "
            f"({len(during)} events); worst wait {max(during) / span[0] * 100:.1f} % "
            f"of the purge's {span[0]:.2f} s"
        )
        outbox.close()
        gw.store.close()


if __name__ == "__main__":
    main()
