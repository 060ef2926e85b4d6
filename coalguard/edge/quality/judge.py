"""judge(): does a sample meet a profile's limits?

Values are converted to each limit's basis, rounded to 0.01 the way GB/T 483
reports results (round half to even), then compared. A value outside a limit
by no more than the band is ``retest``: a rapid analyzer near the line must
not send a truck back on noise alone. The band defaults to the method's
repeatability r, converted to the limit's basis, or the
device's declared uncertainty when that is larger. r is taken at the
limit's level, so the band never grows as a value rises past a table step.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Context, Decimal

from coalguard.edge.model import SampleLike
from coalguard.edge.quality.basis import (
    Converter,
    Derived,
    Missing,
    validate_measured,
    validate_uncertainty,
)
from coalguard.edge.quality.indicators import Basis, Quantity, parse
from coalguard.edge.quality.profiles import Limit, Profile
from coalguard.edge.quality.repeatability import repeatability
from coalguard.edge.quality.verdict import IndicatorVerdict, Overall, Status, Verdict
from coalguard.errors import InputError
from coalguard.i18n import t

_CENT = Decimal("0.01")
_MILLI = Decimal("0.001")
# Room for every finite float (about 309 integer digits) plus the decimals kept:
# the default 28 digits made quantize() raise on a huge uncertainty.
_WIDE = Context(prec=400)


def round_result(value: float) -> Decimal:
    """Round to 0.01, half to even (GB/T 483 数字修约)."""
    return Decimal(repr(value)).quantize(_CENT, rounding=ROUND_HALF_EVEN, context=_WIDE)


def judge(sample: SampleLike, profile: Profile, profile_set: str | None = None) -> Verdict:
    """Judge ``sample`` against ``profile`` (from the set versioned ``profile_set``).

    Raises InputError on impossible values.
    """
    try:
        measured = validate_measured(sample.indicators)
        uncertainty = validate_uncertainty(getattr(sample, "uncertainty", None) or {})
    except ValueError as exc:
        where = t("sample_check.sample").format(sample_id=repr(sample.sample_id))
        raise InputError(f"{where}: {exc}") from None
    conv = Converter(measured)
    results = [_judge_limit(lim, conv, uncertainty) for lim in profile.limits]
    notes: list[str] = []
    if not profile.verified:
        notes.append("provisional profile: limits are not verified against the published standard")
    overall = _overall(results)
    if overall is Overall.NO_LIMITS:
        notes.append(
            "no verified limits: the profile's values must be installed by an administrator"
        )
    if any(r.estimated for r in results):
        notes.append("some values are estimates (see 'estimated'); a lab result is authoritative")
    return Verdict(
        sample_id=sample.sample_id,
        profile_id=profile.id,
        profile_version=profile.version,
        profile_title=profile.title,
        profile_source=profile.source,
        provisional=not profile.verified,
        overall=overall,
        indicators=results,
        notes=notes,
        profile_set=profile_set,
    )


def _overall(results: list[IndicatorVerdict]) -> Overall:
    judged = [r for r in results if r.status is not Status.UNSET]
    if not judged:
        return Overall.NO_LIMITS
    statuses = {r.status for r in judged}
    if Status.FAIL in statuses:
        return Overall.FAIL
    if Status.RETEST in statuses:
        return Overall.RETEST
    if Status.MISSING in statuses:
        return Overall.INCOMPLETE
    return Overall.PASS


def _judge_limit(lim: Limit, conv: Converter, uncertainty: dict[str, float]) -> IndicatorVerdict:
    ind = parse(lim.indicator)
    base = {"indicator": lim.indicator, "unit": ind.unit, "min": lim.min, "max": lim.max}
    if not lim.is_set:
        return IndicatorVerdict(status=Status.UNSET, **base)
    got = conv.get(lim.indicator)
    if isinstance(got, Missing):
        return IndicatorVerdict(status=Status.MISSING, missing=list(got.needs), **base)
    value = round_result(got.value)
    band, band_source = _band(lim, got, conv, uncertainty)
    status = _compare(value, lim, band)
    return IndicatorVerdict(
        status=status,
        value=float(value),
        band=float(band),
        band_source=band_source,
        measured=got.sources,
        formula=got.formula,
        estimated=got.estimated,
        **base,
    )


def _compare(value: Decimal, lim: Limit, band: Decimal) -> Status:
    worst = Status.PASS
    if lim.max is not None:
        hi = Decimal(repr(lim.max))
        if value > hi + band:
            return Status.FAIL
        if value > hi:
            worst = Status.RETEST
    if lim.min is not None:
        lo = Decimal(repr(lim.min))
        if value < lo - band:
            return Status.FAIL
        if value < lo:
            worst = Status.RETEST
    return worst


def _band(
    lim: Limit, got: Derived, conv: Converter, uncertainty: dict[str, float]
) -> tuple[Decimal, str]:
    if lim.band is not None:
        return Decimal(repr(lim.band)), "profile"
    ind = parse(lim.indicator)
    r_band, source = _repeatability_band(lim, ind.quantity, ind.basis, got, conv)
    dev_band = _device_band(ind.quantity, got, uncertainty)
    if dev_band is not None and dev_band > r_band:
        return _q(dev_band), "device uncertainty"
    return _q(r_band), source


def _q(x: float) -> Decimal:
    return Decimal(repr(x)).quantize(_MILLI, rounding=ROUND_HALF_EVEN, context=_WIDE)


def _repeatability_band(
    lim: Limit, q: Quantity, basis: Basis | None, got: Derived, conv: Converter
) -> tuple[float, str]:
    """r at the limit's level (on the air-dried basis), scaled like the value.

    The level is the limit's, not the measurement's: r changes in steps, and
    a band that grew as the value rose could turn a fail into a retest.
    """
    bound = lim.max if lim.max is not None else lim.min
    assert bound is not None
    if q in (Quantity.QNET, Quantity.MT, Quantity.MAD):
        key = "Qnet" if q is Quantity.QNET else q.value
        r = repeatability(key, bound)
        return (r[0], f"r {r[1]}") if r else (0.0, "none")
    assert basis is not None
    factor = _ad_factor(basis, conv)
    if q is Quantity.FC:
        # FC is 100 − M − A − V: combine the parts' r as independent errors.
        rs = []
        for key, sym in (("Mad", "Mad"), ("A", "Aad"), ("V", "Vad")):
            part = conv.get(sym)
            r = repeatability(key, part.value if isinstance(part, Derived) else 0.0)
            rs.append(r[0] if r else 0.0)
        return math.sqrt(sum(x * x for x in rs)) * factor, "r combined (M, A, V)"
    r = repeatability(q.value, bound / factor)
    if r is None:
        return 0.0, "none"
    return r[0] * factor, f"r {r[1]}"


def _ad_factor(basis: Basis, conv: Converter) -> float:
    """value(basis) / value(ad): the linear factor that also scales r.

    Taken from the basis conversion (moisture, ash), never from a ratio of two
    reported values: those may disagree, or be zero (``Ad: 0`` beside ``Aad: 5``).
    """
    factor = conv.scale(Basis.AD, basis)
    return factor if factor is not None and factor > 0 else 1.0


def _device_band(q: Quantity, got: Derived, uncertainty: dict[str, float]) -> float | None:
    """The device's declared uncertainty of the same quantity, scaled like the value."""
    same = Quantity.QGR if q is Quantity.QNET else q
    for sym, value in got.sources.items():
        if sym in uncertainty and parse(sym).quantity is same and value > 0:
            return uncertainty[sym] * got.value / value
    return None
