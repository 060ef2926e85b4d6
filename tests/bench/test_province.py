"""``bench/province.py`` at small scale, so the province bench cannot rot (issue 14).

The whole topology runs (PostgreSQL, Mosquitto with a shared subscription, two
``co-ingest`` workers, two ``cloud serve`` replicas, the fleet multiplexed over
village connections, the SMS provider recorder): nothing published may be lost
or stored twice, and every smouldering household gets exactly one SMS.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT, require_binary
from tests.support.servers import PG_BIN

pytestmark = pytest.mark.timeout(150)


def test_province_bench_at_small_scale_loses_and_duplicates_nothing() -> None:
    require_binary("mosquitto")
    if not (PG_BIN / "initdb").exists():
        require_binary("initdb", "postgresql")
    r = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "province.py"), "--alarms", "1000",
         "--villages", "10", "--per-connection", "50", "--heartbeat-s", "60",
         "--duration", "28", "--burst-s", "12", "--smoldering", "10",
         "--smolder-ppm", "200000", "--drain-s", "60"],
        capture_output=True, text=True, timeout=140,
    )  # fmt: skip
    out = r.stdout
    assert r.returncode == 0, out + r.stderr[-3000:]
    sounded = re.search(r"Tencent SMS SDK\): (\d+) alarms", out)
    assert sounded and int(sounded[1]) >= 1, out
    # One SMS per alarm that sounded (the household, step 0), each sent once.
    n = int(sounded[1])
    assert f"duplicates: 0 stored, 0 SMS ({n} requests, {n} SMS notifications)" in out, out
    losses = re.search(r"losses: (\d+) of (\d+) published \((\d+) events", out)
    assert losses, out
    lost, published, events = map(int, losses.groups())
    # Every alarm's heartbeats (1000 alarms, 40 s at one a minute, ten a minute in the
    # burst), village 1's power-on events and the alarms that sounded.
    assert lost == 0 and published > 1500 and events == 100 + n, out
    assert "0 left without the cloud's ack" in out, out
    assert re.search(r"replicas /readyz: \d+ ok, 0 failed", out), out
