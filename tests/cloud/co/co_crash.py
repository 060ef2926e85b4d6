"""Broker crash drill: SIGKILL Mosquitto while alarms publish alarm_start with QoS 1.

Real parts only: mosquitto started with a given configuration, the CO ingest
(``CoService``) on SQLite, and one paho client per alarm that behaves as the
contract asks (clean session false, QoS 1, one message in flight, subscribed
to its ``co/v1/{id}/ack``, every event kept until the cloud acks it and
published again after each reconnect and after an ack timeout). The broker is
killed with SIGKILL after chosen numbers of PUBACKs and restarted on the same
port and persistence directory.

The promise checked: every alarm_start an alarm published is stored once, and
every alarm's unacknowledged events drain to none. ``--broker-puback-only``
shows why: alarms that trust the broker's PUBACK (and resend only their last
message after a reconnect, the contract before the cloud ack) lose some that
the broker acknowledged.

Run it by hand to compare:
``.venv/bin/python -m tests.cloud.co.co_crash``
``[--config deploy/mosquitto/mosquitto.conf] [--rounds 3] [--broker-puback-only]``
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from coalguard.cloud.co import CoService, CoSettings
from coalguard.cloud.co.tables import CoMessageRow
from coalguard.drivers.co_alarm.ack import ack_seq, ack_topic
from coalguard.simulators.co_fleet import device_password
from coalguard.simulators.co_fleet.unacked import Unacked
from tests.cloud.co.co_support import event, sessions_at
from tests.conftest import ROOT
from tests.support.mosquitto import FLEET_SECRET, Mosquitto
from tests.support.waiting import wait_for

SHIPPED = ROOT / "deploy" / "mosquitto" / "mosquitto.conf"
# docs/co-alarm-mqtt.md before issue 10: persistence without autosave settings.
DOCUMENTED_BEFORE = "persistence true\nmax_queued_messages 200000\nmax_inflight_messages 1000\n"


@dataclass
class DrillResult:
    cloud_ack: bool = True
    published: set[tuple[str, int]] = field(default_factory=set)
    acked: set[tuple[str, int]] = field(default_factory=set)  # PUBACKed by the broker
    stored: set[tuple[str, int]] = field(default_factory=set)
    stored_twice: int = 0
    unacked: dict[str, list[int]] = field(default_factory=dict)  # left at the end
    resent: int = 0
    kills: int = 0
    sessions_lost: int = 0

    @property
    def lost(self) -> set[tuple[str, int]]:
        """Cloud ack: published and never stored. PUBACK only: broker-acked and never stored."""
        return (self.published if self.cloud_ack else self.broker_acked) - self.stored

    @property
    def broker_acked(self) -> set[tuple[str, int]]:
        """PUBACKed alarm_start (not the closing events, whose PUBACKs may come late)."""
        return self.acked & self.published

    @property
    def unacked_left(self) -> int:
        return sum(len(v) for v in self.unacked.values())

    def line(self, name: str) -> str:
        if self.cloud_ack:
            what = (
                f"{len(self.lost)} of {len(self.published)} published alarm_start not stored, "
                f"{self.unacked_left} left unacknowledged, {self.resent} resent"
            )
        else:
            what = f"{len(self.lost)} of {len(self.broker_acked)} acknowledged alarm_start lost"
        return f"{name}: {what} ({self.kills} SIGKILLs, ingest sessions lost {self.sessions_lost})"


class Alarm:
    """One CO alarm as the contract describes it (paho, QoS 1, persistent session).

    ``cloud_ack``: keeps each event until the cloud's ack on ``co/v1/{id}/ack``,
    publishing the unacknowledged ones again after a reconnect and on timeout.
    Without it (the contract before the ack): paho resends what the broker did
    not PUBACK, and the last PUBACKed message is published again after a reconnect.
    """

    def __init__(
        self,
        dev: str,
        port: int,
        result: DrillResult,
        lock: threading.Lock,
        cloud_ack: bool = True,
        ack_timeout_s: float = 5.0,
    ) -> None:
        self.dev = dev
        self.result = result
        self.lock = lock
        self.cloud_ack = cloud_ack
        self.sent: dict[int, int] = {}  # mid -> seq
        self._early: set[int] = set()  # mids PUBACKed before publish() returned them
        self._mids = threading.Lock()  # never held while calling paho
        self.last_acked: int | None = None
        self.unacked = Unacked(ack_timeout_s, 4 * ack_timeout_s)
        self.c = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=dev,
            clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        self.c.username_pw_set(dev, device_password(FLEET_SECRET, dev))
        self.c.max_inflight_messages_set(1)  # a device sends one alarm at a time
        self.c.max_queued_messages_set(0)
        self.c.reconnect_delay_set(1, 2)
        self.connected = threading.Event()
        self.connects = 0

        def on_connect(client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
            self.connects += 1
            if cloud_ack:
                client.subscribe(ack_topic(dev), qos=1)
                if self.connects > 1:
                    self._resend(self.unacked.all(time.monotonic()))
            elif self.connects > 1 and self.last_acked is not None:
                self.publish(self.last_acked)
            self.connected.set()

        def on_publish(client, userdata, mid, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
            with self._mids:
                seq = self.sent.get(mid)
                if seq is None:
                    self._early.add(mid)
                    return
            self._broker_acked(seq)

        def on_message(client, userdata, msg: mqtt.MQTTMessage) -> None:  # type: ignore[no-untyped-def]
            seq = ack_seq(msg.payload)
            if seq is not None:
                self.unacked.ack(seq)

        self.c.on_connect = on_connect
        self.c.on_disconnect = lambda *a: self.connected.clear()
        self.c.on_publish = on_publish
        self.c.on_message = on_message
        self.c.connect_async("127.0.0.1", port, keepalive=30)
        self.c.loop_start()
        self._closed = threading.Event()
        if cloud_ack:
            threading.Thread(target=self._resend_loop, name=f"resend-{dev}", daemon=True).start()

    def publish(self, seq: int, kind: str = "alarm_start") -> mqtt.MQTTMessageInfo:
        r = event(self.dev, seq, kind, co_ppm=300)
        if self.cloud_ack:
            self.unacked.add(seq, r.topic, r.payload, time.monotonic())
        info = self.c.publish(r.topic, r.payload, qos=1)
        with self._mids:
            self.sent[info.mid] = seq
            early = info.mid in self._early
        if early:
            self._broker_acked(seq)
        return info

    def _broker_acked(self, seq: int) -> None:
        self.last_acked = max(seq, self.last_acked or 0)
        with self.lock:
            self.result.acked.add((self.dev, seq))

    def _resend_loop(self) -> None:
        """Publish again the events whose cloud ack is overdue."""
        while not self._closed.wait(0.2):
            self._resend(self.unacked.due(time.monotonic()))

    def _resend(self, pending: list[tuple[str, bytes]]) -> None:
        for t, payload in pending:
            self.c.publish(t, payload, qos=1)
        with self.lock:
            self.result.resent += len(pending)

    def close(self) -> None:
        self._closed.set()
        self.c.disconnect()
        self.c.loop_stop()


def stored_events(svc: CoService) -> set[tuple[str, int]]:
    with svc.sessions() as s:
        return set(s.execute(select(CoMessageRow.device_id, CoMessageRow.seq)).all())


def _rows(svc: CoService) -> int:
    with svc.sessions() as s:
        return s.scalar(select(func.count()).select_from(CoMessageRow)) or 0


def drill(
    workdir: Path,
    config: Path,
    *,
    alarms: int = 20,
    per_alarm: int = 15,
    kill_at: tuple[int, ...] = (100, 200),
    cloud_ack: bool = True,
    ack_timeout_s: float = 5.0,
    drain_s: float = 180.0,
) -> DrillResult:
    """Publish ``alarms * per_alarm`` alarm_start; SIGKILL the broker at each PUBACK count."""
    ids = [f"CRASH-{i:04d}" for i in range(alarms)]
    (workdir / "broker").mkdir(parents=True)
    broker = Mosquitto(workdir / "broker", ids, settings_from=config).start()
    svc = CoService(
        CoSettings(broker_url=broker.url(), client_id="crash-ingest", reconnect_max_s=2),
        sessions_at(workdir / "cloud.sqlite"),
    )
    result = DrillResult(cloud_ack=cloud_ack)
    lock = threading.Lock()
    devices: list[Alarm] = []
    connects = 0
    try:
        svc.start()
        wait_for(svc.ingest.connected.is_set, 15, "ingest to connect")
        devices += [Alarm(d, broker.port, result, lock, cloud_ack, ack_timeout_s) for d in ids]
        wait_for(lambda: all(a.connected.is_set() for a in devices), 30, "alarms to connect")
        infos = [a.publish(seq) for seq in range(1, per_alarm + 1) for a in devices]
        result.published = {(a.dev, seq) for seq in range(1, per_alarm + 1) for a in devices}
        for n in kill_at:
            wait_for(lambda n=n: len(result.acked) >= n, 60, f"{n} PUBACKs")
            connects = svc.ingest.connects
            broker.kill()
            result.kills += 1
            broker.start()
        if cloud_ack:
            # The promise: every alarm hears from the cloud about every event it published.
            with contextlib.suppress(AssertionError):  # reported in the result (unacked left)
                wait_for(
                    lambda: not any(a.unacked for a in devices),
                    drain_s,
                    "every alarm's unacknowledged events to drain",
                )
        else:
            wait_for(lambda: all(i.is_published() for i in infos), 120, "every alarm_start acked")
            wait_for(lambda: svc.ingest.connects > connects, 30, "the ingest to reconnect")
            wait_for(svc.ingest.connected.is_set, 30, "the ingest to be connected")
            # A last event per alarm, after everything else: MQTT keeps one client's order,
            # so once it is stored, whatever of that alarm will ever arrive has arrived.
            last = {(a.dev, per_alarm + 1) for a in devices}
            for a in devices:
                a.publish(per_alarm + 1, "test")
            wait_for(lambda: stored_events(svc) >= last, 60, "the closing event of every alarm")
            wait_for(lambda: svc.ingest.backlog == 0, 30, "the ingest to drain")
        result.unacked = {a.dev: a.unacked.seqs() for a in devices if a.unacked}
        stored = stored_events(svc)
        result.stored_twice = _rows(svc) - len(stored)
        result.stored = {k for k in stored if k[1] <= per_alarm}
        result.sessions_lost = svc.store.stats.sessions_lost
        return result
    finally:
        for a in devices:
            a.close()
        svc.stop()
        broker.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=Path, default=SHIPPED)
    ap.add_argument("--documented-before", action="store_true", help="the old doc's settings")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument(
        "--broker-puback-only",
        action="store_true",
        help="alarms trust the broker's PUBACK (resend only their last message on reconnect)",
    )
    args = ap.parse_args()
    total_lost = total = total_left = 0
    cloud_ack = not args.broker_puback_only
    for r in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="co-crash-") as tmp:
            conf = args.config
            if args.documented_before:
                conf = Path(tmp) / "documented.conf"
                conf.write_text(DOCUMENTED_BEFORE)
            res = drill(Path(tmp) / "run", conf, cloud_ack=cloud_ack)
            name = "documented-before" if args.documented_before else str(args.config)
            name += " (cloud ack)" if cloud_ack else " (broker PUBACK only)"
            print(res.line(f"round {r + 1} {name}"), flush=True)
            if res.lost:
                print(f"  lost: {sorted(res.lost)}", flush=True)
            if res.unacked:
                print(f"  unacknowledged: {res.unacked}", flush=True)
            total_lost += len(res.lost)
            total += len(res.published if cloud_ack else res.broker_acked)
            total_left += res.unacked_left
    what = "published alarm_start not stored" if cloud_ack else "acknowledged alarm_start lost"
    print(f"total: {total_lost} of {total} {what}; {total_left} left unacknowledged")


if __name__ == "__main__":
    main()
