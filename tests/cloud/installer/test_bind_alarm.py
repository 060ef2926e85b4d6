"""``POST /api/v1/installer/households/{id}/alarm``: an installer binds an alarm to a
household of the register without ever seeing its head's name or phone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from coalguard.cloud.auth import issue_token
from coalguard.cloud.co.tables import CoDevice
from coalguard.cloud.households.register import HouseholdIn, add_household, open_head
from coalguard.cloud.households.tables import Household
from coalguard.edge.clock import ManualClock
from tests.cloud.ops_support import bearer, make_app

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
VILLAGE = "130102001001"


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    app = make_app(f"sqlite:///{tmp_path}/cloud.sqlite", ManualClock(NOW))
    sm = app.state.sessions
    with sm.begin() as s:
        ids = {}
        for name, phone, village in (
            ("王建国", "13800001001", VILLAGE),
            ("李秀英", None, VILLAGE),
            ("周大山", "13800002002", "140102001001"),  # another province
        ):
            body = HouseholdIn(
                village_code=village, head_name=name, address="一组", category="new_coal",
                **({"phone": phone} if phone else {"id_number": "13010219581123002X"}),
            )  # fmt: skip
            ids[name] = add_household(s, app.state.keyring, body, "office", NOW).id
    token = issue_token(sm, "inst-7", "130102", "installer", now=NOW)
    yield app, TestClient(app), bearer(token), ids
    app.state.engine.dispose()


def _bind(c: TestClient, auth: dict, household: int, **body: str):  # type: ignore[no-untyped-def]
    url = f"/api/v1/installer/households/{household}/alarm"
    return c.post(url, json=body, headers={**auth, "Accept-Language": "zh"})


def test_an_alarm_binds_to_the_register_household_masked(world) -> None:  # type: ignore[no-untyped-def]
    app, c, auth, ids = world
    r = _bind(c, auth, ids["王建国"], device_id="COA-00001")
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["household"] == {"name": "王**", "address": "一组", "phone": "138****1001"}
    assert "王建国" not in r.text and "13800001001" not in r.text
    with app.state.sessions() as s:
        dev = s.get(CoDevice, "COA-00001")
        assert (dev.household_id, dev.region_code, dev.installer_id) == (
            ids["王建国"], VILLAGE, "inst-7",
        )  # fmt: skip
        assert s.query(Household).count() == 3  # no second household made for the alarm


def test_a_household_without_a_phone_needs_one_and_the_register_keeps_it(world) -> None:  # type: ignore[no-untyped-def]
    app, c, auth, ids = world
    r = _bind(c, auth, ids["李秀英"], device_id="COA-00002")
    assert r.status_code == 422 and "没有联系电话" in r.json()["detail"]
    r = _bind(c, auth, ids["李秀英"], device_id="COA-00002", phone="138 0000 1002")
    assert r.status_code == 201, r.text
    with app.state.sessions() as s:
        h = s.get(Household, ids["李秀英"])
        assert open_head(h, app.state.keyring)["phone"] == "13800001002"
        assert s.get(CoDevice, "COA-00002").household_id == h.id


def test_a_household_outside_the_installers_region_is_not_found(world) -> None:  # type: ignore[no-untyped-def]
    _, c, auth, ids = world
    r = _bind(c, auth, ids["周大山"], device_id="COA-00003")
    assert r.status_code == 404 and "周" not in r.text
    assert _bind(c, auth, 999999, device_id="COA-00003").status_code == 404


def test_a_bad_alarm_id_is_refused_naming_it(world) -> None:  # type: ignore[no-untyped-def]
    _, c, auth, ids = world
    r = _bind(c, auth, ids["王建国"], device_id="no spaces!")
    assert r.status_code == 422 and "device_id" in r.text
