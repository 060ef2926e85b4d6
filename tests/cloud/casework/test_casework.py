"""Casework through the API: the issue ledger's overdue alert (once, whatever the number
of sweepers), escalation by the seeds' rule, the zones' loose coal closing to zero, and
a tip's contact sealed, its regions notified once, its reward approved only once its
case is closed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from coalguard.cloud.casework.rules import load_casework_rules
from coalguard.cloud.casework.tables import Tip
from coalguard.cloud.checks.worker import sweep
from coalguard.cloud.households.register import HouseholdIn, add_household
from coalguard.cloud.leases import Leases
from coalguard.cloud.market.tables import MarketAlert
from tests.cloud.casework.casework_support import (
    CITY,
    OTHER_VILLAGE,
    VILLAGE,
    Cloud,
    casework_cloud,
)
from tests.cloud.market.market_support import LINXIA, NOW, TOWN


@pytest.fixture
def cloud(tmp_path: Path) -> Cloud:
    return casework_cloud(tmp_path)


def _item(cloud: Cloud, **body: object) -> dict:  # type: ignore[type-arg]
    body = {"region_code": VILLAGE, "title": "村内发现散煤销售点", "deadline": "2026-06-12", **body}
    r = cloud.api.post("/api/v1/ledger", json=body, headers=cloud.as_("office"))
    assert r.status_code == 201, r.text
    return r.json()


def test_overdue_ledger_item_raises_one_alert_under_two_sweepers(cloud: Cloud) -> None:
    item = _item(cloud)
    replicas = [Leases(cloud.clock, owner="replica-a"), Leases(cloud.clock, owner="replica-b")]
    sm = cloud.app.state.sessions

    def overdue_alerts() -> list[MarketAlert]:
        with sm() as s:
            q = select(MarketAlert).where(MarketAlert.kind == "ledger.item_overdue")
            return list(s.scalars(q))

    cloud.clock.advance(timedelta(days=2))  # 12 June, the deadline day: not overdue yet
    for leases in replicas:
        sweep(sm, cloud.clock.now(), leases)
    assert overdue_alerts() == []

    cloud.clock.advance(timedelta(days=1))  # 13 June: a day past the deadline
    for leases in replicas:
        sweep(sm, cloud.clock.now(), leases)
    cloud.clock.advance(timedelta(hours=6))
    for leases in replicas:
        sweep(sm, cloud.clock.now(), leases)
    alerts = overdue_alerts()
    assert len(alerts) == 1 and alerts[0].occurrences == 1
    assert alerts[0].subject == f"ledger-{item['id']}" and alerts[0].region_code == VILLAGE

    r = cloud.api.get("/api/v1/ledger?status=open", headers=cloud.as_("market"))
    assert [i["overdue_alerted"] for i in r.json()] == [True]
    r = cloud.api.post(
        f"/api/v1/ledger/{item['id']}/close", json={"note": "已取缔"}, headers=cloud.as_("office")
    )
    assert r.json()["status"] == "closed"
    assert overdue_alerts()[0].cleared_at is not None


def test_major_case_goes_up_a_level_by_the_seeds_rule(cloud: Cloud) -> None:
    rules = load_casework_rules()
    assert "焦散烧办〔2023〕7号" in rules.escalation.citation
    plain = _item(cloud)
    assert (plain["region_code"], plain["level"]) == (VILLAGE, "village")

    major = _item(cloud, major=True)
    assert (major["region_code"], major["level"]) == (TOWN, "township")
    assert major["history"][-1]["rule"] == rules.escalation.citation
    joint = _item(cloud, joint=True, region_code=TOWN)
    assert (joint["region_code"], joint["level"]) == (LINXIA, "county")

    up = f"/api/v1/ledger/{joint['id']}/escalate"
    r = cloud.api.post(up, headers=cloud.as_("office"))
    assert (r.json()["region_code"], r.json()["level"]) == (CITY, "city")
    r = cloud.api.post(up, headers=cloud.as_("office"))
    assert r.status_code == 422 and "最高一级" in r.json()["detail"]


def test_zone_open_findings_close_to_zero(cloud: Cloud) -> None:
    def zones() -> list[dict]:  # type: ignore[type-arg]
        r = cloud.api.get("/api/v1/zone-clearance", headers=cloud.as_("market"))
        assert r.status_code == 200, r.text
        return r.json()

    ids = []
    for ref in ("3组12号", "3组14号"):
        body = {"village": VILLAGE, "household_ref": ref, "note": "院内存散煤约0.5吨"}
        r = cloud.api.post("/api/v1/zone-findings", json=body, headers=cloud.as_("office"))
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    [zone] = zones()
    assert (zone["name"], zone["kind"], zone["open_count"]) == ("东关禁煤区", "no_coal", 2)

    body = {"village": OTHER_VILLAGE, "household_ref": "1组1号"}
    r = cloud.api.post("/api/v1/zone-findings", json=body, headers=cloud.as_("office"))
    assert r.status_code == 422 and OTHER_VILLAGE in r.json()["detail"]

    for fid in ids:
        r = cloud.api.post(
            f"/api/v1/zone-findings/{fid}/clear",
            json={"clearance": "散煤已清运，换用洁净型煤"},
            headers=cloud.as_("office"),
        )
        assert r.json()["status"] == "cleared"
    [zone] = zones()
    assert (zone["open_count"], zone["cleared_count"], zone["open_items"]) == (0, 2, [])


def test_tip_contact_sealed_notices_once_reward_after_case_closed(cloud: Cloud) -> None:
    body = {
        "channel": "hotline_12345",
        "content": "有人用三轮车向东关村送散煤",
        "contact": "139-1234 5678",
        "source": "和政县某煤场",
        "destination": "东关村",
        "region_code": LINXIA,
    }
    r = cloud.api.post("/api/v1/tips", json=body, headers=cloud.as_("office"))
    assert r.status_code == 201, r.text
    tip = r.json()
    assert tip["contact_masked"] == "139****5678" and tip["reward_status"] == "pending"
    assert "13912345678" not in r.text
    with cloud.app.state.sessions() as s:
        row = s.get(Tip, tip["id"])
        assert row is not None and row.contact_sealed and "13912345678" not in row.contact_sealed
        opened = cloud.app.state.keyring.open(row.contact_sealed, "cw_tip.contact_sealed")
        assert opened == "13912345678"

    bad = cloud.api.post(
        "/api/v1/tips", json={**body, "channel": "pigeon"}, headers=cloud.as_("office")
    )
    assert bad.status_code == 422 and "pigeon" in bad.json()["detail"]

    notices = f"/api/v1/tips/{tip['id']}/notices"
    r = cloud.api.post(notices, json={"region_code": "622925"}, headers=cloud.as_("office"))
    assert r.status_code == 201, r.text
    r = cloud.api.post(notices, json={"region_code": "622925"}, headers=cloud.as_("office"))
    assert r.status_code == 422

    reward = f"/api/v1/tips/{tip['id']}/reward"
    r = cloud.api.post(reward, json={"status": "approved"}, headers=cloud.as_("office"))
    assert r.status_code == 422 and "结案" in r.json()["detail"]
    case_body = {
        "subject_kind": "truck",
        "subject_ref": "甘N12345",
        "violation": "illegal_transport",
    }
    r = cloud.api.post(
        f"/api/v1/tips/{tip['id']}/case", json=case_body, headers=cloud.as_("office")
    )
    assert r.status_code == 403  # opening a case is market supervision's
    r = cloud.api.post(
        f"/api/v1/tips/{tip['id']}/case", json=case_body, headers=cloud.as_("market")
    )
    assert r.status_code == 201, r.text
    case = r.json()
    assert (case["point_id"], case["subject_kind"], case["origin"]) == (None, "truck", "tip")
    r = cloud.api.post(
        f"/api/v1/market/cases/{case['id']}/accept", json={"note": ""}, headers=cloud.as_("market")
    )
    assert r.json()["status"] == "closed"
    r = cloud.api.post(reward, json={"status": "approved"}, headers=cloud.as_("office"))
    assert r.json()["reward_status"] == "approved" and len(r.json()["notices"]) == 1


def test_zone_finding_of_a_register_household_takes_its_village(cloud: Cloud) -> None:
    with cloud.app.state.sessions.begin() as s:
        body = HouseholdIn(
            village_code=VILLAGE, head_name="马有福", address="东关村3组12号", category="new_coal"
        )
        hh_id = add_household(s, cloud.app.state.keyring, body, "office-linxia", NOW).id
    r = cloud.api.post(
        "/api/v1/zone-findings", json={"household_id": hh_id}, headers=cloud.as_("office")
    )
    assert r.status_code == 201, r.text
    got = r.json()
    assert (got["household_id"], got["region_code"]) == (hh_id, VILLAGE)
    assert "东关村3组12号" in got["household_ref"]
    r = cloud.api.post(
        "/api/v1/zone-findings", json={"household_id": hh_id + 1}, headers=cloud.as_("office")
    )
    assert r.status_code == 404
