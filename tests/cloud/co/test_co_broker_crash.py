"""A broker SIGKILL loses no alarm_start an alarm published: the cloud's ack, resent until heard.

Mosquitto 2.0 hands a message for a connected ingest straight to its socket
without saving it, and PUBACKs the alarm; a SIGKILL before the next save loses
it (CI lost 102 of 300 that way). So the contract's receipt is the cloud's
``co/v1/{id}/ack`` after the database commit, and an alarm resends an event
until it has one. The drill (``tests/cloud/co/co_crash.py``) starts a real
mosquitto with every broker-wide line of ``deploy/mosquitto/mosquitto.conf``,
runs the CO ingest, and has 20 alarms publish 300 alarm_start with QoS 1; the
broker is SIGKILLed twice mid-stream and restarted.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from coalguard.cloud.co import CoService, CoSettings
from tests.cloud.co.co_crash import SHIPPED, Alarm, DrillResult, drill, stored_events
from tests.cloud.co.co_support import event, sessions_at
from tests.cloud.co.test_co_mqtt import device_client
from tests.support.mosquitto import Mosquitto, broker_settings
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(300)


def test_broker_sigkill_every_published_alarm_start_is_stored_once_and_acked(
    tmp_path: Path,
) -> None:
    result = drill(tmp_path, SHIPPED, alarms=20, per_alarm=15, kill_at=(100, 200), drain_s=200)
    assert result.kills == 2
    assert len(result.published) == 300
    assert result.lost == set(), result.line("shipped")
    assert result.unacked == {}, result.line("shipped")  # every alarm heard back for each
    assert result.stored_twice == 0
    assert result.sessions_lost == 0  # the ingest's session survived both crashes


def test_event_acked_by_the_broker_but_lost_in_its_crash_is_resent_until_the_cloud_acks(
    tmp_path: Path,
) -> None:
    """The broker PUBACKs an alarm_start and loses it; the alarm resends it until the cloud acks.

    Made deterministic: after a SIGKILL the broker comes back without the
    ingest's session (no persistence), acknowledges the alarm_start and drops
    it, as nobody is subscribed yet. (Mosquitto 2.0 drops the same way a
    message it had handed to the connected ingest and never saved.) An alarm
    that trusts the PUBACK never sends it again.
    """
    dev = "LOST-0001"
    (tmp_path / "b").mkdir()
    broker = Mosquitto(tmp_path / "b", [dev], persistence=False).start()
    sessions = sessions_at(tmp_path / "cloud.sqlite")
    settings = CoSettings(broker_url=broker.url(), client_id="lost-ingest", reconnect_max_s=1)
    svc = CoService(settings, sessions)
    alarm: Alarm | None = None
    try:
        svc.start()
        wait_for(svc.ingest.connected.is_set, 15, "ingest to connect")
        svc.stop()
        broker.kill()
        broker.start()  # the ingest's session died with the broker
        result = DrillResult()
        alarm = Alarm(dev, broker.port, result, threading.Lock(), ack_timeout_s=1.0)
        wait_for(alarm.connected.is_set, 15, "the alarm to connect")
        alarm.publish(1).wait_for_publish(10)
        assert result.acked == {(dev, 1)}  # the broker's PUBACK, and nobody got it
        svc = CoService(settings, sessions)
        svc.start()
        wait_for(svc.ingest.connected.is_set, 15, "ingest to connect again")
        wait_for(lambda: (dev, 1) in stored_events(svc), 30, "the resent alarm_start stored")
        wait_for(lambda: not alarm.unacked, 15, "the cloud's ack to reach the alarm")
        assert svc.store.stats.stored == 1
    finally:
        if alarm:
            alarm.close()
        svc.stop()
        broker.stop()


def test_shipped_config_saves_on_every_change() -> None:
    settings = broker_settings(SHIPPED)
    assert "persistence true" in settings
    assert "autosave_on_changes true" in settings
    assert "autosave_interval 1" in settings
    doc = (SHIPPED.parents[2] / "docs" / "co-alarm-mqtt.md").read_text()
    assert "deploy/mosquitto/mosquitto.conf" in doc


def test_puback_is_sent_only_on_the_connection_the_message_came_on(tmp_path: Path) -> None:
    """A PUBACK held across a broker restart must not be sent on the new connection.

    Mosquitto numbers messages per session again after a restart, so a late
    PUBACK for the old connection's mid acknowledged another message: the
    drill lost 9 of 4500 acknowledged alarm_start that way.
    """
    (tmp_path / "b").mkdir()
    broker = Mosquitto(tmp_path / "b", ["ACK-0001"]).start()
    svc = CoService(
        CoSettings(broker_url=broker.url(), client_id="ack-ingest"),
        sessions_at(tmp_path / "cloud.sqlite"),
    )
    lane = svc.ingest.alerts
    acks: list[int] = []
    received: list[int] = []
    real_ack, real_on_message = lane.client.ack, lane.client.on_message

    def ack(mid: int, qos: int) -> None:
        acks.append(mid)
        real_ack(mid, qos)

    def on_message(client, userdata, msg) -> None:  # type: ignore[no-untyped-def]
        received.append(msg.mid)
        real_on_message(client, userdata, msg)

    lane.client.ack = ack  # type: ignore[method-assign]
    lane.client.on_message = on_message
    svc.start()
    try:
        wait_for(svc.ingest.connected.is_set, 15, "ingest to connect")
        svc.store.write_lock.acquire(urgent=True)  # the writer takes the message, then waits
        try:
            c = device_client(broker, "ACK-0001")
            r = event("ACK-0001", 1, "alarm_start", co_ppm=300)
            c.publish(r.topic, r.payload, qos=1).wait_for_publish(5)
            c.disconnect()
            c.loop_stop()
            wait_for(lambda: received and lane.backlog == 0, 15, "the writer to hold it")
            broker.restart()  # saved with the message in flight: redelivered after
            wait_for(lambda: len(received) == 2, 30, "the redelivery on the new connection")
        finally:
            svc.store.write_lock.release()
        wait_for(lambda: svc.store.stats.duplicates == 1, 15, "both copies processed")
        assert acks == [received[1]]  # only the copy from the current connection
        assert svc.store.stats.stored == 1
    finally:
        svc.stop()
        broker.stop()
