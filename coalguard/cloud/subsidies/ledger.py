"""The ledger facts of households, read from the register, the delivery slips and the
payout lists: the only way an entitlement gets its input (never typed in)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalguard.cloud.delivery.network import tendered
from coalguard.cloud.delivery.tables import Delivery, Supplier
from coalguard.cloud.households.tables import Household
from coalguard.cloud.subsidies.facts import HouseholdFacts, Paid, Slip
from coalguard.cloud.subsidies.tables import PayoutLine, PayoutList


def slips_of(s: Session, household_id: int) -> tuple[Slip, ...]:
    """Every slip line delivered to the household; ``tendered`` from the supplier's tender
    covering the household's village."""
    rows = s.scalars(
        select(Delivery)
        .where(Delivery.household_id == household_id)
        .order_by(Delivery.delivered_on, Delivery.id)
    )
    memo: dict[int, bool] = {}
    out = []
    for d in rows:
        if d.supplier_id not in memo:
            memo[d.supplier_id] = tendered(s, d.supplier_id, d.village_code)
        out.append(
            Slip(
                serial=d.slip_serial,
                sold_on=d.delivered_on,
                item=d.item,
                quantity=Decimal(d.quantity),
                unit_price=Decimal(d.unit_price),
                supplier=_supplier_name(s, d.supplier_id),
                tendered=memo[d.supplier_id],
            )
        )
    return tuple(out)


def _supplier_name(s: Session, supplier_id: int) -> str:
    sup = s.get(Supplier, supplier_id)
    return sup.name if sup else str(supplier_id)


def paid_of(s: Session, household_id: int, season: str) -> tuple[Paid, ...]:
    """Net amounts paid per scheme item on lists already paid (clawbacks netted)."""
    rows = s.execute(
        select(PayoutLine.scheme_id, PayoutLine.item_id, func.sum(PayoutLine.amount))
        .join(PayoutList, PayoutList.id == PayoutLine.list_id)
        .where(
            PayoutLine.household_id == household_id,
            PayoutList.season == season,
            PayoutList.status == "paid",
        )
        .group_by(PayoutLine.scheme_id, PayoutLine.item_id)
    )
    return tuple(Paid(sc, it, Decimal(a)) for sc, it, a in rows if a and Decimal(a) != 0)


def facts(s: Session, h: Household, season: str) -> HouseholdFacts:
    """One household's facts from its register row, its slips and its paid lines."""
    paid_season = h.construction_paid_season
    return HouseholdFacts(
        household_id=h.id,
        region_code=h.village_code,
        category=h.category or "",
        hardship=h.hardship,
        retrofit_year=h.retrofit_year,
        retrofit_refused=h.retrofit_refused,
        construction_paid_before=bool(paid_season and paid_season < season),
        pledge_signed_on=h.pledge_signed_on,
        acceptance=h.retrofit_acceptance or "not_applicable",  # type: ignore[arg-type]
        slips=slips_of(s, h.id),
        paid=paid_of(s, h.id, season),
    )


def facts_of(s: Session, township: str, season: str) -> Iterator[HouseholdFacts]:
    """Every registered household of the township, in village and id order."""
    rows = s.scalars(
        select(Household)
        .where(Household.village_code.startswith(township))
        .order_by(Household.village_code, Household.id)
    )
    for h in rows:
        yield facts(s, h, season)
