"""PostgreSQL: co_message partitioned by kind and day; retention drops a day instead of deleting.

Real PostgreSQL only (SQLite keeps one table and the batched job, tested in
``test_co_retention.py`` on both backends).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import sessionmaker

from coalguard.cloud.co import partitions
from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.retention import Pass, Retention
from coalguard.cloud.co.rules import load_rules
from coalguard.cloud.co.store import MessageStore
from coalguard.cloud.co.tables import CoDevice, CoMessageRow
from coalguard.cloud.db import create_schema, make_engine, make_sessionmaker
from coalguard.cloud.leases import Leases
from coalguard.cloud.migrate import SCRIPTS, alembic_config, upgrade
from coalguard.edge.clock import ManualClock
from tests.cloud.co.co_support import event, state
from tests.cloud.co.test_co_retention import (
    EXPECTED,
    HEARTBEATS,
    KEEP,
    KEPT,
    NOW,
    OLD,
    _row,
    run_together,
)
from tests.cloud.co.test_co_retention import _hours as hourly_rows
from tests.cloud.co.test_co_retention import _messages as message_keys
from tests.conftest import COALGUARD
from tests.support.processes import stop_process
from tests.support.servers import PostgresServer
from tests.support.waiting import wait_for


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    return pg_server.new_database()


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    e = make_engine(pg_url)
    create_schema(e, for_tests_or_demo=True)
    yield e
    e.dispose()


def _job(sm: sessionmaker, at: datetime = NOW, batch: int = 2) -> Retention:
    return Retention(sm, KEEP, batch, leases=Leases(ManualClock(at)), clock=ManualClock(at))


def _days(engine: Engine) -> tuple[list[date], list[date]]:
    with engine.connect() as c:
        return partitions.attached_days(c), partitions.detached_days(c)


def _where(engine: Engine, device: str, seq: int) -> str:
    """The partition a message is stored in."""
    with engine.connect() as c:
        return c.execute(
            text(
                "SELECT tableoid::regclass::text FROM co_message WHERE device_id = :d AND seq = :q"
            ),
            {"d": device, "q": seq},
        ).scalar_one()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker:
    """The retention test's rows, the old heartbeats in a day partition of their own
    (made by the job running on that day), plus an old event and a recent heartbeat."""
    sm = make_sessionmaker(engine)
    assert _job(sm, at=OLD).by_day(OLD, Pass())
    with sm.begin() as s:
        for seq, (device, minutes, ppm, battery) in enumerate(HEARTBEATS, 1):
            s.add(_row(device, seq, "state", OLD + timedelta(minutes=minutes), ppm, battery))
        s.add(_row("d1", 100, "event", OLD + timedelta(minutes=15), 300, None, "alarm_start"))
        s.add(_row("d1", 101, "state", NOW - timedelta(days=1), 3, 80))
    assert _where(engine, "d1", 1) == partitions.day_table(OLD.date())
    assert _where(engine, "d1", 100) == partitions.EVENTS
    return sm


def test_retention_drops_the_old_day_partition_and_keeps_events(
    engine: Engine, sessions: sessionmaker
) -> None:
    done = _job(sessions).run(NOW)
    assert hourly_rows(sessions) == EXPECTED  # as the batched job summarises them
    assert message_keys(sessions) == KEPT
    attached, detached = _days(engine)
    assert OLD.date() not in attached and detached == []
    assert (done.days_dropped, done.deleted, done.batches) >= (1, 7, 0)
    assert done.batches == 0  # no row was deleted one by one
    assert NOW.date() + timedelta(days=3) in attached  # made ahead


def test_a_heartbeat_arriving_after_its_day_was_dropped_is_merged_into_its_hour(
    engine: Engine, sessions: sessionmaker
) -> None:
    _job(sessions).run(NOW)
    with sessions.begin() as s:  # late: d1's hour OLD, later than its others, CO 60
        s.add(_row("d1", 50, "state", OLD + timedelta(minutes=40), 60, 70))
    assert _where(engine, "d1", 50) == partitions.DEFAULT
    _job(sessions).run(NOW)
    want = dict(EXPECTED)
    want[("d1", OLD)] = (5.0, 60.0, 60.0, 70.0, 4)
    assert hourly_rows(sessions) == want


def test_retention_killed_between_detach_and_drop_folds_the_day_once(
    engine: Engine, sessions: sessionmaker
) -> None:
    with sessions.begin() as s:  # the first step of a run, then "killed"
        partitions.detach(s.connection(), OLD.date())
    assert OLD.date() in _days(engine)[1]
    _job(sessions).run(NOW)
    assert hourly_rows(sessions) == EXPECTED
    assert message_keys(sessions) == KEPT
    assert _days(engine)[1] == []


def test_retention_that_dies_inside_fold_and_drop_leaves_the_day_whole(
    engine: Engine, sessions: sessionmaker
) -> None:
    with sessions.begin() as s:
        partitions.detach(s.connection(), OLD.date())
    with pytest.raises(RuntimeError), sessions.begin() as s:
        partitions.fold_and_drop(s.connection(), OLD.date())
        raise RuntimeError("killed before commit")
    assert hourly_rows(sessions) == {}  # the summary rolled back with the drop
    assert OLD.date() in _days(engine)[1]
    _job(sessions).run(NOW)
    assert hourly_rows(sessions) == EXPECTED


def test_two_retention_jobs_at_once_fold_each_day_once(
    engine: Engine, sessions: sessionmaker
) -> None:
    jobs = [_job(sessions), _job(sessions)]
    run_together(jobs, NOW)
    for job in jobs:  # whichever was held off by the lease, a later run finds nothing left
        job.run(NOW)
    assert hourly_rows(sessions) == EXPECTED
    assert message_keys(sessions) == KEPT
    assert OLD.date() not in _days(engine)[0]


def _store(engine: Engine) -> MessageStore:
    return MessageStore(make_sessionmaker(engine), AlertBook(load_rules(), ("log",)))


def test_same_device_and_seq_in_another_day_partition_is_a_duplicate(engine: Engine) -> None:
    store = _store(engine)
    day1 = datetime.combine(datetime.now(UTC).date(), datetime.min.time(), UTC) + timedelta(hours=1)
    store.apply([state("dev-1", 5, at=day1), state("dev-1", 6, at=day1)])
    # The same seqs dated another day (another partition), as an event, far in the past:
    store.apply([state("dev-1", 5, at=day1 + timedelta(days=1))])
    store.apply([event("dev-1", 6, "alarm_start", at=day1 + timedelta(days=2))])
    store.apply([state("dev-1", 5, at=datetime(2001, 1, 1, tzinfo=UTC))])
    with store.sessions() as s:
        rows = s.execute(select(CoMessageRow.seq, CoMessageRow.kind)).all()
        dev = s.get(CoDevice, "dev-1")
    assert sorted(rows) == [(5, "state"), (6, "state")]
    assert dev is not None and (dev.messages, dev.duplicates) == (2, 3)


def test_messages_dated_far_in_the_past_or_future_are_stored(engine: Engine) -> None:
    store = _store(engine)
    # The alarm contract's bounds: ts in 2000..2100 (``codec._ts``).
    past, future = datetime(2000, 1, 2, tzinfo=UTC), datetime(2099, 12, 30, tzinfo=UTC)
    store.apply([state("dev-1", 1, at=past), state("dev-1", 2, at=future)])
    store.apply([event("dev-1", 3, "alarm_start", at=future)])
    assert _where(engine, "dev-1", 1) == partitions.DEFAULT
    assert _where(engine, "dev-1", 2) == partitions.DEFAULT
    assert _where(engine, "dev-1", 3) == partitions.EVENTS
    sm = make_sessionmaker(engine)
    _job(sm).run(NOW)  # the one of 2000 is summarised
    assert [k[1] for k in message_keys(sm)] == [2, 3]
    assert [v[4] for v in hourly_rows(sm).values()] == [1]


def test_a_day_partition_made_later_takes_its_heartbeats_from_the_default(engine: Engine) -> None:
    store = _store(engine)
    later = datetime(2090, 1, 10, 12, tzinfo=UTC)
    store.apply([state("dev-1", 1, at=later)])
    assert _where(engine, "dev-1", 1) == partitions.DEFAULT
    sm = make_sessionmaker(engine)
    at = later - timedelta(days=2)  # the job two days before makes that day (3 ahead)
    assert _job(sm, at=at).by_day(at, Pass())
    assert _where(engine, "dev-1", 1) == partitions.day_table(later.date())


def test_migration_to_partitions_keeps_every_message(pg_url: str) -> None:
    before = ScriptDirectory(str(SCRIPTS)).get_revision("0021").down_revision
    assert isinstance(before, str)
    upgrade(pg_url, before)
    today = datetime.now(UTC).date()
    rows = [
        {"device_id": f"dev-{n % 3}", "seq": n, "kind": kind, "event_type": et, "ts": ts,
         "received_at": ts, "unregistered": False, "payload": {"co_ppm": n}}
        for n, (kind, et, ts) in enumerate(
            [("state", None, datetime(2026, 11, 1, 5, tzinfo=UTC)),
             ("state", None, datetime(2026, 11, 2, 5, tzinfo=UTC)),
             ("state", None, datetime(1990, 1, 1, tzinfo=UTC)),
             ("state", None, datetime(2090, 1, 1, tzinfo=UTC)),
             ("event", "alarm_start", datetime(2026, 11, 1, 6, tzinfo=UTC)),
             ("event", "test", datetime(1990, 1, 1, tzinfo=UTC))],
            1,
        )
    ]  # fmt: skip
    engine = make_engine(pg_url)
    try:
        with engine.begin() as c:
            c.execute(insert(CoMessageRow), rows)
            old = sorted(c.execute(text("SELECT id, device_id, seq, kind, ts FROM co_message")))
        upgrade(pg_url)
        with engine.connect() as c:
            assert partitions.is_partitioned(c)
            assert (
                sorted(c.execute(text("SELECT id, device_id, seq, kind, ts FROM co_message")))
                == old
            )
            attached = partitions.attached_days(c)
        assert {date(2026, 11, 1), date(2026, 11, 2), today + timedelta(days=3)} <= set(attached)
        assert _where(engine, "dev-0", 3) == partitions.DEFAULT  # 1990: no partition for it
        store = _store(engine)
        store.apply([state("dev-1", 1, at=datetime(2026, 11, 5, tzinfo=UTC))])  # seen before
        store.apply([state("dev-1", 100)])
        with engine.connect() as c:
            ids = sorted(c.execute(text("SELECT id FROM co_message")).scalars())
        assert len(ids) == len(old) + 1 and ids[-1] > old[-1][0]  # the sequence carried on
        command.downgrade(alembic_config(pg_url), before)
        with engine.connect() as c:
            assert not partitions.is_partitioned(c)
            got = c.execute(text("SELECT count(*) FROM co_message")).scalar_one()
        assert got == len(old) + 1
    finally:
        engine.dispose()


def _waiting_on_hourly(engine: Engine) -> bool:
    with engine.connect() as c:
        return bool(
            c.execute(
                text(
                    "SELECT count(*) FROM pg_locks "
                    "WHERE NOT granted AND relation = 'co_message_hourly'::regclass"
                )
            ).scalar_one()
        )


def _other_transactions(engine: Engine) -> int:
    with engine.connect() as c:
        return c.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
            )
        ).scalar_one()


def test_retention_command_killed_while_folding_a_day_is_finished_by_the_next_run(
    pg_url: str, engine: Engine
) -> None:
    sm = make_sessionmaker(engine)
    now = datetime.now(UTC)  # the command runs on the real clock
    old = (now - timedelta(days=16)).replace(hour=3, minute=0, second=0, microsecond=0)
    assert _job(sm, at=old).by_day(old, Pass())
    with sm.begin() as s:
        for seq, (device, minutes, ppm, battery) in enumerate(HEARTBEATS, 1):
            s.add(_row(device, seq, "state", old + timedelta(minutes=minutes), ppm, battery))
    blocker = engine.connect()  # holds the summary table: the fold waits inside its transaction
    blocker.execute(text("LOCK TABLE co_message_hourly IN EXCLUSIVE MODE"))
    proc = subprocess.Popen(
        [COALGUARD, "cloud", "co-retention", "--db", pg_url, "--days", "14"],
    )
    try:
        wait_for(
            lambda: old.date() in _days(engine)[1] and _waiting_on_hourly(engine),
            timeout=60,
            what="the job detached the day and waits to fold it",
        )
        proc.kill()  # SIGKILL between DETACH (committed) and fold + DROP (not)
        proc.wait(timeout=10)
    finally:
        stop_process(proc)
        blocker.rollback()
        blocker.close()
    # The killed command's server backend ends once it finds its client gone (with
    # it the lease); until then a rerun would find the lease held and wait its turn.
    wait_for(lambda: not _other_transactions(engine), timeout=60, what="the backend to end")
    assert old.date() in _days(engine)[1]
    assert hourly_rows(sm) == {}
    _job(sm, at=now).run(now)
    shift = old - OLD
    assert hourly_rows(sm) == {(d, h + shift): v for (d, h), v in EXPECTED.items()}
    assert message_keys(sm) == []
    assert _days(engine)[1] == []
