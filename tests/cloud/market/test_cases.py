"""Cases in the domain: from a finding or a failing sample, the penalty ladder with its
deadlines and overdue alerts under a ManualClock, rectification accepted re-opens sales,
seizure, handover to 发改, disposal, publication, and the disposal counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from coalguard.cloud.alert_list import find_alert
from coalguard.cloud.market import cases
from coalguard.cloud.market.cases import CaseError, case_disposal
from coalguard.cloud.market.findings import check_sale
from coalguard.cloud.market.points import may_record_sales
from coalguard.cloud.market.sales import SalesError, record_purchase, record_sale
from coalguard.cloud.market.sales_rules import load_sales_rules
from coalguard.cloud.market.tables import MarketAlert
from coalguard.cloud.sealing import Keyring
from coalguard.edge.clock import ManualClock
from tests.cloud.market.market_support import LINXIA, NOW, point
from tests.cloud.market.sales_support import id_number, purchase_in, sale_in

KEYRING = Keyring.generate("test-hash-key")
RULES = load_sales_rules()


def test_a_case_from_a_duplicate_serial_stops_sales_until_rectification_is_accepted(
    s: Session,
) -> None:
    p = point(s, "LX-1")
    record_purchase(s, p, purchase_in(), "clerk-1", NOW)
    for n, serial in enumerate(("WL-1", "WL-1")):
        sale = record_sale(s, p, sale_in(serial, buyer_id=id_number(n + 1)), KEYRING, "c", NOW, 1.5)
        found = check_sale(s, p, sale, RULES, NOW)
    case = cases.open_case(s, p, RULES, violation=None, by="market-1", now=NOW, finding=found[0])
    assert case.violation == "ticket_resale" and case.step == "rectify" and case.origin == "finding"
    assert case.deadline == date(2026, 6, 10) + timedelta(days=15)
    assert not may_record_sales(p)
    with pytest.raises(SalesError):
        record_sale(s, p, sale_in("WL-2"), KEYRING, "c", NOW, 1.5)
    cases.accept(s, case, "market-1", NOW)
    assert case.status == "closed" and case.outcome == "rectified" and may_record_sales(p)
    record_sale(s, p, sale_in("WL-2", buyer_id=id_number(3)), KEYRING, "c", NOW, 1.5)
    actions = [e.action for e in cases.events_of(s, case.id)]
    assert actions == ["opened", "closed"]


def test_the_ladder_goes_overdue_under_a_manual_clock_and_up_to_shut(s: Session) -> None:
    clock = ManualClock(NOW)
    p = point(s, "LX-1")
    case = cases.open_case(
        s, p, RULES, violation="substandard", by="market-1", now=clock.now(), sample_ref="S-9"
    )
    assert case.origin == "sample"
    clock.advance(timedelta(days=15))
    assert cases.sweep_overdue(s, clock.now()) == 0  # the deadline day itself is still in time
    clock.advance(timedelta(days=1))
    assert cases.sweep_overdue(s, clock.now()) == 1
    assert cases.sweep_overdue(s, clock.now()) == 0  # one alert per step
    alert = s.query(MarketAlert).filter_by(kind="market.case_overdue").one()
    assert alert.status == "open" and alert.detail["step"] == "rectify"
    cases.escalate(s, case, RULES, "market-1", clock.now())
    assert case.step == "seal" and case.deadline == clock.now().date() + timedelta(days=30)
    assert alert.cleared_at is not None  # the overdue step is behind
    assert not may_record_sales(p)
    cases.escalate(s, case, RULES, "market-1", clock.now())
    assert case.step == "shut" and case.status == "closed" and p.status == "shut"
    with pytest.raises(CaseError) as e:
        cases.escalate(s, case, RULES, "market-1", clock.now())
    assert e.value.key == "case_closed"
    assert find_alert(s, f"mk-{alert.id}") is alert


def test_seized_coal_is_handed_over_no_more_than_seized(s: Session) -> None:
    p = point(s, "LX-1")
    case = cases.open_case(s, p, RULES, violation="adulteration", by="m", now=NOW)
    cases.seize(s, case, 12.5, "m", NOW)
    cases.hand_over(s, case, 10.0, "临夏市发改局 李某", date(2026, 6, 11), "m", NOW)
    with pytest.raises(CaseError) as e:
        cases.hand_over(s, case, 3.0, "临夏市发改局", date(2026, 6, 12), "m", NOW)
    assert e.value.key == "handover_tonnes" and "2.5" in e.value.text("zh")
    assert cases.handed_over(s, case.id) == 10.0
    cases.dispose(s, case, "发改局统一处置，款项上缴财政", "m", NOW)
    cases.publish(s, case, "m", NOW)
    assert case.published_on == date(2026, 6, 10)


def test_an_unknown_violation_is_refused(s: Session) -> None:
    p = point(s, "LX-1")
    with pytest.raises(CaseError) as e:
        cases.open_case(s, p, RULES, violation="jaywalking", by="m", now=NOW)
    assert "掺杂掺假" not in e.value.text("zh")  # codes listed, refusal worded
    assert e.value.key == "violation"


def test_case_disposal_counts_cases_opened_in_the_period(s: Session) -> None:
    a, b = point(s, "LX-1"), point(s, "LX-2")
    done = cases.open_case(s, a, RULES, violation="unlicensed", by="m", now=NOW)
    cases.open_case(s, b, RULES, violation="unlicensed", by="m", now=NOW)
    cases.accept(s, done, "m", NOW)
    june = (date(2026, 6, 1), date(2026, 6, 30))
    got = case_disposal(s, LINXIA, june)
    assert (got.opened, got.disposed, got.rate) == (2, 1, 0.5)
    assert len(got.open_cases) == 1
    assert case_disposal(s, "130102", june).rate is None
    assert case_disposal(s, LINXIA, (date(2026, 7, 1), date(2026, 7, 31))).opened == 0
