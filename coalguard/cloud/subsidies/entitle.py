"""A household's entitlement for a season, computed from its ledger facts and the schemes.

Each scheme item gives one line: an amount, or the rule that refused it (so a
household told "no" is told why). The rules run in a fixed order and the first
that refuses names the line; a failed acceptance also claws back what was paid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from coalguard.cloud.subsidies.facts import HouseholdFacts, Slip
from coalguard.cloud.subsidies.schemes import Item, Scheme, SchemeSet, basis_of_slip, money
from coalguard.i18n import t

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Refusal:
    """Which rule refused a line, with what it looked at."""

    rule: str  # ``rule_<rule>`` in the ``[subsidies]`` catalog
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str | None = None) -> str:
        words = {k: _word(k, v, lang) for k, v in self.params.items()}
        return t(f"subsidies.rule_{self.rule}", lang).format(**words)


def _word(name: str, value: Any, lang: str | None) -> str:
    """A parameter as a person reads it: vocabulary keys become words."""
    if name in ("category", "acceptance"):  # the register's words
        return t(f"households.{name}_{value}", lang)
    return str(value)


@dataclass(frozen=True)
class Line:
    scheme_id: str
    item_id: str
    payer: str
    units: Decimal  # tonnes, stoves, households, or yuan of use counted
    amount: Decimal  # yuan; negative for a clawback
    slips: tuple[str, ...] = ()  # the slip serials it counted
    refusal: Refusal | None = None
    clawback: bool = False


@dataclass(frozen=True)
class Entitlement:
    household_id: int
    season: str
    schemes_version: str
    lines: tuple[Line, ...]

    @property
    def total(self) -> Decimal:
        return money(sum((ln.amount for ln in self.lines), ZERO))

    def by_payer(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for ln in self.lines:
            out[ln.payer] = money(out.get(ln.payer, ZERO) + ln.amount)
        return out

    def refused(self) -> list[Line]:
        return [ln for ln in self.lines if ln.refusal is not None]


Rule = Callable[[Scheme, Item, HouseholdFacts, date], Refusal | None]


def _refused_retrofit(s: Scheme, i: Item, f: HouseholdFacts, on: date) -> Refusal | None:
    # Seed 004: those who refused the retrofit for personal reasons get no subsidy again.
    if s.excludes_refused_retrofit and f.retrofit_refused:
        return Refusal("refused_retrofit")
    return None


def _category(s: Scheme, i: Item, f: HouseholdFacts, on: date) -> Refusal | None:
    if i.categories and f.category not in i.categories:
        return Refusal("category", {"category": f.category})
    return None


def _hardship(s: Scheme, i: Item, f: HouseholdFacts, on: date) -> Refusal | None:
    return Refusal("hardship") if i.hardship_only and not f.hardship else None


def _no_second_construction(s: Scheme, i: Item, f: HouseholdFacts, on: date) -> Refusal | None:
    # Seed 004: "对既往年度已实施改造的用户不得重复享受建设奖补资金".
    if not i.construction:
        return None
    earlier = (
        i.basis == "retrofit" and f.retrofit_year is not None and f.retrofit_year < s.start_year
    )
    if f.construction_paid_before or earlier:
        return Refusal("no_second_construction", {"year": f.retrofit_year or "-"})
    return None


def _cohort(s: Scheme, i: Item, f: HouseholdFacts, on: date) -> Refusal | None:
    if i.cohort_years and f.retrofit_year not in i.cohort_years:
        years = "、".join(str(y) for y in i.cohort_years)
        return Refusal("cohort", {"years": years, "year": f.retrofit_year or "-"})
    return None


def _operating_seasons(s: Scheme, i: Item, f: HouseholdFacts, on: date) -> Refusal | None:
    n = i.operating_seasons
    if n and f.retrofit_year is not None and s.start_year >= f.retrofit_year + n:
        return Refusal("operating_seasons", {"seasons": n, "year": f.retrofit_year})
    return None


def _pledge(s: Scheme, i: Item, f: HouseholdFacts, on: date) -> Refusal | None:
    # Seed 004: the pledge (承诺书) is signed before the subsidy is paid.
    if s.requires_pledge and (f.pledge_signed_on is None or f.pledge_signed_on > on):
        return Refusal("pledge")
    return None


def _acceptance(s: Scheme, i: Item, f: HouseholdFacts, on: date) -> Refusal | None:
    # Seed 004: "不达标的不予拨付补贴资金，待整改合格后予以拨付".
    if s.requires_acceptance and f.acceptance != "accepted":
        return Refusal("acceptance", {"acceptance": f.acceptance})
    return None


RULES: tuple[Rule, ...] = (
    _refused_retrofit,
    _category,
    _hardship,
    _no_second_construction,
    _cohort,
    _operating_seasons,
)
# Checked last: they hold a line the household is otherwise entitled to.
HOLDS: tuple[Rule, ...] = (_pledge, _acceptance)


def _counted(s: Scheme, i: Item, f: HouseholdFacts) -> tuple[list[Slip], Refusal | None]:
    """The slips an item counts, oldest first, or why none count."""
    window = [x for x in f.slips if s.purchases_from <= x.sold_on <= s.purchases_to]
    mine = [x for x in window if basis_of_slip(x.item) == i.basis]
    if i.basis == "usage":
        mine = [x for x in mine if x.item in i.fuels]
    if not mine:
        return [], Refusal("nothing_bought")
    if i.tendered_only:
        tendered = [x for x in mine if x.tendered]
        if not tendered:
            return [], Refusal("tendered_supplier", {"supplier": mine[0].supplier})
        mine = tendered
    return sorted(mine, key=lambda x: (x.sold_on, x.serial)), None


def _amount(i: Item, slips: list[Slip]) -> tuple[Decimal, Decimal]:
    """(units counted, yuan) under the item's caps."""
    if i.basis == "retrofit":
        units, yuan = Decimal(1), Decimal(str(i.rate))
    else:
        cap = Decimal(str(i.cap_units)) if i.cap_units is not None else None
        units, yuan = Decimal(0), Decimal(0)
        for x in slips:
            take = x.quantity if cap is None else min(x.quantity, cap - units)
            if take <= 0:
                break
            units += take
            price = x.unit_price if i.rate_basis == "slip_price" else Decimal(str(i.rate))
            yuan += take * price
    if i.cap_yuan is not None:
        yuan = min(yuan, Decimal(str(i.cap_yuan)))
    return units, money(yuan)


