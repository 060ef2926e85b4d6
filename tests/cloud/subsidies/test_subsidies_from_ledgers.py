"""Issue 17's done-when: a village's register imported from Excel, deliveries recorded from
slips, Taishan's and Hebei's entitlements computed from the ledgers (hand-checked), a list
drawn, posted and paid, exported, and printed for posting in Chromium with names masked."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from coalguard.cloud.auth import issue_token
from coalguard.cloud.households import importer
from coalguard.cloud.households.tables import Household
from coalguard.cloud.market.idcard import check_digit
from coalguard.edge.clock import ManualClock
from tests.cloud.ops_support import bearer, make_app
from tests.conftest import require_binary
from tests.gateway.cdp import Browser
from tests.support.servers import ThreadServer
from tests.support.waiting import wait_for

NOW = datetime(2022, 1, 10, 2, 0, tzinfo=UTC)
TAISHAN_TOWN, TAISHAN = "370902001", "370902001001"
HEBEI_TOWN, HEBEI = "130104001", "130104001001"


def idn(first17: str) -> str:
    return first17 + check_digit(first17)


HEADINGS = [
    "村代码",
    "户主姓名",
    "身份证号码",
    "手机号码",
    "住址",
    "户类",
    "取暖方式",
    "炉具",
    "困难户",
]
REMOTE, NEW, EXCEPTION = "未改造偏远或坝上地区户", "新增燃煤户", "改造区例外户"
COAL = ("洁净煤", "型煤炉")
REGISTER = [  # village, head, ID, phone, address, category, heating, stove, hardship
    (TAISHAN, "刘长海", idn("37090219650101001"), "13905380001", "东村1号", REMOTE, *COAL, "否"),
    (TAISHAN, "陈玉梅", idn("37090219680202002"), "13905380002", "东村2号", NEW, *COAL, "是"),
    (HEBEI, "张铁柱", idn("13010419700303003"), "13803110003", "西村3号", NEW, *COAL, "否"),
    (HEBEI, "周翠兰", idn("13010419710404004"), "13803110004", "西村4号", EXCEPTION, *COAL, "否"),
]


def _xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADINGS)
    for row in REGISTER:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    app = make_app(f"sqlite:///{tmp_path}/cloud.sqlite", ManualClock(NOW))
    with app.state.sessions.begin() as s:
        rows = importer.read_table(_xlsx(), "xlsx")
        done = importer.import_rows(s, app.state.keyring, rows, "county", NOW, commit=True)
        assert (done.errors, done.added) == ([], 4)
        ids = {h.head_name_masked: h.id for h in s.scalars(select(Household))}
    tok = {
        name: bearer(issue_token(app.state.sessions, name, region, role, now=NOW))
        for name, region, role in (
            ("fdrc-ts", "370902", "fdrc"),
            ("fdrc-hb", "130104", "fdrc"),
            ("village-ts", TAISHAN, "operator"),
            ("village-hb", HEBEI, "operator"),
            ("finance-ts", "370902", "finance"),
            ("finance-hb", "130104", "finance"),
            ("ts-coal", "370902", "supplier"),
            ("hb-coal", "130104", "supplier"),
        )
    }
    with ThreadServer(app) as server, httpx.Client(base_url=server.url) as c:
        yield {"c": c, "tok": tok, "ids": ids, "base": server.url, "app": app}


def _supplier(c: httpx.Client, tok: dict[str, Any], who: str, county: str, user: str) -> None:
    body = {"name": f"{county} 招标配送企业", "region_code": county, "tendered_on": "2021-08-10"}
    r = c.post("/api/v1/delivery/suppliers", json=body, headers=tok[who])
    assert r.status_code == 201, r.text
    r = c.post(
        f"/api/v1/delivery/suppliers/{r.json()['id']}/users",
        json={"user_name": user},
        headers=tok[who],
    )
    assert r.status_code == 200, r.text


def _register(
    c: httpx.Client,
    tok: dict[str, Any],
    who: str,
    village: str,
    season: str,
    lines: list[dict[str, Any]],
) -> None:
    body = {"village_code": village, "season": season, "lines": lines}
    assert c.put("/api/v1/delivery/registers", json=body, headers=tok[who]).status_code == 200


def _slip(
    c: httpx.Client,
    tok: dict[str, Any],
    who: str,
    serial: str,
    hid: int,
    village: str,
    season: str,
    on: str,
    lines: list[tuple[str, str, str]],
) -> None:
    body = {
        "serial": serial, "household_id": hid, "village_code": village, "season": season,
        "delivered_on": on,
        "lines": [{"item": i, "quantity": q, "unit_price": p} for i, q, p in lines],
    }  # fmt: skip
    r = c.post("/api/v1/delivery/slips", json=body, headers=tok[who])
    assert r.status_code == 201, r.text


def _amounts(
    c: httpx.Client, tok: dict[str, Any], who: str, hid: int, season: str, on: str
) -> dict[str, Any]:
    r = c.get(
        f"/api/v1/subsidies/households/{hid}",
        params={"season": season, "on": on},
        headers={**tok[who], "Accept-Language": "zh"},
    )
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.timeout(240)
def test_register_slips_and_entitlements_of_taishan_and_hebei_by_hand(
    world: dict[str, Any], tmp_path: Path
) -> None:
    c, tok, ids = world["c"], world["tok"], world["ids"]
    liu, chen, zhang, zhou = ids["刘**"], ids["陈**"], ids["张**"], ids["周**"]
    # Taishan 2021-22: the tendered company's slips
    _supplier(c, tok, "fdrc-ts", "370902", "ts-coal")
    _register(c, tok, "village-ts", TAISHAN, "2021-22", [
        {"household_id": liu, "coal_t": "2", "stoves": 1, "paid_yuan": "0"},
        {"household_id": chen, "coal_t": "1.5", "stoves": 0, "paid_yuan": "0"},
    ])  # fmt: skip
    _slip(
        c,
        tok,
        "ts-coal",
        "TS-0001",
        liu,
        TAISHAN,
        "2021-22",
        "2021-10-08",
        [("coal", "1.2", "1180"), ("stove", "1", "1650")],
    )
    _slip(
        c,
        tok,
        "ts-coal",
        "TS-0002",
        liu,
        TAISHAN,
        "2021-22",
        "2021-12-01",
        [("coal", "0.8", "1180")],
    )
    _slip(
        c,
        tok,
        "ts-coal",
        "TS-0003",
        chen,
        TAISHAN,
        "2021-22",
        "2021-11-15",
        [("coal", "1.5", "1180")],
    )
    liu_ent = _amounts(c, tok, "finance-ts", liu, "2021-22", "2022-01-10")
    # coal (1.2 + 0.8) t x 300 = 600.00; stove 1 x 400 = 400.00; total 1000.00
    assert {ln["item_id"]: ln["amount"] for ln in liu_ent["lines"]} == {
        "coal": "600.00",
        "stove": "400.00",
    }
    assert liu_ent["total"] == "1000.00"
    chen_ent = _amounts(c, tok, "finance-ts", chen, "2021-22", "2022-01-10")
    assert chen_ent["total"] == "450.00"  # 1.5 t x 300; no stove bought
    stove = next(ln for ln in chen_ent["lines"] if ln["item_id"] == "stove")
    assert stove["refused_by"] == "nothing_bought" and "销售单" in stove["why"]

    # Hebei 2022-23 (a county with no file of its own: the province's benchmark)
    _supplier(c, tok, "fdrc-hb", "130104", "hb-coal")
    _register(c, tok, "village-hb", HEBEI, "2022-23", [
        {"household_id": zhang, "coal_t": "2.5", "stoves": 1, "paid_yuan": "0"},
        {"household_id": zhou, "coal_t": "1.8", "stoves": 1, "paid_yuan": "0"},
    ])  # fmt: skip
    _slip(
        c,
        tok,
        "hb-coal",
        "HB-0001",
        zhang,
        HEBEI,
        "2022-23",
        "2022-10-20",
        [("coal", "2.5", "1050"), ("stove", "1", "900")],
    )
    _slip(
        c,
        tok,
        "hb-coal",
        "HB-0002",
        zhou,
        HEBEI,
        "2022-23",
        "2022-10-21",
        [("coal", "1.8", "1050"), ("stove", "1", "900")],
    )
    zhang_ent = _amounts(c, tok, "finance-hb", zhang, "2022-23", "2022-12-01")
    # new coal household: coal min(2.5, 2) t x 100 = 200.00; stove 1 x 500 = 500.00
    assert zhang_ent["by_payer"] == {"province": "700.00"}
    zhou_ent = _amounts(c, tok, "finance-hb", zhou, "2022-23", "2022-12-01")
    # 例外户: coal 1.8 t x 100 = 180.00; the stove benchmark is for new coal households only
    assert zhou_ent["total"] == "180.00"
    assert (
        next(ln for ln in zhou_ent["lines"] if ln["item_id"] == "stove")["refused_by"] == "category"
    )

    # Taishan's payout list: drawn from the ledgers, posted, paid; a second draw lists nothing new
    r = c.post(
        "/api/v1/subsidies/lists",
        json={"township_code": TAISHAN_TOWN, "season": "2021-22", "pay_day": "2022-01-10"},
        headers=tok["finance-ts"],
    )
    assert r.status_code == 201, r.text
    lst = r.json()
    assert (lst["total"], lst["households"]) == ("1450.00", 2)
    for to in ("posted", "paid"):
        assert (
            c.post(
                f"/api/v1/subsidies/lists/{lst['id']}/advance",
                json={"to": to},
                headers=tok["finance-ts"],
            ).status_code
            == 200
        )
    again = c.post(
        "/api/v1/subsidies/lists",
        json={"township_code": TAISHAN_TOWN, "season": "2021-22", "pay_day": "2022-01-20"},
        headers=tok["finance-ts"],
    )
    assert again.status_code == 201 and again.json()["total"] == "0.00"
    alloc = {"county_code": "370902", "season": "2021-22", "payer": "county", "amount": "5000"}
    settled = c.put("/api/v1/subsidies/allocations", json=alloc, headers=tok["finance-ts"]).json()
    assert (settled["allocated"], settled["paid"], settled["balance"]) == (
        "5000.00",
        "1450.00",
        "3550.00",
    )

    # the Excel export and the printed posting: masked names, never an ID number
    xlsx = c.get(
        f"/api/v1/subsidies/lists/{lst['id']}/export.xlsx",
        headers={**tok["finance-ts"], "Accept-Language": "zh"},
    )
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    cells = [[str(v) for v in row if v is not None] for row in sheet.iter_rows(values_only=True)]
    assert cells[0][:2] == ["村", "户主"] and ["刘**" in row for row in cells].count(True) == 2
    assert not any(idn("37090219650101001") in v or "刘长海" in v for row in cells for v in row)
    binary = require_binary("chromium")
    b = Browser(binary, tmp_path / "chromium-profile")
    try:
        b.goto(world["base"] + "/login")
        token = issue_token(
            world["app"].state.sessions, "finance-page", "370902", "finance", now=NOW
        )
        b.eval(
            f"document.querySelector('#token').value = {token!r};"
            "document.querySelector('#login button').click();"
        )
        wait_for(lambda: b.eval("location.pathname") == "/", 20, "signed in", retry_errors=True)
        b.call("Page.navigate", url=f"{world['base']}/subsidies/lists/{lst['id']}/print")
        wait_for(
            lambda: "1450.00" in b.eval("document.body.innerText"),
            20,
            "the posting",
            retry_errors=True,
        )
        text = b.eval("document.body.innerText")
        assert "清洁取暖补贴发放名单公示" in text and "刘**" in text and "陈**" in text
        assert "刘长海" not in text and "13905380001" not in text
    finally:
        b.close()
