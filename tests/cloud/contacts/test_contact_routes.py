"""The directory over HTTP: region scope, masking, the audited reveal, the rota."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from coalguard.cloud.audit import AuditEntry
from coalguard.cloud.auth import issue_token
from coalguard.edge.clock import ManualClock
from tests.cloud.ops_support import bearer, make_app

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
VILLAGE, TOWNSHIP = "130102001001", "130102001"


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    clock = ManualClock(T0)
    app = make_app(f"sqlite:///{tmp_path}/cloud.sqlite", clock)
    sm = app.state.sessions
    heads = {
        name: bearer(issue_token(sm, name, region, role, now=T0))
        for name, region, role in (
            ("admin", "", "admin"),
            ("county", "130102", "operator"),
            ("shanxi", "14", "operator"),
            ("installer", "130102", "installer"),
            ("office", "130102", "office"),
        )
    }
    return TestClient(app), heads, app


def _grid_worker(c: TestClient, heads, phone: str = "13700001234") -> dict:  # type: ignore[no-untyped-def]
    body = {"role": "grid_worker", "region_code": VILLAGE, "name": "赵网格", "phone": phone}
    r = c.post("/api/v1/contacts", json=body, headers=heads["county"])
    assert r.status_code == 201, r.text
    return r.json()


def test_the_directory_shows_phones_masked_and_names_per_role(world) -> None:  # type: ignore[no-untyped-def]
    c, heads, _app = world
    made = _grid_worker(c, heads)
    assert made["phone_masked"] == "137****1234" and "phone" not in made
    for who, name in (("county", "赵**"), ("installer", "赵**"), ("admin", "赵网格")):
        (row,) = c.get("/api/v1/contacts", headers=heads[who]).json()
        assert (row["name"], row["phone_masked"]) == (name, "137****1234")
    assert c.get("/api/v1/contacts", headers=heads["shanxi"]).json() == []
    r = c.get("/api/v1/contacts?region=1301", headers=heads["county"])
    assert r.status_code == 403


def test_revealing_a_phone_is_allowed_to_operators_and_audited(world) -> None:  # type: ignore[no-untyped-def]
    c, heads, app = world
    cid = _grid_worker(c, heads)["id"]
    for who in ("installer", "office"):
        assert c.post(f"/api/v1/contacts/{cid}/reveal", headers=heads[who]).status_code == 403
    assert c.post(f"/api/v1/contacts/{cid}/reveal", headers=heads["shanxi"]).status_code == 404
    r = c.post(f"/api/v1/contacts/{cid}/reveal", headers=heads["county"])
    assert r.status_code == 200 and r.json() == {"contact_id": cid, "phone": "13700001234"}
    with app.state.sessions() as s:
        (entry,) = s.scalars(select(AuditEntry).where(AuditEntry.action.startswith("reveal")))
        assert (entry.actor, entry.detail["contact_id"], entry.at) == ("county", cid, T0)
        everything = [str(e.detail) + e.action for e in s.scalars(select(AuditEntry))]
    assert not any("13700001234" in text for text in everything)


def test_a_contact_is_changed_and_deactivated(world) -> None:  # type: ignore[no-untyped-def]
    c, heads, _app = world
    cid = _grid_worker(c, heads)["id"]
    r = c.patch(f"/api/v1/contacts/{cid}", json={"phone": "139 0000 1111"}, headers=heads["county"])
    assert r.status_code == 200 and r.json()["phone_masked"] == "139****1111"
    r = c.patch(f"/api/v1/contacts/{cid}", json={"phone": "12345"}, headers=heads["county"])
    assert r.status_code == 422 and "11" in r.json()["errors"][0]["detail"]
    r = c.post(f"/api/v1/contacts/{cid}/deactivate", headers=heads["county"])
    assert r.json()["active"] is False
    assert c.get("/api/v1/contacts", headers=heads["county"]).json() == []
    inactive = c.get("/api/v1/contacts?include_inactive=true", headers=heads["county"]).json()
    assert [x["id"] for x in inactive] == [cid]


def test_a_contact_outside_the_callers_region_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    c, heads, _app = world
    body = {"role": "grid_worker", "region_code": VILLAGE, "name": "赵", "phone": "13700001234"}
    assert c.post("/api/v1/contacts", json=body, headers=heads["shanxi"]).status_code == 403
    wrong_level = {**body, "region_code": TOWNSHIP}
    r = c.post("/api/v1/contacts", json=wrong_level, headers=heads["county"])
    assert r.status_code == 422 and "乡镇" not in r.json()["detail"]  # default language: zh
    assert "村级" in r.json()["detail"]


def test_the_rota_says_who_is_on_duty(world) -> None:  # type: ignore[no-untyped-def]
    c, heads, _app = world
    body = {
        "role": "township_duty",
        "region_code": TOWNSHIP,
        "name": "钱值班",
        "phone": "13500000001",
    }
    officer = c.post("/api/v1/contacts", json=body, headers=heads["county"]).json()["id"]
    shift = {
        "contact_id": officer,
        "starts_at": T0.isoformat(),
        "ends_at": (T0 + timedelta(hours=8)).isoformat(),
    }
    r = c.post("/api/v1/duty-shifts", json=shift, headers=heads["county"])
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    again = c.post("/api/v1/duty-shifts", json=shift, headers=heads["county"])
    assert again.status_code == 422 and "重叠" in again.json()["detail"]
    now = c.get(f"/api/v1/duty-shifts/on-duty?region={TOWNSHIP}", headers=heads["installer"])
    assert [x["id"] for x in now.json()] == [officer]
    later = (T0 + timedelta(hours=9)).isoformat().replace("+", "%2B")
    r = c.get(f"/api/v1/duty-shifts/on-duty?region={TOWNSHIP}&at={later}", headers=heads["county"])
    assert r.json() == []
    rota = c.get("/api/v1/duty-shifts", headers=heads["county"]).json()
    assert [(x["id"], x["name"]) for x in rota] == [(sid, "钱**")]
    c.post(f"/api/v1/duty-shifts/{sid}/cancel", headers=heads["county"])
    assert c.get("/api/v1/duty-shifts", headers=heads["county"]).json() == []
