"""The CO alarm fleet: N simulated households on one broker, driven by a scenario.

Simulated time runs ``time_scale`` times faster than real time; messages carry
simulated timestamps. Each alarm has its own MQTT client (own client id,
optional per-device password, last will ``offline`` retained) so the broker
sees exactly what it would see from real alarms. Each alarm keeps its events
until the cloud acks them on ``co/v1/{id}/ack`` and publishes them again after
a reconnect and after ``ack_timeout_s`` (``unacked.py``): a broker PUBACK is
not proof that the cloud has the event.

``alarms_per_connection`` > 1 is for province-scale benches (``bench/province.py``)
where 100,000 TCP connections do not fit the machine: the alarms of one village
share connections (client id ``<prefix>-mux-<village>-<n>``, a broker user that
may publish for any alarm), each alarm still with its own topics, sequence
numbers, heartbeats and unacknowledged events. What it cannot do is a last
will per alarm: a village power cut drops the village's connections, and the
cloud sees those alarms fall silent instead of going ``offline``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from coalguard.drivers.co_alarm import CoEvent, CoState, EventType, encode, topic
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
class _Conn:
    """One MQTT connection: one alarm's own, or a village's shared one."""

    client_id: str
    client: mqtt.Client
    members: list[int]  # indices of the alarms on it
    connected: bool = False
    retry_at: float = 0.0
    backoff: float = 0.5


@dataclass
class _Link:
    """One alarm's side of its connection."""

    conn: _Conn
    # Events the cloud has not acked: sent again after a reconnect and on timeout.
    unacked: Unacked = field(default_factory=Unacked)

    @property
    def client(self) -> mqtt.Client:
        return self.conn.client

    @property
    def connected(self) -> bool:
        return self.conn.connected


