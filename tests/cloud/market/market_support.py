"""Shared set-up of the market tests: a Linxia county with points of every kind."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from coalguard.cloud.market.points import PointIn, add_point
from coalguard.cloud.market.tables import BusinessPoint

LINXIA = "622901"  # 临夏市 (its jurisdiction enforces 无烟2号)
TOWN = "622901100"
NOW = datetime(2026, 6, 10, 2, 0, tzinfo=UTC)  # 10 June, 10:00 in Linxia
PASSING = {"Vdaf": 8.0, "St_d": 0.5, "Ad": 20.0}
FAILING = {"Vdaf": 25.0, "St_d": 1.8, "Ad": 20.0}  # well past 无烟2号's Vdaf ≤ 12, St,d ≤ 1


def point(s: Session, code: str, kind: str = "loose_coal_point", **fields: object) -> BusinessPoint:
    body = PointIn(
        code=code,
        name=fields.pop("name", f"{code} 煤炭销售点"),  # type: ignore[arg-type]
        kind=kind,
        region_code=fields.pop("region_code", TOWN),  # type: ignore[arg-type]
        coal_types=["anthracite"],
        **fields,  # type: ignore[arg-type]
    )
    return add_point(s, body, "market-1", NOW)
