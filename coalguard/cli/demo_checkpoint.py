"""The checkpoint part of ``coalguard demo``: a morning at a coal checkpoint.

Starts, on this machine and on embedded defaults: the cloud (SQLite), a
simulated rapid analyzer (Modbus TCP), the checkpoint gateway with its
operator page, and three simulated cameras; then thirty trucks come through
(some failing, one on the fast-pass list, one in the retest band). The
gateway's records go through its outbox and uplink to the cloud. Prints the
outcome and where to open the pages.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from rich.table import Table

from coalguard.cli.render import console
from coalguard.cloud.app import create_app as create_cloud_app
from coalguard.cloud.gateways import register_gateway
from coalguard.cloud.settings import CloudSettings
from coalguard.drivers.analyzer import resolve_map
from coalguard.edge.quality.basis import Converter, Derived
from coalguard.errors import CoalguardError
from coalguard.gateway.config import GatewayConfig
from coalguard.gateway.roles import Role
from coalguard.gateway.run import GatewayParts, Housekeeping, build
from coalguard.gateway.scenario import TruckPlan, fast_pass_list, plan_morning, run_morning
from coalguard.gateway.web import create_app as create_gateway_app
from coalguard.i18n import t
from coalguard.simulators.analyzer.device import SimAnalyzer
from coalguard.simulators.analyzer.tcp import TcpSimServer
from coalguard.simulators.camera import CameraSim

GATEWAY_ID = "demo-checkpoint"
ANALYZER_MAP = "generic-tcp-int16"
CAMERAS = ["cam-entry", "cam-sampling", "cam-exit"]
DEMO_USER = "demo"


def _free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise CoalguardError("no free TCP port on 127.0.0.1")


def _wait(cond: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > deadline:
            raise CoalguardError(f"demo: timed out waiting for {what}")
        time.sleep(0.02)


class _Server:
    """uvicorn in a thread of this process."""

    def __init__(self, app: Any, port: int) -> None:
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> _Server:
        self.thread.start()
        _wait(lambda: self.server.started, 20, f"{self.url} to start")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


class PlannedSource:
    """The analyzer simulator measures the planned coal (demo trucks have known quality)."""

    def __init__(self, rng: Any, values: dict[str, float]) -> None:
        self.rng = rng
        self.values = values

    def draw(self, symbols: list[str]) -> tuple[str, dict[str, float]]:
        conv = Converter(self.values)
        out = {}
        for s in symbols:
            d = conv.get(s)
            out[s] = round(d.value, 4) if isinstance(d, Derived) else 0.0
        return "planned", out


class _AnalyzerSim:
    def __init__(self, port: int) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.sim = SimAnalyzer(resolve_map(ANALYZER_MAP), seed=1)
        self.server = TcpSimServer(self.sim, "127.0.0.1", port)
        self.port = port

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(15)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(15)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def _config(
    data_dir: Path, gw_port: int, cloud_url: str, token: str, an_port: int
) -> GatewayConfig:
    return GatewayConfig.model_validate(
        {
            "checkpoint": {
                "id": GATEWAY_ID,
                "name": "演示检查站 (石家庄西)",
                "region_code": "130100",
                "jurisdiction": "hebei-2022",
            },
            "http": {"host": "127.0.0.1", "port": gw_port, "camera_token": secrets.token_hex(16)},
            "cloud": {"url": cloud_url, "token": token, "backoff_cap_s": 2.0},
            "storage": {"data_dir": str(data_dir / "gateway")},
            "analyzer": [
                {
                    "id": "xrf-1",
                    "model": ANALYZER_MAP,
                    "transport": "tcp",
                    "host": "127.0.0.1",
                    "tcp_port": an_port,
                    "poll_interval_s": 0.1,
                }
            ],
            "camera": [
                {
                    "id": "cam-entry",
                    "name": "入口车牌识别",
                    "role": "entry",
                    "creates_arrival": True,
                    "min_confidence": 0.85,
                },
                {"id": "cam-sampling", "name": "采样区", "role": "sampling"},
                {"id": "cam-exit", "name": "出口车牌识别", "role": "exit"},
            ],
        }
    )


def checkpoint_demo(
    lang: str, trucks: int = 30, hold: float | None = None, data_dir: Path | None = None
) -> dict[str, Any]:
    """Run the morning; returns what happened (the demo test reads it)."""
    out = console()
    tmp = None
    if data_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="coalguard-demo-")
        data_dir = Path(tmp.name)
    cloud_db = f"sqlite:///{data_dir / 'cloud.sqlite'}"
    cloud = _Server(
        create_cloud_app(CloudSettings(db_url=cloud_db), schema="create"), _free_port(8080)
    )
    app = cloud.server.config.app
    token = register_gateway(
        app.state.engine, GATEWAY_ID, name="演示检查站", now=app.state.clock.now()
    )
    analyzer = _AnalyzerSim(_free_port(5020))
    gw_port = _free_port(8470)
    parts: GatewayParts | None = None
    page: _Server | None = None
    hk: Housekeeping | None = None
    try:
        cloud.start()
        analyzer.start()
        parts = build(
            _config(data_dir, gw_port, cloud.url, token, analyzer.port), with_analyzers=True
        )
        gw = parts.gateway
        gw.fast_pass.replace(fast_pass_list(gw.clock.now().date() + timedelta(days=120)), "demo")
        assert parts.analyzers is not None and parts.uplink is not None
        parts.analyzers.start()
        parts.uplink.start()
        hk = Housekeeping(gw)
        threading.Thread(target=hk.loop, daemon=True).start()
        password = secrets.token_urlsafe(9)
        user = gw.accounts.add(DEMO_USER, password, Role.shift_lead, t("gw_auth.demo_name", lang))
        page = _Server(create_gateway_app(gw, parts.status, lang), gw_port).start()
        _check_sign_in(page.url, password)
        out.print(f"[bold]{t('gw.title', lang)}[/]: {page.url}/   cloud: {cloud.url}/healthz")
        sign_in_line = t("gw_auth.demo_account", lang).format(username=DEMO_USER, password=password)
        out.print(sign_in_line)

        cams = CameraSim(cameras=CAMERAS, misread_rate=0.1, duplicate_rate=0.1, seed=2)

        def arrive(plan: TruckPlan) -> str | None:
            iid = None
            for ev in cams.visit(plan.plate, gw.clock.now())[:2]:
                r = gw.cameras.intake(ev)
                iid = iid or r.inspection_id
                if cams.rng.random() < cams.duplicate_rate:
                    gw.cameras.intake(ev)
            return iid

        def measure(plan: TruckPlan, sample_id: str, iid: str) -> None:
            analyzer.sim.source = PlannedSource(analyzer.sim.source.rng, plan.indicators)
            res = analyzer.sim.new_result()
            rid = _wait(
                lambda: next(
                    (
                        c["id"]
                        for c in gw.workflow.bind_candidates(iid)
                        if c["device_seq"] == res.sequence
                    ),
                    None,
                ),
                15,
                f"analyzer result {res.sample_id}",
            )
            # the analyzer numbers its own samples: the operator picks it from the bind list
            gw.workflow.bind_result(iid, rid, user.operator)

        def on_truck(plan: TruckPlan, iid: str) -> None:
            insp = gw.workflow.get(iid)
            verdict = t(f"status.{insp['overall']}", lang) if insp["overall"] else "—"
            out.print(f"  {plan.plate}  {verdict:<6} → {t('state.' + insp['state'], lang)}")

        result = run_morning(
            gw,
            plan_morning(trucks),
            operator=user.operator,
            measure=measure,
            arrive=arrive,
            on_truck=on_truck,
        )
        gw.duty.handover(user.operator, "接班员", "演示：早班结束")
        _wait(lambda: parts.status().outbox_depth == 0, 60, "the outbox to drain to the cloud")
        summary = _summary(gw, cloud, result.outcomes, lang)
        out.print(summary["table"])
        out.print(f"{t('gw.title', lang)}: {page.url}/   cloud: {cloud.url}/healthz")
        out.print(sign_in_line)
        _hold(hold)
        return {k: v for k, v in summary.items() if k != "table"}
    finally:
        if hk is not None:
            hk.stop.set()
        if page is not None:
            page.stop()
        if parts is not None:
            parts.close()
        analyzer.stop()
        cloud.stop()
        if tmp is not None:
            tmp.cleanup()


def _check_sign_in(url: str, password: str) -> None:
    """Sign in to the page as the demo account once, as a person would (fails loudly)."""
    with httpx.Client(base_url=url, timeout=10) as c:
        r = c.post("/login", data={"username": DEMO_USER, "password": password})
        who = c.get("/api/v1/session")
        if r.status_code != 303 or who.status_code != 200:
            raise CoalguardError(f"demo: cannot sign in to {url}/login ({r.status_code})")


def _summary(gw: Any, cloud: _Server, outcomes: Any, lang: str) -> dict[str, Any]:
    from sqlalchemy import text

    with cloud.server.config.app.state.engine.connect() as c:
        delivered = c.execute(
            text("SELECT COUNT(*) FROM gateway_records WHERE gateway_id = :g"), {"g": GATEWAY_ID}
        ).scalar_one()
    table = Table(title=t("gw.today", lang))
    table.add_column(t("gw.outcome", lang))
    table.add_column("n")
    for key in ("release", "turn_back", "lab_sample", "fast_pass"):
        label = t(f"action.{key}", lang) if key != "fast_pass" else t("state.fast_pass", lang)
        table.add_row(label, str(outcomes.get(key, 0)))
    table.add_row(t("gw.lab_pending", lang), str(len(gw.lab.pending())))
    table.add_row(t("gw.cloud_records", lang), str(delivered))
    return {
        "table": table,
        "outcomes": dict(outcomes),
        "delivered": delivered,
        "ledger_ok": not gw.ledger.verify()[1],
    }


def _hold(hold: float | None) -> None:
    """Keep the pages up: until Ctrl-C on a terminal, else ``hold`` seconds."""
    if hold is None:
        hold = float("inf") if sys.stdin.isatty() else 0.0
    if hold <= 0:
        return
    print("Ctrl-C to stop", file=sys.stderr)
    try:
        deadline = time.monotonic() + hold
        while time.monotonic() < deadline:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