OnPublish = Callable[[SimAlarm, CoState | CoEvent], None]


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
        alarms_per_connection: int = 1,
        on_publish: OnPublish | None = None,
    ) -> None:
        """``on_publish(alarm, message)``: told each new message as it is published."""
        self.on_publish = on_publish
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
        self.conns: list[_Conn] = []
        for client_id, members in self._groups(alarms_per_connection):
            c = mqtt.Client(
                callback_api_version=CallbackAPIVersion.VERSION2,
                client_id=client_id,
                clean_session=False,
                protocol=mqtt.MQTTv311,
            )
            if password_secret:
                c.username_pw_set(client_id, device_password(password_secret, client_id))
            if tls or tls_ca:
                c.tls_set(ca_certs=tls_ca or None)
            if alarms_per_connection == 1:
                c.will_set(topic(client_id, "availability"), b"offline", qos=1, retain=True)
            else:
                c.max_inflight_messages_set(100)
            c.max_queued_messages_set(0)
            conn = _Conn(client_id, c, members)
            c.user_data_set(conn)
            c.on_connect = self._on_connect
            c.on_disconnect = self._on_disconnect
            c.on_message = self._on_message
            self.mux.add(c)
            self.conns.append(conn)
        self.links: list[_Link] = [None] * n  # type: ignore[list-item]
        for conn in self.conns:
            for i in conn.members:
                self.links[i] = _Link(conn, unacked=Unacked(ack_timeout_s))
        self._link_of = {a.device_id: lk for a, lk in zip(self.alarms, self.links, strict=True)}
        self._pending = sorted(scenario.incident, key=lambda x: x.at_min)
        self._injected: queue.SimpleQueue[Incident] = queue.SimpleQueue()

    def _groups(self, per_connection: int) -> list[tuple[str, list[int]]]:
        """(client id, alarm indices) of each connection: an alarm's own, or a village's."""
        if per_connection == 1:
            return [(a.device_id, [i]) for i, a in enumerate(self.alarms)]
        spec = self.scenario.fleet
        by_village: dict[int, list[int]] = {}
        for i in range(len(self.alarms)):
            by_village.setdefault(i % spec.villages + 1, []).append(i)
        return [
            (f"{spec.id_prefix}-mux-{v:03d}-{k // per_connection:03d}", idx[k : k + per_connection])
            for v, idx in sorted(by_village.items())
            for k in range(0, len(idx), per_connection)
        ]

    def connection_ids(self) -> list[str]:
        """The MQTT client ids (and broker users) the fleet connects as."""
        return [conn.client_id for conn in self.conns]

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

    def _on_connect(self, client, conn: _Conn, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        if reason_code.is_failure:
            log.warning("%s: broker refused connection: %s", conn.client_id, reason_code)
            return
        conn.connected = True
        conn.backoff = 0.5
        self.stats.connects += 1
        members = conn.members
        for k in range(0, len(members), 100):  # one SUBSCRIBE per hundred alarms
            batch = members[k : k + 100]
            client.subscribe([(ack_topic(self.alarms[i].device_id), 1) for i in batch])
        now = time.monotonic()
        for i in members:
            if self.alarms[i].powered:
                online = topic(self.alarms[i].device_id, "availability")
                client.publish(online, b"online", qos=1, retain=True)
                self._resend(self.links[i], self.links[i].unacked.all(now))

    def _on_message(self, client, conn: _Conn, msg: mqtt.MQTTMessage) -> None:  # type: ignore[no-untyped-def]
        seq = ack_seq(msg.payload)
        link = self._link_of.get(msg.topic.split("/")[2]) if msg.topic.count("/") == 3 else None
        if seq is not None and link is not None:
            link.unacked.ack(seq)

    def _resend(self, link: _Link, pending: list[tuple[str, bytes]]) -> None:
        for t, payload in pending:
            link.client.publish(t, payload, qos=1)
        self.stats.resent += len(pending)

    def _on_disconnect(self, client, conn: _Conn, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        if conn.connected:
            self.stats.disconnects += 1
        conn.connected = False
        conn.retry_at = time.monotonic() + conn.backoff * random.uniform(0.5, 1.5)
        conn.backoff = min(conn.backoff * 2, 15.0)

    # -- running ------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    def now(self) -> datetime:
        return self.sim_start + timedelta(minutes=self.sim_min)

    def connect_all(self, budget_s: float = 60.0) -> None:
        """Open every alarm's connection (spread over time, CONNACKs served meanwhile)."""
        deadline = time.monotonic() + budget_s
        for i, conn in enumerate(self.conns):
            if self._powered(conn):
                self._try_connect(conn)
            if i % 100 == 99:
                self.mux.poll(0)
            if time.monotonic() > deadline:
                break
        end = time.monotonic() + 5
        while time.monotonic() < end and not all(
            c.connected for c in self.conns if self._powered(c)
        ):
            self.mux.poll(0.05)

    def _powered(self, conn: _Conn) -> bool:
        return any(self.alarms[i].powered for i in conn.members)

    def _try_connect(self, conn: _Conn) -> None:
        try:
            if conn.client.socket() is None:
                conn.client.connect(self.host, self.port, keepalive=self.keepalive_s)
        except OSError as exc:
            self._on_disconnect(conn.client, conn, None, None, None)
            log.debug("connect failed: %s", exc)

    def run(
        self, progress: Callable[[Fleet], None] | None = None, drain_s: float = 5.0
    ) -> FleetStats:
        """Run the scenario to its end (or ``stop()``), then give the alarms ``drain_s``
        to deliver what they hold; returns what happened."""
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
        self._drain(drain_s)
        return self.stats

    def _flush(self, now_r: float) -> None:
        for a, link in zip(self.alarms, self.links, strict=True):
            if not a.powered:
                a.outbox.clear()  # no power, no message
                continue
            if not link.connected:
                if now_r >= link.conn.retry_at and link.client.socket() is None:
                    self._try_connect(link.conn)
                continue
            self._resend(link, link.unacked.due(now_r))
            while a.outbox:
                msg = a.outbox.pop(0)
                t, payload = encode(msg)
                if isinstance(msg, CoEvent):
                    link.unacked.add(msg.seq, t, payload, now_r)
                link.client.publish(t, payload, qos=1)
                self.stats.published += 1
                if self.on_publish:
                    self.on_publish(a, msg)
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
        for conn in self.conns:
            if conn.connected:
                conn.client.disconnect()
        self.mux.poll(0.1)
        self.mux.close()

    # -- incidents ------------------------------------------------------------

    def _targets(self, inc: Incident) -> list[int]:
        if inc.device is not None:
            return [inc.device] if inc.device < len(self.alarms) else []
        spec = self.scenario.fleet
        return [i for i in range(len(self.alarms)) if i % spec.villages + 1 == inc.village]

    def inject(self, inc: Incident) -> None:
        """An incident now, from any thread (a person presses an alarm's test button while
        the fleet runs); its ``at_min`` is ignored."""
        self._injected.put(inc)

    def _due(self) -> list[Incident]:
        due = []
        while not self._injected.empty():
            due.append(self._injected.get_nowait())
        while self._pending and self._pending[0].at_min <= self.sim_min:
            due.append(self._pending.pop(0))
        return due

    def _incidents(self) -> None:
        for inc in self._due():
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
                    if not self._powered(link.conn):  # the last alarm on it: the line drops
                        self.mux.cut(link.client)
                elif inc.kind == "power_back":
                    a.powered = True
                    a.event(now, EventType.POWER_ON)
                    a.state(now)
                    link.conn.retry_at = 0
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
