"""Indicator symbols: a quantity on an analysis basis (GB/T 483 notation).

``Vdaf`` is volatile matter on the dry ash-free basis, ``St_d`` total sulfur
dry, ``Qnet_ar`` net calorific value as received. Percent for everything but
calorific values, which are MJ/kg.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache


class Basis(StrEnum):
    """Analysis basis: air-dried, dry, dry ash-free, as received."""

    AD = "ad"
    D = "d"
    DAF = "daf"
    AR = "ar"


class Quantity(StrEnum):
    """Measured or derived coal property."""

    MT = "Mt"  # total moisture, as received by definition
    MAD = "Mad"  # moisture of the air-dried analysis sample
    A = "A"  # ash
    V = "V"  # volatile matter
    ST = "St"  # total sulfur
    QGR = "Qgr"  # gross calorific value
    QNET = "Qnet"  # net calorific value (as received only)
    H = "H"  # hydrogen
    FC = "FC"  # fixed carbon (by difference)


PERCENT = "%"
MJ_PER_KG = "MJ/kg"

_SEPARATED = {Quantity.ST, Quantity.QGR, Quantity.QNET}  # St_ad, Qgr_ad, Qnet_ar
_NO_DAF = {Quantity.A}  # ash has no daf value

_PATTERN = re.compile(r"^(Mt|Mad|FC|St_|Qgr_|Qnet_|A|V|H)(ad|daf|d|ar)?$")


@dataclass(frozen=True)
class Indicator:
    """A parsed symbol. ``basis`` is None only for the moistures."""

    symbol: str
    quantity: Quantity
    basis: Basis | None

    @property
    def unit(self) -> str:
        return MJ_PER_KG if self.quantity in (Quantity.QGR, Quantity.QNET) else PERCENT

    @property
    def is_calorific(self) -> bool:
        return self.quantity in (Quantity.QGR, Quantity.QNET)


@cache  # pure, over a finite set; judging looks symbols up dozens of times per sample
def symbol_for(quantity: Quantity, basis: Basis) -> str:
    """The canonical symbol of ``quantity`` on ``basis`` (``St`` + ``d`` → ``St_d``)."""
    if quantity in (Quantity.MT, Quantity.MAD):
        return quantity.value
    sep = "_" if quantity in _SEPARATED else ""
    return f"{quantity.value}{sep}{basis.value}"


@lru_cache(maxsize=512)  # pure (a frozen result); an error is raised again, never cached
def parse(symbol: str) -> Indicator:
    """Parse an indicator symbol; raise ValueError naming what is wrong."""
    m = _PATTERN.match(symbol)
    if not m:
        raise ValueError(f"unknown indicator symbol {symbol!r} (known: {', '.join(KNOWN)})")
    head, basis_s = m.group(1), m.group(2)
    if head in ("Mt", "Mad"):
        if basis_s:
            raise ValueError(f"unknown indicator symbol {symbol!r}")
        return Indicator(symbol, Quantity(head), None)
    if basis_s is None:
        raise ValueError(f"indicator {symbol!r} names no basis (ad, d, daf or ar)")
    quantity = Quantity(head.rstrip("_"))
    basis = Basis(basis_s)
    if symbol != symbol_for(quantity, basis):
        raise ValueError(
            f"unknown indicator symbol {symbol!r}; did you mean {symbol_for(quantity, basis)!r}?"
        )
    if quantity in _NO_DAF and basis is Basis.DAF:
        raise ValueError("ash has no dry ash-free value (Adaf is undefined)")
    if quantity is Quantity.QNET and basis is not Basis.AR:
        raise ValueError(f"{symbol!r}: net calorific value is supported as received only (Qnet_ar)")
    return Indicator(symbol, quantity, basis)


def _all_symbols() -> tuple[str, ...]:
    out = ["Mt", "Mad"]
    for q in (Quantity.A, Quantity.V, Quantity.ST, Quantity.QGR, Quantity.H, Quantity.FC):
        for b in Basis:
            if q in _NO_DAF and b is Basis.DAF:
                continue
            out.append(symbol_for(q, b))
    out.append("Qnet_ar")
    return tuple(out)


KNOWN: tuple[str, ...] = _all_symbols()

# Plausible ranges for measured values (canonical units). Outside them a
# value is refused: a calorific value of 25000 "MJ/kg" was sent in J/g.
CALORIFIC_MAX = 40.0
