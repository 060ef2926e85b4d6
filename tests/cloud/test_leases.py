"""Leases and row claims shared by replicas (SQLite and a real PostgreSQL), and the
loops built on them: two notifiers, two sweepers, two MQTT workers started alike."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.channels import WebhookChannel
from coalguard.cloud.co.notifier import Notifier, RetryPolicy
from coalguard.cloud.co.rules import load_rules
from coalguard.cloud.co.settings import CoSettings
from coalguard.cloud.co.store import MessageStore
from coalguard.cloud.co.sweeper import Sweeper
from coalguard.cloud.co.tables import CoAlert, CoNotification
from coalguard.cloud.db import create_schema, make_engine, make_sessionmaker
from coalguard.cloud.leases import Leases
from coalguard.edge.clock import ManualClock, SystemClock
from coalguard.edge.model import utcnow
from tests.cloud.co.co_support import event
from tests.cloud.co.test_co_mqtt import Hook
from tests.support.waiting import wait_for

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
TTL = timedelta(seconds=30)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker]:
    engine = make_engine(db_url)
    create_schema(engine, for_tests_or_demo=True)
    yield make_sessionmaker(engine)
    engine.dispose()


def _take(sm: sessionmaker, leases: Leases, name: str, ttl: timedelta | None = TTL) -> bool:
    with sm.begin() as s:
        return leases.take(s, name, ttl)


def test_two_claimers_one_wins_and_expiry_lets_another_take_over(sessions: sessionmaker) -> None:
    clock = ManualClock(T0)
    a, b = Leases(clock, "replica-a"), Leases(clock, "replica-b")
    assert _take(sessions, a, "co.sweep")
    assert not _take(sessions, b, "co.sweep")
    clock.advance(timedelta(seconds=20))
    assert _take(sessions, a, "co.sweep")  # renewed: 30 s from now
    clock.advance(timedelta(seconds=29))
    assert not _take(sessions, b, "co.sweep")
    clock.advance(timedelta(seconds=2))  # a stopped renewing (crashed): its lease ran out
    assert _take(sessions, b, "co.sweep")
    assert not _take(sessions, a, "co.sweep")
    with sessions.begin() as s:
        b.release(s, "co.sweep")
    assert _take(sessions, a, "co.sweep")


def test_a_lease_for_one_transaction_is_free_after_commit(sessions: sessionmaker) -> None:
    a, b = Leases(ManualClock(T0), "replica-a"), Leases(ManualClock(T0), "replica-b")
    assert _take(sessions, a, "checks.sweep", None)
    assert _take(sessions, b, "checks.sweep", None)
    assert _take(sessions, a, "checks.sweep", None)


def test_lease_held_in_an_open_transaction_is_skipped_on_postgresql(pg_server) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(pg_server.new_database())
    create_schema(engine, for_tests_or_demo=True)
    sm = make_sessionmaker(engine)
    clock = SystemClock()
    a, b = Leases(clock, "replica-a"), Leases(clock, "replica-b")
    _take(sm, a, "checks.projector", None)  # the row exists
    with sm.begin() as s:
        assert a.take(s, "checks.projector")
        # b neither waits nor gets it while a's pass is open…
        assert not _take(sm, b, "checks.projector", None)
    # …and gets it once a's pass committed.
    assert _take(sm, b, "checks.projector", None)
    engine.dispose()


def _notifications(sm: sessionmaker, n: int, at: datetime = T0) -> list[int]:
    with sm.begin() as s:
        alert = CoAlert(
            device_id="COA-1", region_code="", kind="co_alarm", severity="critical",
            status="open", opened_at=at, updated_at=at, detail={},
        )  # fmt: skip
        s.add(alert)
        s.flush()
        rows = [
            CoNotification(
                alert_id=alert.id,
                channel="webhook",
                level="household",
                reason="opened",
                status="pending",
                attempts=0,
                next_attempt_at=at,
                created_at=at,
                body={},
            )
            for _ in range(n)
        ]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def test_two_claimers_never_claim_the_same_row_and_expired_claims_are_free(
    sessions: sessionmaker,
) -> None:
    ids = _notifications(sessions, 40)
    clock = ManualClock(T0)
    claimers = [Leases(clock, f"replica-{i}") for i in range(4)]
    got: dict[str, list[int]] = {c.owner: [] for c in claimers}
    ready = (CoNotification.status == "pending", CoNotification.next_attempt_at <= T0)

    def work(c: Leases) -> None:
        while True:
            with sessions.begin() as s:
                batch = c.claim(s, CoNotification, *ready, limit=3, ttl=TTL)
            if not batch:
                return
            got[c.owner] += batch

    threads = [threading.Thread(target=work, args=(c,)) for c in claimers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    claimed = [i for batch in got.values() for i in batch]
    assert sorted(claimed) == ids  # every row claimed, none twice
    with sessions.begin() as s:
        assert claimers[0].claim(s, CoNotification, *ready, limit=100, ttl=TTL) == []
    clock.advance(TTL)  # nobody settled: the claims expire and the rows are free again
    with sessions.begin() as s:
        assert claimers[0].claim(s, CoNotification, *ready, limit=100, ttl=TTL) == ids


def test_two_notifiers_send_each_notification_once(sessions: sessionmaker) -> None:
    hook = Hook()
    book = AlertBook(load_rules(), ("webhook",))
    store = MessageStore(sessions, book)
    clock = SystemClock()
    notifiers = [
        Notifier(
            sessions,
            {"webhook": WebhookChannel("webhook", hook.url, "s3cret", clock, timeout_s=5)},
            RetryPolicy(max_attempts=3, first_backoff_s=0.05),
            leases=Leases(clock, f"worker-{i}"),
            clock=clock,
        )
        for i in range(2)
    ]
    try:
        store.apply([event(f"COA-{i:03d}", 1, "alarm_start", at=utcnow()) for i in range(40)])
        for n in notifiers:
            n.start()
        wait_for(lambda: sum(n.sent for n in notifiers) >= 40, 30, "40 notifications sent")
        with sessions() as s:
            webhook = CoNotification.channel == "webhook"  # besides: nobody on file to text
            assert s.scalar(select(func.count()).where(webhook)) == 40
        ids = [b["notification_id"] for b in hook.bodies()]
        assert len(ids) == len(set(ids)) == 40
        assert sum(n.sent for n in notifiers) == 40
    finally:
        for n in notifiers:
            n.stop()
        hook.close()


def test_crashed_notifiers_claim_expires_and_another_sends(sessions: sessionmaker) -> None:
    hook = Hook()
    clock = ManualClock(utcnow())
    (nid,) = _notifications(sessions, 1, clock.now())
    with sessions.begin() as s:  # a worker claimed it, then died before sending
        assert Leases(clock, "dead-worker").claim(
            s, CoNotification, CoNotification.status == "pending", limit=1, ttl=TTL
        ) == [nid]
    survivor = Notifier(
        sessions,
        {"webhook": WebhookChannel("webhook", hook.url, "s3cret", clock)},
        leases=Leases(clock, "survivor"),
        clock=clock,
    )
    try:
        survivor.deliver_due(clock.now())
        assert hook.received == []  # still claimed by the dead worker
        clock.advance(TTL + timedelta(seconds=1))
        survivor.deliver_due(clock.now())
        assert [b["notification_id"] for b in hook.bodies()] == [nid]
        with sessions() as s:
            row = s.get(CoNotification, nid)
            assert row.status == "sent" and row.claimed_by is None
    finally:
        hook.close()


def test_two_sweepers_take_each_escalation_step_once(sessions: sessionmaker) -> None:
    book = AlertBook(load_rules(), ("webhook",))
    store = MessageStore(sessions, book)
    store.apply([event(f"COA-{i:03d}", 1, "alarm_start", at=T0) for i in range(40)])
    clock = ManualClock(T0)
    sweepers = [
        Sweeper(sessions, book, 1, leases=Leases(clock, f"worker-{i}"), clock=clock)
        for i in range(2)
    ]
    start = threading.Barrier(2)

    def sweep(sw: Sweeper) -> None:
        start.wait()
        for minute in (6, 6, 16, 16):  # grid worker after 3 min, township after 10, repeats
            sw.sweep(T0 + timedelta(minutes=minute))

    threads = [threading.Thread(target=sweep, args=(sw,)) for sw in sweepers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with sessions() as s:
        n = CoNotification
        rounds = s.execute(
            select(n.alert_id, n.step, n.attempt, n.channel, func.count()).group_by(
                n.alert_id, n.step, n.attempt, n.channel
            )
        ).all()
        assert {c for *_, c in rounds} == {1}  # every round of every step written once
        # household: rounds 0, 1 (6 min), 3 (16 min); grid worker: 0, 2; township: 0
        assert len(rounds) == 40 * (3 + 6)  # + a webhook line per step started
        webhook = s.scalars(select(n.level).where(n.channel == "webhook")).all()
        assert len(webhook) == 40 * 3
        assert set(s.scalars(select(CoAlert.escalation_level))) == {2}


def test_two_ingest_workers_started_alike_get_distinct_client_ids(tmp_path: Path) -> None:
    """Two live workers never share an id; a restarted worker gets its id (and session) back."""
    code = (
        "import sys; from coalguard.cloud.co.settings import CoSettings; "
        "print(CoSettings().mqtt_client_id(), flush=True); sys.stdin.read()"
    )
    env = {**os.environ, "COALGUARD_RUN_DIR": str(tmp_path)}

    def start() -> tuple[subprocess.Popen[str], str]:
        p = subprocess.Popen(
            [sys.executable, "-c", code],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert p.stdout is not None
        return p, p.stdout.readline().strip()

    a, id_a = start()
    b, id_b = start()
    try:
        assert id_a != id_b and all(i.startswith("coalguard-co-ingest-") for i in (id_a, id_b))
        a.kill()  # a crash: the lock goes with the process
        a.wait()
        a, id_again = start()
        assert id_again == id_a  # the restarted worker resumes its broker session
    finally:
        for p in (a, b):
            p.kill()
            p.wait()
    assert CoSettings(client_id="ingest-a").client_id == "ingest-a"  # an explicit id is kept


def test_cloud_settings_take_no_ingest_slot(tmp_path: Path) -> None:
    """Only a connecting ingest takes a slot: `cloud serve` once held slot 0, so an
    ingest restarted before it came back with another id and lost its session."""
    code = (
        "import sys; from coalguard.cloud.settings import CloudSettings; "
        "from coalguard.cloud.co.settings import CoSettings; CloudSettings(); CoSettings(); "
        "print('ready', flush=True); sys.stdin.read()"
    )
    env = {**os.environ, "COALGUARD_RUN_DIR": str(tmp_path)}
    holder = subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        ingest = subprocess.run(
            [
                sys.executable,
                "-c",
                "from coalguard.cloud.co.settings import CoSettings; "
                "print(CoSettings().mqtt_client_id())",
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        assert ingest.endswith("-0"), ingest
    finally:
        holder.kill()
        holder.wait()
