"""The cloud's ack of CO alarm events (``co/v1/{id}/ack``): after the commit, events only.

Store level on SQLite (what ``apply`` hands out, and when), then the ingest
on a real Mosquitto with the contract's ACL: each alarm hears about its own
events, and cannot read another alarm's acks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from coalguard.cloud.co import CoService, CoSettings
from coalguard.drivers.co_alarm.ack import AckStatus, EventAck, ack_topic
from coalguard.simulators.co_fleet.unacked import Unacked
from tests.cloud.co.co_support import availability, event, state, store_at
from tests.cloud.co.test_co_mqtt import device_client
from tests.support.mosquitto import Mosquitto
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(120)
A, B = "ACKA-0001", "ACKB-0002"
POISON = b'{"ts":1795680000000,"seq":3,"type":[]}'  # names its seq, fails the contract


def _refuse_device(store_db: Path, device_id: str) -> None:
    """A real database fault: a trigger aborts the device's message inserts."""
    from coalguard.cloud.db import make_engine

    with make_engine(f"sqlite:///{store_db}").begin() as conn:
        conn.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON co_message "
                f"WHEN NEW.device_id = '{device_id}' "
                "BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
            )
        )


def test_events_are_acked_stored_duplicate_or_dead_letter_and_heartbeats_never(
    tmp_path: Path,
) -> None:
    store = store_at(tmp_path / "c.sqlite")
    bad = event(A, 0, "alarm_start")
    bad = type(bad)(f"co/v1/{A}/event", POISON, bad.received_at)
    unreadable = type(bad)(f"co/v1/{A}/event", b"not json", bad.received_at)
    acks: list[EventAck] = []
    batch = [event(A, 1, "alarm_start", co_ppm=300), event(A, 1, "alarm_start", co_ppm=300)]
    batch += [state(A, 2), bad, unreadable, availability(A, True), event(B, 4, "test")]
    store.apply(batch, acks=acks)
    assert acks == [
        EventAck(A, 1, AckStatus.STORED),
        EventAck(A, 1, AckStatus.DUPLICATE),
        EventAck(A, 3, AckStatus.DEAD_LETTER),
        EventAck(B, 4, AckStatus.STORED),
    ]
    again: list[EventAck] = []
    store.apply([event(A, 1, "alarm_start", co_ppm=300)], acks=again)
    assert again == [EventAck(A, 1, AckStatus.DUPLICATE)]
    assert acks[0].encode() == (f"co/v1/{A}/ack", b'{"seq":1,"status":"stored"}')


def test_a_failing_commit_hands_out_no_ack(tmp_path: Path) -> None:
    store = store_at(tmp_path / "c.sqlite")
    _refuse_device(tmp_path / "c.sqlite", A)
    acks: list[EventAck] = []
    with pytest.raises(Exception, match="injected fault"):
        store.apply([event(B, 1, "test"), event(A, 2, "alarm_start")], acks=acks)
    assert acks == []
    # The ingest then dead-letters it alone; that ack says so (the alarm stops resending).
    r = event(A, 2, "alarm_start")
    assert store.quarantine(r, RuntimeError("x")) == EventAck(A, 2, AckStatus.DEAD_LETTER)
    assert store.quarantine(state(A, 3), RuntimeError("x")) is None


def test_unacked_events_are_resent_with_backoff_until_acked() -> None:
    u = Unacked(timeout_s=10, max_backoff_s=25)
    u.add(7, "t", b"7", now=0)
    u.add(8, "t", b"8", now=5)
    assert u.due(9) == [] and u.due(10) == [("t", b"7")]
    assert u.due(15) == [("t", b"8")] and u.due(29) == []
    assert u.due(30) == [("t", b"7")]  # waited 20 s after the first resend
    assert u.all(31) == [("t", b"7"), ("t", b"8")]  # after a reconnect: all, oldest first
    assert u.ack(7) and not u.ack(7) and u.seqs() == [8]


