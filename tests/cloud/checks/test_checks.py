"""Gateway records -> queryable inspections, verdicts, lab samples; re-judging; region scope."""

from __future__ import annotations

import copy
import shutil
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from coalguard.cloud.checks.tables import Inspection, ProjectedRecord
from coalguard.cloud.checks.worker import sweep
from coalguard.cloud.leases import Leases
from coalguard.edge.clock import ManualClock
from tests.cloud.checks.checkpoint_feed import (
    START,
    build_gateway,
    gateway_token,
    records,
    run_day,
    send,
)
from tests.cloud.ops_support import bearer, client, make_app, users
from tests.gateway.conftest import FAILING


@pytest.fixture
def fed(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    """A cloud that has received one day of a county checkpoint and a Shanxi one."""
    app = make_app(db_url)
    tok = users(app)
    c = client(app)
    admin = bearer(tok["admin"])
    for cp, region in (("cp-zz", "130102"), ("cp-dt", "140200")):
        r = c.put(
            f"/api/v1/checkpoints/{cp}",
            json={"name": cp, "region_code": region, "jurisdiction": "hebei-2022"},
            headers=admin,
        )
        assert r.status_code == 200, r.text
    clock = ManualClock(START)
    gw = build_gateway(tmp_path, "cp-zz", "130102", clock)
    day = run_day(gw, clock)
    gw2 = build_gateway(tmp_path, "cp-dt", "140200", clock)
    run_day(gw2, clock, prefix="B")
    app.state.gw_token = gateway_token(app, "gw-zz")
    send(c, "gw-zz", app.state.gw_token, records(gw))
    send(c, "gw-dt", gateway_token(app, "gw-dt"), records(gw2))
    app.state.projector.run_until_idle()
    yield app, c, tok, day, gw, clock
    gw.store.close()
    gw2.store.close()


def test_inspections_verdicts_and_aggregates_by_region(fed) -> None:  # type: ignore[no-untyped-def]
    _app, c, tok, day, _gw, _clock = fed
    county = bearer(tok["county"])
    rows = c.get("/api/v1/inspections", headers=county).json()
    assert {r["id"] for r in rows} == set(day.passed + day.turned_back + day.lab)
    assert {r["checkpoint_id"] for r in rows} == {"cp-zz"}
    states = {r["id"]: (r["state"], r["overall"], r["cloud_overall"]) for r in rows}
    assert states[day.turned_back[0]] == ("turned_back", "fail", "fail")
    assert states[day.lab[0]] == ("lab_sample", "retest", "retest")
    assert all(r["driver"] == "张*" for r in rows)  # masked for an operator
    full = c.get("/api/v1/inspections", headers=bearer(tok["admin"])).json()
    assert len(full) == 8 and {r["driver"] for r in full} == {"张三"}
    exported = c.get("/api/v1/inspections?format=csv", headers=county).text
    assert exported.startswith("id,checkpoint_id,region_code,plate") and "张*" in exported
    assert "张三" not in exported and exported.count("\n") == 5
    failing = c.get("/api/v1/inspections?result=fail&origin=鄂尔多斯", headers=county).json()
    assert [r["id"] for r in failing] == day.turned_back
    plate = c.get("/api/v1/inspections", params={"plate": "冀a10001"}, headers=county).json()
    assert [r["plate"] for r in plate] == ["冀A10001"]
    detail = c.get(f"/api/v1/inspections/{day.lab[0]}", headers=county).json()
    assert [t["action"] for t in detail["transitions"]] == [
        "arrive",
        "register",
        "check_fast_pass",
        "take_sample",
        "bind_result",
        "judge",
        "lab_sample",
    ]
    assert detail["verdicts"][0]["agree"] is True and detail["lab_samples"][0]["sample_id"]
    other = c.get(f"/api/v1/inspections/{day.lab[0]}", headers=bearer(tok["shanxi"]))
    assert other.status_code == 404
    assert c.get("/api/v1/inspections?region=14", headers=county).status_code == 403
    s = c.get(
        "/api/v1/checks/summary",
        params={"since": "2026-11-22T00:00:00Z", "until": "2026-11-24T00:00:00Z"},
        headers=county,
    ).json()["rows"][0]
    assert (s["checked"], s["pass"], s["fail"], s["retest"], s["turned_back"]) == (4, 2, 1, 1, 1)
    assert s["fail_rate"] == 0.25 and s["lab_sampled"] == 1
    by_origin = c.get(
        "/api/v1/checks/summary",
        params={"since": "2026-11-22T00:00:00Z", "until": "2026-11-24T00:00:00Z", "by": "origin"},
        headers=county,
    ).json()["rows"]
    assert {r["origin"]: r["checked"] for r in by_origin} == {"内蒙古鄂尔多斯": 1, "山西大同": 3}


def test_projection_is_idempotent_by_record_id(fed) -> None:  # type: ignore[no-untyped-def]
    app, c, tok, _day, gw, _clock = fed
    with app.state.sessions() as s:
        before = s.scalar(select(func.count()).select_from(Inspection))
        done = s.scalar(select(func.count()).select_from(ProjectedRecord))
    counts = send(c, "gw-zz", app.state.gw_token, records(gw))  # the gateway resends all
    assert counts["stored"] == 0 and counts["duplicate"] > 20
    app.state.projector.low = 0  # forget the cursor: everything is seen again
    assert app.state.projector.run_until_idle() == 0
    with app.state.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Inspection)) == before
        assert s.scalar(select(func.count()).select_from(ProjectedRecord)) == done
    status = c.get("/api/v1/checks/projection", headers=bearer(tok["admin"])).json()
    assert status["pending"] == 0 and status["errors"] == []
    assert status["projected"]["applied"] > 20 and status["refused"] == []
    assert "ignored" not in status["projected"]  # ledger entries are kept now (issue 10.3)
    # A record that does not fit its model is dead-lettered with its reason; the next lands.
    bad = {
        "id": str(uuid.uuid4()),
        "kind": "inspection.transition",
        "priority": "critical",
        "born_at": "2026-11-23T02:00:00+00:00",
        "body": {"checkpoint_id": "cp-zz", "action": "arrive"},
    }
    good = {**bad, "id": str(uuid.uuid4()), "kind": "alert.raised"}
    good["body"] = {
        "checkpoint_id": "cp-zz",
        "alert_id": good["id"],
        "kind": "outbox.backlog",
        "subject": "outbox",
        "message": "outbox backlog",
        "at": "2026-11-23T02:00:00+00:00",
    }
    send(c, "gw-zz", app.state.gw_token, [bad, good])
    assert app.state.projector.run_until_idle() == 2
    status = c.get("/api/v1/checks/projection", headers=bearer(tok["admin"])).json()
    assert status["errors"] == []
    assert [e["record_id"] for e in status["dead_lettered"]] == [bad["id"]]
    assert "inspection_id" in status["dead_lettered"][0]["reason"]
    kinds = [a["kind"] for a in c.get("/api/v1/alerts", headers=bearer(tok["county"])).json()]
    assert "outbox.backlog" in kinds


