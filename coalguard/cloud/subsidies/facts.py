"""What the ledgers say about one household: the only input of an entitlement.

Built from the household register (category, hardship, retrofit, pledge,
acceptance), the delivery slips (五联单) and the payouts already made
(``ledger.py``); never typed in, so an entitlement can always be recomputed
and explained.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

# The register's retrofit acceptance states (``cloud/households/vocabulary.toml``).
Acceptance = Literal["not_applicable", "pending", "accepted", "failed"]


@dataclass(frozen=True)
class Slip:
    """One line of a five-part slip: what the household bought, from whom."""

    serial: str
    sold_on: date
    item: str  # schemes.SLIP_ITEMS: coal, stove, gas, electricity, biomass
    quantity: Decimal
    unit_price: Decimal  # yuan per unit
    supplier: str
    tendered: bool  # the supplier won the jurisdiction's tender

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class Paid:
    """An amount already paid out for one scheme item (what a clawback takes back)."""

    scheme_id: str
    item_id: str
    amount: Decimal


@dataclass(frozen=True)
class HouseholdFacts:
    household_id: int
    region_code: str  # the village's 12-digit code
    category: str  # the register's category (schemes.CATEGORIES)
    hardship: bool = False
    retrofit_year: int | None = None  # the year its clean-heating retrofit was built
    retrofit_refused: bool = False  # refused the retrofit for personal reasons
    construction_paid_before: bool = False  # a construction subsidy in an earlier season
    pledge_signed_on: date | None = None  # the no-coal pledge (承诺书)
    acceptance: Acceptance = "not_applicable"
    slips: tuple[Slip, ...] = ()
    paid: tuple[Paid, ...] = field(default=())
