"""Payout lists per township and the settlement per county, from computed entitlements.

A list is drawn from the ledgers, never typed: each household's entitlement as
of the pay day, less what earlier lists of the season already listed for the
same scheme item, so drawing again pays only what came due since (a household
whose acceptance passed later, coal delivered later) and a failed acceptance
claws back what was paid. Refused lines are kept with their rule, for the
township to answer a household that asks why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalguard.cloud.subsidies.entitle import ZERO, entitle
from coalguard.cloud.subsidies.facts import HouseholdFacts
from coalguard.cloud.subsidies.schemes import SchemeSet, money
from coalguard.cloud.subsidies.tables import Allocation, PayoutLine, PayoutList
from coalguard.errors import Refusal

LIST_STEPS = ("drawn", "posted", "paid")
FactsOf = Callable[[Session, str, str], Iterable[HouseholdFacts]]  # (session, township, season)


class PayoutError(Refusal):
    """A payout list step refused (409 unless it says otherwise)."""

    section = "subsidies"
    status = 409


def listed(s: Session, household_id: int, season: str) -> dict[tuple[str, str], Decimal]:
    """What earlier lists of the season listed per (scheme, item) for a household."""
    rows = s.execute(
        select(PayoutLine.scheme_id, PayoutLine.item_id, func.sum(PayoutLine.amount))
        .join(PayoutList, PayoutList.id == PayoutLine.list_id)
        .where(PayoutLine.household_id == household_id, PayoutList.season == season)
        .group_by(PayoutLine.scheme_id, PayoutLine.item_id)
    )
    return {(sc, it): Decimal(a or 0) for sc, it, a in rows}


def draw(
    s: Session,
    township: str,
    season: str,
    pay_day: date,
    schemes: SchemeSet,
    facts_of: FactsOf,
    by: str,
    now: datetime,
) -> PayoutList:
    """A new list for the township: every household's amounts due now and not yet listed."""
    open_list = s.scalar(
        select(PayoutList).where(
            PayoutList.township_code == township,
            PayoutList.season == season,
            PayoutList.status != "paid",
        )
    )
    if open_list is not None:
        raise PayoutError("list_open", id=open_list.id, state=open_list.status)
    rounds = s.scalar(
        select(func.max(PayoutList.round)).where(
            PayoutList.township_code == township, PayoutList.season == season
        )
    )
    pl = PayoutList(
        township_code=township,
        season=season,
        round=(rounds or 0) + 1,
        status="drawn",
        schemes_version=schemes.version,
        drawn_by=by,
        drawn_at=now,
    )
    s.add(pl)
    s.flush()
    for facts in facts_of(s, township, season):
        before = listed(s, facts.household_id, season)
        for ln in entitle(facts, schemes, season, pay_day).lines:
            key = (ln.scheme_id, ln.item_id)
            due = money(ln.amount - before.get(key, ZERO)) if not ln.clawback else ln.amount
            if ln.refusal is None and due == ZERO:
                continue  # listed already
            if ln.refusal is not None and not ln.clawback and key in before:
                due = ZERO  # refused now; what was paid stays unless a clawback says otherwise
            s.add(
                PayoutLine(
                    list_id=pl.id,
                    household_id=facts.household_id,
                    village_code=facts.region_code,
                    scheme_id=ln.scheme_id,
                    item_id=ln.item_id,
                    payer=ln.payer,
                    units=ln.units,
                    amount=due,
                    refusal=ln.refusal.rule if ln.refusal else None,
                    refusal_params=dict(ln.refusal.params) if ln.refusal else {},
                    slips=list(ln.slips),
                    clawback=ln.clawback,
                )
            )
    s.flush()
    return pl


def advance(pl: PayoutList, to: str, now: datetime) -> None:
    """drawn → posted (公示) → paid."""
    if to not in LIST_STEPS or LIST_STEPS.index(to) != LIST_STEPS.index(pl.status) + 1:
        raise PayoutError("list_step", now=pl.status, to=to)
    pl.status = to
    if to == "posted":
        pl.posted_at = now
    else:
        pl.paid_at = now


def lines_of(s: Session, list_id: int) -> list[PayoutLine]:
    return list(
        s.scalars(
            select(PayoutLine)
            .where(PayoutLine.list_id == list_id)
            .order_by(PayoutLine.village_code, PayoutLine.household_id, PayoutLine.id)
        )
    )


@dataclass(frozen=True)
class Settlement:
    county_code: str
    season: str
    payer: str
    allocated: Decimal
    paid: Decimal
    clawed_back: Decimal  # a positive number: money taken back

    @property
    def balance(self) -> Decimal:
        return money(self.allocated - self.paid + self.clawed_back)


def settlement(s: Session, county: str, season: str) -> list[Settlement]:
    """Per payer: allocated, paid on paid lists, clawed back on paid lists."""
    sums = s.execute(
        select(PayoutLine.payer, PayoutLine.clawback, func.sum(PayoutLine.amount))
        .join(PayoutList, PayoutList.id == PayoutLine.list_id)
        .where(
            PayoutList.season == season,
            PayoutList.status == "paid",
            PayoutList.township_code.startswith(county),
        )
        .group_by(PayoutLine.payer, PayoutLine.clawback)
    )
    paid: dict[str, Decimal] = {}
    back: dict[str, Decimal] = {}
    for payer, claw, amount in sums:
        (back if claw else paid)[payer] = (back if claw else paid).get(payer, ZERO) + Decimal(
            amount or 0
        )
    alloc = {
        a.payer: Decimal(a.amount)
        for a in s.scalars(
            select(Allocation).where(Allocation.county_code == county, Allocation.season == season)
        )
    }
    payers = sorted(set(paid) | set(back) | set(alloc))
    return [
        Settlement(
            county,
            season,
            p,
            money(alloc.get(p, ZERO)),
            money(paid.get(p, ZERO)),
            money(-back.get(p, ZERO)),
        )
        for p in payers
    ]


def allocate(
    s: Session, county: str, season: str, payer: str, amount: Decimal, by: str, now: datetime
) -> Allocation:
    row = s.scalar(
        select(Allocation).where(
            Allocation.county_code == county, Allocation.season == season, Allocation.payer == payer
        )
    )
    if row is None:
        row = Allocation(county_code=county, season=season, payer=payer)
        s.add(row)
    row.amount, row.recorded_by, row.recorded_at = money(amount), by, now
    s.flush()
    return row
