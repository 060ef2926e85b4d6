"""The CO alarm part of ``coalguard demo``: broker, cloud ingest and a fleet in one process.

An embedded amqtt broker (no Mosquitto needed), the cloud CO service on a
temporary SQLite file, and a few hundred simulated alarms: one household's
stove smolders until its alarm sounds, and one alarm goes silent. Time is
compressed (the scenario's simulated minutes pass in about a minute), and the
alert rules are compressed by the same factor, so what a person sees (alerts
opening, escalating household → village grid worker → township) keeps its
real proportions.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from coalguard.cli.render import console
from coalguard.cloud import alert_lifecycle as lifecycle
from coalguard.cloud import auth  # noqa: F401  (token table)
from coalguard.cloud.co import CoService, CoSettings
from coalguard.cloud.co import tables as _tables  # noqa: F401
from coalguard.cloud.co.alerts import acknowledge
from coalguard.cloud.co.channels import LogChannel, Outbound, Sent
from coalguard.cloud.co.escalation import load_policy
from coalguard.cloud.co.registry import Household, Registration, register
from coalguard.cloud.co.rules import AlertRules, load_rules
from coalguard.cloud.db import create_schema, make_engine, make_sessionmaker
from coalguard.cloud.sealing import Keyring
from coalguard.edge.clock import SystemClock
from coalguard.i18n import t
from coalguard.simulators.co_fleet import Fleet, load_scenario

log = logging.getLogger("coalguard.demo.co")


class EmbeddedBroker:
    """amqtt on 127.0.0.1 in its own thread and event loop."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="amqtt", daemon=True)
        self._broker: Any = None

    def start(self) -> None:
        from amqtt.broker import Broker

        self._thread.start()
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}},
            # No topic-check plugin: every client may use every topic, so the ingest
            # publishes the event acks (co/v1/{id}/ack) and each alarm reads them.
            # Production's ACL (deploy/mosquitto/README.md) limits an alarm to its own.
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }

        async def _start() -> None:
            self._broker = Broker(config)
            await self._broker.start()

        asyncio.run_coroutine_threadsafe(_start(), self._loop).result(15)

    def stop(self) -> None:
        if self._broker is not None:
            fut = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
            try:
                fut.result(10)
            except Exception:  # shutting down anyway
                log.debug("amqtt shutdown", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def compress(rules: AlertRules, scale: float) -> AlertRules:
    """The same rules with every duration divided by ``scale`` (for time-compressed runs)."""
    return rules.model_copy(update={"heartbeat_s": rules.heartbeat_s / scale})


@dataclass
class ScreenChannel:
    """A notification channel that shows each notification on the demo screen."""

    name: str = "screen"
    kind: str = "log"
    seen: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, out: Outbound) -> Sent:
        with self.lock:
            self.seen.append(out.body)
        return Sent()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def co_demo(lang: str, duration_s: float = 60.0, alarms: int = 300) -> dict[str, Any]:
    """Run the CO alarm demonstration; returns a summary (for tests)."""
    out = console()
    scenario = load_scenario("poisoning")
    scale = scenario.duration_min * 60 / duration_s
    # Heartbeats no closer than every 5 real seconds: the embedded broker is pure Python.
    scenario = scenario.model_copy(update={"heartbeat_s": max(scenario.heartbeat_s, 5 * scale)})
    rules = compress(load_rules(), scale).model_copy(
        update={"heartbeat_s": scenario.heartbeat_s / scale}
    )
    policy = load_policy().scaled(scale)
    for noisy in ("amqtt", "transitions"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    port = _free_port()
    broker = EmbeddedBroker(port)
    broker.start()
    tmp = tempfile.TemporaryDirectory(prefix="coalguard-demo-")
    engine = make_engine(f"sqlite:///{Path(tmp.name) / 'cloud.sqlite'}")
    create_schema(engine, for_tests_or_demo=True)
    sessions = make_sessionmaker(engine)
    screen = ScreenChannel()
    clock = SystemClock()  # the demo's one clock
    svc = CoService(
        CoSettings(broker_url=f"mqtt://127.0.0.1:{port}", sweep_s=0.25, client_id="demo-ingest"),
        sessions,
        rules=rules,
        channels={"screen": screen, "log": LogChannel()},
        policy=policy,
        clock=clock,
    )
    fleet = Fleet(scenario, "127.0.0.1", port, count=alarms, time_scale=scale)
    keyring = Keyring.generate(hash_key="demo")  # the demo's throwaway sealing key
    with sessions.begin() as s:
        for h in fleet.households():
            reg = Registration(
                device_id=h["device_id"],
                household=Household(
                    name=h["name"],
                    address=h["address"],
                    village_code=h["village_code"],
                    phone=h["phone"],
                ),
                installer_id="demo-installer",
            )
            register(s, reg, keyring, clock.now())
    logging.getLogger("coalguard").setLevel(logging.ERROR)
    svc.start()
    svc.ingest.connected.wait(10)
    out.rule(f"[bold]{t('co.demo_title', lang)}[/]: {alarms} {t('co.demo_fleet', lang)}")
    shown = 0
    summary: dict[str, Any] = {}

    def render(f: Fleet) -> Group:
        nonlocal shown
        with screen.lock:
            new = screen.seen[shown:]
            shown = len(screen.seen)
        for b in new:
            kind = t(f"co.alert_kind_{b['kind']}", lang)
            level = t(f"escalation.who_{b['level']}", lang)
            what = t(f"co.alert_{b['reason']}", lang)
            style = "bold red" if b["kind"] == "co_alarm" else "yellow"
            hh = b.get("household") or {}
            live.console.print(
                f"[{style}]t+{f.sim_min:5.1f} min  {what}: {kind}[/] {b['device_id']} "
                f"({hh.get('name', '')} {hh.get('address', '')}, {hh.get('phone_masked', '')}) "
                f"→ {level}"
            )
        st = svc.store.stats
        up = sum(1 for lk in f.links if lk.connected)
        line = Text(
            f"t+{f.sim_min:5.1f} min (×{scale:.0f})  online {up}/{len(f.links)}  "
            f"msgs {st.stored}  dup {st.duplicates}  dead-letter {st.dead_letters}  "
            f"notifications {len(screen.seen)}  acks {st.acks}  "
            f"unacked {sum(len(lk.unacked) for lk in f.links)}"
        )
        return Group(line)

    with Live(Text(""), console=out, refresh_per_second=4) as live:
        fleet.run(lambda f: live.update(render(f)))
        live.update(render(fleet))
    out.line()
    from sqlalchemy import select

    from coalguard.cloud.co.tables import CoAlert

    # The township's duty officer acknowledges the CO alarm: escalation stops there.
    with sessions.begin() as s:
        for a in s.scalars(select(CoAlert).where(CoAlert.kind == "co_alarm")):
            acknowledge(s, a, "township-duty-officer", lifecycle.DASHBOARD, clock.now())
            out.print(f"[green]✓ {t('co.demo_ack', lang)}[/]: {a.device_id}")
    table = Table(title=t("co.alerts", lang))
    table.add_column("#")
    for col in ("kind", "device", "village", "status", "level"):
        table.add_column(t(f"co.col_{col}", lang))
    with sessions() as s:
        alerts = list(s.scalars(select(CoAlert).order_by(CoAlert.id)))
    for a in alerts:
        chain = policy.steps_for(a.region_code)
        table.add_row(
            str(a.id),
            t(f"co.alert_kind_{a.kind}", lang),
            a.device_id,
            a.region_code,
            t(f"co.status_{a.status}", lang),
            t(f"escalation.who_{chain[a.escalation_level].who}", lang),
        )
    out.print(table)
    summary = {
        "alerts": [(a.kind, a.device_id, a.status, a.escalation_level) for a in alerts],
        "notifications": [(b["kind"], b["level"]) for b in screen.seen],
        "alarm_starts": fleet.stats.alarm_starts,
    }
    svc.stop()
    broker.stop()
    engine.dispose()
    tmp.cleanup()
    return summary
