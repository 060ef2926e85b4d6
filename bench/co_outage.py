"""Benchmark: a township-wide outage of 10^5 alarms swept while heartbeats keep arriving.

Per backend (SQLite file, a local PostgreSQL): ``--alarms`` alarms of one
township (villages of 1,000) all silent, ``--healthy`` alarms of another
township still talking. Prints how long the sweep takes to turn the outage into
its incident (one ``area_outage`` alert, every alarm counted, in batches of 200),
and what a heartbeat batch of the healthy township waits for its commit
meanwhile (the sweeper and the ingest share this process's write gate), against
the same batches with no sweep running: median, p99 and max, and their ratio.
``--offline``: the township's alarms sent their last wills instead (a power cut
dropping their links; held by ingest as ``offline_at``), swept once the
``offline_grace_s`` is over.

    .venv/bin/python bench/co_outage.py [--alarms 100000] [--healthy 2000] [--batch 100] [--offline]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402

from coalguard.cloud.co.alerts import AlertBook  # noqa: E402
from coalguard.cloud.co.gate import WriteGate  # noqa: E402
from coalguard.cloud.co.rules import OUTAGE_KIND, load_rules  # noqa: E402
from coalguard.cloud.co.store import MessageStore  # noqa: E402
from coalguard.cloud.co.sweeper import Sweeper  # noqa: E402
from coalguard.cloud.co.tables import CoAlert, CoDevice, CoOutageMember  # noqa: E402
from coalguard.cloud.db import create_schema, make_engine, make_sessionmaker  # noqa: E402
from coalguard.edge.clock import ManualClock  # noqa: E402
from tests.cloud.co.co_support import state  # noqa: E402
from tests.support.servers import postgres_server  # noqa: E402

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
OUT, HEALTHY = "130102001", "130102002"


def populate(
    store: MessageStore, alarms: int, healthy: int, heard: datetime, offline: bool = False
) -> list[str]:
    """The silent township's alarms (heard at T0; ``offline``: their wills came at T0,
    heard a minute before) and the healthy ones (heard at ``heard``)."""
    out_heard = T0 - timedelta(seconds=60) if offline else T0
    extra = {"offline_at": T0, "online": False} if offline else {}
    rows = [
        {**_row(f"out-{i:06}", f"{OUT}{i // 1000:03}", out_heard), **extra} for i in range(alarms)
    ] + [_row(f"ok-{i:05}", f"{HEALTHY}{i // 1000:03}", heard) for i in range(healthy)]
    with store.sessions.begin() as s:
        for at in range(0, len(rows), 10_000):
            s.execute(insert(CoDevice), rows[at : at + 10_000])
    with store.sessions.begin() as s:
        s.execute(text("ANALYZE"))
    return [r["device_id"] for r in rows[alarms:]]


def _row(device_id: str, region: str, at: datetime) -> dict:
    return {
        "device_id": device_id,
        "registered": True,
        "region_code": region,
        "first_seen": at,
        "registered_at": at,
        "last_state_at": at,
        "last_heard_at": at,
        "eol": False,
        "messages": 0,
        "duplicates": 0,
        "gaps": 0,
        "silent_alerted": False,
        "max_seq": 0,
    }


def heartbeats(store: MessageStore, ids: list[str], batch: int, at: datetime, stop) -> list[float]:  # type: ignore[no-untyped-def]
    """Heartbeat batches of the healthy alarms until ``stop()``: each one's commit, in ms."""
    times: list[float] = []
    seq = 1
    while not stop():
        for i in range(0, len(ids), batch):
            msgs = [state(d, seq, at=at) for d in ids[i : i + batch]]
            t0 = time.perf_counter()
            store.apply(msgs)
            times.append((time.perf_counter() - t0) * 1000)
            if stop():
                break
        seq += 1
    return times


def _figures(ms: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    return statistics.median(ms), q[98], max(ms)


def bench(url: str, backend: str, alarms: int, healthy: int, batch: int, offline: bool) -> None:
    engine = make_engine(url)
    create_schema(engine, for_tests_or_demo=True)
    sessions = make_sessionmaker(engine)
    rules = load_rules()
    gate = WriteGate()
    book = AlertBook(rules, ("log",))
    store = MessageStore(sessions, book, gate)
    assert rules.outage is not None
    wait = rules.outage.offline_grace_s if offline else rules.silence_s
    now = T0 + timedelta(seconds=wait + 1)
    ids = populate(store, alarms, healthy, now - timedelta(seconds=60), offline)
    sweeper = Sweeper(sessions, book, 1, lambda: None, gate, clock=ManualClock(now))
    opened: list[float] = []  # when the incident was written (the operators' first word of it)
    open_incident = book.open_incident

    def timed_open(*args, **kw):  # type: ignore[no-untyped-def]
        opened.append(time.perf_counter())
        return open_incident(*args, **kw)

    book.open_incident = timed_open  # type: ignore[method-assign]

    rounds = {"n": 0}

    def some() -> bool:
        rounds["n"] += 1
        return rounds["n"] > 60

    base = heartbeats(store, ids, batch, now, some)
    done = threading.Event()
    during: list[float] = []
    feeder = threading.Thread(
        target=lambda: during.extend(heartbeats(store, ids, batch, now, done.is_set))
    )
    feeder.start()
    t0 = time.perf_counter()
    sweeper.sweep(now)
    took = time.perf_counter() - t0
    done.set()
    feeder.join()
    with sessions() as s:
        incidents = s.scalar(select(func.count()).where(CoAlert.kind == OUTAGE_KIND))
        others = s.scalar(select(func.count()).where(CoAlert.kind != OUTAGE_KIND))
        counted = s.scalar(select(func.count()).select_from(CoOutageMember))
    b, d = _figures(base), _figures(during)
    print(
        f"{backend:10} {alarms:,} alarms {'offline (wills)' if offline else 'silent'}: "
        f"incident opened after "
        f"{(opened[0] - t0) * 1000:.0f} ms; swept in {took:.2f} s "
        f"({counted / took:,.0f} alarms/s; {incidents} incident, {counted:,} counted, "
        f"{others} other alerts)\n"
        f"{'':10} ingest commit of {batch} heartbeats, ms: no sweep median {b[0]:.1f} "
        f"p99 {b[1]:.1f} max {b[2]:.1f} ({len(base)} batches) | during sweep median {d[0]:.1f} "
        f"p99 {d[1]:.1f} max {d[2]:.1f} ({len(during)} batches) | ratio median "
        f"{d[0] / b[0]:.2f} p99 {d[1] / b[1]:.2f}",
        flush=True,
    )
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alarms", type=int, default=100_000)
    ap.add_argument("--healthy", type=int, default=2_000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--offline", action="store_true", help="last wills instead of silence")
    args = ap.parse_args()
    sizes = (args.alarms, args.healthy, args.batch, args.offline)
    with tempfile.TemporaryDirectory() as tmp:
        bench(f"sqlite:///{tmp}/outage.sqlite", "sqlite", *sizes)
    with postgres_server() as pg:
        bench(pg.new_database(), "postgresql", *sizes)


if __name__ == "__main__":
    main()
