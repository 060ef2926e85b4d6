"""Delivery ledgers on a real database: registers, slips, rates, the monthly summary's
three reviews, milestones and the reserve."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.db import create_schema, make_engine, make_sessionmaker
from coalguard.cloud.delivery import network, registers, summary
from coalguard.cloud.delivery.errors import DeliveryError
from coalguard.cloud.delivery.milestones import sweep_delivery
from coalguard.cloud.delivery.rates import delivery_rates
from coalguard.cloud.delivery.slips import SlipIn, SlipLine, record_slip
from coalguard.cloud.delivery.tables import ReserveCount
from coalguard.cloud.households.register import HouseholdIn, add_household
from coalguard.cloud.market.tables import MarketAlert
from coalguard.cloud.sealing import Keyring

NOW = datetime(2022, 10, 20, 2, 0, tzinfo=UTC)
SEASON = "2022-23"
COUNTY = "130104"
TOWN = "130104001"
V1, V2 = "130104001001", "130104001002"


@pytest.fixture
def s(tmp_path: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{tmp_path}/cloud.sqlite")
    create_schema(engine, for_tests_or_demo=True)
    with make_sessionmaker(engine).begin() as session:
        keyring = Keyring.generate("delivery-test")
        for n, village in ((1, V1), (2, V1), (3, V2), (4, V1)):
            body = HouseholdIn(
                village_code=village, head_name=f"户主{n}", address=f"{n}号", category="new_coal"
            )
            assert add_household(session, keyring, body, "test", NOW).id == n
        yield session
    engine.dispose()


def supplier(
    s: Session,
    *,
    tendered: date | None = date(2022, 8, 10),
    contract: date | None = date(2022, 9, 20),
) -> int:
    return network.add_supplier(
        s, name="冀中洁净煤公司", region_code=COUNTY, tender_no="ZB-2022-07",
        tendered_on=tendered, contract_no="HT-2022-31", contract_signed_on=contract,
        quality_guarantee="ZB-QG-17", now=NOW,
    ).id  # fmt: skip


def register(s: Session, village: str, lines: dict[int, tuple[str, int]]) -> None:
    reg = registers.open_register(s, village, SEASON, "村委会", NOW)
    registers.put_lines(
        s,
        reg,
        [registers.LineIn(h, Decimal(t), n, Decimal("0")) for h, (t, n) in lines.items()],
        NOW,
    )


def slip(
    sup: int,
    serial: str,
    household: int,
    village: str,
    coal: str,
    stoves: int = 0,
    on: date = date(2022, 11, 3),
) -> SlipIn:
    lines = [SlipLine("coal", Decimal(coal), Decimal("1050"))]
    if stoves:
        lines.append(SlipLine("stove", Decimal(stoves), Decimal("900")))
    return SlipIn(serial, household, village, sup, "B1", on, tuple(lines))


def test_county_delivery_rate_reaches_100_only_when_every_registered_household_has_its_coal(
    s: Session,
) -> None:
    sup = supplier(s)
    register(s, V1, {1: ("2", 1), 2: ("1.5", 0)})
    register(s, V2, {3: ("2", 0)})
    record_slip(s, slip(sup, "WL-1", 1, V1, "1.2", stoves=1), SEASON, "配送员", NOW)
    record_slip(s, slip(sup, "WL-2", 2, V1, "1.5"), SEASON, "配送员", NOW)
    (county,) = delivery_rates(s, COUNTY, SEASON, "county")
    assert (county.registered, county.delivered, county.complete) == (3, 1, False)
    assert sorted(county.waiting) == [1, 3]
    # the second batch brings household 1's remaining 0.8 t; village 2 is still owed
    record_slip(s, slip(sup, "WL-3", 1, V1, "0.8", on=date(2022, 11, 9)), SEASON, "配送员", NOW)
    by_village = {r.region_code: r for r in delivery_rates(s, COUNTY, SEASON, "village")}
    assert by_village[V1].complete and not by_village[V2].complete
    assert not delivery_rates(s, COUNTY, SEASON, "county")[0].complete
    record_slip(s, slip(sup, "WL-4", 3, V2, "2"), SEASON, "配送员", NOW)
    (county,) = delivery_rates(s, COUNTY, SEASON, "county")
    assert (county.registered, county.delivered, county.pct, county.complete) == (3, 3, 100.0, True)


def test_a_stove_owed_keeps_the_household_waiting(s: Session) -> None:
    sup = supplier(s)
    register(s, V1, {1: ("1", 1)})
    record_slip(s, slip(sup, "S-1", 1, V1, "1"), SEASON, "配送员", NOW)
    assert delivery_rates(s, COUNTY, SEASON, "village")[0].waiting == [1]


def test_a_slip_sent_twice_is_kept_once_and_other_content_under_its_serial_is_refused(
    s: Session,
) -> None:
    sup = supplier(s)
    register(s, V1, {1: ("2", 0)})
    first = record_slip(s, slip(sup, "WL-9", 1, V1, "1"), SEASON, "配送员", NOW)
    again = record_slip(s, slip(sup, "WL-9", 1, V1, "1"), SEASON, "配送员", NOW)
    assert [d.id for d in first] == [d.id for d in again]
    with pytest.raises(DeliveryError) as err:
        record_slip(s, slip(sup, "WL-9", 1, V1, "1.5"), SEASON, "配送员", NOW)
    assert err.value.status == 409 and "WL-9" in err.value.text("zh")


def test_a_slip_for_a_household_not_on_the_register_is_refused(s: Session) -> None:
    sup = supplier(s)
    register(s, V1, {1: ("2", 0)})
    with pytest.raises(DeliveryError) as err:
        record_slip(s, slip(sup, "WL-5", 4, V1, "1"), SEASON, "配送员", NOW)  # not on the list
    assert err.value.key == "not_registered"


def test_purchase_register_goes_posted_town_supplier_and_freezes_its_lines(s: Session) -> None:
    sup = supplier(s)
    reg = registers.open_register(s, V1, SEASON, "村委会", NOW)
    with pytest.raises(DeliveryError):
        registers.advance(s, reg, "posted", "村委会", NOW)  # nothing on it yet
    registers.put_lines(s, reg, [registers.LineIn(1, Decimal("2"), 1, Decimal("2100"))], NOW)
    with pytest.raises(DeliveryError):
        registers.advance(s, reg, "sent_to_town", "村委会", NOW)  # must be posted first
    registers.advance(s, reg, "posted", "村委会", NOW)
    registers.advance(s, reg, "sent_to_town", "村委会", NOW)
    registers.advance(s, reg, "sent_to_supplier", "镇政府", NOW, supplier_id=sup)
    assert [x.status for x in registers.steps_of(s, reg.id)] == [
        "draft",
        "posted",
        "sent_to_town",
        "sent_to_supplier",
    ]
    with pytest.raises(DeliveryError) as err:
        registers.put_lines(s, reg, [registers.LineIn(1, Decimal("3"), 1, Decimal("0"))], NOW)
    assert err.value.key == "register_not_draft"


def test_monthly_summary_goes_through_its_three_reviews(s: Session) -> None:
    sup = supplier(s)
    register(s, V1, {1: ("2", 1), 2: ("1", 0)})
    record_slip(s, slip(sup, "WL-1", 1, V1, "2", stoves=1), SEASON, "配送员", NOW)
    record_slip(s, slip(sup, "WL-2", 2, V1, "1", on=date(2022, 11, 28)), SEASON, "配送员", NOW)
    record_slip(
        s, slip(sup, "WL-3", 2, V1, "0.5", on=date(2022, 12, 2)), SEASON, "配送员", NOW
    )  # next month
    summ = summary.seal(s, sup, TOWN, "2022-11", "冀中洁净煤公司", NOW)
    # November: 3 t x 1050 + 1 stove x 900 = 4050.00 over 2 households and 2 slips
    assert summ.content["totals"] == {
        "households": 2,
        "slips": 2,
        "coal_t": "3.000",
        "stoves": "1",
        "amount": "4050.00",
    }
    with pytest.raises(DeliveryError) as err:
        summary.review(s, summ, "fdrc", "approved", "发改局张", "", NOW)  # the town first
    assert err.value.key == "review_order"
    summary.review(s, summ, "town", "approved", "镇政府李", "", NOW)
    summary.review(s, summ, "fdrc", "approved", "发改局张", "", NOW)
    summary.review(s, summ, "finance", "approved", "财政局王", "", NOW)
    assert summ.status == "filed"
    assert [(r.step, r.reviewer) for r in summary.reviews_of(s, summ.id)] == [
        ("town", "镇政府李"), ("fdrc", "发改局张"), ("finance", "财政局王"),
    ]  # fmt: skip


def test_a_summary_changed_after_sealing_cannot_pass_review(s: Session) -> None:
    sup = supplier(s)
    register(s, V1, {1: ("2", 0)})
    record_slip(s, slip(sup, "WL-1", 1, V1, "1"), SEASON, "配送员", NOW)
    summ = summary.seal(s, sup, TOWN, "2022-11", "公司", NOW)
    summ.content = {**summ.content, "totals": {**summ.content["totals"], "amount": "9999.00"}}
    with pytest.raises(DeliveryError) as err:
        summary.review(s, summ, "town", "approved", "镇政府李", "", NOW)
    assert err.value.key == "summary_tampered"


def test_a_slip_recorded_after_sealing_makes_the_summary_stale_until_returned_and_resealed(
    s: Session,
) -> None:
    sup = supplier(s)
    register(s, V1, {1: ("2", 0)})
    record_slip(s, slip(sup, "WL-1", 1, V1, "1"), SEASON, "配送员", NOW)
    summ = summary.seal(s, sup, TOWN, "2022-11", "公司", NOW)
    record_slip(s, slip(sup, "WL-2", 1, V1, "1", on=date(2022, 11, 20)), SEASON, "配送员", NOW)
    with pytest.raises(DeliveryError) as err:
        summary.review(s, summ, "town", "approved", "镇政府李", "", NOW)
    assert err.value.key == "summary_stale"
    # the town sends it back; the company seals the month again, with the late slip
    summ.status = "sealed"
    summ.content = summary.build(s, sup, TOWN, "2022-11")
    summ.digest = summary.digest(summ.content)
    summary.review(s, summ, "town", "returned", "镇政府李", "补录 WL-2", NOW)
    assert summ.status == "returned"
    again = summary.seal(s, sup, TOWN, "2022-11", "公司", NOW)
    assert again.id == summ.id and again.content["totals"]["coal_t"] == "2.000"
    summary.review(s, again, "town", "approved", "镇政府李", "", NOW)
    assert again.status == "town_approved"


def _alerts(s: Session) -> list[tuple[str, str]]:
    return [(a.kind, a.subject) for a in s.scalars(select(MarketAlert).order_by(MarketAlert.id))]


def test_milestones_overdue_raise_one_alert_each_and_clear_when_met(s: Session) -> None:
    sup = supplier(s, tendered=None, contract=None)
    register(s, V1, {1: ("2", 0)})
    before = datetime(2022, 8, 20, 10, 0, tzinfo=UTC)  # the 20th in Shanghai: not yet overdue
    assert sweep_delivery(s, before) == 0
    after = datetime(2022, 8, 21, 1, 0, tzinfo=UTC)
    assert (
        sweep_delivery(s, after) == 1 and sweep_delivery(s, after) == 1
    )  # a repeat, not a second alert
    assert _alerts(s) == [("delivery.milestone_overdue", f"{COUNTY}:{SEASON}:supplier_tender")]
    from coalguard.cloud.delivery.tables import Supplier

    s.get(Supplier, sup).tendered_on = date(2022, 8, 25)
    sweep_delivery(s, datetime(2022, 8, 26, 1, 0, tzinfo=UTC))
    assert s.scalar(select(MarketAlert.cleared_at)) is not None


def test_linxia_reserve_below_five_days_of_use_is_an_alert(s: Session) -> None:
    s.add(
        ReserveCount(
            region_code="622901",
            counted_on=date(2023, 10, 1),
            stock_t=Decimal("1200"),
            recorded_by="工信局",
            recorded_at=NOW,
        )
    )
    s.flush()
    sweep_delivery(s, NOW)
    assert ("delivery.reserve_low", "622901") in _alerts(s)  # 1200 t < 5 days x 300 t
