"""Fast-pass registry: reports judged by the cloud, trucks listed, the gateway pulls its file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from coalguard.edge.clock import ManualClock
from coalguard.edge.fastpass import FastPassList, load_file, parse_toml
from tests.cloud.checks.checkpoint_feed import START, build_gateway, gateway_token, records, send
from tests.cloud.ops_support import bearer, client, make_app, users
from tests.gateway.conftest import FAILING, PASSING, registration


def _report(report_id: str, region: str, values: dict, expires: str = "2027-02-28") -> dict:
    return {
        "report_id": report_id,
        "company": "大同恒信煤业有限公司",
        "region_code": region,
        "coal_type": "anthracite",
        "lab": "河北省煤炭产品质量监督检验站",
        "issued_on": "2026-11-01",
        "expires": expires,
        "quantity_t": 3000.0,
        "indicators": values,
    }


def test_registry_to_gateway_file(tmp_path: Path, cloud_db: str) -> None:
    app = make_app(cloud_db, ManualClock(START))
    tok = users(app)
    c = client(app)
    county, admin = bearer(tok["county"]), bearer(tok["admin"])
    r = c.post("/api/v1/fast-pass/reports", json=_report("QR-1", "130102", PASSING), headers=county)
    assert r.status_code == 201 and r.json()["accepted"] is True
    assert r.json()["profile_id"] == "gb34169-2017/anthracite-1"
    r = c.post("/api/v1/fast-pass/reports", json=_report("QR-2", "130102", FAILING), headers=county)
    assert r.json()["accepted"] is False
    old = _report("QR-3", "13", PASSING, expires="2026-11-20")
    assert c.post("/api/v1/fast-pass/reports", json=old, headers=admin).status_code == 201
    bad = {**_report("QR-4", "130102", PASSING), "expires": "2026-10-01"}
    r = c.post("/api/v1/fast-pass/reports", json=bad, headers=county)
    assert r.status_code == 422 and "expires" in r.text
    assert (
        c.post(
            "/api/v1/fast-pass/reports", json=_report("QR-5", "14", PASSING), headers=county
        ).status_code
        == 403
    )
    truck = {"plate": "冀a·12345", "region_code": "130102", "report_id": "QR-1"}
    r = c.post("/api/v1/fast-pass/trucks", json=truck, headers=county)
    assert r.status_code == 201 and r.json()["plate"] == "冀A12345"
    refused = {"plate": "冀A99999", "region_code": "130102", "report_id": "QR-2"}
    r = c.post("/api/v1/fast-pass/trucks", json=refused, headers=county)
    assert r.status_code == 422 and "未达标" in r.text
    expired = {"plate": "冀B00001", "region_code": "13", "report_id": "QR-3"}
    assert c.post("/api/v1/fast-pass/trucks", json=expired, headers=admin).status_code == 201
    assert (
        c.post("/api/v1/fast-pass/trucks", json=truck, headers=bearer(tok["installer"])).status_code
        == 403
    )

    # The gateway of a registered checkpoint pulls the list with its own token.
    c.put(
        "/api/v1/checkpoints/cp-zz",
        json={
            "name": "涿州",
            "region_code": "130102",
            "jurisdiction": "hebei-2022",
            "gateway_id": "gw-zz",
        },
        headers=admin,
    )
    gw_token = gateway_token(app, "gw-zz")
    r = c.get("/api/v1/gateways/gw-zz/fast-pass.toml", headers=bearer(gw_token))
    assert r.status_code == 200, r.text
    path = tmp_path / "fast_pass.toml"
    path.write_text(r.text, encoding="utf-8")
    gw = build_gateway(tmp_path, "cp-zz", "130102", ManualClock(START))
    try:
        assert gw.fast_pass.replace(load_file(path), "cloud") == 1
        declared = registration("冀A12345", consignor="大同恒信煤业有限公司")
        assert gw.fast_pass.check("冀A12345", declared).green is True
        lignite = {**declared, "coal_type": "lignite"}
        assert gw.fast_pass.check("冀A12345", lignite).mismatches[0].code == "coal_type"
        assert gw.fast_pass.check("冀B00001", declared).green is False  # expired: not listed
    finally:
        gw.store.close()
    assert (
        c.get("/api/v1/gateways/gw-zz/fast-pass.toml", headers=bearer("x" * 40)).status_code == 401
    )
    # Taken off the list: the next pull no longer has it.
    assert (
        c.delete("/api/v1/fast-pass/trucks/冀A12345?region_code=130102", headers=county).status_code
        == 200
    )
    doc = c.get("/api/v1/fast-pass/list", headers=county).json()
    assert doc["truck"] == []


def test_company_with_a_control_character_still_reaches_the_gateway(cloud_db: str) -> None:
    """The cloud wrote TOML by hand: a DEL in a company name made a file no gateway could read."""
    app = make_app(cloud_db, ManualClock(START))
    tok = users(app)
    c = client(app)
    admin = bearer(tok["admin"])
    odd = {**_report("QR-9", "130102", PASSING), "company": 'Odd\x7f "煤业"\\ co'}
    assert c.post("/api/v1/fast-pass/reports", json=odd, headers=admin).status_code == 201
    truck = {"plate": "冀C77777", "region_code": "130102", "report_id": "QR-9"}
    assert c.post("/api/v1/fast-pass/trucks", json=truck, headers=admin).status_code == 201
    cp = {
        "name": "涿州",
        "region_code": "130102",
        "jurisdiction": "hebei-2022",
        "gateway_id": "gw-c",
    }
    assert c.put("/api/v1/checkpoints/cp-c", json=cp, headers=admin).status_code == 200
    r = c.get("/api/v1/gateways/gw-c/fast-pass.toml", headers=bearer(gateway_token(app, "gw-c")))
    fl = parse_toml(r.text, "cloud")
    assert [(t.plate, t.company) for t in fl.trucks] == [("冀C77777", odd["company"])]
    doc = c.get("/api/v1/fast-pass/list", params={"region": "130102"}, headers=admin).json()
    assert doc["version"] == fl.version and doc["truck"][0]["company"] == odd["company"]


def test_green_lanes_draw_on_the_reports_quantity_in_the_cloud_list(
    tmp_path: Path, cloud_db: str
) -> None:
    """A released green lane's weight comes off the report's tonnes in the next list pulled,
    and the gateway does not count it twice."""
    app = make_app(cloud_db)
    app.state.clock = ManualClock(START)
    tok = users(app)
    c = client(app)
    admin = bearer(tok["admin"])
    report = {**_report("QR-Q", "130102", PASSING), "quantity_t": 100.0}
    assert c.post("/api/v1/fast-pass/reports", json=report, headers=admin).json()[
        "remaining_t"
    ] == pytest.approx(100.0)
    truck = {"plate": "冀E00001", "region_code": "130102", "report_id": "QR-Q"}
    assert c.post("/api/v1/fast-pass/trucks", json=truck, headers=admin).status_code == 201
    cp = {
        "name": "涿州",
        "region_code": "130102",
        "jurisdiction": "hebei-2022",
        "gateway_id": "cp-zz",
    }
    assert c.put("/api/v1/checkpoints/cp-zz", json=cp, headers=admin).status_code == 200
    token = bearer(gateway_token(app, "cp-zz"))

    def pull() -> FastPassList:
        r = c.get("/api/v1/gateways/cp-zz/fast-pass.toml", headers=token)
        assert r.status_code == 200, r.text
        return parse_toml(r.text, "cloud")

    clock = ManualClock(START)
    gw = build_gateway(tmp_path, "cp-zz", "130102", clock)
    try:
        first = pull()
        assert first.format == 2 and first.trucks[0].quantity_t == pytest.approx(100.0)
        assert (first.trucks[0].coal_type, str(first.trucks[0].valid_from)) == (
            "anthracite",
            "2026-11-01",
        )
        gw.fast_pass.replace(first, "cloud")
        declared = registration("冀E00001", weight_t=40.0, consignor="大同恒信煤业有限公司")
        iid = gw.workflow.arrive("冀E00001", "op")
        gw.workflow.register(iid, "op", declared)
        assert gw.workflow.check_fast_pass(iid, "op") is True
        gw.workflow.release(iid, "op")
        send(c, "cp-zz", token["Authorization"].split()[1], records(gw))
        app.state.projector.run_until_idle()

        clock.advance(timedelta(minutes=10))
        second = pull()
        assert second.trucks[0].quantity_t == pytest.approx(60.0)
        assert second.version != first.version
        gw.fast_pass.replace(second, "cloud")
        assert gw.fast_pass.check("冀E00001", {**declared, "weight_t": 60.0}).green
        over = gw.fast_pass.check("冀E00001", {**declared, "weight_t": 61.0})
        assert [m.as_dict() for m in over.mismatches] == [
            {"code": "quantity", "declared": "61", "remaining": "60"}
        ]
    finally:
        gw.store.close()
