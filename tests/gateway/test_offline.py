"""Offline operation then catch-up: the checkpoint works with the cloud down, and
everything it recorded reaches the cloud once it is back (real outbox, uplink,
cloud process)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import COALGUARD, free_port
from tests.gateway.conftest import FAILING, registration
from tests.gateway.session import logged_in_client
from tests.gateway.test_process import CONFIG
from tests.gateway.waiting import wait_for
from tests.ingest_support import CloudProcess, add_gateway


def _metric(base: str, name: str) -> float:
    for line in httpx.get(f"{base}/metrics", timeout=5).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in /metrics")


@pytest.mark.timeout(180)
def test_offline_then_catch_up(tmp_path: Path):
    cloud_port, gw_port = free_port(), free_port()
    db_url = f"sqlite:///{tmp_path / 'cloud.sqlite'}"
    add_gateway(db_url, "cp-e2e", tmp_path / "token")
    cfg = tmp_path / "gateway.toml"
    cfg.write_text(
        CONFIG.format(port=gw_port)
        + f'\n[cloud]\nurl = "http://127.0.0.1:{cloud_port}"\ntoken_file = "token"\n'
        "backoff_cap_s = 0.5\n",
        encoding="utf-8",
    )
    (tmp_path / "fastpass.toml").write_text('version = "0"\n', encoding="utf-8")
    log = open(tmp_path / "gateway.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [COALGUARD, "gateway", "run", "--config", str(cfg)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "COALGUARD_LANG": "zh"},
    )
    base = f"http://127.0.0.1:{gw_port}"
    cloud = CloudProcess(db_url, cloud_port)
    try:
        wait_for(
            lambda: httpx.get(f"{base}/healthz", timeout=1).status_code == 200, 30, what="gateway"
        )
        # The cloud is down: a whole inspection goes through regardless.
        with logged_in_client(base, tmp_path / "data" / "gateway.sqlite", timeout=10) as c:
            page = c.post("/ui/arrive", data={"plate": "冀A12345"}).text
            iid = page.split('data-id="')[1].split('"')[0]
            for action, data in [
                ("register", registration()),
                ("check_fast_pass", {}),
                ("take_sample", {"sample_id": "S1", "seal_no": "F1", "sampler": "李四"}),
            ]:
                r = c.post(f"/ui/inspections/{iid}/{action}", data=data)
                assert r.status_code == 200, r.text
            c.post(
                "/ui/results",
                data={"sample_id": "S1"} | {k: str(v) for k, v in FAILING.items()},
            )
            r = c.post(f"/ui/inspections/{iid}/turn_back", data={})
            assert "已劝返" in r.text
        wait_for(
            lambda: httpx.get(f"{base}/healthz").json()["uplink"] == "backing_off",
            20,
            what="uplink backing off",
        )
        depth = _metric(base, "coalguard_gateway_outbox_depth")
        assert depth >= 14  # 7 transitions + their ledger entries + sampling + result …
        assert _metric(base, "coalguard_gateway_outbox_oldest_unsent_seconds") > 0

        cloud.start()
        wait_for(
            lambda: _metric(base, "coalguard_gateway_outbox_depth") == 0,
            60,
            what="outbox drained to the cloud",
        )
        assert httpx.get(f"{base}/healthz").json()["uplink"] == "connected"
        assert _metric(base, "coalguard_gateway_outbox_sent_total") == depth
        assert _metric(base, 'coalguard_gateway_outbox_health{health="ok"}') == 1
        db = sqlite3.connect(tmp_path / "cloud.sqlite")
        kinds = dict(
            db.execute(
                "SELECT kind, COUNT(*) FROM gateway_records "
                "WHERE gateway_id = 'cp-e2e' GROUP BY kind"
            ).fetchall()
        )
        steps = [
            r[0]
            for r in db.execute(
                "SELECT json_extract(body, '$.action') FROM gateway_records "
                "WHERE kind = 'inspection.transition' ORDER BY json_extract(body, '$.seq')"
            )
        ]
        db.close()
        assert steps == [
            "arrive",
            "register",
            "check_fast_pass",
            "take_sample",
            "bind_result",
            "judge",
            "turn_back",
        ]
        assert kinds["ledger.entry"] == 8 and kinds["analyzer.result"] == 1
        assert sum(kinds.values()) == depth
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        cloud.stop()
        log.close()


@pytest.mark.timeout(180)
def test_killed_gateway_restarts_where_it_was_and_loses_nothing(tmp_path: Path):
    cloud_port, gw_port = free_port(), free_port()
    db_url = f"sqlite:///{tmp_path / 'cloud.sqlite'}"
    add_gateway(db_url, "cp-e2e", tmp_path / "token")
    cfg = tmp_path / "gateway.toml"
    cfg.write_text(
        CONFIG.format(port=gw_port)
        + f'\n[cloud]\nurl = "http://127.0.0.1:{cloud_port}"\ntoken_file = "token"\n'
        "backoff_cap_s = 0.5\n",
        encoding="utf-8",
    )
    (tmp_path / "fastpass.toml").write_text('version = "0"\n', encoding="utf-8")
    base = f"http://127.0.0.1:{gw_port}"
    log = open(tmp_path / "gateway.log", "ab")  # noqa: SIM115

    def start() -> subprocess.Popen[bytes]:
        p = subprocess.Popen(
            [COALGUARD, "gateway", "run", "--config", str(cfg)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(
            lambda: httpx.get(f"{base}/healthz", timeout=1).status_code == 200, 30, what="gateway"
        )
        return p

    cloud = CloudProcess(db_url, cloud_port)
    proc = start()
    try:
        with logged_in_client(base, tmp_path / "data" / "gateway.sqlite", timeout=10) as c:
            page = c.post("/ui/arrive", data={"plate": "冀A12345"}).text
            iid = page.split('data-id="')[1].split('"')[0]
            r = c.post(f"/ui/inspections/{iid}/register", data=registration())
            assert "已登记" in r.text
        proc.kill()  # power cut: no clean shutdown
        proc.wait(10)
        proc = start()
        with logged_in_client(base, timeout=10) as c:  # the account is in the database
            assert "已登记" in c.get(f"/?id={iid}").text
            r = c.post(f"/ui/inspections/{iid}/check_fast_pass", data={})
            assert "待抽样" in r.text
        cloud.start()
        wait_for(
            lambda: _metric(base, "coalguard_gateway_outbox_depth") == 0, 60, what="outbox drained"
        )
        db = sqlite3.connect(tmp_path / "cloud.sqlite")
        seqs = [
            r[0]
            for r in db.execute(
                "SELECT json_extract(body, '$.seq') FROM gateway_records "
                "WHERE kind = 'inspection.transition' ORDER BY 1"
            )
        ]
        db.close()
        assert seqs == [1, 2, 3]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        cloud.stop()
        log.close()
    ok = subprocess.run(
        [COALGUARD, "gateway", "verify-ledger", "--config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0 and "inspection: 3 entries" in ok.stdout, ok.stderr
