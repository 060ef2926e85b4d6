"""The sales routes over HTTP: the audited buyer reveal (allowed to the point's clerk,
market supervision and admins; refused to a clerk of another point and to other roles),
no plaintext at rest, a point under rectification refused worded, cases and zones."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from coalguard.cloud.audit import AuditEntry
from coalguard.cloud.auth import issue_token
from coalguard.cloud.market.findings import check_sale
from coalguard.cloud.market.points import start_rectification
from coalguard.cloud.market.sales import assign_clerk, record_purchase, record_sale
from coalguard.cloud.market.sales_rules import load_sales_rules
from coalguard.cloud.market.sampling import (
    PlanIn,
    ResultIn,
    SampleIn,
    TaskIn,
    add_plan,
    add_task,
    enter_result,
    record_sample,
)
from coalguard.cloud.market.tables import BusinessPoint
from coalguard.edge.clock import ManualClock
from coalguard.edge.quality import ProfileSet
from tests.cloud.market.market_support import FAILING, LINXIA, NOW, point
from tests.cloud.market.sales_support import id_number, purchase_in, sale_in
from tests.cloud.ops_support import bearer, make_app


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Any]:
    app = make_app(f"sqlite:///{tmp_path / 'c.sqlite'}", ManualClock(NOW))
    tok = {
        name: issue_token(app.state.sessions, name, region, role, now=NOW)
        for name, region, role in (
            ("clerk-a", LINXIA, "clerk"),
            ("clerk-b", LINXIA, "clerk"),
            ("market-1", LINXIA, "market"),
            ("county-op", LINXIA, "operator"),
            ("office-1", LINXIA, "office"),
            ("market-hebei", "13", "market"),
        )
    }
    with app.state.sessions.begin() as s:
        a, b = point(s, "LX-1"), point(s, "LX-2")
        assign_clerk(s, "clerk-a", a, "market-1", NOW)
        assign_clerk(s, "clerk-b", b, "market-1", NOW)
        record_purchase(s, a, purchase_in(), "clerk-a", NOW)
        sales = []
        for n in (1, 2):  # the same serial twice: a finding
            sale = record_sale(
                s, a, sale_in("WL-7", buyer_id=id_number(n)), app.state.keyring, "clerk-a", NOW, 1.5
            )
            check_sale(s, a, sale, load_sales_rules(), NOW)
            sales.append(sale.id)
        ids = {"a": a.id, "b": b.id, "sales": sales}
    return {"app": app, "c": TestClient(app), "tok": tok, "ids": ids}


def test_reveal_is_audited_and_refused_to_a_clerk_of_another_point(world: dict[str, Any]) -> None:
    c, tok, sale = world["c"], world["tok"], world["ids"]["sales"][0]
    url = f"/api/v1/market/sales/{sale}/reveal"
    r = c.post(url, headers=bearer(tok["clerk-a"]))
    assert r.status_code == 200 and r.json() == {
        "sale_id": sale,
        "buyer_id": id_number(1),
        "buyer_phone": "13912345678",
    }
    assert c.post(url, headers=bearer(tok["market-1"])).status_code == 200
    other = c.post(url, headers=bearer(tok["clerk-b"]))
    assert other.status_code == 403 and other.headers["content-type"] == "application/problem+json"
    assert "LX-2" in other.json()["detail"]
    for who in ("county-op", "office-1"):
        assert c.post(url, headers=bearer(tok[who])).status_code == 403
    assert c.post(url, headers=bearer(tok["market-hebei"])).status_code == 404  # not their region
    with world["app"].state.sessions() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action.like("reveal buyer%"))).all()
        assert [(e.actor, e.detail["sale_id"]) for e in entries] == [
            ("clerk-a", sale),
            ("market-1", sale),
        ]
        raw = " ".join(str(v) for row in s.execute(text("SELECT * FROM mkt_sale")) for v in row)
        assert id_number(1) not in raw and "13912345678" not in raw


def test_books_show_stock_findings_and_masked_buyers(world: dict[str, Any]) -> None:
    c, tok, ids = world["c"], world["tok"], world["ids"]
    r = c.get(f"/api/v1/market/points/{ids['a']}/books", headers=bearer(tok["clerk-a"]))
    assert r.status_code == 200
    body = r.json()
    assert body["stock"] == [
        {"coal_type": "anthracite", "tonnes_in": 30.0, "tonnes_out": 3.0, "stock": 27.0}
    ]
    assert [f["kind"] for f in body["findings"]] == ["duplicate_serial"]
    sale = body["sales"][0]
    assert sale["buyer_name"] == "马**" and sale["buyer_phone_masked"] == "139****5678"
    assert "*" in sale["buyer_id_masked"] and "buyer_id" not in sale
    assert (
        c.get(f"/api/v1/market/points/{ids['a']}/books", headers=bearer(tok["clerk-b"])).status_code
        == 403
    )


def test_a_point_under_rectification_is_refused_a_sale_worded(world: dict[str, Any]) -> None:
    app, c, tok, ids = world["app"], world["c"], world["tok"], world["ids"]
    with app.state.sessions.begin() as s:
        start_rectification(s, s.get(BusinessPoint, ids["a"]), "台账不全", date(2026, 6, 30), NOW)
    body = sale_in("WL-9").model_dump(mode="json")
    r = c.post(f"/api/v1/market/points/{ids['a']}/sales", json=body, headers=bearer(tok["clerk-a"]))
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert "LX-1" in r.json()["detail"] and "整改" in r.json()["detail"]


def test_a_sale_needs_a_known_ticket(world: dict[str, Any]) -> None:
    c, tok, ids = world["c"], world["tok"], world["ids"]
    body = sale_in("WL-9", ticket="NO-SUCH").model_dump(mode="json")
    r = c.post(f"/api/v1/market/points/{ids['a']}/sales", json=body, headers=bearer(tok["clerk-a"]))
    assert r.status_code == 422 and "NO-SUCH" in r.json()["detail"]


def test_a_bad_id_number_is_a_field_error(world: dict[str, Any]) -> None:
    c, tok, ids = world["c"], world["tok"], world["ids"]
    body = sale_in("WL-9").model_dump(mode="json")
    body["buyer_id"] = id_number(1)[:-1] + ("0" if id_number(1)[-1] != "0" else "1")
    r = c.post(f"/api/v1/market/points/{ids['a']}/sales", json=body, headers=bearer(tok["clerk-a"]))
    assert r.status_code == 422 and "buyer_id" in r.json()["detail"]
    (err,) = r.json()["errors"]
    assert "校验位" in err["detail"]


def test_a_case_from_a_finding_through_the_ladder_to_accepted(world: dict[str, Any]) -> None:
    c, tok, ids = world["c"], world["tok"], world["ids"]
    market = bearer(tok["market-1"])
    books = c.get(f"/api/v1/market/points/{ids['a']}/books", headers=market).json()
    finding = books["findings"][0]["id"]
    r = c.post("/api/v1/market/cases", json={"finding_id": finding}, headers=market)
    assert r.status_code == 201, r.text
    case = r.json()
    assert (case["violation"], case["step"], case["deadline"]) == (
        "ticket_resale",
        "rectify",
        "2026-06-25",
    )
    assert (
        c.get(f"/api/v1/market/points/{ids['a']}/books", headers=market).json()["may_sell"] is False
    )
    cid = case["id"]
    assert (
        c.post(f"/api/v1/market/cases/{cid}/seizures", json={"tonnes": 5.0}, headers=market).json()[
            "seized_t"
        ]
        == 5.0
    )
    h = {"tonnes": 5.0, "receiver": "临夏市发改局", "handed_on": "2026-06-11"}
    assert (
        c.post(f"/api/v1/market/cases/{cid}/handovers", json=h, headers=market).status_code == 201
    )
    too_much = c.post(f"/api/v1/market/cases/{cid}/handovers", json=h, headers=market)
    assert too_much.status_code == 422
    assert (
        c.post(f"/api/v1/market/cases/{cid}/accept", json={}, headers=market).json()["status"]
        == "closed"
    )
    assert (
        c.get(f"/api/v1/market/points/{ids['a']}/books", headers=market).json()["may_sell"] is True
    )
    got = c.get(
        "/api/v1/market/case-disposal",
        params={"start": "2026-06-01", "end": "2026-06-30"},
        headers=bearer(tok["office-1"]),
    ).json()
    assert got == {
        "region": LINXIA,
        "start": "2026-06-01",
        "end": "2026-06-30",
        "opened": 1,
        "disposed": 1,
        "rate": 1.0,
        "open_cases": [],
    }
    events = c.get(f"/api/v1/market/cases/{cid}", headers=market).json()["events"]
    assert [e["action"] for e in events] == ["opened", "seized", "handed_over", "closed"]


def test_zone_list_published_by_csv_with_row_errors(world: dict[str, Any]) -> None:
    c, tok = world["c"], world["tok"]
    q = {"version": "lx-2026", "region": LINXIA, "published_on": "2026-05-01"}
    bad = "kind,region_code\n禁煤区,622901100001\n月球区,622901100002\n".encode()
    r = c.post("/api/v1/zones", params=q, content=bad, headers=bearer(tok["market-1"]))
    assert r.status_code == 422 and "第 3 行" in r.json()["detail"]
    good = "kind,region_code\n禁煤区,622901100001\n".encode()
    r = c.post("/api/v1/zones", params=q, content=good, headers=bearer(tok["market-1"]))
    assert r.status_code == 201 and r.json()["areas"][0]["kind"] == "no_coal"
    listed = c.get("/api/v1/zones", headers=bearer(tok["county-op"])).json()
    assert [z["version"] for z in listed] == ["lx-2026"]


def test_a_case_from_a_failing_sample(world: dict[str, Any]) -> None:
    app, c, tok, ids = world["app"], world["c"], world["tok"], world["ids"]
    with app.state.sessions.begin() as s:
        p = s.get(BusinessPoint, ids["b"])
        plan = add_plan(s, PlanIn(region_code=LINXIA, year=2026), "market-1", NOW)
        task = add_task(
            s, plan, p, TaskIn(point_code="LX-2", planned_on=date(2026, 6, 12)), "m", NOW
        )
        record_sample(s, task, SampleIn(sampler="王", sample_id="S-9", seal="F-1"), NOW)
        passing = add_task(
            s, plan, p, TaskIn(point_code="LX-2", planned_on=date(2026, 6, 13)), "m", NOW
        )
        record_sample(s, passing, SampleIn(sampler="王", sample_id="S-10", seal="F-2"), NOW)
        lab = ResultIn(method="lab", lab="州质检所", indicators=FAILING)
        enter_result(s, ProfileSet.load(), task, lab, "lab-1", NOW)
    market = bearer(tok["market-1"])
    no = c.post("/api/v1/market/cases", json={"sample_id": "S-10"}, headers=market)
    assert no.status_code == 404  # a sample that did not fail opens no case
    r = c.post(
        "/api/v1/market/cases",
        json={"sample_id": "S-9", "violation": "substandard"},
        headers=market,
    )
    assert r.status_code == 201, r.text
    case = r.json()
    assert (case["point_id"], case["origin"], case["sample_ref"]) == (ids["b"], "sample", "S-9")
    listed = c.get("/api/v1/market/cases", params={"status": "open"}, headers=market).json()
    assert [x["id"] for x in listed] == [case["id"]]


def test_a_huge_id_in_the_path_is_refused_not_a_server_error(world: dict[str, Any]) -> None:
    # The API fuzzer's find: an id past INTEGER overflowed in the driver (a 500).
    c = TestClient(world["app"], raise_server_exceptions=False)
    huge = "46867628511759205138432"
    market = bearer(world["tok"]["market-1"])
    for method, url in (
        ("GET", f"/api/v1/market/points/{huge}/books"),
        ("POST", f"/api/v1/market/sales/{huge}/reveal"),
        ("GET", f"/api/v1/market/cases/{huge}"),
        ("POST", f"/api/v1/market/cases/{huge}/escalate"),
        ("POST", f"/api/v1/contacts/{huge}/reveal"),
        ("GET", f"/api/v1/referrals/{huge}"),
    ):
        r = c.request(method, url, headers=market)
        assert r.status_code in (403, 422), (url, r.status_code, r.text)


def test_a_sale_carries_its_own_points_ticket_once(world: dict[str, Any]) -> None:
    c, tok, ids = world["c"], world["tok"], world["ids"]
    server = str(c.base_url).rstrip("/")
    clerk = bearer(tok["clerk-a"])

    def ticket(token: str, code: str, net_t: float) -> str:
        tare = 12_000.0
        w = {"at": NOW.isoformat(), "stable": True}
        body = {
            "point_code": code, "scale_id": "scale-1", "scale_format": "xk3190-a9",
            "plate": "甘N12345", "gross": {"kg": tare + net_t * 1000, **w},
            "tare": {"kg": tare, **w},
        }  # fmt: skip
        r = c.post(f"{server}/api/v1/market/tickets", json=body, headers=bearer(token))
        assert r.status_code == 201, r.text
        return str(r.json()["serial"])

    url = f"/api/v1/market/points/{ids['a']}/sales"
    theirs = ticket(tok["clerk-b"], "LX-2", 1.5)
    body = sale_in("WL-20", ticket=theirs, buyer_id=id_number(5)).model_dump(mode="json")
    r = c.post(url, json=body, headers=clerk)
    assert r.status_code == 422 and theirs in r.json()["detail"]
    ours = ticket(tok["clerk-a"], "LX-1", 1.5)
    by_id = c.get("/api/v1/market/tickets", headers=clerk).json()
    numeric = next(str(t["id"]) for t in by_id if t["serial"] == ours)
    r = c.post(url, json={**body, "ticket_id": numeric}, headers=clerk)  # the id works too
    assert r.status_code == 201 and r.json()["sale"]["ticket_id"] == ours
    assert r.json()["sale"]["ticket_net_t"] == 1.5 and r.json()["findings"] == []
    again = c.post(url, json={**body, "serial_no": "WL-21", "ticket_id": ours}, headers=clerk)
    assert again.status_code == 409 and ours in again.json()["detail"]
