"""Zone lists: CSV and data-file import (all or nothing, row-level errors), versions,
publish dates, and which zone a village is in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from coalguard.cloud.db import make_engine, make_sessionmaker
from coalguard.cloud.zones import ZoneArea, ZoneError, ZoneList, fuel_allowed, parse_csv, publish
from coalguard.cloud.zones.lists import parse_toml, zone_for

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
CSV = """name,kind,region_code,allowed_fuels
东关村,禁煤区,622901001001,gas;electricity
城关镇,no_burn,622901002,electricity
南塬村,散煤清零区,622901003001,briquette;semi_coke
"""


@pytest.fixture
def s(cloud_db: str) -> Iterator[Session]:
    engine = make_engine(cloud_db)
    for table in (ZoneList.__table__, ZoneArea.__table__):
        table.create(engine)
    with make_sessionmaker(engine).begin() as session:
        yield session
    engine.dispose()


def _publish(s: Session, text: str, version: str, on: date, region: str = "622901") -> ZoneList:
    return publish(
        s,
        version=version,
        region_code=region,
        published_on=on,
        entries=parse_csv(text),
        source="test",
        by="market-1",
        now=NOW,
    )


def test_csv_kinds_in_chinese_or_as_keys(s: Session) -> None:
    _publish(s, CSV, "2026-1", date(2026, 10, 1))
    zone = zone_for(s, "622901001001", date(2026, 11, 1))
    assert (
        zone is not None and zone.kind == "no_coal" and zone.allowed_fuels == ["gas", "electricity"]
    )
    assert not fuel_allowed(zone, "anthracite")
    town = zone_for(s, "622901002007", date(2026, 11, 1))  # a township listed whole
    assert town is not None and town.kind == "no_burn"
    assert zone_for(s, "622901009001", date(2026, 11, 1)) is None
    assert fuel_allowed(None, "anthracite")


def test_a_list_counts_from_its_publish_date_and_a_newer_one_replaces_it(s: Session) -> None:
    _publish(s, CSV, "2026-1", date(2026, 10, 1))
    assert zone_for(s, "622901001001", date(2026, 9, 30)) is None
    _publish(s, "kind,region_code\nno_coal,622901004001\n", "2026-2", date(2026, 11, 20))
    assert zone_for(s, "622901001001", date(2026, 11, 19)) is not None
    assert zone_for(s, "622901001001", date(2026, 11, 20)) is None  # no longer listed
    assert zone_for(s, "622901004001", date(2026, 11, 20)) is not None


def test_a_bad_row_names_its_line_and_stores_nothing(s: Session) -> None:
    bad = CSV + "北山村,火星区,622901005001,\n"
    with pytest.raises(ZoneError) as e:
        _publish(s, bad, "2026-1", date(2026, 10, 1))
    assert e.value.key == "row_refused" and e.value.params["line"] == 5
    assert "第 5 行" in e.value.text("zh")
    assert s.query(ZoneList).count() == 0


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("name,kind\nx,no_coal\n", "columns"),
        ("kind,region_code\n", "empty"),
        ("kind,region_code\nno_coal,622901001001\nno_coal,622901001001\n", "row_duplicate"),
        ("kind,region_code,allowed_fuels\nno_coal,622901001001,coal\n", "row_refused"),
        ("kind,region_code\nno_coal,62290100100X\n", "row_refused"),
    ],
)
def test_refused_lists_say_why(text: str, key: str) -> None:
    with pytest.raises(ZoneError) as e:
        parse_csv(text)
    assert e.value.key == key


def test_a_version_is_published_once_and_inside_its_region(s: Session) -> None:
    _publish(s, CSV, "2026-1", date(2026, 10, 1))
    with pytest.raises(ZoneError) as e:
        _publish(s, CSV, "2026-1", date(2026, 10, 2))
    assert e.value.key == "version_exists"
    with pytest.raises(ZoneError) as e:
        _publish(s, CSV, "2026-x", date(2026, 10, 2), region="130102")
    assert e.value.key == "outside_region"


def test_the_data_file_form() -> None:
    entries = parse_toml(
        '[[zone]]\nname = "东关村"\nkind = "no_coal"\nregion_code = "622901001001"\n'
        'allowed_fuels = ["gas"]\n'
    )
    assert entries[0].allowed_fuels == ("gas",)


def test_gas_and_electricity_conversion_areas_are_zone_kinds(s: Session) -> None:
    text = (
        "name,kind,region_code,allowed_fuels\n"
        "西村,气代煤区域,622901004001,gas\n"
        "北村,电代煤区域,622901005001,electricity\n"
    )
    _publish(s, text, "2026-conv", date(2026, 10, 1))
    zones = [zone_for(s, c, date(2026, 11, 1)) for c in ("622901004001", "622901005001")]
    kinds = {z.kind for z in zones if z is not None}
    assert kinds == {"gas_conversion", "electricity_conversion"}


def test_the_gateway_list_holds_the_lists_in_force_in_its_city(s: Session) -> None:
    from coalguard.cloud.zones.lists import gateway_list

    _publish(s, CSV, "2026-1", date(2026, 10, 1))
    newer = "name,kind,region_code,allowed_fuels\n东关村,禁煤区,622901001001,gas\n"
    _publish(s, newer, "2026-2", date(2026, 11, 1))  # replaces 2026-1 from 11-01
    _publish(s, CSV.replace("622901", "622902"), "other-county", date(2026, 10, 1), "622902")
    _publish(s, CSV.replace("622901", "620101"), "other-city", date(2026, 10, 1), "620101")
    before = gateway_list(s, "6229", date(2026, 10, 15))
    assert {v.list_version for v in before.villages} == {"2026-1", "other-county"}
    after = gateway_list(s, "6229", date(2026, 11, 15))
    codes = {v.code: v for v in after.villages}
    assert set(codes) == {"622901001001", "622902001001", "622902002", "622902003001"}
    assert codes["622901001001"].allowed_fuels == ("gas",)
    assert str(codes["622901001001"].published_on) == "2026-11-01"
    assert after.version != before.version
