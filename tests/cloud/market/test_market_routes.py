"""The market API: points, a plan walked to a failing lab result and its automatic
re-check, the rates moving as they should, the public list masked, imports with
row-level errors, and region scope."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from coalguard.cloud.auth import issue_token
from coalguard.edge.clock import ManualClock
from tests.cloud.market.market_support import FAILING, LINXIA, NOW, PASSING, TOWN
from tests.cloud.ops_support import bearer, make_app

API = "/api/v1/market"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    app = make_app(f"sqlite:///{tmp_path}/cloud.sqlite", ManualClock(NOW))
    sm = app.state.sessions
    heads = {
        role: bearer(issue_token(sm, f"{role}-linxia", LINXIA, role, now=NOW))
        for role in ("market", "lab", "clerk", "operator")
    }
    heads["elsewhere"] = bearer(issue_token(sm, "market-hebei", "130102", "market", now=NOW))
    return TestClient(app), heads


def _point(c: TestClient, head: dict[str, str], code: str, **extra: object) -> dict:
    body = {"code": code, "name": f"{code}号网点", "kind": "loose_coal_point", "region_code": TOWN}
    r = c.post(f"{API}/points", json={**body, **extra}, headers=head)
    assert r.status_code == 201, r.text
    return r.json()


def _rates(c: TestClient, head: dict[str, str]) -> dict:
    r = c.get(f"{API}/rates", params={"year": 2026, "phase": "routine"}, headers=head)
    assert r.status_code == 200, r.text
    return r.json()["total"]


def test_plan_to_failing_lab_result_to_recheck_moves_the_county_rates(world) -> None:  # type: ignore[no-untyped-def]
    c, h = world
    _point(c, h["market"], "LX-1", operator_name="马小明")
    _point(c, h["market"], "LX-2")
    _point(c, h["market"], "LX-9", kind="briquette_producer", name="临夏型煤厂")
    _point(c, h["market"], "LX-3", status="dormant", pending_change="deregister")
    before = _rates(c, h["operator"])
    assert (before["sampling"]["done"], before["sampling"]["of"]) == (0, 2)  # dormant not counted
    assert before["sampling"]["missing"] == ["LX-1号网点", "LX-2号网点"]
    assert before["producers"]["missing"] == ["临夏型煤厂"]
    assert before["recheck"]["rate"] is None and before["cases"]["rate"] is None

    plan = c.post(f"{API}/plans", json={"region_code": LINXIA, "year": 2026}, headers=h["market"])
    assert plan.status_code == 201 and plan.json()["on_time"] is False  # after 31 May
    task = c.post(
        f"{API}/plans/{plan.json()['id']}/tasks",
        json={"point_code": "LX-1", "planned_on": "2026-06-10"},
        headers=h["market"],
    ).json()
    sample = {"sampler": "王五", "sample_id": "LX-2026-001", "seal": "FQ-001"}
    assert c.post(f"{API}/tasks/{task['id']}/sample", json=sample, headers=h["market"]).is_success
    r = c.post(
        f"{API}/tasks/{task['id']}/results",
        json={"method": "lab", "lab": "临夏州质检所", "indicators": FAILING},
        headers=h["lab"],
    )
    assert r.status_code == 201, r.text
    judged = r.json()
    assert judged["outcome"] == "fail" and judged["recheck_task_id"] is not None
    assert judged["results"][0]["profile_id"] == "linxia-2023/anthracite-2"
    after = _rates(c, h["operator"])
    assert (after["sampling"]["done"], after["sampling"]["missing"]) == (1, ["LX-2号网点"])
    assert (after["recheck"]["done"], after["recheck"]["of"]) == (0, 1)
    assert after["recheck"]["missing"] == ["LX-1号网点"]

    recheck = judged["recheck_task_id"]
    sample2 = {"sampler": "王五", "sample_id": "LX-2026-002", "seal": "FQ-002"}
    assert c.post(f"{API}/tasks/{recheck}/sample", json=sample2, headers=h["market"]).is_success
    c.post(
        f"{API}/tasks/{recheck}/results",
        json={"method": "lab", "indicators": PASSING},
        headers=h["lab"],
    )
    final = _rates(c, h["operator"])
    assert final["recheck"] == {**final["recheck"], "done": 1, "of": 1, "rate": 1.0, "met": True}

    public = c.get(f"{API}/failing", params={"year": 2026}, headers=h["operator"]).json()
    (row,) = public
    assert row["point_code"] == "LX-1" and row["operator_name"] == "马**"
    assert "Vdaf" in row["failed"]
    csv_text = c.get(f"{API}/failing.csv", params={"year": 2026}, headers=h["market"]).text
    assert "马**" in csv_text and "马小明" not in csv_text and "王五" not in csv_text


def test_only_labs_and_market_staff_enter_results(world) -> None:  # type: ignore[no-untyped-def]
    c, h = world
    _point(c, h["market"], "LX-1")
    plan = c.post(f"{API}/plans", json={"region_code": LINXIA, "year": 2026}, headers=h["market"])
    task = c.post(
        f"{API}/plans/{plan.json()['id']}/tasks",
        json={"point_code": "LX-1", "planned_on": "2026-06-10"},
        headers=h["market"],
    ).json()
    body = {"method": "rapid", "indicators": PASSING}
    for who in ("clerk", "operator"):
        assert (
            c.post(f"{API}/tasks/{task['id']}/results", json=body, headers=h[who]).status_code
            == 403
        )
    r = c.post(f"{API}/tasks/{task['id']}/results", json=body, headers=h["lab"])
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")


def test_another_county_sees_none_of_it(world) -> None:  # type: ignore[no-untyped-def]
    c, h = world
    p = _point(c, h["market"], "LX-1")
    assert c.get(f"{API}/points/{p['id']}", headers=h["elsewhere"]).status_code == 404
    assert c.get(f"{API}/points", headers=h["elsewhere"]).json() == []
    r = c.get(f"{API}/points", params={"region": LINXIA}, headers=h["elsewhere"])
    assert r.status_code == 403


def test_no_sales_while_rectifying_until_accepted(world) -> None:  # type: ignore[no-untyped-def]
    c, h = world
    p = _point(c, h["market"], "LX-1")
    assert p["may_record_sales"] is True
    body = {"reason": "无洗车台、沉淀池", "due_on": "2026-06-30"}
    r = c.post(f"{API}/points/{p['id']}/rectification", json=body, headers=h["market"]).json()
    assert (r["may_record_sales"], r["no_sales_reason"]) == (False, "no_sales_rectifying")
    r = c.patch(f"{API}/points/{p['id']}", json={"status": "trading"}, headers=h["market"])
    assert r.status_code == 422
    r = c.post(f"{API}/points/{p['id']}/rectification/accept", headers=h["market"]).json()
    assert r["may_record_sales"] is True and r["status"] == "trading"


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_reports_row_level_errors_and_keeps_nothing(world) -> None:  # type: ignore[no-untyped-def]
    c, h = world
    sheet = _xlsx(
        [
            ["网点编号", "名称", "类别", "区划代码", "环保设施", "承诺公示"],
            ["LX-1", "东关煤场", "一级市场", TOWN, "防尘帘、洗车台", "是"],
            ["LX-2", "西关煤点", "煤球铺", TOWN, "", "否"],
            ["LX-3", "南关煤点", "散煤销售网点", "130102", "雾炮", "也许"],
        ]
    )
    r = c.post(
        f"{API}/points/import?commit=true",
        content=sheet,
        headers={**h["market"], "Content-Type": XLSX},
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["committed"] is False and out["rows"] == 3
    got = {(e["row"], e["column"]) for e in out["errors"]}
    assert (3, "kind") in got and (4, "facilities") in got and (4, "pledge_posted") in got
    assert c.get(f"{API}/points", headers=h["market"]).json() == []
    good = (
        "code,name,kind,region_code,facilities\nLX-1,东关煤场,一级市场,622901100,防尘帘、洗车台\n"
    )
    for _ in range(2):  # twice: the second run updates, adds no one
        r = c.post(f"{API}/points/import?commit=true", content=good.encode(), headers=h["market"])
        assert r.json()["committed"] is True, r.text
    (p,) = c.get(f"{API}/points", headers=h["market"]).json()
    assert (p["kind"], p["facilities"]) == ("primary_market", ["dust_curtain", "wheel_wash"])


def test_an_import_outside_the_region_is_refused_by_row(world) -> None:  # type: ignore[no-untyped-def]
    c, h = world
    text = "code,name,kind,region_code\nHB-1,正定煤点,loose_coal_point,130102001\n"
    r = c.post(f"{API}/points/import?commit=true", content=text.encode(), headers=h["market"])
    assert r.json()["errors"][0]["column"] == "region_code"


def test_the_daily_report_carries_the_sales_point_section(world) -> None:  # type: ignore[no-untyped-def]
    c, h = world
    _point(c, h["market"], "LX-1")
    _point(c, h["market"], "LX-2")
    plan = c.post(f"{API}/plans", json={"region_code": LINXIA, "year": 2026}, headers=h["market"])
    task = c.post(
        f"{API}/plans/{plan.json()['id']}/tasks",
        json={"point_code": "LX-1", "planned_on": "2026-06-10"},
        headers=h["market"],
    ).json()
    sample = {"sampler": "王五", "sample_id": "LX-2026-001", "seal": "FQ-001"}
    c.post(f"{API}/tasks/{task['id']}/sample", json=sample, headers=h["market"])
    body = {"method": "lab", "indicators": FAILING}
    c.post(f"{API}/tasks/{task['id']}/results", json=body, headers=h["lab"])
    doc = c.get("/api/v1/reports/daily?date=2026-06-10", headers=h["operator"]).json()
    sales = doc["sales_points"]
    assert (sales["sampled"], sales["failed"], sales["season_since"]) == (1, 1, "2026-06-01")
    assert (sales["rates"]["sampling"]["done"], sales["rates"]["sampling"]["of"]) == (1, 2)
    assert sales["rates"]["recheck"]["missing"] == ["LX-1号网点"]
    html = c.get("/api/v1/reports/daily?date=2026-06-10&format=html", headers=h["operator"]).text
    assert "五、销售网点抽检" in html and "散煤销售网点抽检覆盖率" in html and "LX-2号网点" in html
    assert "本期抽样 1 个，不合格 1 个" in html
    rows = c.get("/api/v1/reports/daily?date=2026-06-10&format=csv", headers=h["operator"]).text
    assert "sales_points,sampling,done,1" in rows


def test_a_case_from_a_failing_sample_counts_and_is_accepted_on_the_case(world) -> None:  # type: ignore[no-untyped-def]
    c, h = world
    p = _point(c, h["market"], "LX-1")
    plan = c.post(f"{API}/plans", json={"region_code": LINXIA, "year": 2026}, headers=h["market"])
    task = c.post(
        f"{API}/plans/{plan.json()['id']}/tasks",
        json={"point_code": "LX-1", "planned_on": "2026-06-10"},
        headers=h["market"],
    ).json()
    sample = {"sampler": "王五", "sample_id": "LX-2026-001", "seal": "FQ-001"}
    c.post(f"{API}/tasks/{task['id']}/sample", json=sample, headers=h["market"])
    c.post(
        f"{API}/tasks/{task['id']}/results",
        json={"method": "lab", "indicators": FAILING},
        headers=h["lab"],
    )
    body = {"sample_id": "LX-2026-001", "violation": "substandard"}
    case = c.post(f"{API}/cases", json=body, headers=h["market"])
    assert case.status_code == 201, case.text
    cases = _rates(c, h["operator"])["cases"]
    assert (cases["done"], cases["of"], cases["missing"]) == (0, 1, ["LX-1号网点"])
    # The point's own acceptance is refused while the case that ordered it is open.
    r = c.post(f"{API}/points/{p['id']}/rectification/accept", headers=h["market"])
    assert r.status_code == 409 and str(case.json()["id"]) in r.json()["detail"]
    accepted = c.post(f"{API}/cases/{case.json()['id']}/accept", json={}, headers=h["market"])
    assert accepted.status_code == 200, accepted.text
    assert _rates(c, h["operator"])["cases"] | {"missing": []} == {
        **_rates(c, h["operator"])["cases"],
        "done": 1,
        "of": 1,
        "met": True,
    }
    assert c.get(f"{API}/points/{p['id']}", headers=h["market"]).json()["may_record_sales"]


SAMPLE = Path(__file__).parents[3] / "docs" / "market-points-sample.csv"


def test_the_documented_sample_sheet_imports(world) -> None:  # type: ignore[no-untyped-def]
    c, h = world
    r = c.post(f"{API}/points/import?commit=true", content=SAMPLE.read_bytes(), headers=h["market"])
    assert r.json() | {"errors": []} == {
        "rows": 4,
        "added": 4,
        "updated": 0,
        "committed": True,
        "errors": [],
    }
    points = {p["code"]: p for p in c.get(f"{API}/points", headers=h["market"]).json()}
    assert points["LX-003"]["status"] == "dormant"
    assert points["LX-009"]["kind"] == "briquette_producer"
    assert points["LX-002"]["coal_types"] == ["anthracite", "briquette"]
    assert points["LX-001"]["operator_name"] == "马**"  # masked: market staff see no personal data


def test_a_city_sees_one_block_per_county(world) -> None:  # type: ignore[no-untyped-def]
    c, h = world
    _point(c, h["market"], "LX-1")
    c.post(f"{API}/points/import?commit=true", content=SAMPLE.read_bytes(), headers=h["market"])
    city = bearer(issue_token(c.app.state.sessions, "market-6229", "6229", "market", now=NOW))
    other = {
        "code": "HZ-1",
        "name": "和政煤点",
        "kind": "loose_coal_point",
        "region_code": "622925100",
    }
    assert c.post(f"{API}/points", json=other, headers=city).status_code == 201
    r = c.get(f"{API}/rates", params={"year": 2026}, headers=city).json()
    assert [x["county"] for x in r["counties"]] == [LINXIA, "622925"]
    assert r["total"]["sampling"]["of"] == 4 and r["counties"][1]["sampling"]["missing"] == [
        "和政煤点"
    ]
    assert (
        c.get(f"{API}/rates", params={"year": 2026, "phase": "winter"}, headers=city).status_code
        == 422
    )


def test_an_id_past_the_database_integer_is_refused_not_a_server_error(world) -> None:  # type: ignore[no-untyped-def]
    # The API fuzzer's case: /market/points/46867628511759205138432 overflowed SQLite (500).
    c, h = world
    huge = 46867628511759205138432
    for url in (f"{API}/points/{huge}", f"{API}/tasks/{huge}", f"{API}/tasks?plan_id={huge}"):
        r = c.get(url, headers=h["market"])
        assert r.status_code == 422, (url, r.status_code)
    assert c.get(f"/market/points/{huge}", headers=h["market"]).status_code == 422
