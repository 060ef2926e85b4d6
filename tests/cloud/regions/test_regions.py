"""The region directory: names and paths of codes, children, the import (dry run, row
errors, all or nothing) and a page showing a village's name instead of its code."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from coalguard.cloud import regions
from coalguard.cloud.auth import issue_token
from coalguard.cloud.co.registry import Household, Registration, register
from coalguard.cloud.regions.directory import LEVELS, parent_code, shipped
from coalguard.cloud.regions.tables import RegionRow
from coalguard.edge.clock import ManualClock
from tests.cloud.ops_support import bearer, make_app

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    app = make_app(f"sqlite:///{tmp_path}/cloud.sqlite", ManualClock(T0))
    admin = bearer(issue_token(app.state.sessions, "root", "", "admin", now=T0))
    yield TestClient(app), admin, app
    with app.state.sessions.begin() as s:  # the directory is process-wide: forget the imports
        s.query(RegionRow).delete()
    regions.refresh(app.state.sessions)


def _post(c: TestClient, head, text: str, *, commit: bool):  # type: ignore[no-untyped-def]
    headers = {**head, "Accept-Language": "en", "Content-Type": "text/csv"}
    return c.post(
        f"/api/v1/regions/import?commit={str(commit).lower()}",
        content=text.encode(),
        headers=headers,
    )


def test_every_shipped_region_hangs_under_a_shipped_parent() -> None:
    every = shipped()
    for code in every:
        assert len(code) in LEVELS, code
        parent = parent_code(code)
        assert parent is None or parent in every, f"{code}: parent {parent} missing"


def test_names_and_paths_fall_back_to_the_code() -> None:
    assert regions.region_name("130102") == "长安区"
    assert regions.region_name("130102", "en") == "Chang'an District"
    assert regions.region_path("130102001001") == "河北省 石家庄市 长安区 示例街道一 示例一村"
    assert regions.region_name("999999") == "999999"
    assert regions.region_path("999999") == "999999"
    assert regions.region_name("") == ""
    assert [r.code for r in regions.children("130102")] == ["130102001", "130102002"]
    assert "13" in [r.code for r in regions.children()]


def test_the_api_lists_children_in_the_callers_language(world) -> None:  # type: ignore[no-untyped-def]
    c, _admin, app = world
    installer = bearer(issue_token(app.state.sessions, "inst", "130102", "installer", now=T0))
    r = c.get("/api/v1/regions?parent=130102001", headers={**installer, "Accept-Language": "en"})
    assert r.status_code == 200
    assert r.json()[0] == {
        "code": "130102001001",
        "level": "village",
        "parent": "130102001",
        "name": "Example Village 1",
        "name_zh": "示例一村",
        "name_en": "Example Village 1",
        "path": "Hebei Shijiazhuang Chang'an District Example Subdistrict 1 Example Village 1",
    }
    assert c.get("/api/v1/regions?parent=13x", headers=installer).status_code == 422


def test_import_with_row_errors_keeps_nothing(world) -> None:  # type: ignore[no-untyped-def]
    c, admin, app = world
    sheet = (
        "code,name_zh,name_en\n"
        "130102003,新街道,New Subdistrict\n"
        "130102003001,新村,New Village\n"
        "13010200300x,坏代码,\n"  # bad code
        "130102009001,孤村,\n"  # unknown parent
        "130102003001,重复村,\n"  # duplicate
    )
    r = _post(c, admin, sheet, commit=True)
    assert r.status_code == 200
    body = r.json()
    assert body["committed"] is False and body["rows"] == 5
    assert [(e["row"], e["column"]) for e in body["errors"]] == [
        (4, "code"),
        (5, "code"),
        (6, "code"),
    ]
    assert "not a region code" in body["errors"][0]["message"]
    assert "130102009" in body["errors"][1]["message"]
    assert "twice" in body["errors"][2]["message"]
    with app.state.sessions() as s:
        assert s.scalar(select(func.count()).select_from(RegionRow)) == 0
    assert regions.region_name("130102003001") == "130102003001"


def test_import_dry_run_then_commit_names_the_new_village(world) -> None:  # type: ignore[no-untyped-def]
    c, admin, _app = world
    sheet = (
        "code,name_zh,name_en\n130102003,新街道,New Subdistrict\n130102003001,新村,New Village\n"
    )
    dry = _post(c, admin, sheet, commit=False).json()
    assert dry["committed"] is False and dry["added"] == 2 and dry["errors"] == []
    assert regions.region_name("130102003001") == "130102003001"
    done = _post(c, admin, sheet, commit=True).json()
    assert done["committed"] is True and done["added"] == 2
    assert regions.region_name("130102003001") == "新村"
    again = _post(c, admin, sheet, commit=True).json()
    assert again["unchanged"] == 2 and again["added"] == 0


def test_the_contacts_page_shows_the_village_name_not_its_code(world) -> None:  # type: ignore[no-untyped-def]
    c, _admin, app = world
    with app.state.sessions.begin() as s:
        home = Household(
            name="王家", address="1组", village_code="130102001001", phone="13800000000"
        )
        register(
            s,
            Registration(device_id="COA-0001", household=home, installer_id="i"),
            app.state.keyring,
            T0,
        )
    op = bearer(issue_token(app.state.sessions, "county", "130102", "operator", now=T0))
    html = c.get("/contacts", headers=op).text
    assert '<span class="region" title="130102001001">示例一村</span>' in html
    assert ">130102001001<" not in html
