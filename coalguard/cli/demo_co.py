"""The CO alarm part of ``coalguard demo``: broker, cloud ingest and a fleet in one process.

An embedded amqtt broker (no Mosquitto needed), the cloud CO service on a
temporary SQLite file, and a few hundred simulated alarms: one household's
stove smolders until its alarm sounds, and one alarm goes silent. Time is
compressed (the scenario's simulated minutes pass in about a minute), and the
alert rules are compressed by the same factor, so what a person sees (alerts
opening, escalating household → village grid worker → township) keeps its
real proportions. The poisoning household's chain goes through the real SMS and
voice SDKs to the local provider recorder and ends with the grid worker's
acknowledgement link (``demo_co_chain.py``).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from coalguard.cli.demo_checkpoint import _hold, _Server
from coalguard.cli.demo_co_chain import DemoChain, demo_phone
from coalguard.cli.render import console
from coalguard.cloud import alert_lifecycle as lifecycle
from coalguard.cloud import auth  # noqa: F401  (token table)
from coalguard.cloud.app import create_app
from coalguard.cloud.co import CoService, CoSettings
from coalguard.cloud.co import tables as _tables  # noqa: F401
from coalguard.cloud.co.alerts import acknowledge
from coalguard.cloud.co.channels import Outbound, Sent
from coalguard.cloud.co.escalation import load_policy
from coalguard.cloud.co.registry import Household, Registration, register
from coalguard.cloud.co.rules import AlertRules, load_rules
from coalguard.cloud.co.service import make_channels
from coalguard.cloud.settings import CloudSettings
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
    stamp: Callable[[], float] = lambda: 0.0  # the simulated minute, for the screen's order
    stamps: list[float] = field(default_factory=list)

    def send(self, out: Outbound) -> Sent:
        with self.lock:
            self.seen.append(out.body)
            self.stamps.append(self.stamp())
        return Sent()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def co_demo(
    lang: str, duration_s: float = 60.0, alarms: int = 300, hold: float | None = 0
) -> dict[str, Any]:
    """Run the CO alarm demonstration; returns a summary (for tests).

    ``hold``: keep the board and the acknowledgement page up afterwards (None: until
    Ctrl-C on a terminal)."""
    out = console()
    scenario = load_scenario("poisoning")
    scale = scenario.duration_min * 60 / duration_s
    # Heartbeats no closer than every 5 real seconds: the embedded broker is pure Python.
    scenario = scenario.model_copy(update={"heartbeat_s": max(scenario.heartbeat_s, 5 * scale)})
    rules = compress(load_rules(), scale).model_copy(
        update={"heartbeat_s": scenario.heartbeat_s / scale}
    )
    policy = load_policy().scaled(scale)
    for noisy in ("amqtt", "transitions", "httpx"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    port, web_port = _free_port(), _free_port()
    broker = EmbeddedBroker(port)
    broker.start()
    tmp = tempfile.TemporaryDirectory(prefix="coalguard-demo-")
    clock = SystemClock()  # the demo's one clock
    fleet = Fleet(scenario, "127.0.0.1", port, count=alarms, time_scale=scale)
    households = fleet.households()
    for i, h in enumerate(households):
        h["phone"] = demo_phone(i)
    poisoned = households[next(i.device for i in scenario.incident if i.kind == "smolder") or 0]
    chain = DemoChain(
        Path(tmp.name),
        clock,
        lang,
        poisoned["device_id"],
        poisoned["village_code"],
        (poisoned["name"], poisoned["phone"]),
        sim_min=lambda: fleet.sim_min,
        scale=scale,
    )
    chain.start()
    co = CoSettings(
        broker_url=f"mqtt://127.0.0.1:{port}",
        sweep_s=0.25,
        client_id="demo-ingest",
        providers=chain.providers(),
        sms_receipt_wait_s=CoSettings().sms_receipt_wait_s / scale,
        ack_link_secret=chain.ack_link_secret,
    )
    base_url = f"http://127.0.0.1:{web_port}"
    settings = CloudSettings(
        db_url=f"sqlite:///{Path(tmp.name) / 'cloud.sqlite'}",
        co=co,
        public_url=base_url,
        checks_interval_s=0,
    )
    app = create_app(settings, clock, schema="create", keyring=chain.keyring)
    sessions = app.state.sessions
    web = _Server(app, web_port).start()
    screen = ScreenChannel(stamp=lambda: fleet.sim_min)
    svc = CoService(
        co,
        sessions,
        rules=rules,
        channels={**make_channels(co, clock), "screen": screen},
        policy=policy,
        clock=clock,
        keyring=chain.keyring,
        public_url=base_url,
    )
    with sessions.begin() as s:
        for h in households:
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
            register(s, reg, chain.keyring, clock.now())
        chain.seed(s)
        token = chain.board_token(s)
    logging.getLogger("coalguard").setLevel(logging.ERROR)
    svc.start()
    svc.ingest.connected.wait(10)
    out.rule(f"[bold]{t('co.demo_title', lang)}[/]: {alarms} {t('co.demo_fleet', lang)}")
    out.print(f"[bold magenta]{t('recorder.title', lang)}[/] https://{chain.rec.endpoint}")
    out.print(t("demo13.scale", lang).format(scale=f"{scale:.0f}"))
    out.print(t("demo13.board", lang).format(url=f"{base_url}/board", token=token), soft_wrap=True)
    clicker = chain.ack_thread(sessions, base_url, duration_s * 2)
    shown = 0
    summary: dict[str, Any] = {}

    def render(f: Fleet) -> Group:
        nonlocal shown
        with screen.lock:
            new = list(zip(screen.stamps[shown:], screen.seen[shown:], strict=True))
            shown = len(screen.seen)
        lines: list[tuple[float, str]] = []
        for at, b in new:
            kind = t(f"co.alert_kind_{b['kind']}", lang)
            level = t(f"escalation.who_{b['level']}", lang)
            what = t(f"co.alert_{b['reason']}", lang)
            style = "bold red" if b["kind"] == "co_alarm" else "yellow"
            hh = b.get("household") or {}
            lines.append(
                (
                    at,
                    f"[{style}]{what}: {kind}[/] {b['device_id']} ({hh.get('name', '')} "
                    f"{hh.get('address', '')}, {hh.get('phone_masked', '')}) → {level}",
                )
            )
        chain.watch_rows(sessions)
        for ev in chain.take_events():
            lines.append((ev.sim_min, f"[{ev.style}]{ev.text}[/]" if ev.style else ev.text))
        for at, text in sorted(lines, key=lambda line: line[0]):
            live.console.print(f"t+{at:5.1f} min  {text}", soft_wrap=True)
        st = svc.store.stats
        up = sum(1 for lk in f.links if lk.connected)
        after = chain.after_ack(sessions)
        line = Text(
            f"t+{f.sim_min:5.1f} min (×{scale:.0f})  online {up}/{len(f.links)}  "
            f"msgs {st.stored}  dup {st.duplicates}  dead-letter {st.dead_letters}  "
            f"notifications {len(screen.seen)}  acks {st.acks}  "
            f"unacked {sum(len(lk.unacked) for lk in f.links)}  "
            f"{t('demo13.provider_requests', lang)} {len(chain.rec.sent())}"
            + ("" if after is None else f"  {t('demo13.after_ack', lang)} {after}")
        )
        return Group(line)

    with Live(Text(""), console=out, refresh_per_second=4) as live:
        fleet.run(lambda f: live.update(render(f)))
        live.update(render(fleet))
    out.line()
    from sqlalchemy import select

    from coalguard.cloud.co.tables import CoAlert

    # A CO alarm nobody acknowledged (the link was not clicked): the township's duty
    # officer acknowledges it on the dashboard, so the demo ends with nothing open.
    with sessions.begin() as s:
        for a in s.scalars(
            select(CoAlert).where(CoAlert.kind == "co_alarm", CoAlert.status == "open")
        ):
            acknowledge(s, a, "township-duty-officer", lifecycle.DASHBOARD, clock.now())
            out.print(f"[green]✓ {t('co.demo_ack', lang)}[/]: {a.device_id}")
    table = Table(title=t("co.alerts", lang))
    table.add_column("#")
    for col in ("kind", "device", "village", "status", "level"):
        table.add_column(t(f"co.col_{col}", lang))
    with sessions() as s:
        alerts = list(s.scalars(select(CoAlert).order_by(CoAlert.id)))
    for a in alerts:
        steps = policy.steps_for(a.region_code)
        table.add_row(
            str(a.id),
            t(f"co.alert_kind_{a.kind}", lang),
            a.device_id,
            a.region_code,
            t(f"co.status_{a.status}", lang),
            t(f"escalation.who_{steps[a.escalation_level].who}", lang),
        )
    out.print(table)
    after = chain.after_ack(sessions)
    out.print(
        t("demo13.summary", lang).format(
            chain=", ".join(_step_words(step, lang) for step in chain.chain),
            after="-" if after is None else after,
        ),
        soft_wrap=True,
    )
    summary = {
        "alerts": [(a.kind, a.device_id, a.status, a.escalation_level) for a in alerts],
        "notifications": [(b["kind"], b["level"]) for b in screen.seen],
        "alarm_starts": fleet.stats.alarm_starts,
        "chain": list(chain.chain),
        "after_ack": after,
        "refused": list(chain.rec.refused),
    }
    _hold(hold)
    clicker.join(0.1)
    svc.stop()
    web.stop()
    chain.rec.stop()
    broker.stop()
    app.state.engine.dispose()
    tmp.cleanup()
    return summary


def _step_words(step: tuple[str, ...], lang: str) -> str:
    """One link of the chain in words: "SMS → household", "acknowledged (李网格, link)"."""
    if step[0] == "acknowledged":
        return t("demo13.step_ack", lang).format(
            via=t(f"escalation.via_{step[1]}", lang), who=step[2]
        )
    who = t(f"escalation.who_{step[1]}", lang) if step[1] else "?"
    return f"{t(f'demo13.channel_{step[0]}', lang)} → {who}"
