"""Benchmark: a province's CO alarm path, scaled out, on this machine.

The topology a province runs (docs/province.md): PostgreSQL, an MQTT broker
with shared subscriptions (Mosquitto here, EMQX in production), two
``coalguard cloud co-ingest --shared-group`` workers and two ``coalguard cloud
serve`` replicas, all real processes. The real fleet simulator
(``coalguard/simulators/co_fleet``) plays ``--alarms`` alarms at their heartbeat
rate for ``--duration`` s, then a burst of ``--burst-factor``x for ``--burst-s``
s; one village loses power halfway through the steady phase and gets it back
when the burst starts; ``--smoldering`` registered households smoulder so their
alarms sound during the burst, and the shipped escalation texts each household
through the real Tencent SMS SDK to the local provider recorder (the provider
boundary: ``coalguard/simulators/sms_recorder.py``).

Deviation, printed with the figures: 100,000 TCP connections do not fit this
two-core machine, so the alarms of a village share connections
(``--per-connection`` alarms each, a bench-only broker user that may publish
for any alarm); each alarm keeps its own topics, sequence numbers, heartbeats,
unacknowledged events and cloud acks, but has no last will of its own. The
broker runs without persistence (its crash is drilled by
``tests/cloud/co/co_crash.py``).

Prints msg/s offered and stored (steady and burst) with their ratio, the
ingest lag (publish -> ``received_at`` in the database), the largest backlog
and how long it took to drain, alarm -> SMS p50/p99 during the burst, and
duplicates and losses counted from the database against what the alarms
published and the cloud acknowledged (both must be 0; the exit status is 1
otherwise).

    .venv/bin/python bench/province.py [--alarms 100000] [--duration 600] [--burst-s 60]
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coalguard.cli.demo_co_chain import demo_phone
from coalguard.cli.sim_provider_recorder import settings_env
from coalguard.cloud.co.registry import Household, Registration, register
from coalguard.cloud.co.settings import CoSettings
from coalguard.cloud.co.tables import CoDevice, CoMessageRow, CoNotification
from coalguard.cloud.db import make_engine, make_sessionmaker
from coalguard.cloud.sealing import keyring_of
from coalguard.cloud.settings import CloudSettings
from coalguard.drivers.co_alarm import CoEvent, CoState, EventType
from coalguard.edge.clock import SystemClock
from coalguard.simulators.co_fleet import Fleet
from coalguard.simulators.co_fleet.alarm import SimAlarm
from coalguard.simulators.co_fleet.scenario import FleetSpec, Incident, Scenario
from coalguard.simulators.sms_recorder import Recorded
from tests.conftest import COALGUARD
from tests.support.mosquitto import FLEET_SECRET, INGEST_PASSWORD, INGEST_USER, Mosquitto
from tests.support.providers import ALIYUN, TENCENT, provider_recorder
from tests.support.servers import (
    CLOUD_ENV,
    TEST_SEALING_KEYS,
    CloudProcess,
    CoIngestProcess,
    postgres_server,
)
from tests.support.waiting import wait_for

GROUP = "province"
PREFIX = "PRV"
SMOLDER_RAMP_MIN = 0.02
CLOCK = SystemClock()


@dataclass
class Observed:
    """What the alarms published (by the fleet's hook) and what the database held over time."""

    sent_at: dict[tuple[str, int], float] = field(default_factory=dict)  # epoch s at publish
    events: int = 0
    event_keys: set[tuple[str, int]] = field(default_factory=set)
    alarm_seq: dict[str, int] = field(default_factory=dict)  # device -> its alarm_start's seq
    alarm_start: dict[str, float] = field(default_factory=dict)  # device -> monotonic
    sms_at: dict[str, float] = field(default_factory=dict)  # device -> monotonic
    samples: list[tuple[float, int, int]] = field(default_factory=list)  # t, published, stored
    readyz: Counter[str] = field(default_factory=Counter)

    def published(self, alarm: SimAlarm, msg: CoState | CoEvent) -> None:
        self.sent_at[(alarm.device_id, msg.seq)] = CLOCK.now().timestamp()
        if isinstance(msg, CoEvent):
            self.events += 1
            self.event_keys.add((alarm.device_id, msg.seq))
            if msg.type is EventType.ALARM_START and alarm.device_id not in self.alarm_start:
                self.alarm_start[alarm.device_id] = time.monotonic()
                self.alarm_seq[alarm.device_id] = msg.seq


def fleet_spec(args: argparse.Namespace) -> FleetSpec:
    return FleetSpec(count=args.alarms, id_prefix=PREFIX, villages=args.villages, seed=14)


def seconds_to_alarm(alarm: SimAlarm, ppm: float) -> float:
    """How long this household's room takes to make its alarm sound once the stove
    smoulders (the simulator's own room and alarm, stepped on a copy)."""
    probe = copy.deepcopy(alarm)
    probe.room.start_smolder(ppm, SMOLDER_RAMP_MIN)
    now = CLOCK.now()
    for s in range(1, 7200):
        probe.step(now, 1.0)
        if any(isinstance(m, CoEvent) and m.type is EventType.ALARM_START for m in probe.outbox):
            return float(s)
        probe.outbox.clear()
    return 7200.0


def smolders(args: argparse.Namespace, fleet: Fleet, alarms: list[int]) -> list[Incident]:
    """Smoulders timed so the alarms sound spread over the burst (or as soon as they can)."""
    out = []
    for k, i in enumerate(alarms):
        sound_at = args.duration + args.burst_s * (0.1 + 0.8 * k / max(1, len(alarms)))
        start = max(0.0, sound_at - seconds_to_alarm(fleet.alarms[i], args.smolder_ppm))
        out.append(Incident(kind="smolder", at_min=start / 60, device=i, ppm=args.smolder_ppm,
                            ramp_min=SMOLDER_RAMP_MIN))  # fmt: skip
    return out


def scenario(args: argparse.Namespace, incidents: list[Incident]) -> Scenario:
    """Steady heartbeats; village 1 off halfway, back with the burst; ``incidents`` too."""
    incidents = [
        Incident(kind="power_loss", at_min=args.duration / 2 / 60, village=1),
        Incident(kind="power_back", at_min=args.duration / 60, village=1),
        *incidents,
    ]
    return Scenario(
        name="province",
        title="province bench",
        duration_min=(args.duration + args.burst_s) / 60,
        time_scale=1,
        heartbeat_s=args.heartbeat_s,
        tick_s=args.tick_s,
        fleet=fleet_spec(args),
        incident=incidents,
    )


def smoldering_alarms(args: argparse.Namespace) -> list[int]:
    """Alarm indices spread over the villages, none in village 1 (the power cut)."""
    outside = [i for i in range(args.alarms) if i % args.villages != 0]
    step = max(1, len(outside) // max(1, args.smoldering))
    return outside[::step][: args.smoldering]


def register_households(db_url: str, fleet: Fleet, alarms: list[int]) -> dict[str, str]:
    """Register the smouldering alarms' households (sealed phones); phone -> device id."""
    settings = CloudSettings(
        db_url=db_url,
        sealing_keys=TEST_SEALING_KEYS,
        co=CoSettings(phone_hash_key=CLOUD_ENV["COALGUARD_CO_PHONE_HASH_KEY"]),
    )
    keyring = keyring_of(settings, generated_ok=False)
    engine = make_engine(db_url)
    phones = {}
    try:
        with make_sessionmaker(engine).begin() as s:
            for k, i in enumerate(alarms):
                a = fleet.alarms[i]
                home = Household(
                    name=f"住户{k}",
                    address=f"{k}号",
                    village_code=a.village_code,
                    phone=demo_phone(k),
                )
                reg = Registration(device_id=a.device_id, household=home, installer_id="bench")
                register(s, reg, keyring, CLOCK.now())
                phones["+86" + demo_phone(k)] = a.device_id
    finally:
        engine.dispose()
    return phones


@contextmanager
def topology(
    work: Path, fleet: Fleet, per_connection: int
) -> Iterator[tuple[str, Mosquitto, Path]]:
    """PostgreSQL and the broker; yields (db URL, broker, PostgreSQL's data directory)."""
    with ExitStack() as stack:
        pg = stack.enter_context(postgres_server())
        db_url = pg.new_database()
        subprocess.run([COALGUARD, "cloud", "migrate", "--db", db_url], check=True,
                       capture_output=True, timeout=120)  # fmt: skip
        (work / "broker").mkdir()
        ids = fleet.connection_ids()
        broker = (
            Mosquitto(work / "broker", ids, persistence=False)
            if per_connection == 1
            else Mosquitto(work / "broker", [], persistence=False, multiplexers=tuple(ids))
        )
        broker.conf.write_text(broker.conf.read_text() + "log_type subscribe\n")
        broker.start()
        stack.callback(broker.stop)
        yield db_url, broker, pg.data


def start_cloud(
    stack: ExitStack, work: Path, db_url: str, broker: Mosquitto, provider_env: dict[str, str]
) -> tuple[list[CoIngestProcess], list[CloudProcess]]:
    """Two ingest workers in the shared group and two API replicas, all on ``db_url``."""
    env = {**CLOUD_ENV, **provider_env}
    workers = [
        CoIngestProcess(broker.url(), db_url, ("--shared-group", GROUP), env=env,
                        log=work / f"ingest-{k}.log").start()
        for k in (1, 2)
    ]  # fmt: skip
    for w in workers:
        stack.callback(w.stop)
    clouds = [CloudProcess(db_url, env=env, log=work / f"cloud-{k}.log") for k in (1, 2)]
    for c in clouds:
        c.launch()
        stack.callback(c.stop)
    for c in clouds:
        c.wait_ready()
    log = broker.dir / "mosquitto.log"
    wait_for(
        lambda: log.read_text().count(f" $share/{GROUP}/co/v1/") >= 6,
        90,
        "both ingest workers subscribed to the shared group",
    )
    return workers, clouds


class Observer:
    """A plain subscriber to ``co/v1/+/event`` (the ingest's user, not in the shared group):
    when each event leaves the broker, to split an event's lag into fleet + broker and
    ingest."""

    def __init__(self, broker: Mosquitto) -> None:
        self.at: dict[tuple[str, int], float] = {}  # (device, seq) -> epoch s
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2,
                                  client_id="province-observer")  # fmt: skip
        self.client.username_pw_set(INGEST_USER, INGEST_PASSWORD)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, *a: c.subscribe("co/v1/+/event", qos=0)
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()

    def _on_message(self, client, userdata, msg: mqtt.MQTTMessage) -> None:  # type: ignore[no-untyped-def]
        seq = json.loads(msg.payload).get("seq")
        self.at.setdefault((msg.topic.split("/")[2], seq), CLOCK.now().timestamp())

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class CpuMeter:
    """CPU seconds of the bench's processes between marks (``/proc``; PostgreSQL: the
    postmaster and its backends)."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, pids: dict[str, list[int]], pg_data: Path) -> None:
        self.pids = pids
        self.pg_data = pg_data
        self.marks: dict[str, tuple[float, dict[str, float]]] = {}

    @staticmethod
    def _stat(pid: int) -> list[str]:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return []

    def _cpu(self, pid: int, children: bool = False) -> float:
        f = self._stat(pid)
        if not f:
            return 0.0
        ticks = int(f[11]) + int(f[12]) + ((int(f[13]) + int(f[14])) if children else 0)
        return ticks / self.TICK

    def _postgres(self) -> float:
        try:
            master = int((self.pg_data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0.0
        total = self._cpu(master, children=True)
        for d in Path("/proc").iterdir():
            if d.name.isdigit() and (f := self._stat(int(d.name))) and f[1] == str(master):
                total += self._cpu(int(d.name))
        return total

    def mark(self, name: str) -> None:
        now = {k: sum(self._cpu(p) for p in pids) for k, pids in self.pids.items()}
        now["postgres"] = self._postgres()
        self.marks[name] = (time.monotonic(), now)

    def shares(self, start: str, end: str) -> str:
        """Each component's CPU seconds per wall second between two marks (1.0 = a core)."""
        if start not in self.marks or end not in self.marks:
            return "n/a"
        (t0, a), (t1, b) = self.marks[start], self.marks[end]
        return ", ".join(f"{k} {(b[k] - a[k]) / (t1 - t0):.2f}" for k in a)


class Sampler(threading.Thread):
    """Once a second: messages published so far, rows stored, both replicas' /readyz."""

    def __init__(self, db_url: str, seen: Observed, clouds: list[CloudProcess]) -> None:
        super().__init__(daemon=True)
        self.engine = make_engine(db_url)
        self.seen = seen
        self.clouds = clouds
        self.stop = threading.Event()

    def stored(self) -> int:
        with self.engine.connect() as c:
            return c.scalar(select(func.count()).select_from(CoMessageRow)) or 0

    def run(self) -> None:
        while not self.stop.wait(1.0):
            published = len(self.seen.sent_at)
            self.seen.samples.append((time.monotonic(), published, self.stored()))
            for c in self.clouds:
                try:
                    ok = httpx.get(f"{c.url}/readyz", timeout=5).status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.seen.readyz["ok" if ok else "failed"] += 1


def say(what: str) -> None:
    """Progress on stderr (the figures go to stdout)."""
    print(f"[{CLOCK.now():%H:%M:%S}] {what}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def lags(seconds: list[float]) -> str:
    return f"p50 {pct(seconds, 0.5) * 1000:.0f} ms, p99 {pct(seconds, 0.99) * 1000:.0f} ms"


def rate(samples: list[tuple[float, int, int]], t0: float, t1: float, col: int) -> float:
    """Messages per second in [t0, t1] from the sampled counts (col 1 published, 2 stored)."""
    inside = [s for s in samples if t0 <= s[0] <= t1]
    if len(inside) < 2:
        return math.nan
    return (inside[-1][col] - inside[0][col]) / (inside[-1][0] - inside[0][0])


@dataclass
class Result:
    lines: list[str]
    duplicates: int
    losses: int


def run(args: argparse.Namespace) -> Result:
    smoldering = smoldering_alarms(args)
    seen = Observed()
    # The fleet's alarms first (to time the smoulders), then the fleet that plays them.
    probe = Fleet(scenario(args, []), "127.0.0.1", 0, alarms_per_connection=args.alarms)
    fleet = Fleet(
        scenario(args, smolders(args, probe, smoldering)),
        "127.0.0.1",
        0,  # set once the broker has its port
        password_secret=FLEET_SECRET,
        alarms_per_connection=args.per_connection,
        on_publish=seen.published,
    )
    out: list[str] = []
    with tempfile.TemporaryDirectory(prefix="province-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        db_url, broker, pg_data = stack.enter_context(topology(work, fleet, args.per_connection))
        fleet.port = broker.port
        phone_of = register_households(db_url, fleet, smoldering)
        rec, providers = stack.enter_context(provider_recorder(work / "recorder"))

        def on_request(r: Recorded) -> None:
            if r.phone in phone_of:
                seen.sms_at.setdefault(phone_of[r.phone], time.monotonic())

        rec.listeners.append(on_request)
        provider_env = settings_env(rec, providers.ca_file, TENCENT, ALIYUN)  # type: ignore[arg-type]
        t_start = time.monotonic()
        workers, clouds = start_cloud(stack, work, db_url, broker, provider_env)
        cpu = CpuMeter(
            {
                "fleet (this process)": [os.getpid()],
                "mosquitto": [broker.proc.pid],  # type: ignore[union-attr]
                "co-ingest x2": [w.proc.pid for w in workers],  # type: ignore[union-attr]
                "cloud serve x2": [c.proc.pid for c in clouds],  # type: ignore[union-attr]
            },
            pg_data,
        )
        t_up = time.monotonic()
        say(f"topology up in {t_up - t_start:.0f} s; the alarms connect")
        sampler = Sampler(db_url, seen, clouds)
        stack.callback(sampler.engine.dispose)
        devices = make_sessionmaker(sampler.engine)

        observer = Observer(broker)
        stack.callback(observer.stop)
        # Connect storm: every alarm connects and says "online"; the cloud records them all.
        fleet.connect_all(budget_s=120)

        def all_online() -> bool:
            fleet.mux.poll(0.2)
            with devices() as s:
                return (s.scalar(select(func.count()).select_from(CoDevice)) or 0) >= args.alarms

        wait_for(all_online, max(120, args.alarms / 200), "every alarm online in the cloud")
        t_online = time.monotonic()
        say(f"{args.alarms} alarms online after {t_online - t_up:.0f} s; steady phase")
        sampler.start()
        stack.callback(sampler.stop.set)

        # Steady heartbeats, the power cut, then the burst (heartbeats `factor` times as often).
        burst_rng = random.Random(1)
        burst: list[float] = []

        def progress(f: Fleet) -> None:
            if not burst and f.sim_min * 60 >= args.duration:
                burst.append(time.monotonic())
                cpu.mark("burst")
                say("burst")
                fast = args.heartbeat_s / args.burst_factor
                for a in f.alarms:
                    a.heartbeat_s = fast
                    a.next_state_in_s = min(a.next_state_in_s, burst_rng.uniform(0, fast))

        fleet.sim_start = CLOCK.now()
        t_run = time.monotonic()
        cpu.mark("steady")
        stats = fleet.run(progress, drain_s=args.drain_s)
        t_end = time.monotonic()
        cpu.mark("end")
        published = set(seen.sent_at)
        say(f"run over: {len(published)} published; waiting for the database")

        def caught_up() -> bool:
            return bool(seen.samples) and seen.samples[-1][2] >= len(published)

        wait_for(caught_up, args.drain_s, "the database to hold every published message")
        t_drained = seen.samples[-1][0]
        wait_for(lambda: len(seen.sms_at) >= len(seen.alarm_start), 60, "every household's SMS")
        sampler.stop.set()
        sampler.join(5)

        with devices() as s:
            rows = s.execute(select(CoMessageRow.device_id, CoMessageRow.seq,
                                    CoMessageRow.received_at)).all()  # fmt: skip
            sms_rows = (
                s.scalar(
                    select(func.count())
                    .select_from(CoNotification)
                    .where(CoNotification.channel == "sms", CoNotification.status == "sent")
                )
                or 0
            )
        stored = {(d, q): at.timestamp() for d, q, at in rows}
        dup_rows = len(rows) - len(stored)
        sms_requests = len([r for r in rec.sent("tencent_sms") if r.phone in phone_of])
        dup_sms = max(0, sms_requests - sms_rows)
        lost = published - set(stored)
        unacked_left = sum(len(lk.unacked) for lk in fleet.links)

        t_burst = burst[0] if burst else t_end
        t_burst_end = min(t_end, t_burst + args.burst_s)
        lag_steady = [stored[k] - at for k, at in seen.sent_at.items()
                      if k in stored and at < _epoch(t_burst)]  # fmt: skip
        lag_burst = [stored[k] - at for k, at in seen.sent_at.items()
                     if k in stored and at >= _epoch(t_burst)]  # fmt: skip
        backlog = max((p - s for _, p, s in seen.samples), default=0)
        sms_ms = [
            (seen.sms_at[d] - t) * 1000 if d in seen.sms_at else math.inf
            for d, t in seen.alarm_start.items()
        ]
        # The cloud's part alone: the alarm_start leaving the broker -> the SMS request.
        cloud_ms = [
            (_epoch(seen.sms_at[d]) - observer.at[(d, q)]) * 1000
            for d, q in seen.alarm_seq.items()
            if d in seen.sms_at and (d, q) in observer.at
        ]
        steady_off = rate(seen.samples, t_run + 10, t_burst, 1)
        steady_in = rate(seen.samples, t_run + 10, t_burst, 2)
        burst_off = rate(seen.samples, t_burst, t_burst_end, 1)
        burst_in = rate(seen.samples, t_burst, t_burst_end, 2)
        catch_up = rate(seen.samples, t_burst_end, t_drained, 2)
        burst_events = [k for k, at in seen.sent_at.items() if k in stored
                        and k in seen.event_keys and at >= _epoch(t_burst)]  # fmt: skip
        to_broker = [observer.at[k] - seen.sent_at[k] for k in burst_events if k in observer.at]
        to_store = [stored[k] - observer.at[k] for k in burst_events if k in observer.at]
        conns = len(fleet.conns)
        village1 = sum(1 for i in range(args.alarms) if i % args.villages == 0)
        cores, load = os.cpu_count(), os.getloadavg()[0]
        mux = ", bench-only broker ACL" if conns < args.alarms else ""
        in_burst = sum(1 for t in seen.alarm_start.values() if t_burst <= t <= t_burst_end)
        out += [
            f"ran: {args.alarms} alarms in {args.villages} villages over {conns} MQTT connections "
            f"({args.per_connection} alarms each{mux}), heartbeat every {args.heartbeat_s:g} s, "
            f"steady {args.duration:g} s, burst x{args.burst_factor:g} for {args.burst_s:g} s",
            f"  Mosquitto ($share/{GROUP}, no persistence), 2 co-ingest workers, "
            f"2 cloud serve replicas, PostgreSQL 15; {cores} cores, load average {load:.1f}",
            f"  started in {t_up - t_start:.0f} s; {args.alarms} alarms online in the cloud "
            f"{t_online - t_up:.0f} s later",
            f"steady: offered {steady_off:.0f} msg/s, stored {steady_in:.0f} msg/s "
            f"(ratio {steady_in / steady_off:.2f}); ingest lag {lags(lag_steady)}",
            f"burst: offered {burst_off:.0f} msg/s, stored {burst_in:.0f} msg/s "
            f"(ratio {burst_in / burst_off:.2f}); ingest lag {lags(lag_burst)}; "
            f"largest backlog {backlog} msgs; all stored {max(0.0, t_drained - t_burst_end):.0f} s "
            f"after the burst (catching up at {catch_up:.0f} msg/s)",
            f"burst events: publish -> out of the broker {lags(to_broker)}; "
            f"out of the broker -> received by an ingest {lags(to_store)}",
            f"CPU share of 2 cores: steady {cpu.shares('steady', 'burst')}; "
            f"burst and catch-up {cpu.shares('burst', 'end')}",
            f"village power cut: village 1 ({village1} alarms) off at {args.duration / 2:.0f} s, "
            f"back at the burst; {stats.connects} connects, {stats.disconnects} disconnects",
            f"alarm -> SMS at the provider recorder (Tencent SMS SDK): {len(sms_ms)} alarms "
            f"({in_burst} sounded during the burst), p50 {pct(sms_ms, 0.5):.0f} ms, "
            f"p99 {pct(sms_ms, 0.99):.0f} ms; from leaving the broker: "
            f"p50 {pct(cloud_ms, 0.5):.0f} ms, p99 {pct(cloud_ms, 0.99):.0f} ms",
            f"duplicates: {dup_rows} stored, {dup_sms} SMS ({sms_requests} requests, "
            f"{sms_rows} SMS notifications)",
            f"losses: {len(lost)} of {len(published)} published ({seen.events} events, "
            f"{stats.resent} resent, {unacked_left} left without the cloud's ack)",
            f"replicas /readyz: {seen.readyz['ok']} ok, {seen.readyz['failed']} failed",
        ]
        return Result(out, dup_rows + dup_sms, len(lost) + unacked_left)


def _epoch(mono: float) -> float:
    """A monotonic instant as epoch seconds (the clock's now minus the time since)."""
    return CLOCK.now().timestamp() - (time.monotonic() - mono)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alarms", type=int, default=100_000)
    ap.add_argument("--villages", type=int, default=200)
    ap.add_argument("--per-connection", type=int, default=500, help="alarms per MQTT connection")
    ap.add_argument("--heartbeat-s", type=float, default=600, help="an alarm's state interval")
    ap.add_argument("--duration", type=float, default=600, help="steady phase, seconds")
    ap.add_argument("--burst-s", type=float, default=60)
    ap.add_argument("--burst-factor", type=float, default=10)
    ap.add_argument("--smoldering", type=int, default=100, help="alarms that sound in the burst")
    ap.add_argument("--smolder-ppm", type=float, default=20000, help="their stoves' steady CO")
    ap.add_argument("--tick-s", type=float, default=1.0, help="the simulator's step")
    ap.add_argument("--drain-s", type=float, default=300, help="time allowed to catch up")
    args = ap.parse_args()
    logging.getLogger("coalguard").setLevel(logging.ERROR)
    result = run(args)
    for line in result.lines:
        print(line, flush=True)
    sys.exit(1 if result.duplicates or result.losses else 0)


if __name__ == "__main__":
    main()
