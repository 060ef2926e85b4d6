"""Cloud API benchmark against a throwaway PostgreSQL: prints figures and ratios of one run.

    .venv/bin/python bench/cloud_api.py               # 20,000 records, 1 year of a county
    .venv/bin/python bench/cloud_api.py --records 5000 --days 90

1. Batch ingest through ``POST /api/v1/gateways/{id}/batches`` (the real app,
   in-process HTTP, batches of 500 (``--batch``; the gateway sends 2,000) sent
   as ready JSON text, as the gateway's outbox holds them) against a bare
   ``COPY`` and a bare ``executemany`` of the same rows into a table of the
   same shape, interleaved, best of ``--repeat``. Goal: ingest / COPY >= 0.3.
   Then the CPU of this process per record of reading and storing 8,000 truck
   records (``bench/truck_records.py``, batches of 2,000), SQLite and PostgreSQL,
   by the strict path (json, pydantic) and the fast path (orjson, the envelope
   checked by hand) in the same run. Goal: fast <= 15 us per record.
2. The region overview (the dashboard's ``/`` for a county operator) with one
   year of county data: 1,000 checks a day, 50,000 alarms (their 10-minute
   heartbeats downsampled into each alarm's last state and the alerts they
   raised), checkpoint and CO alerts, lab samples. Goal: p95 <= 200 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from bench.truck_records import records as truck_records  # noqa: E402
from coalguard.cloud.api.routes import batches as batches_route  # noqa: E402
from coalguard.cloud.api.routes.batches import parse_batch, plain_batch  # noqa: E402
from coalguard.cloud.app import create_app  # noqa: E402
from coalguard.cloud.auth import issue_token  # noqa: E402
from coalguard.cloud.batch_store import store_batch  # noqa: E402
from coalguard.cloud.gateways import register_gateway  # noqa: E402
from coalguard.cloud.process import settle_heap  # noqa: E402
from coalguard.cloud.settings import CloudSettings  # noqa: E402
from coalguard.edge.clock import ManualClock, SystemClock  # noqa: E402
from coalguard.edge.outbox.record import DEFAULT_MAX_RECORD_BYTES  # noqa: E402
from coalguard.edge.uplink.wire import FINITE, known_finite  # noqa: E402
from tests.support.servers import postgres_server  # noqa: E402

BATCH = 500
NOW = datetime(2026, 12, 31, 4, 0, tzinfo=UTC)


def records(n: int) -> list[dict]:
    born = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    return [
        {
            "id": str(uuid.uuid4()),
            "kind": "analyzer.result",
            "priority": "critical",
            "born_at": (born + timedelta(seconds=k)).isoformat(),
            "body": {
                "checkpoint_id": "cp-bench",
                "analyzer_id": "an-1",
                "result_id": f"r-{k}",
                "sample_id": f"S-{k:07d}",
                "at": (born + timedelta(seconds=k)).isoformat(),
                "indicators": {"Mad": 2.1, "Aad": 14.2, "Vdaf": 8.7, "St_ad": 0.41},
                "uncertainty": {},
            },
        }
        for k in range(n)
    ]


def pg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def ingest_rate(url: str, recs: list[dict], batch: int) -> float:
    app = create_app(CloudSettings(db_url=url, checks_interval_s=0), schema="create")
    token = register_gateway(app.state.engine, "gw-bench", now=SystemClock().now())
    c = TestClient(app)
    settle_heap()  # as ``cloud serve`` does once its app is made
    h = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bodies = [
        json.dumps({"records": recs[k : k + batch]}).encode() for k in range(0, len(recs), batch)
    ]
    t0 = time.perf_counter()
    for body in bodies:
        r = c.post("/api/v1/gateways/gw-bench/batches", content=body, headers=h)
        assert r.status_code == 200 and r.json()["counts"]["stored"] == min(batch, len(recs))
    dt = time.perf_counter() - t0
    app.state.engine.dispose()
    return len(recs) / dt


CPU_RECORDS = 8_000
CPU_BATCH = 2_000


def _store_cpu(url: str, batches: list[bytes], fast: bool) -> float:
    """CPU seconds of this process to read and store ``batches`` into a fresh schema."""
    app = create_app(CloudSettings(db_url=url, checks_interval_s=0), schema="create")
    engine = app.state.engine
    cpu = 0.0
    for raw in batches:
        t0 = time.process_time()
        plain = plain_batch(raw, CPU_BATCH) if fast else None
        if plain is not None:
            (items, checked), context = plain, {FINITE: True}
        else:
            items, checked, context = parse_batch(raw)["records"], None, known_finite(raw)
        outs = store_batch(
            engine,
            "gw-bench",
            items,
            max_record_bytes=DEFAULT_MAX_RECORD_BYTES,
            received_at=NOW,
            context=context,
            checked=checked,
        )
        cpu += time.process_time() - t0
        assert all(o.outcome == "stored" for o in outs) and (plain is not None) == fast
    engine.dispose()
    return cpu


def ingest_cpu(new_url: Callable[[], str], label: str) -> None:
    """Per record CPU of reading and storing truck records, strict and fast, best of 3."""
    recs = list(truck_records(CPU_RECORDS))
    batches = [
        json.dumps({"records": recs[k : k + CPU_BATCH]}, ensure_ascii=False).encode()
        for k in range(0, CPU_RECORDS, CPU_BATCH)
    ]
    per = {
        fast: min(_store_cpu(new_url(), batches, fast) for _ in range(3)) / CPU_RECORDS * 1e6
        for fast in (False, True)
    }
    print(
        f"ingest CPU {label:10} strict {per[False]:5.1f} us/record, fast {per[True]:5.1f} "
        f"us/record, fast/strict {per[True] / per[False]:4.2f}  (goal fast <= 15)"
    )


_DDL = """CREATE TABLE bare (seq BIGSERIAL PRIMARY KEY, id VARCHAR(36) UNIQUE,
gateway_id VARCHAR(64), kind VARCHAR(64), priority VARCHAR(16), born_at TIMESTAMPTZ,
received_at TIMESTAMPTZ,
body JSONB, digest VARCHAR(64))"""


def _rows(recs: list[dict]) -> list[tuple]:
    now = datetime.now(UTC)
    return [
        (
            r["id"],
            "gw",
            r["kind"],
            r["priority"],
            r["born_at"],
            now,
            json.dumps(r["body"]),
            "0" * 64,
        )
        for r in recs
    ]


def bare_copy(url: str, recs: list[dict], batch: int) -> float:
    with psycopg.connect(pg_url(url)) as conn:
        conn.execute(_DDL)
        conn.commit()
        t0 = time.perf_counter()
        rows = _rows(recs)
        for k in range(0, len(rows), batch):
            with (
                conn.cursor() as cur,
                cur.copy(
                    "COPY bare (id, gateway_id, kind, priority, born_at, received_at, body, "
                    "digest) FROM STDIN"
                ) as cp,
            ):
                for row in rows[k : k + batch]:
                    cp.write_row(row)
            conn.commit()
        return len(recs) / (time.perf_counter() - t0)


def bare_executemany(url: str, recs: list[dict], batch: int) -> float:
    with psycopg.connect(pg_url(url)) as conn:
        conn.execute(_DDL)
        conn.commit()
        t0 = time.perf_counter()
        rows = _rows(recs)
        for k in range(0, len(rows), batch):
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO bare (id, gateway_id, kind, priority, born_at, received_at, "
                    "body, digest) VALUES (%s,%s,%s,%s,%s,%s,%s::jsonb,%s)",
                    rows[k : k + batch],
                )
            conn.commit()
        return len(recs) / (time.perf_counter() - t0)


def _copy(conn: psycopg.Connection, table: str, cols: list[str], rows) -> int:  # type: ignore[no-untyped-def]
    n = 0
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
            n += 1
    conn.commit()
    return n


def load_county_year(url: str, days: int) -> dict[str, int]:
    """One county (130102): 4 checkpoints, ``days`` x 1,000 checks, 50,000 alarms."""
    rnd = random.Random(7)
    cps = [f"cp-{k}" for k in range(4)]
    counts: dict[str, int] = {}
    with psycopg.connect(pg_url(url)) as conn:
        counts["checkpoints"] = _copy(
            conn,
            "chk_checkpoint",
            ["checkpoint_id", "name", "region_code", "jurisdiction", "registered", "last_seen"],
            ((c, f"检查站{c}", "130102", "hebei-2022", True, NOW) for c in cps),
        )

        def inspections():  # type: ignore[no-untyped-def]
            start = NOW - timedelta(days=days)
            for k in range(days * 1000):
                at = start + timedelta(seconds=k * 86.4 + rnd.random())
                overall = rnd.choices(["pass", "fail", "retest"], [90, 7, 3])[0]
                state = {"pass": "released", "fail": "turned_back", "retest": "lab_sample"}[overall]
                yield (
                    str(uuid.uuid4()),
                    cps[k % 4],
                    "130102",
                    f"冀A{k % 100000:05d}",
                    state,
                    at,
                    at,
                    7,
                    "山西大同",
                    "anthracite",
                    overall,
                    overall,
                    False,
                )

        counts["inspections"] = _copy(
            conn,
            "chk_inspection",
            [
                "id",
                "checkpoint_id",
                "region_code",
                "plate",
                "state",
                "opened_at",
                "updated_at",
                "last_seq",
                "origin",
                "coal_type",
                "overall",
                "cloud_overall",
                "disagreement",
            ],
            inspections(),
        )

        def devices():  # type: ignore[no-untyped-def]
            for k in range(50_000):
                village = f"130102{k % 200 // 20 + 1:03d}{k % 20 + 1:03d}"
                online = rnd.random() > 0.03
                seen = NOW - timedelta(
                    minutes=rnd.randint(0, 10) if online else rnd.randint(60, 9000)
                )
                yield (f"co-{k:06d}", True, village, online, seen, False, 0, 0, 0, False)

        counts["alarms"] = _copy(
            conn,
            "co_device",
            [
                "device_id",
                "registered",
                "region_code",
                "online",
                "last_seen",
                "eol",
                "messages",
                "duplicates",
                "gaps",
                "silent_alerted",
            ],
            devices(),
        )

        def co_alerts():  # type: ignore[no-untyped-def]
            for k in range(30_000):
                at = NOW - timedelta(minutes=rnd.randint(0, days * 1440))
                status = "resolved" if k > 200 else rnd.choice(["open", "acknowledged"])
                kind = rnd.choices(["offline", "low_battery", "co_alarm"], [70, 25, 5])[0]
                yield (
                    f"co-{k % 50000:06d}",
                    f"130102{k % 10 + 1:03d}001",
                    kind,
                    "major",
                    status,
                    at,
                    at,
                    1,
                    "{}",
                    0,
                )

        counts["co_alerts"] = _copy(
            conn,
            "co_alert",
            [
                "device_id",
                "region_code",
                "kind",
                "severity",
                "status",
                "opened_at",
                "updated_at",
                "occurrences",
                "detail",
                "escalation_level",
            ],
            co_alerts(),
        )

        def cp_alerts():  # type: ignore[no-untyped-def]
            for k in range(5_000):
                at = NOW - timedelta(minutes=rnd.randint(0, days * 1440))
                status = "resolved" if k > 30 else "open"
                yield (
                    cps[k % 4],
                    "130102",
                    "camera.silent",
                    f"cam-{k}",
                    "medium",
                    status,
                    "gateway",
                    "",
                    at,
                    at,
                    1,
                    "{}",
                    0,
                )

        counts["checkpoint_alerts"] = _copy(
            conn,
            "chk_alert",
            [
                "checkpoint_id",
                "region_code",
                "kind",
                "subject",
                "severity",
                "status",
                "origin",
                "message",
                "opened_at",
                "updated_at",
                "occurrences",
                "detail",
                "escalation_level",
            ],
            cp_alerts(),
        )

        def labs():  # type: ignore[no-untyped-def]
            for k in range(days * 30):
                at = NOW - timedelta(hours=k * 24 / 30)
                done = k > 40
                yield (
                    str(uuid.uuid4()),
                    cps[k % 4],
                    "130102",
                    f"L-{k}",
                    at,
                    at + timedelta(hours=24),
                    at + timedelta(hours=5) if done else None,
                    at + timedelta(days=1) if done else None,
                    False,
                    False,
                )

        counts["lab_samples"] = _copy(
            conn,
            "chk_lab_sample",
            [
                "id",
                "checkpoint_id",
                "region_code",
                "sample_id",
                "sampled_at",
                "dispatch_due",
                "dispatched_at",
                "reported_at",
                "dispatch_alerted",
                "report_alerted",
            ],
            labs(),
        )
        conn.execute("ANALYZE")
        conn.commit()
    return counts


def overview_latency(url: str, runs: int) -> tuple[float, float, float]:
    clock = ManualClock(NOW)
    app = create_app(CloudSettings(db_url=url, checks_interval_s=0), clock, schema="create")
    token = issue_token(app.state.sessions, "county", "130102", now=SystemClock().now())
    c = TestClient(app)
    h = {"Authorization": f"Bearer {token}"}
    r = c.get("/", headers=h)
    assert r.status_code == 200 and "区域总览" in r.text, r.text[:300]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        assert c.get("/", headers=h).status_code == 200
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    app.state.engine.dispose()
    return statistics.median(times), p95, times[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--runs", type=int, default=60)
    ap.add_argument(
        "--batch", type=int, default=BATCH, help="records a request (the sender's default: 2000)"
    )
    ap.add_argument("--repeat", type=int, default=3, help="ingest and bare runs, best of each")
    args = ap.parse_args()
    recs = records(args.records)
    with postgres_server() as pg:
        strict = ingest = copy = many = 0.0
        for _ in range(args.repeat):  # interleaved, best of each: load swings hit all alike
            with mock.patch.object(batches_route, "plain_batch", return_value=None):
                strict = max(strict, ingest_rate(pg.new_database(), recs, args.batch))
            ingest = max(ingest, ingest_rate(pg.new_database(), recs, args.batch))
            copy = max(copy, bare_copy(pg.new_database(), recs, args.batch))
            many = max(many, bare_executemany(pg.new_database(), recs, args.batch))
        print(
            f"ingest via API      {ingest:10,.0f} records/s  "
            f"({args.records:,} records, batches of {args.batch}, best of {args.repeat})"
        )
        print(f"  no fast read      {strict:10,.0f} records/s  (ratio {ingest / strict:.2f})")
        print(f"bare COPY           {copy:10,.0f} records/s")
        print(f"bare executemany    {many:10,.0f} records/s")
        print(f"ratio ingest/COPY        {ingest / copy:6.2f}  (goal >= 0.3)")
        print(f"ratio ingest/executemany {ingest / many:6.2f}")
        with tempfile.TemporaryDirectory() as tmp:
            n = iter(range(100))
            ingest_cpu(lambda: f"sqlite:///{tmp}/cpu{next(n)}.sqlite", "SQLite")
        ingest_cpu(pg.new_database, "PostgreSQL")
        url = pg.new_database()
        create_app(
            CloudSettings(db_url=url, checks_interval_s=0), schema="create"
        ).state.engine.dispose()
        t0 = time.perf_counter()
        counts = load_county_year(url, args.days)
        print(
            f"loaded in {time.perf_counter() - t0:.1f} s: "
            + ", ".join(f"{k} {v:,}" for k, v in counts.items())
        )
        p50, p95, worst = overview_latency(url, args.runs)
        print(
            f"region overview (/), {args.days} days of a county: p50 {p50:.1f} ms, "
            f"p95 {p95:.1f} ms, max {worst:.1f} ms  (goal p95 <= 200 ms)"
        )


if __name__ == "__main__":
    main()
