"""The green lane checks what it claims (R11): plate, coal type, validity, quantity, company.

Each mismatch sends the truck to normal inspection with the reason in the
transition (and so in the ledger and the cloud's record).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from coalguard.edge.fastpass import FastPassList, FastPassTruck
from coalguard.gateway.service import Gateway
from tests.gateway.conftest import registration

COMPANY = "大同恒信煤业有限公司"


def anthracite_list(**overrides: Any) -> FastPassList:
    """One truck, 冀E00001, on an anthracite report valid 2026-11-01 .. 2027-02-28, 100 t left."""
    truck = {
        "plate": "冀E00001",
        "company": COMPANY,
        "report_id": "QR-1",
        "coal_type": "anthracite",
        "valid_from": date(2026, 11, 1),
        "expires": date(2027, 2, 28),
        "quantity_t": 100.0,
        **overrides,
    }
    return FastPassList(format=2, version="v2-test", trucks=[FastPassTruck(**truck)])


def check(gw: Gateway, plate: str = "冀E00001", **declared: Any) -> dict[str, Any]:
    """Arrive, register with ``declared`` overrides, check; the inspection afterwards."""
    wf = gw.workflow
    iid = wf.arrive(plate, "op")
    wf.register(iid, "op", registration(plate, **declared))
    wf.check_fast_pass(iid, "op")
    return wf.get(iid)


def codes(insp: dict[str, Any]) -> list[str]:
    return [m["code"] for m in insp["fast_pass"]["mismatches"]]


def test_fast_pass_green_when_every_check_holds(gw):
    gw.fast_pass.replace(anthracite_list(), "test")
    insp = check(gw, consignor="大同恒信煤业有限公司 ")
    assert insp["state"] == "fast_pass" and codes(insp) == []
    assert gw.workflow.steps(insp["id"])[-1]["reason"] == "fast pass: listed"


def test_fast_pass_refuses_lignite_declared_on_anthracite_report(gw):
    gw.fast_pass.replace(anthracite_list(), "test")
    insp = check(gw, coal_type="lignite")
    assert insp["state"] == "awaiting_sample"
    assert insp["fast_pass"]["green"] is False
    assert insp["fast_pass"]["mismatches"] == [
        {"code": "coal_type", "declared": "lignite", "report": "anthracite"}
    ]
    step = gw.workflow.steps(insp["id"])[-1]
    assert step["reason"] == "fast pass: mismatch"
    assert step["data"]["mismatches"][0]["code"] == "coal_type"
    entry = gw.ledger.entries("inspection", limit=1)[0]  # newest first
    assert entry.kind == "check_fast_pass"
    assert entry.body["data"]["mismatches"][0]["report"] == "anthracite"


@pytest.mark.parametrize(
    ("valid_from", "expires", "code"),
    [
        (date(2026, 11, 1), date(2026, 11, 22), "expired"),
        (date(2026, 11, 24), date(2027, 2, 28), "not_yet_valid"),
    ],
)
def test_fast_pass_refuses_a_report_outside_its_validity_window(gw, valid_from, expires, code):
    gw.fast_pass.replace(anthracite_list(valid_from=valid_from, expires=expires), "test")
    insp = check(gw)
    assert insp["state"] == "awaiting_sample" and codes(insp) == [code]


def test_validity_is_judged_on_the_local_date(gw, clock):
    """23:30 UTC on the 22nd is already the 23rd in Asia/Shanghai: a report expiring the 22nd
    is expired then."""
    gw.fast_pass.replace(anthracite_list(expires=date(2026, 11, 22)), "test")
    clock.set(clock.now().replace(day=22, hour=15, minute=59))  # 23:59 local, the 22nd
    assert check(gw)["state"] == "fast_pass"
    clock.advance(timedelta(minutes=2))  # 00:01 local, the 23rd
    assert codes(check(gw, plate="冀E00001")) == ["expired"]


def test_fast_pass_refuses_quantity_over_the_report(gw):
    gw.fast_pass.replace(anthracite_list(quantity_t=60.0), "test")
    first = check(gw, weight_t=40.0)
    assert first["state"] == "fast_pass"
    gw.workflow.release(first["id"], "op")
    second = check(gw, weight_t=30.0)  # 40 t already passed on this report: 20 t left
    assert second["fast_pass"]["mismatches"] == [
        {"code": "quantity", "declared": "30", "remaining": "20"}
    ]


def test_fast_pass_refuses_another_consigning_company(gw):
    gw.fast_pass.replace(anthracite_list(), "test")
    insp = check(gw, consignor="阳泉晋宏煤炭运销有限公司")
    assert insp["fast_pass"]["mismatches"] == [
        {"code": "company", "declared": "阳泉晋宏煤炭运销有限公司", "report": COMPANY}
    ]


def test_fast_pass_refuses_a_plate_not_on_the_report(gw):
    gw.fast_pass.replace(anthracite_list(), "test")
    near = check(gw, plate="冀E00007")  # one character off the listed plate
    assert near["state"] == "awaiting_sample"
    assert near["fast_pass"]["mismatches"] == [
        {"code": "plate_near", "plate": "冀E00007", "listed": "冀E00001"}
    ]
    other = check(gw, plate="晋B12345")
    assert codes(other) == ["not_listed"]


def test_every_mismatch_is_named_at_once(gw):
    gw.fast_pass.replace(anthracite_list(expires=date(2026, 11, 20)), "test")
    insp = check(gw, coal_type="lignite", weight_t=150.0, consignor="某公司")
    assert codes(insp) == ["coal_type", "expired", "quantity", "company"]
