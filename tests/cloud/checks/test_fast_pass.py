"""Fast-pass registry: reports judged by the cloud, trucks listed, the gateway pulls its file."""

from __future__ import annotations

from pathlib import Path

from coalguard.edge.clock import ManualClock
from coalguard.edge.fastpass import load_file, parse_toml
from tests.cloud.checks.checkpoint_feed import START, build_gateway, gateway_token
from tests.cloud.ops_support import bearer, client, make_app, users
from tests.gateway.conftest import FAILING, PASSING


def _report(report_id: str, region: str, values: dict, expires: str = "2027-02-28") -> dict:
    return {
        "report_id": report_id,
        "company": "大同恒信煤业有限公司",
        "region_code": region,
        "coal_type": "anthracite",
        "lab": "河北省煤炭产品质量监督检验站",
        "issued_on": "2026-11-01",
        "expires": expires,
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
        assert gw.fast_pass.check("冀A12345").green is True
        assert gw.fast_pass.check("冀B00001").green is False  # expired report: not listed
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
