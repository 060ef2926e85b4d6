"""A failing lab report becomes a case for the air-pollution office: packet, signed
webhook, reminders until the office acknowledges it, the lab beside the rapid result."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from coalguard.cloud.app import create_app
from coalguard.cloud.auth import issue_token
from coalguard.cloud.checks.worker import sweep
from coalguard.cloud.co.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from coalguard.cloud.co.settings import CoSettings
from coalguard.cloud.leases import Leases
from coalguard.cloud.referrals.tables import ReferralCase, ReferralMessage
from coalguard.cloud.settings import CloudSettings
from coalguard.edge.clock import ManualClock
from tests.cloud.checks.checkpoint_feed import gateway_token, records, send
from tests.cloud.co.test_co_mqtt import Hook
from tests.cloud.ops_support import bearer
from tests.cloud.referrals.referral_feed import PLATE, REGION, failing_lab_case

SECRET = "office-webhook-secret"
REPEAT = timedelta(hours=2)


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.close()


def _app(db_url: str, hook: Hook, clock: ManualClock):  # type: ignore[no-untyped-def]
    settings = CloudSettings(
        db_url=db_url,
        checks_interval_s=0,  # the test drives projection, sweeps and sending
        referral_repeat_s=REPEAT.total_seconds(),
        co=CoSettings(webhook_url=hook.url, webhook_secret=SECRET),
    )
    return create_app(settings, clock, schema="create")


def _signed_bodies(hook: Hook) -> list[dict]:
    """Each webhook body, after checking its signature as the office's receiver does."""
    out = []
    for headers, raw in hook.received:
        assert verify(SECRET.encode(), headers[TIMESTAMP_HEADER], raw, headers[SIGNATURE_HEADER])
        out.append(json.loads(raw))
    return out