def test_tampered_verdict_raises_a_disagreement_alert(fed) -> None:  # type: ignore[no-untyped-def]
    app, c, tok, _day, _gw, _clock = fed
    recs = _fresh_day_records()
    # The checkpoint reports "pass" for the failing truck: edited software or profile.
    tampered = copy.deepcopy(recs)
    for r in tampered:
        b = r["body"]
        if r["kind"] == "inspection.transition" and b["action"] == "judge":
            b["data"]["verdict"]["overall"] = b["data"]["verdict"]["overall"].replace(
                "fail", "pass"
            )
    send(c, "gw-zz", app.state.gw_token, tampered)
    app.state.projector.run_until_idle()
    alerts = c.get(
        "/api/v1/alerts",
        params={"kind": "verdict.disagreement"},
        headers=bearer(tok["county"]),
    ).json()
    assert len(alerts) == 1
    a = alerts[0]
    assert a["severity"] == "critical" and a["source"] == "checkpoint"
    assert "checkpoint said pass, cloud says fail" in a["detail"]["why"]
    disputed = c.get("/api/v1/verdicts?agree=false", headers=bearer(tok["county"])).json()
    assert [v["overall"] for v in disputed] == ["pass"]
    assert disputed[0]["cloud_overall"] == "fail"


def _fresh_day_records() -> list[dict]:
    d = Path(tempfile.mkdtemp(prefix="cg-tamper-"))
    clock = ManualClock(START + timedelta(hours=3))
    gw = build_gateway(d, "cp-zz", "130102", clock)
    try:
        run_day(gw, clock, prefix="C")
        return records(gw)
    finally:
        gw.store.close()
        shutil.rmtree(d, ignore_errors=True)


