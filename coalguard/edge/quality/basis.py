"""Convert indicator values between analysis bases (GB/T 483, ISO 1170).

Every percent quantity converts through the dry basis:
``X_d = X_ad·100/(100−Mad) = X_ar·100/(100−Mt) = X_daf·(100−Ad)/100``.
Fixed carbon is computed by difference, net calorific value as received from
the gross value (GB/T 213), and hydrogen, when not measured, is estimated
from volatile matter (an empirical rule, flagged as an estimate).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from coalguard.edge.quality.indicators import (
    CALORIFIC_MAX,
    Basis,
    Quantity,
    parse,
    symbol_for,
)
from coalguard.i18n import t

# Prefer measured bases that need the fewest extra inputs to reach a target.
_SEARCH_ORDER = (Basis.D, Basis.AD, Basis.AR, Basis.DAF)
_NEEDS = {Basis.AD: "Mad", Basis.AR: "Mt", Basis.DAF: "Ad", Basis.D: None}
_MOISTURE_OF = {Basis.AD: "Mad", Basis.AR: "Mt"}

# Hdaf ≈ 0.059·Vdaf + 3.173: an empirical lab rule, not a standard.
H_FROM_VDAF = (0.059, 3.173)


@dataclass(frozen=True)
class Derived:
    """A value on the requested basis and how it was obtained."""

    symbol: str
    value: float
    sources: dict[str, float]  # measured symbols used, with their values
    formula: str | None = None  # None when measured directly
    estimated: bool = False


@dataclass(frozen=True)
class Missing:
    """Why a value cannot be computed: the measured symbols it would need."""

    symbol: str
    needs: tuple[str, ...]
    reason: str = ""


@dataclass
class _Ctx:
    measured: Mapping[str, float]
    active: set[str] = field(default_factory=set)


def _refuse(key: str, **params: object) -> ValueError:
    """A ValueError in the reader's language (catalog table ``sample_check``)."""
    return ValueError(t(f"sample_check.{key}").format(**params))


