"""Sales and their findings in the domain: a duplicate serial and a sale into a zone each
raise a finding (and its market alert); quota, weight and stock findings; sealed buyers;
a point under rectification cannot sell."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from coalguard import validation
from coalguard.cloud.alert_list import find_alert
from coalguard.cloud.db import Base
from coalguard.cloud.market.findings import check_sale, findings_of
from coalguard.cloud.market.idcard import IdCardError
from coalguard.cloud.market.points import start_rectification
from coalguard.cloud.market.sales import (
    SalesError,
    open_buyer,
    record_purchase,
    record_sale,
)
from coalguard.cloud.market.sales_rules import load_sales_rules
from coalguard.cloud.market.sales_tables import Finding, Sale
from coalguard.cloud.market.stock import stock_of
from coalguard.cloud.market.tables import BusinessPoint
from coalguard.cloud.sealing import Keyring, reseal, sealed_models
from tests.cloud.market.market_support import NOW, point
from tests.cloud.market.sales_support import (
    ZONE_VILLAGE,
    id_number,
    no_coal_zone,
    purchase_in,
    sale_in,
)

KEYRING = Keyring.generate("test-hash-key")
RULES = load_sales_rules()


def _sell(s: Session, p: BusinessPoint, serial: str, net: float | None = 1.5, **f: object):  # type: ignore[no-untyped-def]
    sale = record_sale(s, p, sale_in(serial, **f), KEYRING, "clerk-1", NOW, net)  # type: ignore[arg-type]
    return sale, check_sale(s, p, sale, RULES, NOW)


def test_a_duplicate_serial_raises_a_finding_and_its_alert(s: Session) -> None:
    a, b = point(s, "LX-1"), point(s, "LX-2")
    record_purchase(s, a, purchase_in(), "clerk-1", NOW)
    record_purchase(s, b, purchase_in(), "clerk-2", NOW)
    first, found = _sell(s, a, "WL-0001")
    assert found == []
    second, found = _sell(s, b, "WL-0001", buyer_id=id_number(2))
    assert [f.kind for f in found] == ["duplicate_serial"]
    assert found[0].point_id == b.id and found[0].detail["sales"] == [first.id, second.id]
    alert = find_alert(s, f"mk-{found[0].alert_id}")
    assert alert is not None and alert.kind == "market.duplicate_serial" and alert.status == "open"
    assert [f.kind for f in findings_of(s, b.id)] == ["duplicate_serial"]


def test_a_sale_into_a_no_coal_zone_raises_a_finding(s: Session) -> None:
    no_coal_zone(s)
    p = point(s, "LX-1")
    record_purchase(s, p, purchase_in(), "clerk-1", NOW)
    _, found = _sell(s, p, "WL-0001", buyer_village=ZONE_VILLAGE)
    assert [f.kind for f in found] == ["zone_sale"]
    assert found[0].detail["zone_kind"] == "no_coal" and found[0].detail["zone"] == "东关村"
    alert = find_alert(s, f"mk-{found[0].alert_id}")
    assert alert is not None and alert.kind == "market.zone_sale"


def test_a_buyer_beyond_the_household_quota(s: Session) -> None:
    p = point(s, "LX-1")  # Linxia: 3 t per household per season
    record_purchase(s, p, purchase_in(), "clerk-1", NOW)
    assert _sell(s, p, "WL-1", quantity_t=2.0, net=2.0)[1] == []
    _, found = _sell(s, p, "WL-2", quantity_t=1.5, net=1.5, buyer_id=id_number(1).lower())
    assert [f.kind for f in found] == ["over_quota"]
    assert found[0].detail["bought_t"] == 3.5 and found[0].detail["quota_t"] == 3.0
    assert _sell(s, p, "WL-3", quantity_t=1.5, net=1.5, buyer_id=id_number(3))[1] == []


def test_the_tickets_net_weight_must_match_the_form(s: Session) -> None:
    p = point(s, "LX-1")
    record_purchase(s, p, purchase_in(), "clerk-1", NOW)
    assert _sell(s, p, "WL-1", net=1.51)[1] == []  # within 0.02 t
    _, found = _sell(s, p, "WL-2", net=1.2, buyer_id=id_number(2))
    assert [f.kind for f in found] == ["weight_mismatch"]


def test_selling_more_than_came_in_is_negative_stock(s: Session) -> None:
    p = point(s, "LX-1")
    record_purchase(s, p, purchase_in(tonnes=1.0), "clerk-1", NOW)
    _, found = _sell(s, p, "WL-1")
    assert [f.kind for f in found] == ["negative_stock"]
    assert stock_of(s, p.id) == {"anthracite": {"in": 1.0, "out": 1.5, "stock": -0.5}}
    _, again = _sell(s, p, "WL-2", buyer_id=id_number(2))
    alert_ids = {f.alert_id for f in (*found, *again)}
    assert len(alert_ids) == 1  # one alert, two occurrences
    alert = find_alert(s, f"mk-{alert_ids.pop()}")
    assert alert is not None and alert.occurrences == 2


def test_buyer_id_and_phone_are_sealed_at_rest(s: Session) -> None:
    p = point(s, "LX-1")
    record_purchase(s, p, purchase_in(), "clerk-1", NOW)
    sale, _ = _sell(s, p, "WL-1")
    s.flush()
    raw = " ".join(str(v) for row in s.execute(text("SELECT * FROM mkt_sale")).all() for v in row)
    assert id_number() not in raw and "13912345678" not in raw
    assert "622901********" in sale.buyer_id_masked and sale.buyer_phone_masked == "139****5678"
    assert open_buyer(sale, KEYRING) == (id_number(), "13912345678")


def test_a_bad_id_number_is_refused_worded(s: Session) -> None:
    bad = id_number()[:17] + ("0" if id_number()[17] != "0" else "1")
    with pytest.raises(ValidationError) as e:
        sale_in("WL-1", buyer_id=bad)
    assert "校验位" in validation.reason(e.value.errors()[0], "zh")


def test_a_buyer_born_after_today_is_refused(s: Session) -> None:
    p = point(s, "LX-1")
    unborn = id_number(birth="20261231")  # valid digits, born after NOW (2026-06-10)
    with pytest.raises(IdCardError) as e:
        record_sale(s, p, sale_in("WL-1", buyer_id=unborn), KEYRING, "c", NOW, 1.5)
    assert e.value.key == "id_birth"
    assert s.scalar(select(Sale.id)) is None


def test_a_point_under_rectification_cannot_sell(s: Session) -> None:
    p = point(s, "LX-1")
    start_rectification(s, p, "台账不全", date(2026, 6, 30), NOW)
    with pytest.raises(SalesError) as e:
        record_sale(s, p, sale_in("WL-1"), KEYRING, "c", NOW, 1.5)
    assert e.value.key == "point_may_not_sell"
    assert "LX-1" in e.value.text("zh") and "market." not in e.value.text("zh")
    assert s.scalar(select(Finding.id)) is None


def test_buyer_numbers_move_to_a_new_key_with_the_rotation(s: Session) -> None:
    p = point(s, "LX-1")
    sale = record_sale(s, p, sale_in("WL-1"), KEYRING, "c", NOW, 1.5)
    assert Sale in sealed_models(Base)
    newer = Keyring(
        {**KEYRING.keys, "k2": Keyring.generate("x").keys["generated"]}, KEYRING.hash_key
    )
    assert reseal(s, Sale, newer, batch=10) == 1
    assert sale.buyer_id_sealed.startswith("cg1:k2:") and open_buyer(sale, newer) == (
        id_number(),
        "13912345678",
    )
