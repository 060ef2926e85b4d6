"""Issue 10 item 1: one bad MQTT message never silences CO alarms (real Mosquitto).

A payload the codec once raised on, and a valid message whose processing
raises (a database trigger refuses it), are both dead-lettered with a reason,
acknowledged and counted; every alarm_start from other devices still alerts,
also after the ingest restarts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from coalguard.cloud.co import CoService, CoSettings
from coalguard.cloud.co.store import PROCESSING_FAILED
from coalguard.cloud.co.tables import CoAlert, CoDeadLetter, CoNotification
from coalguard.cloud.db import create_schema, make_engine, make_sessionmaker
from tests.cloud.co.co_support import event, sessions_at
from tests.cloud.co.test_co_mqtt import device_client
from tests.support.mosquitto import Mosquitto
from tests.support.servers import postgres_server
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(120)
EVIL = "EVIL-0001"
POISON = b'{"ts":1795680000000,"seq":1,"type":[]}'  # the payload of the report
ALARMS = [f"HOME-{i:04d}" for i in range(1, 7)]
IDS = [EVIL, *ALARMS]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    (tmp_path / "broker").mkdir()
    b = Mosquitto(tmp_path / "broker", IDS).start()
    yield b
    b.stop()


def start(b: Mosquitto, db: Path, client_id: str = "poison-ingest") -> CoService:
    svc = CoService(
        CoSettings(broker_url=b.url(), client_id=client_id, sweep_s=0.2), sessions_at(db)
    )
    svc.start()
    wait_for(svc.ingest.connected.is_set, 15, "ingest to connect")
    return svc


def publish(b: Mosquitto, dev: str, payloads: list[bytes], sub: str = "event") -> None:
    """Publish with QoS 1 and wait for every PUBACK."""
    c = device_client(b, dev)
    try:
        for p in payloads:
            c.publish(f"co/v1/{dev}/{sub}", p, qos=1).wait_for_publish(5)
    finally:
        c.disconnect()
        c.loop_stop()


def alarm_start(b: Mosquitto, devices: list[str], seq: int) -> None:
    for dev in devices:
        publish(b, dev, [event(dev, seq, "alarm_start", co_ppm=300).payload])


def alerted(svc: CoService) -> set[str]:
    """Devices with a co_alarm alert whose notification was sent."""
    with svc.sessions() as s:
        return set(
            s.scalars(
                select(CoAlert.device_id)
                .join(CoNotification, CoNotification.alert_id == CoAlert.id)
                .where(CoAlert.kind == "co_alarm", CoNotification.status == "sent")
            )
        )


def dead_letters(svc: CoService) -> list[CoDeadLetter]:
    with svc.sessions() as s:
        return list(s.scalars(select(CoDeadLetter).order_by(CoDeadLetter.id)))


def test_list_valued_type_does_not_silence_alarms(broker: Mosquitto, tmp_path: Path) -> None:
    svc = start(broker, tmp_path / "cloud.sqlite")
    try:
        publish(broker, EVIL, [POISON])
        alarm_start(broker, ALARMS, 1)
        wait_for(lambda: alerted(svc) == set(ALARMS), 30, "an alert for every alarm_start")
        [dl] = dead_letters(svc)
        assert (dl.topic, dl.payload, dl.device_id) == (f"co/v1/{EVIL}/event", POISON, EVIL)
        assert "'type' must be one of" in dl.reason
        assert svc.store.stats.dead_letters == 1
    finally:
        svc.stop()


def test_restart_after_poison_message_still_alerts(broker: Mosquitto, tmp_path: Path) -> None:
    db = tmp_path / "cloud.sqlite"
    start(broker, db).stop()  # the ingest's persistent session now exists
    publish(broker, EVIL, [POISON])  # queued for the stopped ingest: redelivered first
    svc = start(broker, db)
    try:
        alarm_start(broker, ALARMS[:3], 1)
        wait_for(lambda: alerted(svc) == set(ALARMS[:3]), 30, "alerts after the poison")
    finally:
        svc.stop()
    svc = start(broker, db)  # acknowledged: not redelivered, not dead-lettered twice
    try:
        alarm_start(broker, ALARMS[3:], 1)
        wait_for(lambda: alerted(svc) == set(ALARMS), 30, "alerts after a second restart")
        assert len(dead_letters(svc)) == 1
    finally:
        svc.stop()


def _refuse_device(db: Path, device_id: str) -> None:
    """A real database fault for one device's messages: a trigger aborts their insert."""
    with make_engine(f"sqlite:///{db}").begin() as conn:
        conn.execute(
            text(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON co_message "
                f"WHEN NEW.device_id = '{device_id}' "
                "BEGIN SELECT RAISE(ABORT, 'injected fault: refused by trigger'); END"
            )
        )


