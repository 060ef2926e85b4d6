"""An installer's field for page tests: a real Mosquitto, the cloud API (uvicorn in a
thread) and a real ``co-ingest`` process on one migrated SQLite file, and one
simulated alarm (``simulators/co_fleet``) whose test button a test presses."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI

from coalguard.cloud.app import create_app
from coalguard.cloud.auth import issue_token
from coalguard.cloud.co import CoSettings
from coalguard.cloud.sealing import Keyring
from coalguard.cloud.settings import CloudSettings
from coalguard.edge.clock import SystemClock
from coalguard.simulators.co_fleet import Fleet
from coalguard.simulators.co_fleet.scenario import FleetSpec, Incident, Scenario
from tests.conftest import COALGUARD, free_port
from tests.support.mosquitto import FLEET_SECRET, Mosquitto
from tests.support.servers import CLOUD_ENV, CoIngestProcess, ThreadServer
from tests.support.waiting import wait_for

TOWNSHIP = "130102001"
VILLAGE = TOWNSHIP + "001"
ALARM = "COA-00000"  # the fleet's first (and only) alarm, in VILLAGE


@dataclass
class InstallerField:
    base: str
    app: FastAPI
    broker: Mosquitto
    installer_token: str


@contextmanager
def installer_field(tmp_path: Path, commission_timeout_s: float = 120) -> Iterator[InstallerField]:
    """The cloud and its CO ingest, ready (ingest connected); an installer of the county."""
    (tmp_path / "broker").mkdir()
    broker = Mosquitto(tmp_path / "broker", [ALARM]).start()
    db_url = f"sqlite:///{tmp_path / 'cloud.sqlite'}"
    subprocess.run(
        [COALGUARD, "cloud", "migrate", "--db", db_url],
        check=True, capture_output=True, timeout=120, env=CLOUD_ENV,
    )  # fmt: skip
    settings = CloudSettings(
        db_url=db_url, co=CoSettings(commission_timeout_s=commission_timeout_s)
    )
    app = create_app(settings, keyring=Keyring.generate(hash_key="installer-field"))
    probe = free_port()
    ingest = CoIngestProcess(
        broker.url(), db_url, ("--metrics", f"127.0.0.1:{probe}"),
        env={**CLOUD_ENV, "COALGUARD_CO_SWEEP_S": "0.2"}, log=tmp_path / "co-ingest.log",
    ).start()  # fmt: skip
    try:
        wait_for(
            lambda: httpx.get(f"http://127.0.0.1:{probe}/readyz").status_code == 200,
            90, "co-ingest ready (database and broker)", retry_errors=True,
        )  # fmt: skip
        now = SystemClock().now()
        token = issue_token(app.state.sessions, "inst-7", "130102", "installer", now=now)
        with ThreadServer(app) as server:
            yield InstallerField(server.url, app, broker, token)
    finally:
        ingest.stop()
        broker.stop()


@contextmanager
def one_alarm(field: InstallerField) -> Iterator[Fleet]:
    """The household's alarm, online and heart-beating in real time until the block ends."""
    scenario = Scenario(
        name="installer",
        title="one alarm being installed",
        duration_min=60,
        time_scale=1,
        fleet=FleetSpec(count=1, township_code=TOWNSHIP, villages=1),
    )
    fleet = Fleet(scenario, "127.0.0.1", field.broker.port, password_secret=FLEET_SECRET)
    runner = threading.Thread(target=fleet.run, kwargs={"drain_s": 2}, daemon=True)
    runner.start()
    try:
        yield fleet
    finally:
        fleet.stop()
        runner.join(15)


def press_test_button(fleet: Fleet) -> None:
    fleet.inject(Incident(kind="test_button", at_min=0, device=0))