def test_lab_deadlines_and_failing_report_routed_to_office(fed) -> None:  # type: ignore[no-untyped-def]
    app, c, tok, day, gw, clock = fed
    county, admin = bearer(tok["county"]), bearer(tok["admin"])
    r = c.put(
        "/api/v1/regions/1301/office",
        json={"name": "石家庄市大气办", "contact": "0311-0000000"},
        headers=admin,
    )
    assert r.status_code == 200
    # Nothing sent to the lab for 25 hours: the cloud's own sweep raises the alert.
    assert sweep(app.state.sessions, START + timedelta(hours=2), Leases(app.state.clock)) == 0
    assert sweep(app.state.sessions, START + timedelta(hours=26), Leases(app.state.clock)) >= 1
    app.state.clock = ManualClock(START + timedelta(hours=26))
    overdue = c.get("/api/v1/lab-samples?status=overdue", headers=county).json()
    assert [x["overdue"] for x in overdue] == ["dispatch"]
    alerts = c.get("/api/v1/alerts?kind=lab.dispatch_overdue", headers=county).json()
    assert len(alerts) == 1 and alerts[0]["status"] == "open"
    # The lab chain goes on at the gateway; its records land and the report fails.
    lab_id = day.lab_sample_ids[0]
    clock.advance(timedelta(hours=1))
    gw.lab.dispatch(lab_id, "王五", "河北省煤质检测中心")
    gw.lab.receive(lab_id, "王五")
    clock.advance(timedelta(hours=20))
    gw.lab.report(lab_id, "王五", "R-2026-001", FAILING)
    send(c, "gw-zz", app.state.gw_token, records(gw))
    app.state.projector.run_until_idle()
    labs = c.get("/api/v1/lab-samples?status=failed", headers=county).json()
    assert len(labs) == 1 and labs[0]["cloud_overall"] == "fail"
    assert labs[0]["referred_to"] == "石家庄市大气办 0311-0000000"
    failed = c.get("/api/v1/alerts?kind=lab.failed", headers=county).json()
    assert failed[0]["detail"]["routed_to"] == "石家庄市大气办 0311-0000000"
    lab_verdicts = c.get("/api/v1/verdicts?source=lab", headers=county).json()
    assert lab_verdicts[0]["agree"] is True


def test_checkpoint_cli_registers_region_and_office(tmp_path: Path, cloud_db: str) -> None:
    from typer.testing import CliRunner

    from coalguard.cli.main import app as cli

    run = CliRunner().invoke
    args = ["--db", cloud_db]
    assert run(cli, ["cloud", "migrate", *args]).exit_code == 0
    r = run(
        cli,
        [
            "cloud",
            "checkpoint",
            "set",
            "cp-9",
            "--region",
            "130681",
            "--name",
            "涿州",
            "--jurisdiction",
            "hebei-2022",
            *args,
        ],
    )
    assert r.exit_code == 0, r.output
    r = run(
        cli,
        [
            "cloud",
            "checkpoint",
            "set",
            "cp-9",
            "--region",
            "130681",
            "--jurisdiction",
            "atlantis",
            *args,
        ],
    )
    assert "unknown jurisdiction" in str(r.exception)
    r = run(
        cli,
        [
            "cloud",
            "checkpoint",
            "office",
            "1306",
            "--name",
            "保定市大气办",
            "--contact",
            "0312-0000000",
            *args,
        ],
    )
    assert r.exit_code == 0, r.output
    app = make_app(cloud_db)
    tok = users(app)
    cps = client(app).get("/api/v1/checkpoints", headers=bearer(tok["admin"])).json()
    assert [(c["checkpoint_id"], c["region_code"], c["name"]) for c in cps] == [
        ("cp-9", "130681", "涿州")
    ]
    with app.state.sessions() as s:
        from coalguard.cloud.checks.alerts import office_for

        assert office_for(s, "130681").name == "保定市大气办"


def test_cloud_sweep_raises_report_overdue_once(fed) -> None:  # type: ignore[no-untyped-def]
    app, c, tok, day, gw, clock = fed
    county = bearer(tok["county"])
    lab_id = day.lab_sample_ids[0]
    clock.advance(timedelta(hours=1))
    gw.lab.dispatch(lab_id, "王五", "河北省煤质检测中心")
    gw.lab.receive(lab_id, "王五")
    received = clock.now()
    send(c, "gw-zz", app.state.gw_token, records(gw))
    app.state.projector.run_until_idle()

    def report_overdue() -> list:  # type: ignore[type-arg]
        return c.get("/api/v1/alerts?kind=lab.report_overdue", headers=county).json()

    sweep(app.state.sessions, received + timedelta(days=1), Leases(app.state.clock))
    assert report_overdue() == []  # the lab has 2 days from receipt
    sweep(app.state.sessions, received + timedelta(days=2, hours=1), Leases(app.state.clock))
    sweep(
        app.state.sessions, received + timedelta(days=2, hours=2), Leases(app.state.clock)
    )  # not raised twice
    alerts = report_overdue()
    assert len(alerts) == 1 and alerts[0]["status"] == "open"
