"""``coalguard demo``'s CO part: embedded broker, ingest, fleet; exits by itself."""

from __future__ import annotations

import subprocess

import pytest

pytestmark = pytest.mark.timeout(180)


def test_demo_shows_poisoning_alert_escalating_and_a_silent_alarm(coalguard_cmd: str) -> None:
    r = subprocess.run(
        [
            coalguard_cmd,
            "demo",
            "--only",
            "co",
            "--duration",
            "20",
            "--alarms",
            "60",
            "--lang",
            "en",
        ],
        capture_output=True,
        text=True,
        timeout=150,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert r.returncode == 0, r.stderr[-2000:]
    out = r.stdout
    assert "alert opened: CO alarm COA-00007" in out
    assert "alert escalated: CO alarm COA-00007" in out and "→ township" in out
    assert "alert opened: alarm offline COA-00042" in out  # the alarm that went silent
    assert "Traceback" not in r.stderr
    assert "unacked 0" in out  # the embedded broker carries the cloud's event acks


def test_demo_no_co_skips_the_fleet(coalguard_cmd: str) -> None:
    r = subprocess.run(
        [coalguard_cmd, "demo", "--no-co", "--lang", "en"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert r.returncode == 0, r.stderr
    assert "CO alarm demonstration" not in r.stdout