def _line(s: Scheme, i: Item, f: HouseholdFacts, on: date) -> Line:
    def refused(r: Refusal) -> Line:
        return Line(s.id, i.id, i.payer, Decimal(0), ZERO, refusal=r)

    for rule in RULES:
        if (r := rule(s, i, f, on)) is not None:
            return refused(r)
    slips: list[Slip] = []
    if i.basis != "retrofit":
        slips, why = _counted(s, i, f)
        if why is not None:
            return refused(why)
    for rule in HOLDS:
        if (r := rule(s, i, f, on)) is not None:
            return refused(r)
    units, yuan = _amount(i, slips)
    serials = tuple(x.serial for x in slips)
    return Line(s.id, i.id, i.payer, units, yuan, slips=serials)


def _items(schemes: list[Scheme]) -> list[tuple[Scheme, Item]]:
    """Every item once; a lower level's item replaces an upper level's of the same id."""
    chosen: dict[str, tuple[Scheme, Item]] = {}
    for s in schemes:  # upper level first
        for i in s.items:
            chosen[i.id] = (s, i)
    return list(chosen.values())


def entitle(facts: HouseholdFacts, schemes: SchemeSet, season: str, on: date) -> Entitlement:
    """The household's lines for ``season`` as of the day ``on`` (the day it would be paid)."""
    applying = schemes.applying(facts.region_code, season)
    lines = [_line(s, i, facts, on) for s, i in _items(applying)]
    for s in applying:
        if s.clawback_on_failed_acceptance and facts.acceptance == "failed":
            for p in facts.paid:
                if p.scheme_id == s.id and p.amount > 0:
                    r = Refusal("clawback")
                    lines.append(
                        Line(
                            s.id,
                            p.item_id,
                            _payer(s, p.item_id),
                            Decimal(0),
                            -money(p.amount),
                            refusal=r,
                            clawback=True,
                        )
                    )
    return Entitlement(facts.household_id, season, schemes.version, tuple(lines))


def _payer(s: Scheme, item_id: str) -> str:
    return next((i.payer for i in s.items if i.id == item_id), s.level)
