"""Offline operation then catch-up: the checkpoint works with the cloud down, and
everything it recorded reaches the cloud once it is back (real outbox, uplink,
cloud process)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.gateway.conftest import FAILING, registration
from tests.gateway.session import logged_in_client
from tests.support.gateway import linked_cloud
from tests.support.waiting import wait_for


@pytest.mark.timeout(180)
def test_offline_then_catch_up(tmp_path: Path):
    cloud, gateway = linked_cloud(tmp_path)
    gateway.start()
    base, _metric = gateway.base, gateway.metric
    try:
        # The cloud is down: a whole inspection goes through regardless.
        with logged_in_client(base, tmp_path / "data" / "gateway.sqlite", timeout=10) as c:
            page = c.post("/ui/arrive", data={"plate": "冀A12345"}).text
            iid = page.split('data-id="')[1].split('"')[0]
            for action, data in [
                ("register", registration()),
                ("check_fast_pass", {}),
                ("take_sample", {"seal_no": "F1"}),
            ]:
                r = c.post(f"/ui/inspections/{iid}/{action}", data=data)
                assert r.status_code == 200, r.text
            sample_id = c.get(f"/api/v1/inspections/{iid}").json()["sample_id"]
            c.post(
                "/ui/results",
                data={"sample_id": sample_id} | {k: str(v) for k, v in FAILING.items()},
            )
            r = c.post(f"/ui/inspections/{iid}/turn_back", data={})
            assert "已劝返" in r.text
        wait_for(
            lambda: httpx.get(f"{base}/healthz").json()["uplink"] == "backing_off",
            20,
            what="uplink backing off",
            retry_errors=True,
        )
        depth = _metric("coalguard_gateway_outbox_depth")
        assert depth >= 14  # 7 transitions + their ledger entries + sampling + result …
        assert _metric("coalguard_gateway_outbox_oldest_unsent_seconds") > 0

        cloud.start()
        wait_for(
            lambda: _metric("coalguard_gateway_outbox_depth") == 0,
            60,
            what="outbox drained to the cloud",
            retry_errors=True,
        )
        assert httpx.get(f"{base}/healthz").json()["uplink"] == "connected"
        assert _metric("coalguard_gateway_outbox_sent_total") == depth
        assert _metric('coalguard_gateway_outbox_health{health="ok"}') == 1
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
        gateway.stop()
        cloud.stop()


@pytest.mark.timeout(180)
def test_killed_gateway_restarts_where_it_was_and_loses_nothing(tmp_path: Path):
    cloud, gateway = linked_cloud(tmp_path)
    gateway.start()
    base, _metric = gateway.base, gateway.metric
    try:
        with logged_in_client(base, tmp_path / "data" / "gateway.sqlite", timeout=10) as c:
            page = c.post("/ui/arrive", data={"plate": "冀A12345"}).text
            iid = page.split('data-id="')[1].split('"')[0]
            r = c.post(f"/ui/inspections/{iid}/register", data=registration())
            assert "已登记" in r.text
        gateway.kill()  # power cut: no clean shutdown
        gateway.start()
        with logged_in_client(base, timeout=10) as c:  # the account is in the database
            assert "已登记" in c.get(f"/?id={iid}").text
            r = c.post(f"/ui/inspections/{iid}/check_fast_pass", data={})
            assert "待抽样" in r.text
        cloud.start()
        wait_for(
            lambda: _metric("coalguard_gateway_outbox_depth") == 0,
            60,
            what="outbox drained",
            retry_errors=True,
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
        gateway.stop()
        cloud.stop()
    ok = gateway.cli("verify-ledger")
    assert ok.returncode == 0 and "Inspection record: 3 entries" in ok.stdout, ok.stderr
