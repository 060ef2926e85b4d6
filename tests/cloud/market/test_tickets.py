"""Weighbridge tickets in the cloud: kept from two stable weighings, numbered, scoped, refused
with reasons."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from coalguard.cloud.auth import issue_token
from coalguard.cloud.market.points import start_rectification
from coalguard.edge.clock import ManualClock
from tests.cloud.market.market_support import NOW, TOWN, point
from tests.cloud.ops_support import bearer, make_app


def _weighing(kg: float, minutes: int) -> dict[str, Any]:
    return {"kg": kg, "at": (NOW - timedelta(minutes=minutes)).isoformat(), "stable": True}


def ticket(**over: Any) -> dict[str, Any]:
    body = {
        "point_code": "LX-001",
        "scale_id": "scale-1",
        "scale_format": "st-gs",
        "plate": "甘N·12345",
        "tare": _weighing(12020, 30),
        "gross": _weighing(32040, 5),
    }
    return {**body, **over}


@pytest.fixture
def world(tmp_path: Path) -> tuple[TestClient, dict[str, dict[str, str]]]:
    app = make_app(f"sqlite:///{tmp_path / 'c.sqlite'}", ManualClock(NOW))
    with app.state.sessions.begin() as s:
        point(s, "LX-001")
        point(s, "LX-002")
        point(s, "GS-OTHER", region_code="620102001")
    sm = app.state.sessions
    who = {
        "clerk": bearer(issue_token(sm, "clerk-lx", TOWN, "clerk", now=NOW)),
        "market": bearer(issue_token(sm, "market-lx", "622901", "market", now=NOW)),
        "other": bearer(issue_token(sm, "market-lz", "6201", "market", now=NOW)),
        "lab": bearer(issue_token(sm, "lab-lx", "622901", "lab", now=NOW)),
    }
    return TestClient(app), who


def test_ticket_is_kept_numbered_and_read_back(world) -> None:  # type: ignore[no-untyped-def]
    c, who = world
    r = c.post(
        "/api/v1/market/tickets", json=ticket(client_id="st1-0001-abcd"), headers=who["clerk"]
    )
    assert r.status_code == 201, r.text
    t = r.json()
    assert (t["gross_kg"], t["tare_kg"], t["net_kg"]) == (32040, 12020, 20020)
    assert t["serial"] == "LX-001-20260610-0001" and t["plate"] == "甘N12345"
    assert t["recorded_by"] == "clerk-lx" and t["print_url"] == f"/market/tickets/{t['id']}/print"
    # a station retrying after a lost answer gets the same ticket, not a second one
    again = c.post(
        "/api/v1/market/tickets", json=ticket(client_id="st1-0001-abcd"), headers=who["clerk"]
    )
    assert again.status_code == 200 and again.json()["id"] == t["id"]
    second = c.post("/api/v1/market/tickets", json=ticket(), headers=who["clerk"]).json()
    assert second["serial"] == "LX-001-20260610-0002"
    listed = c.get("/api/v1/market/tickets", headers=who["market"]).json()
    assert [x["id"] for x in listed] == [second["id"], t["id"]]
    assert c.get(f"/api/v1/market/tickets/{t['id']}", headers=who["market"]).json() == t
    assert c.get("/api/v1/market/tickets?plate=甘N 12345&point=LX-001", headers=who["clerk"]).json()
    # another city's market staff neither list nor read it; a lab does not read tickets
    assert c.get("/api/v1/market/tickets", headers=who["other"]).json() == []
    assert c.get(f"/api/v1/market/tickets/{t['id']}", headers=who["other"]).status_code == 404
    assert c.get("/api/v1/market/tickets", headers=who["lab"]).status_code == 403


def test_tare_may_come_first_or_second(world) -> None:  # type: ignore[no-untyped-def]
    c, who = world
    body = ticket(gross=_weighing(30000, 40), tare=_weighing(11000, 2))  # loaded truck in first
    r = c.post("/api/v1/market/tickets", json=body, headers=who["clerk"])
    assert r.status_code == 201 and r.json()["net_kg"] == 19000


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"gross": _weighing(12000, 5)}, 422, "must be more than tare"),
        ({"gross": {**_weighing(32040, 5), "stable": False}}, 422, "stable"),
        ({"gross": _weighing(32040, -60)}, 422, "later than now"),
        ({"tare": _weighing(12020, 60 * 50)}, 422, "48 hours apart"),
        ({"point_code": "NOPE"}, 404, "no sales point with code NOPE"),
        ({"point_code": "GS-OTHER"}, 404, "not in your region"),
        ({"gross": _weighing(250000, 5)}, 422, "gross"),
    ],
)
def test_bad_tickets_are_refused_with_reasons(
    world, change: dict[str, Any], status: int, words: str
) -> None:  # type: ignore[no-untyped-def]
    c, who = world
    r = c.post(
        "/api/v1/market/tickets",
        json=ticket(**change),
        headers={**who["clerk"], "Accept-Language": "en"},
    )
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert words in r.text


def test_point_under_rectification_cannot_issue_tickets(world) -> None:  # type: ignore[no-untyped-def]
    c, who = world
    app = c.app
    with app.state.sessions.begin() as s:  # type: ignore[attr-defined]
        from coalguard.cloud.market.points import point_by_code

        p = point_by_code(s, "LX-002")
        assert p is not None
        start_rectification(s, p, "掺杂掺假", date(2026, 7, 1), NOW)
    r = c.post(
        "/api/v1/market/tickets",
        json=ticket(point_code="LX-002"),
        headers={**who["clerk"], "Accept-Language": "en"},
    )
    assert r.status_code == 409 and "may not record sales" in r.text


def test_client_id_reused_for_other_weights_is_a_conflict(world) -> None:  # type: ignore[no-untyped-def]
    c, who = world
    assert (
        c.post(
            "/api/v1/market/tickets", json=ticket(client_id="dup-00000001"), headers=who["clerk"]
        ).status_code
        == 201
    )
    other = ticket(client_id="dup-00000001", gross=_weighing(33000, 5))
    r = c.post("/api/v1/market/tickets", json=other, headers=who["clerk"])
    assert r.status_code == 409


def test_a_sale_carries_the_ticket_by_serial_or_number_and_its_net(tmp_path: Path) -> None:
    from coalguard.cloud.market.sales import assign_clerk, record_purchase
    from tests.cloud.market.sales_support import purchase_in, sale_in

    app = make_app(f"sqlite:///{tmp_path / 'c.sqlite'}", ManualClock(NOW))
    with app.state.sessions.begin() as s:
        a, b = point(s, "LX-001"), point(s, "LX-002")
        for clerk, p in (("clerk-a", a), ("clerk-b", b)):
            assign_clerk(s, clerk, p, "market-1", NOW)
        record_purchase(s, a, purchase_in(), "clerk-a", NOW)
        ids = {"a": a.id, "b": b.id}
    c = TestClient(app)
    token = issue_token(app.state.sessions, "clerk-a", TOWN, "clerk", now=NOW)
    clerk = {**bearer(token), "Accept-Language": "en"}
    small = ticket(tare=_weighing(8000, 30), gross=_weighing(9500, 5))  # net 1.5 t
    t = c.post("/api/v1/market/tickets", json=small, headers=clerk).json()
    sale = sale_in("WL-1", ticket=t["serial"], quantity_t=1.5).model_dump(mode="json")
    r = c.post(f"/api/v1/market/points/{ids['a']}/sales", json=sale, headers=clerk)
    assert r.status_code == 201, r.text
    assert r.json()["sale"]["ticket_net_t"] == 1.5 and r.json()["findings"] == []
    # by its number too; a ticket used once is not used again
    second = c.post("/api/v1/market/tickets", json=small, headers=clerk).json()
    again = sale_in("WL-2", ticket=str(second["id"]), quantity_t=1.5).model_dump(mode="json")
    assert (
        c.post(f"/api/v1/market/points/{ids['a']}/sales", json=again, headers=clerk).status_code
        == 201
    )
    used = sale_in("WL-3", ticket=t["serial"], quantity_t=1.5).model_dump(mode="json")
    assert (
        c.post(f"/api/v1/market/points/{ids['a']}/sales", json=used, headers=clerk).status_code
        == 409
    )
