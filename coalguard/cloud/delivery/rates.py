"""Delivered against registered (配送到户全覆盖, seed 000 三 (二)): per village, township, county.

A household counts as delivered only when every tonne and stove on its purchase
register line has arrived by slip; so a region's rate reaches 100 % only when
every registered household has its coal.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalguard.cloud.delivery.tables import Delivery, PurchaseRegister, RegisterLine
from coalguard.cloud.scope import LEVEL_DIGITS


@dataclass
class Rate:
    region_code: str
    registered: int = 0
    delivered: int = 0
    waiting: list[int] = field(default_factory=list)  # household ids still owed coal or a stove

    @property
    def pct(self) -> float | None:
        return None if self.registered == 0 else 100.0 * self.delivered / self.registered

    @property
    def complete(self) -> bool:
        return self.registered > 0 and self.delivered == self.registered


def _owed(s: Session, prefix: str, season: str) -> dict[tuple[str, int], tuple[Decimal, int]]:
    rows = s.execute(
        select(
            PurchaseRegister.village_code,
            RegisterLine.household_id,
            RegisterLine.coal_t,
            RegisterLine.stoves,
        )
        .join(RegisterLine, RegisterLine.register_id == PurchaseRegister.id)
        .where(PurchaseRegister.season == season, PurchaseRegister.village_code.startswith(prefix))
    )
    return {(v, h): (Decimal(c), n) for v, h, c, n in rows}


def _arrived(s: Session, prefix: str, season: str) -> dict[tuple[int, str], Decimal]:
    rows = s.execute(
        select(Delivery.household_id, Delivery.item, func.sum(Delivery.quantity))
        .where(Delivery.season == season, Delivery.village_code.startswith(prefix))
        .group_by(Delivery.household_id, Delivery.item)
    )
    return {(h, item): Decimal(q) for h, item, q in rows}


def delivery_rates(s: Session, prefix: str, season: str, level: str) -> list[Rate]:
    """One rate per region of ``level`` (village / township / county) under ``prefix``."""
    owed = _owed(s, prefix, season)
    arrived = _arrived(s, prefix, season)
    by: dict[str, Rate] = {}
    for (village, household), (coal_t, stoves) in sorted(owed.items()):
        code = village[: LEVEL_DIGITS[level]]
        rate = by.setdefault(code, Rate(code))
        if coal_t <= 0 and stoves <= 0:
            continue  # nothing ordered: not owed
        rate.registered += 1
        done = (
            arrived.get((household, "coal"), Decimal(0)) >= coal_t
            and arrived.get((household, "stove"), Decimal(0)) >= stoves
        )
        if done:
            rate.delivered += 1
        else:
            rate.waiting.append(household)
    return [by[k] for k in sorted(by)]


def delivered_by_village(s: Session, prefix: str, season: str) -> dict[str, Decimal]:
    """Tonnes of coal delivered per village (the summary and the reserve read this)."""
    out: dict[str, Decimal] = defaultdict(Decimal)
    rows = s.execute(
        select(Delivery.village_code, func.sum(Delivery.quantity))
        .where(
            Delivery.season == season,
            Delivery.item == "coal",
            Delivery.village_code.startswith(prefix),
        )
        .group_by(Delivery.village_code)
    )
    for v, q in rows:
        out[v] += Decimal(q)
    return dict(out)