def _number(symbol: str, raw: object) -> float:
    """``raw`` as a finite float; ValueError naming ``symbol`` otherwise."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise _refuse("not_number", symbol=symbol, got=type(raw).__name__)
    try:
        value = float(raw)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise _refuse("not_finite", symbol=symbol)
    return value


def validate_measured(indicators: Mapping[str, float]) -> dict[str, float]:
    """Refuse values no analyzer can produce; raise ValueError naming the field."""
    out: dict[str, float] = {}
    for symbol, raw in indicators.items():
        ind = parse(symbol)
        value = _number(symbol, raw)
        if value < 0:
            raise _refuse("negative", symbol=symbol, value=value)
        if ind.is_calorific:
            if value > CALORIFIC_MAX:
                raise _refuse("calorific", symbol=symbol, value=value, top=CALORIFIC_MAX)
        elif value > 100:
            raise _refuse("over_100", symbol=symbol, value=value)
        out[symbol] = value
    for moisture in ("Mt", "Mad"):
        if out.get(moisture, 0) >= 100:
            raise _refuse("moisture_100", symbol=moisture)
    if out.get("Ad", 0) >= 100:
        raise _refuse("ash_100", symbol="Ad")
    _check_moisture_room(out)
    _check_bases_agree(out)
    return out


def validate_uncertainty(uncertainty: Mapping[str, float]) -> dict[str, float]:
    """A device's declared uncertainty: known symbols, finite, 0 ≤ u ≤ the quantity's range."""
    out: dict[str, float] = {}
    for symbol, raw in uncertainty.items():
        ind = parse(symbol)
        where = t("sample_check.uncertainty_of").format(symbol=symbol)
        value = _number(where, raw)
        top = CALORIFIC_MAX if ind.is_calorific else 100.0
        if not 0 <= value <= top:
            raise _refuse("outside", symbol=where, value=value, top=top, unit=ind.unit)
        out[symbol] = value
    return out


def _check_moisture_room(out: Mapping[str, float]) -> None:
    """X_ad + Mad and X_ar + Mt stay within 100 %: a dry value is never over 100 %.

    Ash takes all of the dry mass only when nothing burns; the dry ash-free
    basis divides by (100 − Ad), so ash must stay strictly below.
    """
    for symbol, value in out.items():
        ind = parse(symbol)
        if ind.is_calorific or ind.basis not in _MOISTURE_OF:
            continue
        moisture = _MOISTURE_OF[ind.basis]
        if moisture not in out:
            continue
        total = value + out[moisture]
        if ind.quantity is Quantity.A and total >= 100:
            raise _refuse("no_combustible", moisture=moisture, symbol=symbol, total=total)
        if total > 100:
            raise _refuse("dry_over_100", moisture=moisture, symbol=symbol, total=total)


def _check_bases_agree(out: Mapping[str, float]) -> None:
    """One quantity measured on two bases is zero on both or on neither.

    The bases differ by positive factors, so ``Ad = 0`` with ``Aad = 5`` is a
    contradiction (and would divide by zero when scaling the retest band).
    """
    by_quantity: dict[Quantity, list[str]] = {}
    for symbol in out:
        ind = parse(symbol)
        if ind.basis is not None:
            by_quantity.setdefault(ind.quantity, []).append(symbol)
    for symbols in by_quantity.values():
        zero = [s for s in symbols if out[s] == 0]
        positive = [s for s in symbols if out[s] > 0]
        if zero and positive:
            raise _refuse(
                "bases_disagree", zero=zero[0], positive=positive[0], value=out[positive[0]]
            )


class Converter:
    """Answers "what is X on basis b" from one sample's measured values."""

    def __init__(self, measured: Mapping[str, float]):
        self._measured = dict(measured)

    def get(self, symbol: str) -> Derived | Missing:
        """The value of ``symbol``, measured, converted or computed."""
        return self._get(symbol, _Ctx(self._measured))

    def scale(self, source: Basis, target: Basis) -> float | None:
        """X(target) / X(source) for a percent quantity; None when Mad, Mt or Ad is unknown."""
        ctx = _Ctx(self._measured)
        to_d = self._factor_to_d(source, ctx)
        from_d = self._factor_to_d(target, ctx)
        if isinstance(to_d, Missing) or isinstance(from_d, Missing) or from_d[0] == 0:
            return None
        return to_d[0] / from_d[0]

    # -- internals ---------------------------------------------------------

    def _get(self, symbol: str, ctx: _Ctx) -> Derived | Missing:
        if symbol in ctx.measured:
            v = ctx.measured[symbol]
            return Derived(symbol, v, {symbol: v})
        if symbol in ctx.active:  # a cycle: this route cannot give it
            return Missing(symbol, (symbol,))
        ctx.active.add(symbol)
        try:
            ind = parse(symbol)
            if ind.quantity in (Quantity.MT, Quantity.MAD):
                return Missing(symbol, (symbol,), "moisture is measured, never converted")
            if ind.quantity is Quantity.QNET:
                return self._qnet_ar(ctx)
            assert ind.basis is not None
            conv = self._convert(ind.quantity, ind.basis, ctx)
            if isinstance(conv, Derived):
                return conv
            if ind.quantity is Quantity.FC:
                alt = self._fc(ind.basis, ctx)
                return alt if isinstance(alt, Derived) else _merge(symbol, conv, alt)
            if ind.quantity is Quantity.H:
                alt = self._h_estimate(ind.basis, ctx)
                return alt if isinstance(alt, Derived) else _merge(symbol, conv, alt)
            return conv
        finally:
            ctx.active.discard(symbol)

    def _factor_to_d(
        self, basis: Basis, ctx: _Ctx
    ) -> tuple[float, str, dict[str, float]] | Missing:
        need = _NEEDS[basis]
        if need is None:
            return 1.0, "", {}
        dep = self._get(need, ctx)
        if isinstance(dep, Missing):
            return Missing(need, dep.needs)
        v = dep.value
        if basis is Basis.AD:
            return 100.0 / (100.0 - v), "100/(100−Mad)", dep.sources
        if basis is Basis.AR:
            return 100.0 / (100.0 - v), "100/(100−Mt)", dep.sources
        # daf -> d
        return (100.0 - v) / 100.0, "(100−Ad)/100", dep.sources

    def _convert(self, q: Quantity, target: Basis, ctx: _Ctx) -> Derived | Missing:
        """Find ``q`` measured on some basis and bring it to ``target`` via d."""
        target_symbol = symbol_for(q, target)
        needs: list[str] = []
        candidates = [b for b in _SEARCH_ORDER if symbol_for(q, b) in ctx.measured]
        if not candidates:
            return Missing(
                target_symbol, tuple(symbol_for(q, b) for b in _SEARCH_ORDER if _valid(q, b))
            )
        for src in candidates:
            src_symbol = symbol_for(q, src)
            to_d = self._factor_to_d(src, ctx)
            if isinstance(to_d, Missing):
                needs.extend(to_d.needs)
                continue
            from_d = self._factor_to_d(target, ctx)
            if isinstance(from_d, Missing):
                needs.extend(from_d.needs)
                continue
            f1, t1, s1 = to_d
            f2, t2, s2 = from_d
            value = ctx.measured[src_symbol] * f1 / f2
            formula = f"{target_symbol} = {src_symbol}"
            if t1:
                formula += f" × {t1}"
            if t2:
                formula += f" × {_invert(t2)}"
            sources = {src_symbol: ctx.measured[src_symbol], **s1, **s2}
            return Derived(target_symbol, value, sources, formula)
        return Missing(target_symbol, tuple(dict.fromkeys(needs)))

    def _fc(self, target: Basis, ctx: _Ctx) -> Derived | Missing:
        """FCad = 100 − Mad − Aad − Vad, then to the target basis."""
        parts = [self._get(s, ctx) for s in ("Mad", "Aad", "Vad")]
        missing = [p for p in parts if isinstance(p, Missing)]
        if missing:
            return Missing(
                symbol_for(Quantity.FC, target), tuple(n for m in missing for n in m.needs)
            )
        mad, aad, vad = (p.value for p in parts)  # type: ignore[union-attr]
        fcad = 100.0 - mad - aad - vad
        sources: dict[str, float] = {}
        for p in parts:
            sources.update(p.sources)  # type: ignore[union-attr]
        if target is Basis.AD:
            return Derived("FCad", fcad, sources, "FCad = 100 − Mad − Aad − Vad")
        f = self._factor_to_d(Basis.AD, ctx)
        g = self._factor_to_d(target, ctx)
        if isinstance(f, Missing) or isinstance(g, Missing):
            return Missing(symbol_for(Quantity.FC, target), ("Mad",))
        symbol = symbol_for(Quantity.FC, target)
        return Derived(
            symbol,
            fcad * f[0] / g[0],
            {**sources, **f[2], **g[2]},
            f"{symbol} = (100 − Mad − Aad − Vad) × {f[1]} × {_invert(g[1]) if g[1] else '1'}",
        )

    def _h_estimate(self, target: Basis, ctx: _Ctx) -> Derived | Missing:
        """Hdaf ≈ 0.059·Vdaf + 3.173 (estimate), then to the target basis."""
        vdaf = self._get("Vdaf", ctx)
        symbol = symbol_for(Quantity.H, target)
        if isinstance(vdaf, Missing):
            return Missing(symbol, ("Had", *vdaf.needs))
        a, b = H_FROM_VDAF
        hdaf = a * vdaf.value + b
        if target is Basis.DAF:
            return Derived(symbol, hdaf, vdaf.sources, "Hdaf ≈ 0.059·Vdaf + 3.173", estimated=True)
        f = self._factor_to_d(Basis.DAF, ctx)
        g = self._factor_to_d(target, ctx)
        if isinstance(f, Missing) or isinstance(g, Missing):
            return Missing(symbol, ("Had",))
        return Derived(
            symbol,
            hdaf * f[0] / g[0],
            {**vdaf.sources, **f[2], **g[2]},
            f"{symbol} ≈ (0.059·Vdaf + 3.173) converted from daf",
            estimated=True,
        )

    def _qnet_ar(self, ctx: _Ctx) -> Derived | Missing:
        """GB/T 213: Qnet,ar = (Qgr,ad − 206·Had)·(100−Mt)/(100−Mad) − 23·Mt, in J/g."""
        parts = {s: self._get(s, ctx) for s in ("Qgr_ad", "Had", "Mt", "Mad")}
        missing = [n for p in parts.values() if isinstance(p, Missing) for n in p.needs]
        if missing:
            return Missing("Qnet_ar", tuple(dict.fromkeys(missing)))
        qgr, had, mt, mad = (parts[s].value for s in ("Qgr_ad", "Had", "Mt", "Mad"))  # type: ignore[union-attr]
        qnet_jg = (qgr * 1000.0 - 206.0 * had) * (100.0 - mt) / (100.0 - mad) - 23.0 * mt
        sources: dict[str, float] = {}
        for p in parts.values():
            sources.update(p.sources)  # type: ignore[union-attr]
        estimated = any(p.estimated for p in parts.values())  # type: ignore[union-attr]
        formula = "Qnet_ar = (Qgr_ad·1000 − 206·Had)·(100−Mt)/(100−Mad) − 23·Mt  [J/g ÷ 1000]"
        if estimated:
            formula += "; Had estimated from Vdaf"
        return Derived("Qnet_ar", qnet_jg / 1000.0, sources, formula, estimated)


def _valid(q: Quantity, b: Basis) -> bool:
    return not (q is Quantity.A and b is Basis.DAF)


def _invert(term: str) -> str:
    """The reciprocal of a factor written as "a/b" (for showing formulas)."""
    if "/" not in term:
        return term
    num, den = term.split("/", 1)
    return f"{den}/{num}"


def _merge(symbol: str, *missing: Missing) -> Missing:
    needs: list[str] = []
    for m in missing:
        needs.extend(m.needs)
    return Missing(symbol, tuple(dict.fromkeys(needs)))
