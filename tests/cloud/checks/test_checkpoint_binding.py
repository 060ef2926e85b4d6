"""A gateway writes only its own checkpoints' records (issue 10, item 2).

Through the real HTTP batch endpoint on a real server, on SQLite and on a
real PostgreSQL: a gateway that names another gateway's checkpoint has each
such record refused (dead letter with the reason, counted in the projection
status) and the other checkpoint's region gets an alert; nothing it sent
lands in that checkpoint's tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from coalguard.cloud.batch_store import GatewayDeadLetterRow
from coalguard.cloud.checks.tables import Checkpoint
from coalguard.edge.clock import ManualClock
from coalguard.edge.records import (
    AlertRaised,
    InspectionTransition,
    LabDispatched,
    Record,
    encode,
)
from tests.cloud.checks.checkpoint_feed import START, build_gateway, gateway_token, records, run_day
from tests.cloud.ops_support import bearer, make_app, users
from tests.support.servers import ThreadServer

pytestmark = pytest.mark.timeout(120)


class Site:
    def __init__(self, app: Any, http: httpx.Client, tokens: dict[str, str]) -> None:
        self.app, self.http, self.tokens = app, http, tokens
        self.gw = {g: gateway_token(app, g) for g in ("gw-zz", "gw-dt", "gw-new")}

    def send(self, gateway_id: str, recs: list[dict[str, Any]]) -> dict[str, int]:
        r = self.http.post(
            f"/api/v1/gateways/{gateway_id}/batches",
            json={"records": recs},
            headers=bearer(self.gw[gateway_id]),
        )
        assert r.status_code == 200, r.text
        return r.json()["counts"]

    def get(self, path: str, who: str = "admin", **params: Any) -> Any:
        r = self.http.get(path, params=params, headers=bearer(self.tokens[who]))
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
def site(db_url: str) -> Iterator[Site]:
    app = make_app(db_url)
    tokens = users(app)
    with ThreadServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        s = Site(app, http, tokens)
        for cp, region, gw in (("cp-zz", "130102", "gw-zz"), ("cp-dt", "140200", "gw-dt")):
            r = http.put(
                f"/api/v1/checkpoints/{cp}",
                json={"name": cp, "region_code": region, "gateway_id": gw},
                headers=bearer(tokens["admin"]),
            )
            assert r.status_code == 200, r.text
        yield s
    app.state.engine.dispose()


def _naming_a_checkpoint(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in recs if "checkpoint_id" in r["body"]]


def test_gateway_cannot_write_another_checkpoints_records(site: Site, tmp_path: Path) -> None:
    clock = ManualClock(START)
    own = build_gateway(tmp_path, "cp-zz", "130102", clock)
    run_day(own, clock)
    # The same gateway software configured (or tampered) to speak for checkpoint cp-dt.
    forged = build_gateway(tmp_path, "cp-dt", "140200", clock)
    run_day(forged, clock, prefix="X")
    forged_recs = _naming_a_checkpoint(records(forged))
    counts = site.send("gw-zz", records(own) + forged_recs)
    assert counts["stored"] == len(records(own)) + len(forged_recs)
    site.app.state.projector.run_until_idle()

    # Nothing the intruder sent reached cp-dt: no truck released there, no alert of its making.
    assert site.get("/api/v1/inspections", checkpoint="cp-dt") == []
    assert site.get("/api/v1/lab-samples", checkpoint="cp-dt") == []
    assert len(site.get("/api/v1/inspections", checkpoint="cp-zz")) == 4  # its own still lands
    # Each forged record refused with the reason, counted, and kept as a dead letter.
    status = site.get("/api/v1/checks/projection")
    assert status["projected"]["refused"] == len(forged_recs)
    assert status["dead_letters"] == {"rejected": len(forged_recs)}
    assert {r["record_id"] for r in status["refused"]} <= {r["id"] for r in forged_recs}
    assert all(r["gateway_id"] == "gw-zz" for r in status["refused"])
    assert "bound to gateway 'gw-dt'" in status["refused"][0]["reason"]
    with site.app.state.sessions() as s:
        dead = s.scalars(select(GatewayDeadLetterRow)).all()
    assert {d.record_id for d in dead} == {r["id"] for r in forged_recs}
    assert all(d.gateway_id == "gw-zz" and "may not write" in d.reason for d in dead)
    # cp-dt's region (Shanxi) is alerted, once, with the count; Hebei's county is not.
    alerts = [
        a
        for a in site.get("/api/v1/alerts", who="shanxi")
        if a["kind"] == "gateway.foreign_checkpoint"
    ]
    assert len(alerts) == 1, alerts
    [alert] = alerts
    assert alert["checkpoint_id"] == "cp-dt" and alert["region_code"] == "140200"
    assert alert["subject"] == "gw-zz" and alert["occurrences"] == len(forged_recs)
    assert alert["severity"] == "high" and alert["detail"]["bound_gateway_id"] == "gw-dt"
    county = site.get("/api/v1/alerts", who="county")
    assert all(a["kind"] != "gateway.foreign_checkpoint" for a in county)
    own.store.close()
    forged.store.close()


def _wire(record: Record, born: str = "2026-11-23T09:00:00+00:00") -> dict[str, Any]:
    """``record`` as the gateway's outbox sends it."""
    kind, priority, body = encode(record)
    return {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "priority": priority,
        "born_at": born,
        "body": body,
    }


