"""The delivery API through the real app: each office does only its own step."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from coalguard.cloud.auth import issue_token
from coalguard.cloud.households.register import HouseholdIn, add_household
from coalguard.edge.clock import SystemClock
from tests.cloud.ops_support import bearer, make_app

TOWN, V1 = "130104001", "130104001001"


def test_a_slip_to_a_summary_reviewed_by_town_fdrc_and_finance_over_the_api(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path}/c.sqlite")
    now = SystemClock().now()
    tok = {
        name: bearer(issue_token(app.state.sessions, name, region, role, now=now))
        for name, region, role in (
            ("fdrc-1", "130104", "fdrc"),
            ("village-1", V1, "operator"),
            ("town-1", TOWN, "operator"),
            ("finance-1", "130104", "finance"),
            ("coal-co", "130104", "supplier"),
            ("other-co", "130104", "supplier"),
        )
    }
    c = TestClient(app)
    with app.state.sessions.begin() as s:
        body = HouseholdIn(village_code=V1, head_name="王大山", address="1号", category="new_coal")
        hid = add_household(s, app.state.keyring, body, "test", now).id
    sup = c.post(
        "/api/v1/delivery/suppliers",
        json={"name": "冀中洁净煤公司", "region_code": "130104", "tendered_on": "2022-08-10"},
        headers=tok["fdrc-1"],
    )
    assert sup.status_code == 201, sup.text
    sid = sup.json()["id"]
    assert (
        c.post(
            f"/api/v1/delivery/suppliers/{sid}/users",
            json={"user_name": "coal-co"},
            headers=tok["fdrc-1"],
        ).status_code
        == 200
    )
    line = {"household_id": hid, "coal_t": "2", "stoves": 1, "paid_yuan": "2400"}
    reg = c.put(
        "/api/v1/delivery/registers",
        json={"village_code": V1, "season": "2022-23", "lines": [line]},
        headers=tok["village-1"],
    )
    assert reg.status_code == 200, reg.text
    slip = {
        "serial": "WL-0001", "household_id": hid, "village_code": V1, "season": "2022-23",
        "delivered_on": "2022-11-03",
        "lines": [
            {"item": "coal", "quantity": "2", "unit_price": "1050"},
            {"item": "stove", "quantity": "1", "unit_price": "900"},
        ],
    }  # fmt: skip
    assert (
        c.post("/api/v1/delivery/slips", json=slip, headers=tok["other-co"]).status_code == 403
    )  # not bound
    r = c.post("/api/v1/delivery/slips", json=slip, headers=tok["coal-co"])
    assert r.status_code == 201 and r.json()["deliveries"] == 2
    rates = c.get(
        "/api/v1/delivery/rates",
        params={"region": "130104", "season": "2022-23", "level": "county"},
        headers=tok["finance-1"],
    )
    assert rates.json()[0]["complete"] is True
    summ = c.post(
        "/api/v1/delivery/summaries",
        json={"township_code": TOWN, "month": "2022-11"},
        headers=tok["coal-co"],
    )
    assert summ.status_code == 201, summ.text
    assert summ.json()["content"]["totals"]["amount"] == "3000.00"  # 2 x 1050 + 900
    url = f"/api/v1/delivery/summaries/{summ.json()['id']}/review"
    wrong = c.post(url, json={"step": "town", "decision": "approved"}, headers=tok["fdrc-1"])
    assert wrong.status_code == 403  # 发改局 cannot sign for the town
    early = c.post(url, json={"step": "fdrc", "decision": "approved"}, headers=tok["fdrc-1"])
    assert (
        early.status_code == 409
        and "街道镇"
        in c.post(
            url,
            json={"step": "fdrc", "decision": "approved"},
            headers={**tok["fdrc-1"], "Accept-Language": "zh"},
        ).json()["detail"]
    )
    for step, who in (("town", "town-1"), ("fdrc", "fdrc-1"), ("finance", "finance-1")):
        r = c.post(url, json={"step": step, "decision": "approved"}, headers=tok[who])
        assert r.status_code == 200, r.text
    assert r.json()["status"] == "filed"
    assert [x["reviewer"] for x in r.json()["reviews"]] == ["town-1", "fdrc-1", "finance-1"]
