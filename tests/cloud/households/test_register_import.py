"""The household register: import from the offices' sheets, alarms linked, data sealed."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from coalguard.cloud.co.registry import Household as AlarmHousehold
from coalguard.cloud.co.registry import Registration, register
from coalguard.cloud.co.tables import CoDevice
from coalguard.cloud.households import importer
from coalguard.cloud.households.register import open_head, verifications
from coalguard.cloud.households.tables import Household, Verification
from coalguard.edge.clock import ManualClock
from tests.cloud.ops_support import make_app

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
SAMPLE = Path(__file__).parents[3] / "docs" / "households-sample.csv"
VILLAGE = "130102001001"


@pytest.fixture
def app(tmp_path: Path):  # type: ignore[no-untyped-def]
    app = make_app(f"sqlite:///{tmp_path}/cloud.sqlite", ManualClock(T0))
    yield app
    app.state.engine.dispose()


def _import(app, data: bytes, *, commit: bool, kind: str = "csv") -> importer.ImportResult:  # type: ignore[no-untyped-def]
    rows = importer.read_table(data, kind)
    with app.state.sessions.begin() as s:
        return importer.import_rows(s, app.state.keyring, rows, "county", T0, commit=commit)


def _count(app, model) -> int:  # type: ignore[no-untyped-def]
    with app.state.sessions() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_the_sample_previews_then_imports_and_twice_changes_nothing(app) -> None:  # type: ignore[no-untyped-def]
    data = SAMPLE.read_bytes()
    preview = _import(app, data, commit=False)
    assert (preview.errors, preview.committed, preview.added) == ([], False, 6)
    assert _count(app, Household) == 0  # a dry run changes nothing
    done = _import(app, data, commit=True)
    assert (done.committed, done.added, done.verifications_added) == (True, 6, 4)
    again = _import(app, data, commit=True)
    assert (again.added, again.updated, again.unchanged, again.verifications_added) == (0, 0, 6, 0)
    assert (_count(app, Household), _count(app, Verification)) == (6, 4)
    with app.state.sessions() as s:
        h = s.scalars(select(Household).where(Household.head_name_masked == "王**")).one()
        assert (h.category, h.heating_route, h.stove_type, h.hardship) == (
            "new_coal",
            "clean_coal",
            "briquette_stove",
            False,
        )
        assert h.trained_by == "乡安监站李工" and str(h.zone_told_on) == "2026-10-01"
        assert open_head(h, app.state.keyring)["id_number"] == "130102196503120018"
        assert h.head_id_masked == "130102**********18"
        assert [v.confirmed_by for v in verifications(s, h.id)] == ["村委会张明"]


def test_a_changed_row_updates_its_household_and_blank_cells_keep_it(app) -> None:  # type: ignore[no-untyped-def]
    _import(app, SAMPLE.read_bytes(), commit=True)
    sheet = (
        "身份证号码,村代码,户主姓名,住址,户类,取暖方式,困难户\n"
        "130102196503120018,130102001001,王建国,一组12号,新增燃煤户,,是\n"
    )
    done = _import(app, sheet.encode(), commit=True)
    assert (done.added, done.updated, done.unchanged) == (0, 1, 0)
    with app.state.sessions() as s:
        h = s.scalars(select(Household).where(Household.head_name_masked == "王**")).one()
        assert (h.hardship, h.heating_route) == (True, "clean_coal")


def test_refused_rows_are_worded_per_cell_and_nothing_is_kept(app) -> None:  # type: ignore[no-untyped-def]
    sheet = (
        "村代码,户主姓名,身份证号码,手机号码,住址,户类,核实人\n"
        "130102001001,甲,130102196503120018,,一组,新增燃煤户,\n"
        "130102001001,乙,130102196503120019,,一组,新增燃煤户,\n"
        "130102001001,丙,,,一组,新增燃煤户,\n"
        "1301020010,丁,,13800000001,一组,烧柴户,\n"
        "130102001001,戊,,13800000002,一组,新增燃煤户,张三\n"
    )
    result = _import(app, sheet.encode(), commit=True)
    assert result.committed is False
    assert _count(app, Household) == 0  # all or nothing
    seen = {(e.row, e.column) for e in result.errors}
    assert seen == {
        (3, "id_number"),  # check digit
        (4, "id_number"),  # neither ID nor phone
        (5, "village_code"),
        (5, "category"),
        (6, "verified_on"),
    }
    words = {(e.row, e.column): e.view("zh")["message"] for e in result.errors}
    assert "校验" in words[(3, "id_number")] or "身份证" in words[(3, "id_number")]
    assert words[(5, "category")].startswith("未知户类")
    assert words[(6, "verified_on")] == "反复核实须同时填写核实人和核实日期"
    assert {e.view("zh")["column_label"] for e in result.errors if e.row == 5} == {
        "村代码",
        "户类",
    }


def test_an_excel_sheet_imports_like_the_csv(app) -> None:  # type: ignore[no-untyped-def]
    wb = Workbook()
    ws = wb.active
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    for line in lines:
        ws.append(line.split(","))
    ws.append([])  # blank rows are skipped
    # A date typed into Excel arrives as a datetime cell.
    ws["J2"] = datetime(2026, 10, 20)
    buf = io.BytesIO()
    wb.save(buf)
    done = _import(app, buf.getvalue(), commit=True, kind="xlsx")
    assert (done.errors, done.added) == ([], 6)
    again = _import(app, SAMPLE.read_bytes(), commit=True)
    assert again.unchanged == 6


def test_registering_an_alarm_links_the_household_of_its_phone(app) -> None:  # type: ignore[no-untyped-def]
    _import(app, SAMPLE.read_bytes(), commit=True)
    with app.state.sessions.begin() as s:
        reg = Registration(
            device_id="COA-0001",
            household=AlarmHousehold(
                name="王建国", address="一组12号", village_code=VILLAGE, phone="138 0000 1001"
            ),
            installer_id="inst-1",
        )
        register(s, reg, app.state.keyring, T0)
        reg2 = Registration(
            device_id="COA-0002",
            household=AlarmHousehold(
                name="新户", address="三组1号", village_code=VILLAGE, phone="13900000009"
            ),
            installer_id="inst-1",
        )
        register(s, reg2, app.state.keyring, T0)
    with app.state.sessions() as s:
        wang = s.scalars(select(Household).where(Household.head_name_masked == "王**")).one()
        assert s.get(CoDevice, "COA-0001").household_id == wang.id
        made = s.get(Household, s.get(CoDevice, "COA-0002").household_id)
        assert (made.source, made.category, made.village_code) == ("alarm", None, VILLAGE)
    assert _count(app, Household) == 7


def test_personal_data_of_the_register_is_not_in_the_database_file(
    tmp_path: Path,
) -> None:
    """Names, ID numbers and phones of imported households are sealed: none of them is in
    the SQLite file in clear."""
    db = tmp_path / "cloud.sqlite"
    app = make_app(f"sqlite:///{db}", ManualClock(T0))
    done = _import(app, SAMPLE.read_bytes(), commit=True)
    assert done.added == 6
    app.state.engine.dispose()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("cloud.sqlite*"))
    assert "一组12号".encode() in stored  # the scan reads the rows
    rows = [line.split(",") for line in SAMPLE.read_text(encoding="utf-8").splitlines()[1:]]
    for row in rows:
        for secret in (row[1], row[2], row[3], row[2][6:14]):
            assert secret.encode() not in stored, secret
