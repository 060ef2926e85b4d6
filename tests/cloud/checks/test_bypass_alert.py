"""A truck leaving by the exit without release: raised at the gateway, listed by the cloud."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from coalguard.edge.clock import ManualClock
from tests.cloud.checks.checkpoint_feed import START, build_gateway, gateway_token, records, send
from tests.cloud.ops_support import bearer, client, make_app, users
from tests.gateway.test_bypass import exit_read


def test_bypass_alert_reaches_the_cloud_as_a_high_checkpoint_alert(
    tmp_path: Path, cloud_db: str
) -> None:
    app = make_app(cloud_db)
    tok = users(app)
    clock = ManualClock(START)
    gw = build_gateway(tmp_path, "cp-zz", "130102", clock)
    try:
        iid = gw.workflow.arrive("晋BWXQ4L", "王五")
        clock.advance(timedelta(minutes=2))
        assert gw.cameras.intake(exit_read(clock, 1)).status == "accepted"
        c = client(app)
        c.put(
            "/api/v1/checkpoints/cp-zz",
            json={"name": "涿州", "region_code": "130102", "jurisdiction": "hebei-2022"},
            headers=bearer(tok["admin"]),
        )
        send(c, "gw-zz", gateway_token(app, "gw-zz"), records(gw))
        app.state.projector.run_until_idle()
        rows = c.get("/api/v1/alerts?source=checkpoint", headers=bearer(tok["county"])).json()
        [row] = [r for r in rows if r["kind"] == "camera.bypass"]
        assert (row["subject"], row["severity"], row["origin"]) == ("晋BWXQ4L", "high", "gateway")
        assert "not released" in row["message"]
        assert row["detail"]["inspection_id"] == iid and row["detail"]["state"] == "arrived"
    finally:
        gw.store.close()
