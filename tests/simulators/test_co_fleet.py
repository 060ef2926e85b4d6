"""The fleet on a real Mosquitto: power loss fires last wills; the CLI runs a scenario."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from coalguard.cloud.co import CoService, CoSettings
from coalguard.cloud.co.tables import CoDevice
from coalguard.simulators.co_fleet import Fleet, load_scenario
from tests.cloud.co.co_support import sessions_at
from tests.support.mosquitto import FLEET_SECRET, Mosquitto
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(120)


def test_village_power_loss_sends_last_wills_for_that_village_only(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    ids = [f"COA-{i:05d}" for i in range(25)]
    broker = Mosquitto(tmp_path / "b", ids).start()
    svc = CoService(CoSettings(broker_url=broker.url()), sessions_at(tmp_path / "c.sqlite"))
    svc.start()
    try:
        wait_for(svc.ingest.connected.is_set, 10, "ingest")
        sc = load_scenario("village-power-loss")
        fleet = Fleet(sc, "127.0.0.1", broker.port, count=25, time_scale=600, duration_min=30,
                      password_secret=FLEET_SECRET)  # fmt: skip
        fleet.run()
        village3 = {a.device_id for i, a in enumerate(fleet.alarms) if i % 5 + 1 == 3}

        def offline() -> set[str]:
            """Alarms whose last will came (its alert held: the area may be out)."""
            with svc.sessions() as s:
                q = select(CoDevice.device_id).where(CoDevice.offline_at.is_not(None))
                return set(s.scalars(q))

        wait_for(lambda: offline() == village3, 20, f"last wills of {sorted(village3)}")
        with svc.sessions() as s:
            assert all(s.get(CoDevice, d).online is False for d in village3)
    finally:
        svc.stop()
        broker.stop()


def test_cli_runs_poisoning_scenario_and_writes_households(
    coalguard_cmd: str, tmp_path: Path
) -> None:
    (tmp_path / "b").mkdir()
    broker = Mosquitto(tmp_path / "b").start()
    try:
        out = tmp_path / "households.csv"
        r = subprocess.run(
            [coalguard_cmd, "sim", "co-fleet", "--broker", f"mqtt://127.0.0.1:{broker.port}",
             "--count", "12", "--scenario", "poisoning", "--time-scale", "1200",
             "--households", str(out)],
            capture_output=True, text=True, timeout=90, env={"COLUMNS": "200", "PATH": "/usr/bin"},
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        assert "alarm_start COA-00007" in r.stdout
        rows = list(csv.DictReader(out.open(encoding="utf-8")))
        assert len(rows) == 12 and rows[7]["device_id"] == "COA-00007"
        assert all(len(row["village_code"]) == 12 for row in rows)
        bad = subprocess.run(
            [coalguard_cmd, "sim", "co-fleet", "--scenario", "nope"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert bad.returncode == 2 and "no scenario 'nope'" in bad.stderr
    finally:
        broker.stop()
