"""``coalguard edge …`` refuses bad set-ups with one clear line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from coalguard.edge.outbox import Outbox
from tests.conftest import COALGUARD

pytestmark = pytest.mark.timeout(60)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COALGUARD, *args], capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--cloud", "https://cloud.example.cn"], "no uplink token"),
        (["--cloud", "http://10.1.2.3:8080", "--token-file", "TOKEN"], "unencrypted"),
        (["--cloud", "https://c.example", "--token-file", "missing.token"], "cannot read"),
        (["--telemetry-share", "2"], "between 0 and 1"),
    ],
)
def test_pump_setup_errors(tmp_path: Path, extra: list[str], fragment: str) -> None:
    token = tmp_path / "t"
    token.write_text("x" * 40)
    extra = [str(token) if a == "TOKEN" else a for a in extra]
    extra = [str(tmp_path / a) if a == "missing.token" else a for a in extra]
    env = {k: v for k, v in __import__("os").environ.items() if k != "COALGUARD_UPLINK_TOKEN"}
    out = cli("edge", "pump", "--outbox", str(tmp_path / "o.sqlite"), *extra, env=env)
    assert out.returncode == 2, out.stderr
    assert fragment in out.stderr and "Traceback" not in out.stderr


def test_pump_without_cloud_fills_the_outbox_and_stats_show_it(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    out = cli("edge", "pump", "--outbox", str(path), "--count", "30", "--producers", "2",
              "--telemetry-share", "0.5", "--seed", "1")  # fmt: skip
    assert out.returncode == 0, out.stderr
    puts = [ln.split() for ln in out.stdout.splitlines() if ln.startswith("put ")]
    assert len(puts) == 60
    stats = json.loads(cli("edge", "outbox-stats", str(path)).stdout)
    assert stats["pending"] == 60 and stats["counters"]["put"] == 60
    assert stats["pending_telemetry"] == sum(1 for p in puts if p[2] == "reading")
    with Outbox(path) as ob:
        assert all(ob.get(p[1]) is not None for p in puts)


def test_outbox_stats_of_missing_file(tmp_path: Path) -> None:
    out = cli("edge", "outbox-stats", str(tmp_path / "none.sqlite"))
    assert out.returncode == 2 and "no outbox" in out.stderr