def test_message_whose_processing_raises_is_dead_lettered_and_acknowledged(
    broker: Mosquitto, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "cloud.sqlite"
    svc = start(broker, db)
    _refuse_device(db, EVIL)
    bad = event(EVIL, 5, "alarm_start", co_ppm=250).payload  # valid: the store raises on it
    try:
        with caplog.at_level(logging.WARNING, logger="coalguard.cloud.co.ingest"):
            publish(broker, EVIL, [bad])
            alarm_start(broker, ALARMS, 1)
            wait_for(lambda: alerted(svc) == set(ALARMS), 30, "every other alarm alerts")
            wait_for(lambda: svc.store.stats.failed == 1, 10, "the failure counted")
        [dl] = dead_letters(svc)
        assert (dl.topic, dl.payload, dl.device_id) == (f"co/v1/{EVIL}/event", bad, EVIL)
        assert dl.reason.startswith(f"{PROCESSING_FAILED}: IntegrityError")
        assert "injected fault: refused by trigger" in dl.reason
        assert svc.store.stats.as_dict()["failed"] == 1
        assert svc.store.stats.dead_letters == 1
        assert any("dead-lettered" in r.getMessage() for r in caplog.records)
    finally:
        svc.stop()
    # Acknowledged: a restart does not bring it back to fail again.
    svc = start(broker, db)
    try:
        alarm_start(broker, ALARMS[:1], 2)
        wait_for(lambda: svc.store.stats.stored == 1, 15, "the next message after restart")
        assert svc.store.stats.failed == 0 and len(dead_letters(svc)) == 1
    finally:
        svc.stop()


def test_poison_inside_a_batch_does_not_lose_the_rest_of_the_batch(
    broker: Mosquitto, tmp_path: Path
) -> None:
    db = tmp_path / "cloud.sqlite"
    start(broker, db).stop()
    _refuse_device(db, EVIL)
    # Queued while the ingest is away, so they arrive together and share a batch.
    publish(broker, ALARMS[0], [event(ALARMS[0], 1, "alarm_start", co_ppm=300).payload])
    publish(broker, EVIL, [POISON, event(EVIL, 2, "alarm_start", co_ppm=300).payload])
    alarm_start(broker, ALARMS[1:], 1)
    svc = start(broker, db)
    try:
        wait_for(lambda: alerted(svc) == set(ALARMS), 30, "every alarm of the batch alerts")
        reasons = [d.reason for d in dead_letters(svc)]
        assert len(reasons) == 2, reasons
        assert sum(r.startswith(PROCESSING_FAILED) for r in reasons) == 1
        with svc.sessions() as s:
            assert s.scalar(select(func.count()).select_from(CoAlert)) == len(ALARMS)
    finally:
        svc.stop()


def test_lost_persistent_session_is_a_warning_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "b").mkdir()
    b = Mosquitto(tmp_path / "b", IDS, persistence=False).start()
    svc = start(b, tmp_path / "cloud.sqlite")
    try:
        with caplog.at_level(logging.WARNING, logger="coalguard.cloud.co.ingest"):
            b.restart()  # no persistence: the broker forgets the ingest's session
            wait_for(lambda: svc.ingest.connects >= 2, 30, "ingest to reconnect")
            wait_for(lambda: svc.store.stats.sessions_lost >= 2, 10, "both lanes counted")
        warnings = [r for r in caplog.records if "session present: False" in r.getMessage()]
        assert warnings and all(r.levelno == logging.WARNING for r in warnings)
        assert svc.store.stats.as_dict()["sessions_lost"] == 2
        assert {lane.sessions_lost for lane in svc.ingest.lanes} == {1}
    finally:
        svc.stop()
        b.stop()


def test_database_down_holds_alarms_instead_of_dead_lettering(
    broker: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    """Isolation must not turn an outage into dead letters: the alarm waits, then alerts."""
    with postgres_server() as pg:
        url = pg.new_database()
        engine = make_engine(url)
        create_schema(engine, for_tests_or_demo=True)
        svc = CoService(
            CoSettings(broker_url=broker.url(), client_id="pg-ingest", sweep_s=0.2),
            make_sessionmaker(engine),
        )
        svc.start()
        try:
            wait_for(svc.ingest.connected.is_set, 15, "ingest to connect")
            pg.stop_server()
            with caplog.at_level(logging.WARNING, logger="coalguard.cloud.co.ingest"):
                alarm_start(broker, ALARMS[:2], 1)
                wait_for(
                    lambda: any("holding" in r.getMessage() for r in caplog.records),
                    60,
                    "the ingest to hold the alarm while the database is down",
                )
            pg.start_server()
            wait_for(lambda: alerted(svc) == set(ALARMS[:2]), 60, "alerts once it is back")
            assert dead_letters(svc) == [] and svc.store.stats.failed == 0
        finally:
            svc.stop()
            engine.dispose()