class _AckReader:
    """A device client subscribed to some ack topics, keeping what it reads."""

    def __init__(self, broker: Mosquitto, dev: str, *filters: str) -> None:
        self.acks: list[tuple[str, dict]] = []
        self.granted: list[object] = []
        self.c = device_client(broker, dev)
        self.c.on_message = lambda c, u, m: self.acks.append((m.topic, json.loads(m.payload)))
        self.c.on_subscribe = lambda c, u, mid, codes, p: self.granted.extend(codes)
        self.c.subscribe([(f, 1) for f in filters])
        wait_for(lambda: len(self.granted) == len(filters), 10, "SUBACK")

    def publish(self, topic: str, payload: bytes) -> None:
        self.c.publish(topic, payload, qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


def _service(broker: Mosquitto, tmp_path: Path) -> CoService:
    svc = CoService(
        CoSettings(broker_url=broker.url(), client_id="ack-ingest"),
        store_at(tmp_path / "c.sqlite").sessions,
    )
    svc.start()
    wait_for(svc.ingest.connected.is_set, 15, "ingest to connect")
    return svc


def test_the_ingest_acks_each_event_on_the_alarms_own_topic_after_storing_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "b").mkdir()
    broker = Mosquitto(tmp_path / "b", [A]).start()
    svc = _service(broker, tmp_path)
    a = _AckReader(broker, A, ack_topic(A))
    try:
        a.publish(f"co/v1/{A}/state", state(A, 1).payload)
        wait_for(lambda: svc.store.stats.stored == 1, 15, "the heartbeat stored")
        for payload in (event(A, 2, "alarm_start").payload, event(A, 2, "alarm_start").payload):
            a.publish(f"co/v1/{A}/event", payload)
        a.publish(f"co/v1/{A}/event", POISON)
        a.publish(f"co/v1/{A}/event", b"\xff")  # no seq to name: cannot be acked
        a.publish(f"co/v1/{A}/event", event(A, 4, "alarm_end").payload)
        wait_for(lambda: len(a.acks) >= 4, 15, "four acks")
        assert [doc for _, doc in a.acks] == [
            {"seq": 2, "status": "stored"},
            {"seq": 2, "status": "duplicate"},
            {"seq": 3, "status": "dead_letter"},
            {"seq": 4, "status": "stored"},
        ]
        assert {t for t, _ in a.acks} == {f"co/v1/{A}/ack"}
        assert svc.store.stats.acks == 4
    finally:
        a.close()
        svc.stop()
        broker.stop()


def test_an_alarm_cannot_read_another_alarms_acks(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    broker = Mosquitto(tmp_path / "b", [A, B]).start()
    svc = _service(broker, tmp_path)
    a = _AckReader(broker, A, ack_topic(A))
    b = _AckReader(broker, B, ack_topic(B), ack_topic(A), "co/v1/+/ack")
    try:
        a.publish(f"co/v1/{A}/event", event(A, 1, "alarm_start").payload)
        wait_for(lambda: a.acks, 15, "A's ack")
        # B's own ack comes after A's from the same ingest connection: had the
        # broker let B read A's, it would have arrived first.
        b.publish(f"co/v1/{B}/event", event(B, 1, "test").payload)
        wait_for(lambda: b.acks, 15, "B's ack")
        assert b.acks == [(f"co/v1/{B}/ack", {"seq": 1, "status": "stored"})]
        assert a.acks == [(f"co/v1/{A}/ack", {"seq": 1, "status": "stored"})]
        # Nor may an alarm publish acks (it could silence another alarm's resends).
        b.publish(f"co/v1/{A}/ack", b'{"seq":9,"status":"stored"}')
        b.publish(f"co/v1/{B}/event", event(B, 2, "test").payload)
        wait_for(lambda: len(b.acks) == 2, 15, "B's second ack")
        assert len(a.acks) == 1
    finally:
        a.close()
        b.close()
        svc.stop()
        broker.stop()
