"""The register's API: import with worded row errors, coverage that follows commissioning,
purchases joined from the five-part forms, re-verification, the audited reveal, scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from coalguard.cloud.audit import AuditEntry
from coalguard.cloud.auth import issue_token
from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.rules import load_rules
from coalguard.cloud.co.store import MessageStore
from coalguard.cloud.market.points import PointIn, add_point
from coalguard.cloud.market.sales import record_sale
from coalguard.edge.clock import ManualClock
from tests.cloud.co.co_support import event, state
from tests.cloud.market.sales_support import sale_in
from tests.cloud.ops_support import bearer, make_app

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
SAMPLE = Path(__file__).parents[3] / "docs" / "households-sample.csv"
VILLAGE = "130102001001"
WANG_ID = "130102196503120018"


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    app = make_app(f"sqlite:///{tmp_path}/cloud.sqlite", ManualClock(T0))
    sm = app.state.sessions
    tok = {
        "county": issue_token(sm, "county-op", "130102", "operator", now=T0),
        "installer": issue_token(sm, "inst-1", "130102", "installer", now=T0),
        "office": issue_token(sm, "office-1", "130102", "office", now=T0),
        "other": issue_token(sm, "shanxi-op", "14", "operator", now=T0),
    }
    with TestClient(app) as c:
        yield c, {k: bearer(v) for k, v in tok.items()}, app
    app.state.engine.dispose()


def _import(c: TestClient, head, data: bytes, *, commit: bool, lang: str = "zh-CN"):  # type: ignore[no-untyped-def]
    headers = {**head, "Content-Type": "text/csv", "Accept-Language": lang}
    r = c.post(
        f"/api/v1/households/import?commit={str(commit).lower()}", content=data, headers=headers
    )
    assert r.status_code == 200, r.text
    return r.json()


def _village(c: TestClient, head) -> dict:  # type: ignore[no-untyped-def]
    rows = c.get("/api/v1/households/coverage", headers=head).json()
    return next(r for r in rows if r["village_code"] == VILLAGE)


def test_import_answers_row_errors_in_the_readers_language(world) -> None:  # type: ignore[no-untyped-def]
    c, tok, _ = world
    bad = "村代码,户主姓名,手机号码,住址,户类\n130102001001,甲,12345,一组,新增燃煤户\n"
    out = _import(c, tok["county"], bad.encode(), commit=True, lang="en")
    assert out["committed"] is False
    (err,) = out["errors"]
    assert (err["row"], err["column"], err["column_label"]) == (2, "phone", "mobile")
    assert "mobile number" in err["message"]
    done = _import(c, tok["county"], SAMPLE.read_bytes(), commit=True)
    assert (done["added"], done["committed"]) == (6, True)
    again = _import(c, tok["county"], SAMPLE.read_bytes(), commit=True)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 6)
    outside = _import(c, tok["other"], SAMPLE.read_bytes(), commit=False)
    assert {e["column"] for e in outside["errors"]} == {"village_code"}


def test_coverage_rises_when_a_households_alarm_is_commissioned(world) -> None:  # type: ignore[no-untyped-def]
    c, tok, app = world
    _import(c, tok["county"], SAMPLE.read_bytes(), commit=True)
    before = _village(c, tok["county"])
    assert (before["coal_households"], before["coal_with_alarm"], before["alarm_pct"]) == (2, 0, 0)
    assert (before["households"], before["trained"], before["verified"]) == (4, 3, 3)
    body = {
        "device_id": "COA-0101",
        "household": {"name": "王建国", "address": "一组12号", "village_code": VILLAGE,
                      "phone": "13800001001"},
        "installer_id": "inst-1",
    }  # fmt: skip
    assert c.post("/api/v1/co/devices", json=body, headers=tok["installer"]).status_code == 201
    assert _village(c, tok["county"])["coal_with_alarm"] == 0  # registered, not yet tested
    r = c.post(
        "/api/v1/co/devices/COA-0101/commissioning",
        json={"installer_id": "inst-1"},
        headers=tok["installer"],
    )
    assert r.status_code == 201, r.text
    store = MessageStore(app.state.sessions, AlertBook(load_rules(), ("log",)))
    store.apply([event("COA-0101", 1, "test", at=T0 + timedelta(seconds=20))])
    store.apply([state("COA-0101", 2, at=T0 + timedelta(seconds=21))])
    after = _village(c, tok["county"])
    assert (after["coal_with_alarm"], after["alarm_pct"]) == (1, 50.0)
    rows = c.get("/api/v1/households", params={"region": VILLAGE}, headers=tok["office"]).json()
    wang = next(h for h in rows if h["id_number"] == "130102**********18")
    assert (wang["alarms"], wang["alarm_commissioned"], wang["head_name"]) == (
        ["COA-0101"],
        True,
        "王**",
    )


def test_household_page_data_joins_purchases_and_records_verification(world) -> None:  # type: ignore[no-untyped-def]
    c, tok, app = world
    _import(c, tok["county"], SAMPLE.read_bytes(), commit=True)
    rows = c.get("/api/v1/households", params={"region": VILLAGE}, headers=tok["county"]).json()
    hid = next(h["id"] for h in rows if h["id_number"] == "130102**********18")
    with app.state.sessions.begin() as s:  # a five-part form whose buyer is the head
        shop = PointIn(
            code="P-1", name="城关网点", kind="loose_coal_point", region_code="130102001"
        )
        point = add_point(s, shop, "market-1", T0)
        sale = sale_in("WL-1", buyer_id=WANG_ID, buyer_village=VILLAGE, buyer_phone="13800001001")
        record_sale(s, point, sale, app.state.keyring, "clerk", T0, None)
    one = c.get(f"/api/v1/households/{hid}", headers=tok["county"]).json()
    assert [(p["serial_no"], p["quantity_t"]) for p in one["purchases"]] == [("WL-1", 1.5)]
    r = c.post(
        f"/api/v1/households/{hid}/verifications",
        json={"confirmed_by": "乡镇王干事", "confirmed_on": "2026-11-25"},
        headers=tok["county"],
    )
    assert r.status_code == 201, r.text
    assert [v["confirmed_by"] for v in r.json()["verifications"]] == ["乡镇王干事", "村委会张明"]
    # The reveal is audited; an installer may not reveal; another province sees no such household.
    assert c.post(f"/api/v1/households/{hid}/reveal", headers=tok["installer"]).status_code == 403
    plain = c.post(f"/api/v1/households/{hid}/reveal", headers=tok["county"]).json()
    assert (plain["head_name"], plain["id_number"], plain["phone"]) == (
        "王建国",
        WANG_ID,
        "13800001001",
    )
    with app.state.sessions() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action.startswith("reveal"))).one()
        assert (entry.actor, entry.detail["household_id"]) == ("county-op", hid)
    gone = c.get(f"/api/v1/households/{hid}", headers=tok["other"])
    assert gone.status_code == 404
    assert gone.headers["content-type"].startswith("application/problem+json")


def test_an_installer_adds_a_household_once(world) -> None:  # type: ignore[no-untyped-def]
    c, tok, _ = world
    body = {"village_code": VILLAGE, "head_name": "新户", "address": "三组1号",
            "category": "new_coal", "phone": "139 0000 0009",
            "stove_type": "coal_stove"}  # fmt: skip
    r = c.post("/api/v1/households", json=body, headers=tok["installer"])
    assert r.status_code == 201, r.text
    assert (r.json()["phone"], r.json()["stove_matched"]) == ("139****0009", False)
    again = c.post("/api/v1/households", json=body, headers=tok["installer"])
    assert again.status_code == 409
    bad = c.post("/api/v1/households", json={**body, "category": "x"}, headers=tok["county"])
    assert bad.status_code == 422


def test_the_season_check_lists_coal_households_without_an_alarm_in_chinese(world) -> None:  # type: ignore[no-untyped-def]
    c, tok, _ = world
    _import(c, tok["county"], SAMPLE.read_bytes(), commit=True)
    body = {
        "device_id": "COA-0101",
        "household": {"name": "王建国", "address": "一组12号", "village_code": VILLAGE,
                      "phone": "13800001001"},
        "installer_id": "inst-1",
    }  # fmt: skip
    assert c.post("/api/v1/co/devices", json=body, headers=tok["installer"]).status_code == 201
    q = {"since": T0.isoformat()}
    head = {**tok["county"], "Accept-Language": "zh-CN"}
    out = c.get("/api/v1/co/season-check", params=q, headers=head).json()
    wang_id = c.get("/api/v1/households", params={"region": VILLAGE}, headers=head).json()
    wang = next(h["id"] for h in wang_id if h["head_name"] == "王**")
    assert [a["household_id"] for a in out["alarms"]] == [wang]  # not heard, not tested
    missing = {(h["village_code"], h["head_name"]) for h in out["households"]}
    # Registered but not commissioned counts as missing; 吴玉梅 in the other village too.
    assert missing == {(VILLAGE, "王**"), (VILLAGE, "李**"), ("130102001002", "吴**")}
    assert out["problem_words"]["no_commissioned_alarm"].startswith("新增燃煤户")
    assert out["problem_words"]["not_tested"] == "本季未测试"
    village = next(v for v in out["villages"] if v["village_code"] == VILLAGE)
    assert (village["registered"], village["no_commissioned_alarm"]) == (1, 2)
