"""The CO alarm fleet: N simulated households on one broker, driven by a scenario.

Simulated time runs ``time_scale`` times faster than real time; messages carry
simulated timestamps. Each alarm has its own MQTT client (own client id,
optional per-device password, last will ``offline`` retained) so the broker
sees exactly what it would see from real alarms. Each alarm keeps its events
until the cloud acks them on ``co/v1/{id}/ack`` and publishes them again after
a reconnect and after ``ack_timeout_s`` (``unacked.py``): a broker PUBACK is
not proof that the cloud has the event.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from coalguard.drivers.co_alarm import CoEvent, EventType, encode, topic
from coalguard.drivers.co_alarm.ack import ack_seq, ack_topic
from coalguard.edge.clock import SystemClock
from coalguard.simulators.co_fleet.alarm import SimAlarm
from coalguard.simulators.co_fleet.mux import Mux
from coalguard.simulators.co_fleet.scenario import Incident, Scenario
from coalguard.simulators.co_fleet.timing import Timing, load_timing
from coalguard.simulators.co_fleet.unacked import ACK_TIMEOUT_S, Unacked

log = logging.getLogger("coalguard.sim.co_fleet")

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"


def device_password(secret: str, device_id: str) -> str:
    """Per-device MQTT password derived from a fleet secret (what a factory would burn in)."""
    return hmac.new(secret.encode(), device_id.encode(), hashlib.sha256).hexdigest()[:32]


@dataclass
class FleetStats:
    published: int = 0
    resent: int = 0  # events published again for want of the cloud's ack
    connects: int = 0
    disconnects: int = 0
    alarm_starts: list[tuple[str, int, float]] = field(default_factory=list)  # id, seq, sim min
    incidents: list[str] = field(default_factory=list)


@dataclass
class _Link:
    client: mqtt.Client
    connected: bool = False
    retry_at: float = 0.0
    backoff: float = 0.5
    # Events the cloud has not acked: sent again after a reconnect and on timeout.
    unacked: Unacked = field(default_factory=Unacked)


class Fleet:
    def __init__(
        self,
        scenario: Scenario,
        host: str,
        port: int,
        *,
        count: int | None = None,
        time_scale: float | None = None,
        duration_min: float | None = None,
        password_secret: str | None = None,
        tls: bool = False,
        tls_ca: str | None = None,
        keepalive_s: int = 30,
        timing: Timing | None = None,
        on_broker_restart: Callable[[], None] | None = None,
        on_incident: Callable[[Incident, float], None] | None = None,
        start: datetime | None = None,
        ack_timeout_s: float = ACK_TIMEOUT_S,
    ) -> None:
        self.scenario = scenario
        self.host, self.port = host, port
        self.time_scale = time_scale or scenario.time_scale
        self.duration_min = duration_min or scenario.duration_min
        self.timing = timing or load_timing()
        self.on_broker_restart = on_broker_restart
        self.on_incident = on_incident
        self.keepalive_s = keepalive_s
        self.stats = FleetStats()
        self.sim_start = start or SystemClock().now()
        self.sim_min = 0.0
        self._stop = threading.Event()
        spec = scenario.fleet
        rng = random.Random(spec.seed)
        n = count or spec.count
        self.alarms: list[SimAlarm] = []
        for i in range(n):
            village = spec.township_code + f"{i % spec.villages + 1:03d}"
            a = SimAlarm.random(
                f"{spec.id_prefix}-{i:05d}", village, self.timing, scenario.heartbeat_s, rng
            )
            if rng.random() < spec.low_battery_fraction:
                a.battery_pct = rng.uniform(10, 19)
            if rng.random() < spec.eol_fraction:
                a.eol = True
            self.alarms.append(a)
        self.mux = Mux()
        self.links: list[_Link] = []
        for a in self.alarms:
            c = mqtt.Client(
                callback_api_version=CallbackAPIVersion.VERSION2,
                client_id=a.device_id,
                clean_session=False,
                protocol=mqtt.MQTTv311,
            )
            if password_secret:
                c.username_pw_set(a.device_id, device_password(password_secret, a.device_id))
            if tls or tls_ca:
                c.tls_set(ca_certs=tls_ca or None)
            c.will_set(topic(a.device_id, "availability"), b"offline", qos=1, retain=True)
            c.max_queued_messages_set(0)
            link = _Link(c, unacked=Unacked(ack_timeout_s))
            c.user_data_set((a, link))
            c.on_connect = self._on_connect
            c.on_disconnect = self._on_disconnect
            c.on_message = self._on_message
            self.mux.add(c)
            self.links.append(link)
        self._pending = sorted(scenario.incident, key=lambda x: x.at_min)

    # -- households (for registering the fleet with the cloud) ---------------

    def households(self) -> list[dict[str, str]]:
        rng = random.Random(self.scenario.fleet.seed + 1)
        out = []
        for i, a in enumerate(self.alarms):
            out.append(
                {
                    "device_id": a.device_id,
                    "village_code": a.village_code,
                    "name": f"{rng.choice(SURNAMES)}家",
                    "address": f"{int(a.village_code[-3:])}村{i // 10 + 1}组{i % 10 + 1}号",
                    "phone": f"1{rng.randint(3, 9)}{rng.randint(0, 999999999):09d}",
                }
            )
        return out

    # -- paho callbacks -----------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        a, link = userdata
        if reason_code.is_failure:
            log.warning("%s: broker refused connection: %s", a.device_id, reason_code)
            return
        link.connected = True
        link.backoff = 0.5
        self.stats.connects += 1
        client.subscribe(ack_topic(a.device_id), qos=1)
        client.publish(topic(a.device_id, "availability"), b"online", qos=1, retain=True)
        self._resend(link, link.unacked.all(time.monotonic()))

    def _on_message(self, client, userdata, msg: mqtt.MQTTMessage) -> None:  # type: ignore[no-untyped-def]
        _a, link = userdata
        seq = ack_seq(msg.payload)
        if seq is not None:
            link.unacked.ack(seq)

    def _resend(self, link: _Link, pending: list[tuple[str, bytes]]) -> None:
        for t, payload in pending:
            link.client.publish(t, payload, qos=1)
        self.stats.resent += len(pending)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        _a, link = userdata
        if link.connected:
            self.stats.disconnects += 1
        link.connected = False
        link.retry_at = time.monotonic() + link.backoff * random.uniform(0.5, 1.5)
        link.backoff = min(link.backoff * 2, 15.0)

    # -- running ------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    def now(self) -> datetime:
        return self.sim_start + timedelta(minutes=self.sim_min)

    def connect_all(self, budget_s: float = 60.0) -> None:
        """Open every alarm's connection (spread over time, CONNACKs served meanwhile)."""
        deadline = time.monotonic() + budget_s
        for i, link in enumerate(self.links):
            if self.alarms[i].powered:
                self._try_connect(link)
            if i % 100 == 99:
                self.mux.poll(0)
            if time.monotonic() > deadline:
                break
        end = time.monotonic() + 5
        while time.monotonic() < end and not all(
            lk.connected for lk, a in zip(self.links, self.alarms, strict=True) if a.powered
        ):
            self.mux.poll(0.05)

    def _try_connect(self, link: _Link) -> None:
        try:
            if link.client.socket() is None:
                link.client.connect(self.host, self.port, keepalive=self.keepalive_s)
        except OSError as exc:
            self._on_disconnect(link.client, link.client.user_data_get(), None, None, None)
            log.debug("connect failed: %s", exc)

    def run(self, progress: Callable[[Fleet], None] | None = None) -> FleetStats:
        """Run the scenario to its end (or ``stop()``); returns what happened."""
        self.connect_all()
        tick = self.scenario.tick_s
        last = time.monotonic()
        next_progress = last
        while not self._stop.is_set() and self.sim_min < self.duration_min:
            self.mux.poll(tick)
            now_r = time.monotonic()
            dt_s = (now_r - last) * self.time_scale
            last = now_r
            self.sim_min += dt_s / 60
            self._incidents()
            sim_now = self.now()
            for a in self.alarms:
                a.step(sim_now, dt_s)
            self._flush(now_r)
            if progress and now_r >= next_progress:
                progress(self)
                next_progress = now_r + 1.0
        self._drain(5.0)
        return self.stats

    def _flush(self, now_r: float) -> None:
        for a, link in zip(self.alarms, self.links, strict=True):
            if not a.powered:
                a.outbox.clear()  # no power, no message
                continue
            if not link.connected:
                if now_r >= link.retry_at and link.client.socket() is None:
                    self._try_connect(link)
                continue
            self._resend(link, link.unacked.due(now_r))
            while a.outbox:
                msg = a.outbox.pop(0)
                t, payload = encode(msg)
                if isinstance(msg, CoEvent):
                    link.unacked.add(msg.seq, t, payload, now_r)
                link.client.publish(t, payload, qos=1)
                self.stats.published += 1
                if isinstance(msg, CoEvent) and msg.type is EventType.ALARM_START:
                    self.stats.alarm_starts.append((a.device_id, msg.seq, round(self.sim_min, 2)))

    def _drain(self, budget_s: float) -> None:
        """Deliver what alarms still hold (reconnecting if needed), then disconnect."""
        end = time.monotonic() + budget_s
        while time.monotonic() < end:
            self._flush(time.monotonic())
            busy = any(
                (a.powered and (a.outbox or lk.unacked or not lk.connected))
                or (lk.connected and (lk.client.want_write() or len(lk.client._out_messages)))
                for a, lk in zip(self.alarms, self.links, strict=True)
            )
            if not busy:
                break
            self.mux.poll(0.05)
        for lk in self.links:
            if lk.connected:
                lk.client.disconnect()
        self.mux.poll(0.1)
        self.mux.close()

    # -- incidents ------------------------------------------------------------

    def _targets(self, inc: Incident) -> list[int]:
        if inc.device is not None:
            return [inc.device] if inc.device < len(self.alarms) else []
        spec = self.scenario.fleet
        return [i for i in range(len(self.alarms)) if i % spec.villages + 1 == inc.village]

    def _incidents(self) -> None:
        while self._pending and self._pending[0].at_min <= self.sim_min:
            inc = self._pending.pop(0)
            now = self.now()
            self.stats.incidents.append(f"{self.sim_min:.1f} min: {inc.kind}")
            log.info("incident at %.1f sim min: %s", self.sim_min, inc.kind)
            if inc.kind == "broker_restart" and self.on_broker_restart:
                self.on_broker_restart()
            for i in self._targets(inc):
                a, link = self.alarms[i], self.links[i]
                if inc.kind == "smolder":
                    a.room.start_smolder(inc.ppm, inc.ramp_min)
                elif inc.kind == "clear_air":
                    a.room.stop_smolder()
                elif inc.kind == "power_loss":
                    a.powered = False
                    self.mux.cut(link.client)
                elif inc.kind == "power_back":
                    a.powered = True
                    a.event(now, EventType.POWER_ON)
                    a.state(now)
                    link.retry_at = 0
                elif inc.kind == "hang":
                    a.hung = True
                elif inc.kind == "tamper":
                    a.set_tamper(now)
                elif inc.kind == "fault":
                    a.set_fault(now, inc.fault)
                elif inc.kind == "test_button":
                    a.press_test(now)
            if self.on_incident:
                self.on_incident(inc, self.sim_min)
