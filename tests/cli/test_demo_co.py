"""``coalguard demo``'s CO part: embedded broker, ingest, fleet; exits by itself."""

from __future__ import annotations

import subprocess
import time

import pytest

pytestmark = pytest.mark.timeout(180)


def test_demo_shows_poisoning_chain_from_sms_to_link_acknowledgement(coalguard_cmd: str) -> None:
    started = time.monotonic()
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
    took = time.monotonic() - started
    assert r.returncode == 0, r.stderr[-2000:]
    assert took < 90, f"the 20 s demo took {took:.0f} s"
    out = r.stdout
    assert "Local SMS/voice provider recorder (not a carrier" in out
    assert "time compressed ×270" in out
    assert "alert opened: CO alarm COA-00007" in out
    assert "alert escalated: CO alarm COA-00007" in out and "→ grid worker" in out
    assert "alert opened: alarm offline COA-00042" in out  # the alarm that went silent
    assert "local recorder received Tencent SMS → household" in out and "139****0007" in out
    assert "13900000007" not in out  # phones on screen are masked
    # The chain in order: SMS to the household, the call to the grid worker, the link.
    chain_line = next(line for line in out.splitlines() if line.startswith("chain: "))
    steps, after = chain_line.removeprefix("chain: ").split("; ")
    links = steps.split(", ")
    assert links[0] == "SMS → household"
    call = links.index("voice call → grid worker")
    assert links[-1] == "acknowledged by 李网格 via SMS link" and call < len(links) - 1
    # Nothing after the link: no provider request (the ack is the last link), no row.
    assert after == "notifications after the acknowledgement: 0"
    assert "/board (sign in at /login" in out and "/a/" in out  # what a person can open
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
