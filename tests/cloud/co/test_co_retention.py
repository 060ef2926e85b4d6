"""The CO retention job: old heartbeats summarised per alarm per hour, then deleted."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from coalguard.cloud.co.retention import Retention
from coalguard.cloud.co.tables import CoHourly, CoMessageRow
from coalguard.cloud.db import create_schema, make_engine, make_sessionmaker
from coalguard.cloud.leases import Leases
from coalguard.edge.clock import ManualClock
from coalguard.edge.model import utcnow
from tests.cloud.test_cloud_cli import cli

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
KEEP = timedelta(days=14)
OLD = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)  # 16 days before NOW

# (device, minutes after OLD, co ppm, battery): two alarms, two hours each.
HEARTBEATS = [
    ("d1", 0, 5, 90),
    ("d1", 10, 30, 89),
    ("d1", 20, 10, 88),
    ("d1", 70, 2, 87),
    ("d2", 5, 0, 100),
    ("d2", 65, 50, 99),
    ("d2", 75, 40, 98),
]
EXPECTED = {
    ("d1", OLD): (5.0, 30.0, 10.0, 88.0, 3),
    ("d1", OLD + timedelta(hours=1)): (2.0, 2.0, 2.0, 87.0, 1),
    ("d2", OLD): (0.0, 0.0, 0.0, 100.0, 1),
    ("d2", OLD + timedelta(hours=1)): (40.0, 50.0, 40.0, 98.0, 2),
}


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker]:
    engine = make_engine(db_url)
    create_schema(engine, for_tests_or_demo=True)
    sm = make_sessionmaker(engine)
    with sm.begin() as s:
        for seq, (device, minutes, ppm, battery) in enumerate(HEARTBEATS, 1):
            s.add(_row(device, seq, "state", OLD + timedelta(minutes=minutes), ppm, battery))
        # An old event, and a recent heartbeat: both stay.
        s.add(_row("d1", 100, "event", OLD + timedelta(minutes=15), 300, None, "alarm_start"))
        s.add(_row("d1", 101, "state", NOW - timedelta(days=1), 3, 80))
    yield sm
    engine.dispose()


def _row(
    device: str,
    seq: int,
    kind: str,
    ts: datetime,
    ppm: float,
    battery: float | None,
    event_type: str | None = None,
) -> CoMessageRow:
    payload = {"co_ppm": ppm, "battery_pct": battery} if battery is not None else {"co_ppm": ppm}
    return CoMessageRow(
        device_id=device,
        seq=seq,
        kind=kind,
        event_type=event_type,
        ts=ts,
        received_at=ts,
        payload=payload,
    )


def _job(sm: sessionmaker, batch: int = 2) -> Retention:
    return Retention(sm, KEEP, batch, leases=Leases(ManualClock(NOW)), clock=ManualClock(NOW))


def _hours(sm: sessionmaker) -> dict[tuple[str, datetime], tuple[float | None, ...]]:
    with sm() as s:
        return {
            (h.device_id, h.hour): (h.co_min, h.co_max, h.co_last, h.battery_last, h.count)
            for h in s.scalars(select(CoHourly))
        }


def _messages(sm: sessionmaker) -> list[tuple[str, int, str]]:
    with sm() as s:
        return sorted(
            s.execute(select(CoMessageRow.device_id, CoMessageRow.seq, CoMessageRow.kind))
        )


KEPT = [("d1", 100, "event"), ("d1", 101, "state")]


def test_co_messages_older_than_the_retention_are_downsampled_then_deleted(
    sessions: sessionmaker,
) -> None:
    done = _job(sessions).run(NOW)
    assert _hours(sessions) == EXPECTED
    assert _messages(sessions) == KEPT  # the old event and the recent heartbeat stay
    assert (done.deleted, done.batches) == (7, 4)


def test_a_rerun_of_the_retention_changes_nothing(sessions: sessionmaker) -> None:
    _job(sessions).run(NOW)
    again = _job(sessions).run(NOW)
    assert again.deleted == 0
    assert _hours(sessions) == EXPECTED
    assert _messages(sessions) == KEPT


def test_a_retention_job_killed_between_batches_leaves_consistent_data(
    sessions: sessionmaker,
) -> None:
    first = _job(sessions, batch=3)
    assert first.one_batch(NOW) == 3  # then "killed": a fresh job takes over
    with sessions() as s:
        summarised = s.scalar(select(func.sum(CoHourly.count)))
        left = s.scalar(select(func.count()).select_from(CoMessageRow))
    assert summarised + left == len(HEARTBEATS) + len(KEPT)  # nothing lost, nothing twice
    _job(sessions, batch=3).run(NOW)
    assert _hours(sessions) == EXPECTED
    assert _messages(sessions) == KEPT


def test_two_retention_jobs_at_once_summarise_each_hour_once(sessions: sessionmaker) -> None:
    run_together([_job(sessions, batch=1), _job(sessions, batch=1)], NOW)
    assert _hours(sessions) == EXPECTED
    assert _messages(sessions) == KEPT


def run_together(jobs: list[Retention], now: datetime) -> None:
    """Every job's ``run(now)`` at the same moment, each on its own thread."""
    start = threading.Barrier(len(jobs))

    def run(job: Retention) -> None:
        start.wait()
        job.run(now)

    threads = [threading.Thread(target=run, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)


def test_the_co_retention_command_summarises_and_says_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path}/c.sqlite"
    assert cli("cloud", "migrate", "--db", db).returncode == 0
    engine = make_engine(db)
    sm = make_sessionmaker(engine)
    with sm.begin() as s:  # a heartbeat of last month and one of now
        s.add(_row("d1", 1, "state", utcnow() - timedelta(days=30), 7, 90))
        s.add(_row("d1", 2, "state", utcnow(), 8, 90))
    done = cli("cloud", "co-retention", "--db", db, "--days", "14")
    assert done.returncode == 0, done.stderr
    assert "1 条心跳" in done.stdout  # Chinese by default
    assert [m[1] for m in _messages(sm)] == [2]
    assert [v[4] for v in _hours(sm).values()] == [1]
    engine.dispose()
