"""Delivery milestones and the reserve as data (``milestones.toml``), and their sweep.

A county that has not tendered its suppliers, signed their contracts or
delivered to every registered household by the jurisdiction's date gets one
alert per milestone (the one lifecycle, market alerts ``mk-N``), cleared when met.
Linxia keeps at least five days of the city's use in stock: a count below that
is an alert too.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.delivery.rates import delivery_rates
from coalguard.cloud.delivery.tables import PurchaseRegister, ReserveCount, Supplier
from coalguard.cloud.market.alerts import clear_market_alert, raise_market_alert
from coalguard.datafile import Integer, Number, load_model
from coalguard.edge.clock import LOCAL_TZ

MILESTONES = Path(__file__).with_name("milestones.toml")
OVERDUE = "delivery.milestone_overdue"
LOW_RESERVE = "delivery.reserve_low"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Milestone(_Strict):
    id: str = Field(pattern=r"^[a-z_]+$")
    due: str = Field(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
    check: Literal["suppliers_tendered", "contracts_signed", "all_delivered"]


class Jurisdiction(_Strict):
    region: str = Field(pattern=r"^[0-9]{2,12}$")
    source: str = Field(min_length=1)
    milestones: tuple[Milestone, ...] = Field(default=(), alias="milestone")
    reserve_days: Integer | None = Field(default=None, gt=0)
    daily_use_t: Number | None = Field(default=None, gt=0)


class Milestones(_Strict):
    jurisdictions: tuple[Jurisdiction, ...] = Field(alias="jurisdiction")

    def for_region(self, code: str) -> Jurisdiction | None:
        found = [j for j in self.jurisdictions if code.startswith(j.region)]
        return max(found, key=lambda j: len(j.region), default=None)


@lru_cache(maxsize=2)
def load_milestones(path: Path = MILESTONES) -> Milestones:
    return load_model(path, Milestones)


def due_date(m: Milestone, season: str) -> date:
    month, day = (int(x) for x in m.due.split("-"))
    return date(int(season[:4]), month, day)


def met(s: Session, m: Milestone, county: str, season: str, today: date) -> bool:
    """Done by ``today`` (late is still done: the overdue alert clears, its history stays)."""
    sups = list(s.scalars(select(Supplier).where(Supplier.region_code == county)))
    if m.check == "suppliers_tendered":
        return any(x.tendered_on is not None and x.tendered_on <= today for x in sups)
    if m.check == "contracts_signed":
        return bool(sups) and all(
            x.contract_signed_on is not None and x.contract_signed_on <= today for x in sups
        )
    rates = delivery_rates(s, county, season, "county")
    return bool(rates) and all(r.complete for r in rates)


def _counties(s: Session, season: str) -> list[str]:
    villages = s.scalars(
        select(PurchaseRegister.village_code).where(PurchaseRegister.season == season)
    )
    counties = {v[:6] for v in villages} | set(s.scalars(select(Supplier.region_code)))
    return sorted(c for c in counties if len(c) == 6)


def season_of(day: date) -> str:
    """The heating season a day plans for: from June, the coming winter ("2022-23")."""
    y = day.year if day.month >= 6 else day.year - 1
    return f"{y}-{(y + 1) % 100:02d}"


def sweep_delivery(s: Session, now: datetime, rules: Milestones | None = None) -> int:
    """Raise (or clear) milestone and reserve alerts; returns how many were raised."""
    rules = rules or load_milestones()
    today = now.astimezone(LOCAL_TZ).date()
    season = season_of(today)
    raised = 0
    for county in _counties(s, season):
        j = rules.for_region(county)
        for m in j.milestones if j else ():
            subject = f"{county}:{season}:{m.id}"
            if today <= due_date(m, season):
                continue
            if met(s, m, county, season, today):
                clear_market_alert(s, OVERDUE, subject, now)
                continue
            raise_market_alert(
                s,
                kind=OVERDUE,
                subject=subject,
                region_code=county,
                message=m.id,
                at=now,
                detail={
                    "milestone": m.id,
                    "due": due_date(m, season).isoformat(),
                    "season": season,
                },
            )
            raised += 1
    return raised + _reserve(s, now, rules)


def reserve_state(
    s: Session, region: str, rules: Milestones | None = None
) -> tuple[Decimal, Decimal] | None:
    """(stock of the latest count, the stock required) where a reserve is kept and counted."""
    j = (rules or load_milestones()).for_region(region)
    if j is None or j.reserve_days is None or j.daily_use_t is None:
        return None
    last = s.scalars(
        select(ReserveCount)
        .where(ReserveCount.region_code == region)
        .order_by(ReserveCount.counted_on.desc())
    ).first()
    need = Decimal(j.reserve_days) * Decimal(str(j.daily_use_t))
    if last is None:
        return None  # not tracked yet: the city starts by recording a count
    return Decimal(last.stock_t), need


def _reserve(s: Session, now: datetime, rules: Milestones) -> int:
    raised = 0
    for j in rules.jurisdictions:
        state = reserve_state(s, j.region, rules)
        if state is None:
            continue
        stock, need = state
        if stock >= need:
            clear_market_alert(s, LOW_RESERVE, j.region, now)
            continue
        raise_market_alert(
            s,
            kind=LOW_RESERVE,
            subject=j.region,
            region_code=j.region,
            message=LOW_RESERVE,
            at=now,
            detail={"stock_t": str(stock), "need_t": str(need)},
        )
        raised += 1
    return raised
