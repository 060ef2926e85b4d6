"""The silence sweep at scale: an index read, bounded transactions (issue 14).

Each test runs on SQLite and on a real PostgreSQL.
"""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta

from sqlalchemy import event as orm_event
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalguard.cloud.co.gate import WriteGate
from coalguard.cloud.co.sweeper import Sweeper, silent_due
from coalguard.cloud.co.tables import CoAlert, CoDevice
from coalguard.edge.clock import ManualClock
from tests.cloud.co.co_support import T0, event, registered, state, store_for
from tests.support.waiting import wait_for


def _plan(store, cutoff: datetime) -> str:  # type: ignore[no-untyped-def]
    """The database's own plan for the sweep's query, as one text."""
    with store.sessions.begin() as s:
        conn = s.connection()
        compiled = silent_due(cutoff, 200).compile(dialect=conn.dialect)
        params = dict(compiled.params)
        if conn.dialect.name == "sqlite":
            args = tuple(
                v.isoformat() if isinstance(v, datetime) else v
                for v in (params[k] for k in compiled.positiontup or ())
            )
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", args)
            return "\n".join(r[-1] for r in rows)
        # A test table is tiny, where a scan is cheapest anyway: ask whether an index serves it.
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        return "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {compiled}", params))


def test_silence_sweep_uses_an_index_not_a_table_scan(db_url: str) -> None:
    store = store_for(db_url)
    store.apply([state(f"dev-{i}", 1) for i in range(20)])
    plan = _plan(store, T0 + timedelta(seconds=store.book.rules.silence_s))
    # The cutoff bounds the index read (not merely silent_alerted, which is nearly every alarm).
    if "postgresql" in db_url:
        assert "Seq Scan" not in plan, plan
        assert re.search(r"Index Cond: .*last_heard_at <", plan), plan
    else:
        assert re.search(
            r"SEARCH (TABLE )?co_device USING INDEX ix_co_device_silence "
            r"\(silent_alerted=\? AND last_heard_at<\?\)",
            plan,
        ), plan
    assert "ix_co_device_silence" in plan, plan


def test_silence_sweep_commits_in_bounded_batches(db_url: str) -> None:
    """2,100 alarms of no known area fall silent at once (one more still talks, so our
    side is not blind: ``test_co_outage.py``): 200 per transaction, each alerted once."""
    store = store_for(db_url)
    devices = 2100
    store.apply([state(f"dev-{i:04}", 1) for i in range(devices)])
    later = T0 + timedelta(seconds=store.book.rules.silence_s + 1)
    store.apply([state("still-talking", 1, at=later)])
    sweeper = Sweeper(store.sessions, store.book, 1, clock=ManualClock(T0), silent_batch=200)
    raised: list[int] = []

    def _flushed(s: Session, _ctx: object) -> None:
        s.info["alerts"] = s.info.get("alerts", 0) + sum(isinstance(o, CoAlert) for o in s.new)

    def _committing(s: Session) -> None:
        raised.append(s.info.pop("alerts", 0))

    orm_event.listen(store.sessions, "after_flush", _flushed)
    orm_event.listen(store.sessions, "before_commit", _committing)

    assert sweeper.sweep(later)
    assert sweeper.sweep(later + timedelta(seconds=1))  # nothing left: idempotent
    orm_event.remove(store.sessions, "after_flush", _flushed)
    orm_event.remove(store.sessions, "before_commit", _committing)
    batches = [n for n in raised if n]
    assert max(batches) <= 200
    assert len(batches) >= devices // 200
    assert sum(batches) == devices
    with store.sessions() as s:
        alerted = s.scalar(select(func.count(func.distinct(CoAlert.device_id))))
        total = s.scalar(select(func.count()).select_from(CoAlert))
        unflagged = s.scalar(select(func.count()).where(CoDevice.silent_alerted.is_(False)))
    assert (alerted, total, unflagged) == (devices, devices, 1)


def test_registered_alarm_that_never_spoke_falls_silent_from_its_registration(
    db_url: str,
) -> None:
    """As before the index: registration starts the silence clock; first_seen alone does not."""
    store = store_for(db_url)
    store.apply([state("dev-1", 1), event("dev-3", 1, "test")])  # dev-3: unregistered, no state
    registered(store, "dev-2", at=T0)
    sweeper = Sweeper(store.sessions, store.book, 1, clock=ManualClock(T0))
    sweeper.sweep(T0 + timedelta(seconds=store.book.rules.silence_s + 1))
    with store.sessions() as s:
        ids = sorted(s.scalars(select(CoAlert.device_id).where(CoAlert.kind == "offline")))
    assert ids == ["dev-1", "dev-2"]


def test_sweep_batches_let_a_waiting_ingest_commit_between_them() -> None:
    """The sweep releases the write gate after each batch and asks for it again at once:
    a heartbeat batch already waiting goes first (it did not: a township outage held
    the ingest for the whole sweep, bench/co_outage.py)."""
    gate = WriteGate()
    order: list[str] = []
    gate.acquire()  # the sweep's first batch

    def ingest() -> None:
        with gate:
            order.append("ingest")

    t = threading.Thread(target=ingest)
    t.start()
    wait_for(lambda: len(gate._cond._waiters) == 1, timeout=10)  # type: ignore[attr-defined]
    gate.release()
    with gate:  # the sweep's next batch
        order.append("sweep")
    t.join(timeout=10)
    assert order == ["ingest", "sweep"]
