"""The fast-pass list: what the cloud writes is what the gateway reads, for every awkward value."""

from __future__ import annotations

from datetime import date

import pytest

from coalguard.edge.fastpass import FastPassList, FastPassTruck, parse_toml, to_toml

AWKWARD = {
    "plain": "大同恒信煤业有限公司",
    "quotes": "He said \"煤\" and 'coal'",
    "backslash": r"C:\coal\co",
    "newline": "line one\nline two",
    "delete character": "A\x7fB",
    "tab and bell": "A\tB\x07C",
    "toml syntax": '"]\n[[truck]]\nplate = "X',
}


@pytest.mark.parametrize("company", AWKWARD.values(), ids=AWKWARD.keys())
def test_what_the_cloud_writes_the_gateway_reads(company: str) -> None:
    fl = FastPassList(
        version="2026-11-26-abc",
        trucks=[
            FastPassTruck(
                plate="冀A12345", company=company, report_id="QR-1", expires=date(2027, 2, 28)
            )
        ],
    )
    text = to_toml(fl, "Fast-pass list for region 130102,\nmade by the cloud.")
    assert parse_toml(text, "cloud") == fl


def test_plates_are_written_in_the_one_form() -> None:
    t = FastPassTruck(plate="冀a·12 345", company="c", report_id="r", expires=date(2027, 1, 1))
    assert t.plate == "冀A12345"
