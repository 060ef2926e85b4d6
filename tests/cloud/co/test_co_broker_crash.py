"""Issue 10 item 6: a broker SIGKILL with the shipped configuration loses no alarm_start.

The drill (``tests/cloud/co/co_crash.py``) starts a real mosquitto with every broker-wide
line of ``deploy/mosquitto/mosquitto.conf``, runs the CO ingest, and has 20
alarms publish 300 alarm_start with QoS 1 (one in flight each, as the contract
says); the broker is SIGKILLed twice mid-stream and restarted. Every
alarm_start that the broker acknowledged must be stored by the cloud.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coalguard.cloud.co import CoService, CoSettings
from tests.cloud.co.co_crash import SHIPPED, drill
from tests.cloud.co.co_support import event, sessions_at
from tests.cloud.co.test_co_mqtt import device_client
from tests.support.mosquitto import Mosquitto, broker_settings
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(300)


def test_broker_sigkill_with_shipped_config_loses_no_acknowledged_alarm_start(
    tmp_path: Path,
) -> None:
    result = drill(tmp_path, SHIPPED, alarms=20, per_alarm=15, kill_at=(100, 200))
    assert result.kills == 2
    assert len(result.acked) == 300
    assert result.lost == set(), result.line("shipped")
    assert result.sessions_lost == 0  # the ingest's session survived both crashes


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
