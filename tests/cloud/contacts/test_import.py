"""Importing the directory from CSV and Excel: dry run, row-level errors, all or nothing."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select

from coalguard.cloud.auth import issue_token
from coalguard.cloud.co.registry import Household, Registration, register
from coalguard.cloud.contacts import recipients
from coalguard.cloud.contacts.tables import Contact, DutyShift
from coalguard.edge.clock import ManualClock
from tests.cloud.ops_support import bearer, make_app

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
SAMPLE = Path(__file__).parents[3] / "docs" / "contacts-sample.csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEAD = ["role", "region_code", "device_id", "name", "relation", "phone", "shift_start", "shift_end"]


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    app = make_app(f"sqlite:///{tmp_path}/cloud.sqlite", ManualClock(T0))
    with app.state.sessions.begin() as s:
        for dev in ("COA-0001", "COA-0002"):
            reg = Registration(
                device_id=dev,
                household=Household(
                    name="王家", address="1组", village_code="130102001001", phone="13800000000"
                ),
                installer_id="inst",
            )
            register(s, reg, app.state.keyring, T0)
    head = bearer(issue_token(app.state.sessions, "county", "130102", "operator", now=T0))
    return TestClient(app), head, app


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _counts(app) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with app.state.sessions() as s:
        return (
            s.scalar(select(func.count()).select_from(Contact)) or 0,
            s.scalar(select(func.count()).select_from(DutyShift)) or 0,
        )


def _post(c: TestClient, head, data: bytes, *, commit: bool, xlsx: bool = False, lang: str = "en"):  # type: ignore[no-untyped-def]
    headers = {**head, "Accept-Language": lang, "Content-Type": XLSX if xlsx else "text/csv"}
    return c.post(
        f"/api/v1/contacts/import?commit={str(commit).lower()}", content=data, headers=headers
    )


def test_the_sample_sheet_previews_then_imports_and_twice_is_harmless(world) -> None:  # type: ignore[no-untyped-def]
    c, head, app = world
    before = _counts(app)  # the two registered households' own phones
    data = SAMPLE.read_bytes()
    preview = _post(c, head, data, commit=False).json()
    assert preview["errors"] == [] and preview["committed"] is False
    assert (preview["contacts_added"], preview["contacts_known"], preview["shifts_added"]) == (
        8,
        1,
        3,
    )
    assert _counts(app) == before  # a dry run changes nothing
    done = _post(c, head, data, commit=True).json()
    assert done["committed"] is True and _counts(app) == (before[0] + 8, 3)
    again = _post(c, head, data, commit=True).json()
    assert again["errors"] == [] and (again["contacts_added"], again["shifts_added"]) == (0, 0)
    assert _counts(app) == (before[0] + 8, 3)
    with app.state.sessions() as s:
        at = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # 21:00 in Beijing: the night shift
        (night,) = recipients(s, app.state.keyring, who="township_on_call", device_id="COA-0001",
                              region_code="130102001001", at=at)  # fmt: skip
        assert night.phone == "13512345607"
        house = recipients(s, app.state.keyring, who="household", device_id="COA-0001",
                           region_code="130102001001", at=at)  # fmt: skip
        assert [r.phone for r in house] == ["13800000000", "13912345601", "13912345602"]


def test_an_excel_sheet_with_bad_rows_says_row_column_and_what_and_imports_nothing(world) -> None:  # type: ignore[no-untyped-def]
    c, head, app = world
    before = _counts(app)
    rows: list[list[object]] = [
        ["角色", "区划代码", "报警器编号", "姓名", "关系", "手机号", "值班开始", "值班结束"],
        ["网格员", "130102001001", None, "好人", None, 13712340000, None, None],  # 2: fine
        ["网格员", "130102001001", None, "坏号", None, "1371234", None, None],  # 3: bad phone
        ["村长", "130102001001", None, "某人", None, "13712340001", None, None],  # 4: unknown role
        ["网格员", "130102001", None, "某人", None, "13712340002", None, None],  # 5: region level
        ["住户联系人", None, "COA-0002", "二", None, "13712340003", None, None],  # 6: 2nd
        ["住户联系人", None, "COA-0002", "三", None, "13712340004", None, None],  # 7: 3rd
        ["住户联系人", None, "COA-0002", "四", None, "13712340005", None, None],  # 8: 4th
        ["乡镇值班人员", "130102001", None, "值", None, "13512340006",
         datetime(2026, 12, 1, 8), datetime(2026, 12, 1, 20)],  # 9: fine
        ["乡镇值班人员", "130102001", None, "值", None, "13512340006",
         datetime(2026, 12, 1, 19), datetime(2026, 12, 2, 8)],  # 10: overlaps row 9
        ["网格员", "140102001001", None, "外省", None, "13712340007", None, None],  # 11: not ours
        ["住户联系人", None, "COA-9999", "无", None, "13712340008", None, None],  # 12: no alarm
    ]  # fmt: skip
    r = _post(c, head, _xlsx(rows), commit=True, xlsx=True)
    assert r.status_code == 200
    report = r.json()
    assert report["committed"] is False and _counts(app) == before
    got = {(e["row"], e["column"]): e["message"] for e in report["errors"]}
    assert set(got) == {
        (3, "phone"), (4, "role"), (5, "region_code"), (8, "device_id"), (10, "shift_start"),
        (11, "region_code"), (12, "device_id"),
    }  # fmt: skip
    assert "not a mobile number" in got[(3, "phone")]
    assert "'村长'" in got[(4, "role")]
    assert "not a village (12 digits) code, where a grid worker" in got[(5, "region_code")]
    assert "already has 3 contacts" in got[(8, "device_id")]
    assert "overlaps" in got[(10, "shift_start")]
    assert "outside yours" in got[(11, "region_code")]
    zh = _post(c, head, _xlsx(rows), commit=False, xlsx=True, lang="zh").json()
    assert zh["errors"][0]["column_label"] == "手机号" and "手机号码" in zh["errors"][0]["message"]


@pytest.mark.parametrize(
    ("data", "xlsx", "words"),
    [
        (b"name,phone\nx,13700000000\n", False, "misses required ones (role)"),
        (b"role,name,phone,colour\n", False, "unknown columns (colour)"),
        ("姓名".encode("gbk"), False, "not UTF-8"),
        (b"PK\x03\x04 not a workbook", True, "not an Excel workbook"),
    ],
)
def test_a_file_that_is_no_sheet_is_refused_in_words(world, data, xlsx, words) -> None:  # type: ignore[no-untyped-def]
    c, head, _app = world
    r = _post(c, head, data, commit=False, xlsx=xlsx)
    assert r.status_code == 422 and words in r.json()["detail"]