def test_referral_is_resent_until_acknowledged(tmp_path: Path, cloud_db: str, hook: Hook) -> None:
    gw, gw_clock, iid, _ = failing_lab_case(tmp_path)
    clock = ManualClock(gw_clock.now())
    app = _app(cloud_db, hook, clock)
    sm = app.state.sessions
    c = TestClient(app)
    admin = bearer(issue_token(sm, "nation-admin", "", "admin", now=app.state.clock.now()))
    office = bearer(issue_token(sm, "sjz-office", "1301", "office", now=app.state.clock.now()))
    county = bearer(issue_token(sm, "county", REGION, "operator", now=app.state.clock.now()))
    cp = {"name": "cp-zz", "region_code": REGION, "jurisdiction": "hebei-2022"}
    assert c.put("/api/v1/checkpoints/cp-zz", headers=admin, json=cp).status_code == 200
    office_of_city = {"name": "石家庄市大气办", "contact": "0311-0000000"}
    assert c.put("/api/v1/regions/1301/office", headers=admin, json=office_of_city).is_success
    send(c, "gw-zz", gateway_token(app, "gw-zz"), records(gw))
    app.state.projector.run_until_idle()
    notifier = app.state.referral_notifier
    leases = Leases(clock)

    (case,) = c.get("/api/v1/referrals", headers=county).json()
    assert (case["plate"], case["status"], case["reminders"]) == (PLATE, "open", 0)
    assert case["office"] == "石家庄市大气办 0311-0000000"
    notifier.deliver_due(clock.now())
    (first,) = _signed_bodies(hook)
    assert first["reason"] == "opened" and first["case_id"] == case["id"]
    # The packet: inspection, both verdicts by one profile and version, notice, custody.
    assert first["inspection"]["id"] == iid and first["inspection"]["plate"] == PLATE
    assert first["rapid"]["overall"] == first["lab"]["overall"] == "fail"
    assert (
        (first["rapid"]["profile_id"], first["rapid"]["profile_version"])
        == (
            first["lab"]["profile_id"],
            first["lab"]["profile_version"],
        )
        == ("gb34169-2017/anthracite-1", "2017")
    )
    assert first["lab"]["report_no"] == "R-2026-009" and first["lab"]["sample_id"] == "L9"
    assert first["notice"]["inspection_id"] == iid and first["notice"]["reason"] == "灰分、硫分超标"
    custody = first["custody"]
    assert custody["sampled_at"] < custody["handed_over_at"] < custody["received_at"]
    assert custody["received_at"] < custody["reported_at"]
    st_d = next(p for p in first["indicators"] if p["indicator"] == "St_d")
    assert st_d["max"] == 0.4 and st_d["rapid_status"] == st_d["lab_status"] == "fail"

    # Not acknowledged: sent again once per interval, not before.
    def reminders() -> int:
        return c.get(f"/api/v1/referrals/{case['id']}", headers=county).json()["reminders"]

    sweep(sm, clock.now() + REPEAT - timedelta(seconds=1), leases, _policy(app))
    assert reminders() == 0
    clock.advance(REPEAT)
    sweep(sm, clock.now(), leases, _policy(app))
    sweep(sm, clock.now(), leases, _policy(app))  # once per interval
    assert reminders() == 1
    notifier.deliver_due(clock.now())
    assert [b["reason"] for b in _signed_bodies(hook)] == ["opened", "reminder"]
    assert _signed_bodies(hook)[1]["reminder"] == 1

    # Only the office acknowledges; then the reminders stop.
    url = f"/api/v1/referrals/{case['id']}/ack"
    assert c.post(url, headers=county).status_code == 403
    r = c.post(url, headers=office, json={"note": "已收到，安排核查"})
    assert r.status_code == 200, r.text
    done = r.json()
    assert (done["status"], done["acknowledged_by"]) == ("acknowledged", "sjz-office")
    assert c.post(url, headers=office).status_code == 409
    clock.advance(REPEAT * 3)
    sweep(sm, clock.now(), leases, _policy(app))
    assert reminders() == 1
    notifier.deliver_due(clock.now())
    assert len(hook.received) == 2
    detail = c.get(f"/api/v1/referrals/{case['id']}", headers=county).json()
    assert [(m["channel"], m["reason"], m["status"]) for m in detail["messages"]] == [
        ("log", "opened", "sent"),
        ("webhook", "opened", "sent"),
        ("log", "reminder", "sent"),
        ("webhook", "reminder", "sent"),
    ]
    gw.store.close()


def test_cloud_inspection_shows_the_lab_beside_the_rapid_result(
    tmp_path: Path, cloud_db: str, hook: Hook
) -> None:
    gw, gw_clock, iid, _ = failing_lab_case(tmp_path)
    app = _app(cloud_db, hook, ManualClock(gw_clock.now()))
    c = TestClient(app)
    admin = bearer(
        issue_token(app.state.sessions, "nation-admin", "", "admin", now=app.state.clock.now())
    )
    send(c, "gw-zz", gateway_token(app, "gw-zz"), records(gw))
    app.state.projector.run_until_idle()
    detail = c.get(f"/api/v1/inspections/{iid}", headers=admin).json()
    (lab,) = detail["lab_results"]
    assert lab["report_no"] == "R-2026-009" and lab["same_profile"] is True
    assert (lab["profile_id"], lab["profile_version"]) == ("gb34169-2017/anthracite-1", "2017")
    assert (lab["rapid_overall"], lab["overall"]) == ("fail", "fail")
    ad = next(p for p in lab["indicators"] if p["indicator"] == "Ad")
    assert ad["max"] == 12.5 and ad["rapid_value"] == ad["lab_value"]
    with app.state.sessions() as s:
        assert s.scalar(select(ReferralCase.lab_sample_id)) == lab["lab_sample_id"]
        assert {m.channel for m in s.scalars(select(ReferralMessage))} == {"log", "webhook"}
    gw.store.close()


def _policy(app):  # type: ignore[no-untyped-def]
    return app.state.projector.referrals
