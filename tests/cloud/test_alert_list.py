"""One alert list: CO alarm and checkpoint alerts, filtered, acknowledged and resolved alike."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from coalguard.cloud import alert_lifecycle as lifecycle
from coalguard.cloud.checks import alerts as cp_alerts
from coalguard.cloud.checks.tables import CheckpointAlert
from coalguard.edge.clock import ManualClock
from tests.cloud.alert_support import checkpoint_alert, co_alert
from tests.cloud.checks.checkpoint_feed import START, build_gateway, gateway_token, records, send
from tests.cloud.ops_support import bearer, client, make_app, users
from tests.support.waiting import wait_for


def test_one_list_with_one_lifecycle(tmp_path: Path, cloud_db: str) -> None:
    app = make_app(cloud_db)
    tok = users(app)
    c = client(app)
    co_id = co_alert(app, "130102001001")
    co_alert(app, "140200001001")
    cp_id = checkpoint_alert(app, START + timedelta(minutes=5))
    county = bearer(tok["county"])
    rows = c.get("/api/v1/alerts", headers=county).json()
    assert [r["id"] for r in rows] == [f"cp-{cp_id}", f"co-{co_id}"]
    assert c.get("/api/v1/alerts?source=co", headers=county).json()[0]["device_id"] == (
        "dev-130102001001"
    )
    assert len(c.get("/api/v1/alerts", headers=bearer(tok["admin"])).json()) == 3
    # The same two steps for both kinds; the installer may not, Shanxi cannot see them.
    assert c.post(
        f"/api/v1/alerts/co-{co_id}/ack", headers=bearer(tok["installer"])
    ).status_code == (403)
    assert (
        c.post(f"/api/v1/alerts/cp-{cp_id}/ack", headers=bearer(tok["shanxi"])).status_code == 404
    )
    for uid in (f"co-{co_id}", f"cp-{cp_id}"):
        r = c.post(f"/api/v1/alerts/{uid}/ack", headers=county)
        assert r.status_code == 200 and r.json()["acknowledged_by"] == "county-130102"
        assert c.post(f"/api/v1/alerts/{uid}/ack", headers=county).status_code == 409
        r = c.post(f"/api/v1/alerts/{uid}/resolve", json={"note": "已处置"}, headers=county)
        assert r.json()["status"] == "resolved" and r.json()["resolution"] == "已处置"
    assert c.get("/api/v1/alerts?status=active", headers=county).json() == []
    assert c.post("/api/v1/alerts/xx-1/ack", headers=county).status_code == 404


def test_unacknowledged_checkpoint_alert_escalates(tmp_path: Path, cloud_db: str) -> None:
    app = make_app(cloud_db)
    aid = checkpoint_alert(app, kind="lab.report_overdue", subject="S1", origin="cloud")
    with app.state.sessions.begin() as s:
        a = s.get(CheckpointAlert, aid)
        assert cp_alerts.escalate_due(s, START + timedelta(minutes=59)) == 0
        assert cp_alerts.escalate_due(s, START + timedelta(minutes=61)) == 1
        assert a.escalation_level == 1
        lifecycle.acknowledge(a, "x", START + timedelta(minutes=62))
        assert cp_alerts.escalate_due(s, START + timedelta(hours=5)) == 0


def test_gateway_alerts_arrive_through_the_background_projector(
    tmp_path: Path, cloud_db: str
) -> None:
    app = make_app(cloud_db)
    tok = users(app)
    clock = ManualClock(START)
    gw = build_gateway(tmp_path, "cp-zz", "130102", clock)
    try:
        clock.advance(timedelta(minutes=6))  # entry camera: 5 min; the others 10
        assert gw.cameras.check_silent() == ["cam-entry"]
        with client(app) as c:  # lifespan: the projector thread runs
            c.put(
                "/api/v1/checkpoints/cp-zz",
                json={"name": "涿州", "region_code": "130102", "jurisdiction": "hebei-2022"},
                headers=bearer(tok["admin"]),
            )
            send(c, "gw-zz", gateway_token(app, "gw-zz"), records(gw))
            rows = wait_for(
                lambda: c.get("/api/v1/alerts", headers=bearer(tok["county"])).json(),
                timeout=10,
                what="projected gateway alert",
                retry_errors=True,
            )
            assert [(r["kind"], r["subject"], r["origin"]) for r in rows] == [
                ("camera.silent", "cam-entry", "gateway")
            ]
    finally:
        gw.store.close()
