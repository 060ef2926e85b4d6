"""Broker crash drill: SIGKILL Mosquitto while alarms publish alarm_start with QoS 1.

Real parts only: mosquitto started with a given configuration, the CO ingest
(``CoService``) on SQLite, and one paho client per alarm that behaves as the
contract asks (clean session false, QoS 1, one message in flight, unacknowledged
messages resent after reconnecting). The broker is killed with SIGKILL after
chosen numbers of PUBACKs and restarted on the same port and persistence
directory. Counted: every alarm_start the broker acknowledged (PUBACK) that the
cloud never stored.

Run it by hand to compare configurations:
``.venv/bin/python -m tests.cloud.co.co_crash``
``[--config deploy/mosquitto/mosquitto.conf] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from coalguard.cloud.co import CoService, CoSettings
from coalguard.cloud.co.tables import CoMessageRow
from coalguard.simulators.co_fleet import device_password
from tests.cloud.co.co_support import event, sessions_at
from tests.conftest import ROOT
from tests.support.mosquitto import FLEET_SECRET, Mosquitto
from tests.support.waiting import wait_for

SHIPPED = ROOT / "deploy" / "mosquitto" / "mosquitto.conf"
# docs/co-alarm-mqtt.md before issue 10: persistence without autosave settings.
DOCUMENTED_BEFORE = "persistence true\nmax_queued_messages 200000\nmax_inflight_messages 1000\n"


@dataclass
class DrillResult:
    acked: set[tuple[str, int]] = field(default_factory=set)
    stored: set[tuple[str, int]] = field(default_factory=set)
    kills: int = 0
    sessions_lost: int = 0

    @property
    def lost(self) -> set[tuple[str, int]]:
        return self.acked - self.stored

    def line(self, name: str) -> str:
        return (
            f"{name}: {len(self.lost)} of {len(self.acked)} acknowledged alarm_start lost "
            f"({self.kills} SIGKILLs, ingest sessions lost {self.sessions_lost})"
        )


class Alarm:
    """One CO alarm as the contract describes it (paho, QoS 1, persistent session).

    paho resends what was not acknowledged; ``resend_last`` adds the contract's
    rule for a broker crash: after reconnecting, publish the last acknowledged
    message again (same seq: the cloud keeps it once).
    """

    def __init__(
        self, dev: str, port: int, result: DrillResult, lock: threading.Lock, resend_last: bool
    ) -> None:
        self.dev = dev
        self.sent: dict[int, int] = {}  # mid -> seq
        self.last_acked: int | None = None
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
            if resend_last and self.connects > 1 and self.last_acked is not None:
                self.publish(self.last_acked)
            self.connected.set()

        def on_publish(client, userdata, mid, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
            seq = self.sent[mid]
            self.last_acked = max(seq, self.last_acked or 0)
            with lock:
                result.acked.add((dev, seq))

        self.c.on_connect = on_connect
        self.c.on_disconnect = lambda *a: self.connected.clear()
        self.c.on_publish = on_publish
        self.c.connect_async("127.0.0.1", port, keepalive=30)
        self.c.loop_start()

    def publish(self, seq: int, kind: str = "alarm_start") -> mqtt.MQTTMessageInfo:
        payload = event(self.dev, seq, kind, co_ppm=300).payload
        info = self.c.publish(f"co/v1/{self.dev}/event", payload, qos=1)
        self.sent[info.mid] = seq
        return info

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


def stored_events(svc: CoService) -> set[tuple[str, int]]:
    with svc.sessions() as s:
        return set(s.execute(select(CoMessageRow.device_id, CoMessageRow.seq)).all())


def drill(
    workdir: Path,
    config: Path,
    *,
    alarms: int = 20,
    per_alarm: int = 15,
    kill_at: tuple[int, ...] = (100, 200),
    resend_last: bool = True,
) -> DrillResult:
    """Publish ``alarms * per_alarm`` alarm_start; SIGKILL the broker at each PUBACK count."""
    ids = [f"CRASH-{i:04d}" for i in range(alarms)]
    (workdir / "broker").mkdir(parents=True)
    broker = Mosquitto(workdir / "broker", ids, settings_from=config).start()
    svc = CoService(
        CoSettings(broker_url=broker.url(), client_id="crash-ingest", reconnect_max_s=2),
        sessions_at(workdir / "cloud.sqlite"),
    )
    result = DrillResult()
    lock = threading.Lock()
    devices: list[Alarm] = []
    connects = 0
    try:
        svc.start()
        wait_for(svc.ingest.connected.is_set, 15, "ingest to connect")
        devices = [Alarm(d, broker.port, result, lock, resend_last) for d in ids]
        wait_for(lambda: all(a.connected.is_set() for a in devices), 30, "alarms to connect")
        infos = [a.publish(seq) for seq in range(1, per_alarm + 1) for a in devices]
        for n in kill_at:
            wait_for(lambda n=n: len(result.acked) >= n, 60, f"{n} PUBACKs")
            connects = svc.ingest.connects
            broker.kill()
            result.kills += 1
            broker.start()
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
        result.acked = {k for k in result.acked if k[1] <= per_alarm}
        result.stored = {k for k in stored_events(svc) if k[1] <= per_alarm}
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
        "--no-resend", action="store_true", help="alarms do not resend their last message"
    )
    args = ap.parse_args()
    total_lost = total_acked = 0
    for r in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="co-crash-") as tmp:
            conf = args.config
            if args.documented_before:
                conf = Path(tmp) / "documented.conf"
                conf.write_text(DOCUMENTED_BEFORE)
            res = drill(Path(tmp) / "run", conf, resend_last=not args.no_resend)
            name = "documented-before" if args.documented_before else str(args.config)
            name += " (no resend)" if args.no_resend else " (resend last)"
            print(res.line(f"round {r + 1} {name}"), flush=True)
            if res.lost:
                print(f"  lost: {sorted(res.lost)}", flush=True)
            total_lost += len(res.lost)
            total_acked += len(res.acked)
    print(f"total: {total_lost} of {total_acked} acknowledged alarm_start lost")


if __name__ == "__main__":
    main()
