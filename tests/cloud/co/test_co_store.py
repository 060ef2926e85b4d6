"""Storing CO messages: dedupe, gaps, dead letters, alerts, escalation, commissioning.

Each test runs on SQLite and on a real PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from coalguard.cloud.co.alerts import acknowledge
from coalguard.cloud.co.registry import start_test
from coalguard.cloud.co.sweeper import Sweeper
from coalguard.cloud.co.tables import (
    CoAlert,
    CoCommissioning,
    CoDeadLetter,
    CoDevice,
    CoMessageRow,
    CoNotification,
)
from coalguard.edge.clock import ManualClock
from tests.cloud.co.co_support import T0, availability, event, registered, state, store_for
from tests.support.waiting import wait_for


def _count(store, table) -> int:  # type: ignore[no-untyped-def]
    with store.sessions() as s:
        return s.scalar(select(func.count()).select_from(table))


def _alerts(store, **where):  # type: ignore[no-untyped-def]
    with store.sessions() as s:
        q = select(CoAlert)
        for k, v in where.items():
            q = q.where(getattr(CoAlert, k) == v)
        return list(s.scalars(q.order_by(CoAlert.id)))


def test_duplicates_dropped_and_gaps_counted(db_url: str) -> None:
    store = store_for(db_url)
    store.apply([state("dev-1", 1), state("dev-1", 2), state("dev-1", 2)])  # QoS 1 redelivery
    store.apply([state("dev-1", 2), state("dev-1", 6)])  # 3, 4, 5 missing
    with store.sessions() as s:
        dev = s.get(CoDevice, "dev-1")
        assert (dev.messages, dev.duplicates, dev.gaps, dev.max_seq) == (3, 2, 3, 6)
    store.apply([state("dev-1", 4)])  # a late one fills a hole
    with store.sessions() as s:
        assert s.get(CoDevice, "dev-1").gaps == 2
    assert _count(store, CoMessageRow) == 4
    assert store.stats.duplicates == 2


def test_malformed_goes_to_dead_letter_with_topic_bytes_reason(db_url: str) -> None:
    store = store_for(db_url)
    from coalguard.cloud.co.store import Received

    bad = Received("co/v1/dev-1/state", b'{"seq": "x"}', T0)
    store.apply([bad, state("dev-1", 1)])
    with store.sessions() as s:
        dl = s.scalars(select(CoDeadLetter)).one()
        assert (dl.topic, dl.payload, dl.device_id) == (bad.topic, bad.payload, "dev-1")
        assert "ts" in dl.reason
    assert _count(store, CoMessageRow) == 1 and store.stats.dead_letters == 1


def test_unknown_device_kept_and_flagged(db_url: str) -> None:
    store = store_for(db_url)
    registered(store, "known-1")
    store.apply([state("stranger", 1), state("known-1", 1)])
    with store.sessions() as s:
        rows = {r.device_id: r.unregistered for r in s.scalars(select(CoMessageRow))}
        assert rows == {"stranger": True, "known-1": False}
        assert s.get(CoDevice, "stranger").registered is False


def test_device_status_tracks_last_state_battery_availability(db_url: str) -> None:
    store = store_for(db_url)
    store.apply([state("dev-1", 1, battery_pct=77), availability("dev-1", True)])
    store.apply([state("dev-1", 2, at=T0 + timedelta(minutes=5), battery_pct=76)])
    store.apply([availability("dev-1", False, at=T0 + timedelta(minutes=6))])
    with store.sessions() as s:
        dev = s.get(CoDevice, "dev-1")
        assert dev.battery_pct == 76 and dev.online is False
        assert dev.last_state["seq"] == 2
        assert dev.last_seen == T0 + timedelta(minutes=6)


def test_co_alarm_repeat_updates_and_never_auto_resolves(db_url: str) -> None:
    store = store_for(db_url)
    registered(store, "dev-1")
    store.apply([event("dev-1", 1, "alarm_start", co_ppm=320)])
    store.apply([state("dev-1", 2, alarm="alarm", co_ppm=350)])
    store.apply([event("dev-1", 3, "alarm_end"), state("dev-1", 4, alarm="none")])
    (a,) = _alerts(store, kind="co_alarm")
    assert a.status == "open" and a.occurrences == 2 and a.cleared_at is not None
    assert a.region_code == "130102001001"


def test_health_alerts_auto_resolve_when_condition_clears(db_url: str) -> None:
    store = store_for(db_url)
    store.apply([state("dev-1", 1, battery_pct=15, tamper=True, fault="sensor")])
    kinds = {a.kind: a.status for a in _alerts(store)}
    assert kinds == {"low_battery": "open", "tamper": "open", "fault": "open"}
    store.apply([state("dev-1", 2, battery_pct=25, tamper=False, fault=None)])
    kinds = {a.kind: a.status for a in _alerts(store)}
    # 25 % is inside the hysteresis band: still low; tamper and fault cleared.
    assert kinds == {"low_battery": "open", "tamper": "resolved", "fault": "resolved"}
    store.apply([state("dev-1", 3, battery_pct=95)])
    assert {a.status for a in _alerts(store)} == {"resolved"}


def test_offline_by_last_will_and_by_silence(db_url: str) -> None:
    store = store_for(db_url)
    store.apply([state("dev-1", 1), state("dev-2", 1), availability("dev-1", False)])
    assert _alerts(store, kind="offline") == []  # held: its area may be out (co/outage.py)
    sweeper = Sweeper(store.sessions, store.book, every_s=1, clock=ManualClock(T0))
    grace = store.book.rules.outage.offline_grace_s  # type: ignore[union-attr]
    sweeper.sweep(T0 + timedelta(seconds=grace + 1))
    assert [a.device_id for a in _alerts(store, kind="offline")] == ["dev-1"]
    assert _alerts(store, kind="offline")[0].detail["cause"] == "last_will"
    silence = store.book.rules.silence_s
    sweeper.sweep(T0 + timedelta(seconds=silence - 1))
    assert len(_alerts(store, kind="offline")) == 1
    sweeper.sweep(T0 + timedelta(seconds=silence + 1))
    sweeper.sweep(T0 + timedelta(seconds=silence + 2))  # idempotent
    offline = _alerts(store, kind="offline")
    assert sorted(a.device_id for a in offline) == ["dev-1", "dev-2"]
    assert offline[1].detail["cause"] == "silent"
    store.apply([state("dev-2", 2, at=T0 + timedelta(seconds=silence + 3))])
    assert _alerts(store, device_id="dev-2")[0].status == "resolved"


def test_silence_sweep_loop_runs_at_the_clock_it_was_given(db_url: str) -> None:
    """The background loop sweeps at its process's clock, not at the wall clock.

    The device last spoke in 2031: only a loop reading the given clock (set past
    the silence window from then) finds it silent; the wall clock says it is not.
    """
    later = datetime(2031, 6, 1, 8, 0, tzinfo=UTC)
    store = store_for(db_url)
    store.apply([state("dev-9", 1, at=later)])
    clock = ManualClock(later + timedelta(seconds=store.book.rules.silence_s + 1))
    sweeper = Sweeper(store.sessions, store.book, every_s=0.02, clock=clock)
    sweeper.start()
    try:
        wait_for(lambda: _alerts(store, kind="offline"), 10, "the loop's offline alert")
    finally:
        sweeper.stop()
    (alert,) = _alerts(store, kind="offline")
    assert alert.detail["cause"] == "silent"
    assert alert.opened_at.replace(tzinfo=UTC) == clock.now()


def _notified_levels(store, alert_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    """The steps announced on the broadcast (log) channel, in order."""
    with store.sessions() as s:
        return [
            n.level
            for n in s.scalars(
                select(CoNotification)
                .where(CoNotification.alert_id == alert_id, CoNotification.channel == "log")
                .order_by(CoNotification.id)
            )
        ]


def test_escalation_household_then_grid_worker_then_township(db_url: str) -> None:
    store = store_for(db_url)
    registered(store, "dev-1", village="140202001001")  # default chain: 3 / 10 / 20 min
    registered(store, "dev-2", village="130102001001")  # stricter county: 3 / 5 / 8 / 20 min
    store.apply([event("dev-1", 1, "alarm_start"), event("dev-2", 1, "alarm_start")])
    a1, a2 = _alerts(store)
    assert _notified_levels(store, a1.id) == ["household"]
    with store.sessions.begin() as s:
        store.book.escalate_due(s, T0 + timedelta(minutes=2))
    assert _notified_levels(store, a1.id) == ["household"]
    with store.sessions.begin() as s:
        store.book.escalate_due(s, T0 + timedelta(minutes=6))
    assert _notified_levels(store, a1.id) == ["household", "grid_worker"]
    assert _notified_levels(store, a2.id) == ["household", "grid_worker", "village_inspector"]
    with store.sessions.begin() as s:
        store.book.escalate_due(s, T0 + timedelta(minutes=6))  # no double notification
    assert _notified_levels(store, a1.id) == ["household", "grid_worker"]
    with store.sessions.begin() as s:
        acknowledge(
            s, s.get(CoAlert, a1.id), "grid-worker-7", "dashboard", T0 + timedelta(minutes=7)
        )
        store.book.escalate_due(s, T0 + timedelta(minutes=30))
    assert _notified_levels(store, a1.id) == ["household", "grid_worker"]  # acked: stops
    assert _notified_levels(store, a2.id) == [
        "household", "grid_worker", "village_inspector", "township_on_call", "county_desk"
    ]  # fmt: skip
    a1 = _alerts(store, id=a1.id)[0]
    assert (a1.status, a1.acknowledged_by, a1.acknowledged_via) == (
        "acknowledged", "grid-worker-7", "dashboard"
    )  # fmt: skip


def test_commissioning_passes_with_test_event_and_fresh_state(db_url: str) -> None:
    store = store_for(db_url)
    registered(store, "dev-1")
    store.apply([state("dev-1", 1)])  # before the test: does not count
    with store.sessions.begin() as s:
        cid = start_test(s, "dev-1", "inst-1", T0 + timedelta(seconds=1), 120).id
    store.apply([event("dev-1", 2, "test", at=T0 + timedelta(seconds=20))])
    with store.sessions() as s:
        assert s.get(CoCommissioning, cid).status == "waiting"
    store.apply([state("dev-1", 3, at=T0 + timedelta(seconds=21))])
    with store.sessions() as s:
        c = s.get(CoCommissioning, cid)
        assert c.status == "passed" and c.test_event_at and c.state_at


def test_commissioning_fails_after_timeout_naming_what_is_missing(db_url: str) -> None:
    store = store_for(db_url)
    registered(store, "dev-1")
    with store.sessions.begin() as s:
        cid = start_test(s, "dev-1", "inst-1", T0, 120).id
    store.apply([state("dev-1", 1, at=T0 + timedelta(seconds=5))])
    Sweeper(store.sessions, store.book, 1, clock=ManualClock(T0)).sweep(T0 + timedelta(seconds=121))
    with store.sessions() as s:
        c = s.get(CoCommissioning, cid)
        assert (c.status, c.missing) == ("failed", ["test_event"])