def _alert_record(checkpoint_id: str) -> dict[str, Any]:
    rid = str(uuid.uuid4())
    kind, priority, body = encode(
        AlertRaised(
            checkpoint_id=checkpoint_id,
            alert_id=rid,
            kind="outbox.backlog",
            subject="outbox",
            message="outbox backlog",
            at="2026-11-23T02:00:00+00:00",
        )
    )
    born = "2026-11-23T02:00:00+00:00"
    return {"id": rid, "kind": kind, "priority": priority, "born_at": born, "body": body}


def test_unbound_checkpoint_is_bound_to_the_first_gateway_that_writes_it(site: Site) -> None:
    first, second = _alert_record("cp-new"), _alert_record("cp-new")
    site.send("gw-new", [first])
    site.app.state.projector.run_until_idle()
    site.send("gw-dt", [second])
    site.app.state.projector.run_until_idle()
    with site.app.state.sessions() as s:
        assert s.get(Checkpoint, "cp-new").gateway_id == "gw-new"
    status = site.get("/api/v1/checks/projection")
    assert [r["record_id"] for r in status["refused"]] == [second["id"]]
    # A checkpoint registered without a gateway is bound by its first records too.
    r = site.http.put(
        "/api/v1/checkpoints/cp-reg",
        json={"name": "cp-reg", "region_code": "130102"},
        headers=bearer(site.tokens["admin"]),
    )
    assert r.status_code == 200 and r.json()["gateway_id"] is None
    site.send("gw-new", [_alert_record("cp-reg")])
    site.app.state.projector.run_until_idle()
    with site.app.state.sessions() as s:
        assert s.get(Checkpoint, "cp-reg").gateway_id == "gw-new"


def test_gateway_cannot_reach_another_checkpoints_inspection_by_its_id(
    site: Site, tmp_path: Path
) -> None:
    clock = ManualClock(START)
    own = build_gateway(tmp_path, "cp-zz", "130102", clock)
    day = run_day(own, clock)
    site.send("gw-zz", records(own))
    site.app.state.projector.run_until_idle()
    victim = day.lab[0]  # waiting for the lab at cp-zz
    before = site.get(f"/api/v1/inspections/{victim}")
    # gw-dt names its own checkpoint but cp-zz's inspection and lab sample.
    release = _wire(
        InspectionTransition(
            checkpoint_id="cp-dt",
            inspection_id=victim,
            plate="冀Z00000",
            seq=99,
            action="release",
            from_state="lab_sample",
            to="released",
            at="2026-11-23T09:00:00+00:00",
            operator="x",
            reason="",
            data={"overall": "pass", "case_open": False},
        )
    )
    lab = _wire(
        LabDispatched(
            checkpoint_id="cp-dt",
            lab_sample_id=day.lab_sample_ids[0],
            sample_id="S-1",
            lab_name="elsewhere",
            late=False,
            operator="x",
            at="2026-11-23T09:00:00+00:00",
        )
    )
    site.send("gw-dt", [release, lab])
    site.app.state.projector.run_until_idle()
    after = site.get(f"/api/v1/inspections/{victim}")
    assert after["state"] == before["state"] == "lab_sample"
    assert after["lab_samples"] == before["lab_samples"]
    status = site.get("/api/v1/checks/projection")
    assert sorted(r["record_id"] for r in status["refused"]) == sorted([release["id"], lab["id"]])
    assert any("belongs to checkpoint 'cp-zz'" in r["reason"] for r in status["refused"])
    [alert] = [
        a
        for a in site.get("/api/v1/alerts", who="county")
        if a["kind"] == "gateway.foreign_checkpoint"
    ]
    assert alert["checkpoint_id"] == "cp-zz" and alert["subject"] == "gw-dt"
    assert alert["occurrences"] == 2
    own.store.close()
