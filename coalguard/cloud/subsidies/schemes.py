"""Subsidy schemes as data (``schemes/*.toml``), versioned like the quality profiles.

A scheme is one jurisdiction's rule for one heating season: which items it pays
for (coal by the tonne, stoves, the retrofit itself, operating costs by use),
at what rate, up to what cap, for which households, and who pays (province,
city, county, town). Every scheme whose region prefix contains a household
applies, each paying its own share; a lower level's item with the same id
replaces the upper level's (差异化补助: the county sets its own rate).
Amounts are money: ``Decimal`` yuan, rounded to the fen.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from coalguard.datafile import FieldError, Integer, Number, load_model

SCHEMES_DIR = Path(__file__).with_name("schemes")

Basis = Literal["coal_t", "stove", "retrofit", "usage"]
BASES: tuple[str, ...] = Basis.__args__  # type: ignore[attr-defined]
Payer = Literal["province", "city", "county", "town"]
# The household register's categories (``cloud/households/vocabulary.toml``).
Category = Literal["retrofit_done", "retrofit_exception", "unretrofitted_remote", "new_coal"]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]
Fuel = Literal["gas", "electricity", "biomass"]
# What a slip's line sells, and the basis that counts it.
SLIP_ITEMS = ("coal", "stove", "gas", "electricity", "biomass")
_BASIS_OF_SLIP = {
    "coal": "coal_t",
    "stove": "stove",
    "gas": "usage",
    "electricity": "usage",
    "biomass": "usage",
}


def basis_of_slip(item: str) -> str:
    """The scheme basis a slip line counts towards (``coal`` → ``coal_t``)."""
    return _BASIS_OF_SLIP[item]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Item(_Strict):
    """One thing a scheme pays for."""

    id: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    basis: Basis
    payer: Payer
    # Yuan per unit (per tonne, per stove, per household for ``retrofit``); or the slip's own price.
    rate: Number = Field(default=0, ge=0)
    rate_basis: Literal["fixed", "slip_price"] = "fixed"
    cap_units: Number | None = Field(default=None, gt=0)  # per household per season
    cap_yuan: Number | None = Field(default=None, gt=0)  # per household per season
    categories: tuple[Category, ...] = ()  # empty: every category
    hardship_only: bool = False
    tendered_only: bool = False  # only slips of the county's tendered suppliers count
    fuels: tuple[Fuel, ...] = ()  # ``usage``: which fuels count
    construction: bool = False  # a construction subsidy: paid once in a household's life
    cohort_years: tuple[Integer, ...] = ()  # retrofit years this item is for (empty: any)
    operating_seasons: Integer | None = Field(default=None, gt=0)  # seasons after the retrofit

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        if self.rate_basis == "fixed" and self.rate <= 0:
            raise FieldError(("rate",), "a fixed rate must be above 0")
        if self.basis == "usage" and not self.fuels:
            raise FieldError(("fuels",), "a usage item names the fuels it counts")
        if self.basis != "usage" and self.fuels:
            raise FieldError(("fuels",), "only a usage item counts fuels")
        if self.rate_basis == "slip_price" and self.basis in ("retrofit",):
            raise FieldError(("rate_basis",), "the retrofit has no slip price")
        return self


class Scheme(_Strict):
    """One jurisdiction's subsidy rule for one season."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$")
    title: str = Field(min_length=1)
    region: str = Field(pattern=r"^[0-9]{2,12}$")  # the jurisdiction's code prefix
    level: Payer  # the level that issued it
    season: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$")  # "2022-23"
    purchases_from: date  # slips dated in this window count
    purchases_to: date
    source: str = Field(min_length=1)  # the document and clause; "example" if none
    example: bool = False  # figures not from a real document: shown as such
    requires_pledge: bool = False  # the no-coal pledge (承诺书) before payment
    requires_acceptance: bool = False  # no payment before the household's acceptance passes
    excludes_refused_retrofit: bool = False  # refused the retrofit: no subsidy at all
    clawback_on_failed_acceptance: bool = False
    items: tuple[Item, ...] = Field(alias="item", min_length=1)

    @model_validator(mode="after")
    def _window(self) -> Scheme:
        if self.purchases_to < self.purchases_from:
            raise FieldError(("purchases_to",), "the window ends before it starts")
        ids = [i.id for i in self.items]
        dup = next((i for i in ids if ids.count(i) > 1), None)
        if dup:
            raise FieldError(("item",), f"item {dup!r} twice")
        return self

    @property
    def start_year(self) -> int:
        return int(self.season[:4])


class SchemeSet(_Strict):
    """Every scheme shipped (or configured), with a version to record beside a computation."""

    schemes: tuple[Scheme, ...]
    version: str

    def applying(self, region_code: str, season: str) -> list[Scheme]:
        """The schemes whose region contains ``region_code`` for ``season``, upper level first."""
        found = [s for s in self.schemes if region_code.startswith(s.region) and s.season == season]
        return sorted(found, key=lambda s: len(s.region))

    def by_id(self, scheme_id: str) -> Scheme | None:
        return next((s for s in self.schemes if s.id == scheme_id), None)


def money(value: Decimal | float | int | str) -> Decimal:
    """Yuan to the fen (half up, as a cashier rounds)."""
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")


@lru_cache(maxsize=4)
def load_schemes(folder: Path = SCHEMES_DIR) -> SchemeSet:
    """Every ``*.toml`` in ``folder``, validated (file, line and field named on error)."""
    paths = sorted(folder.glob("*.toml"))
    schemes = tuple(load_model(p, Scheme) for p in paths)
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in paths)).hexdigest()[:12]
    ids = [s.id for s in schemes]
    dup = next((i for i in ids if ids.count(i) > 1), None)
    if dup:
        raise ValueError(f"scheme id {dup!r} in two files of {folder}")
    return SchemeSet(schemes=schemes, version=f"schemes@{digest}")
