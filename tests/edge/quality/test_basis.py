"""Basis conversions against worked examples computed by hand (GB/T 483)."""

from __future__ import annotations

import pytest

from coalguard.edge.quality.basis import Converter, Derived, Missing, validate_measured


def value(measured: dict[str, float], symbol: str) -> float:
    got = Converter(measured).get(symbol)
    assert isinstance(got, Derived), got
    return got.value


def test_ad_to_d() -> None:
    # Ad = Aad × 100/(100 − Mad) = 11.50 × 100/98.80 = 1150/98.8 = 11.6397
    assert value({"Aad": 11.50, "Mad": 1.20}, "Ad") == pytest.approx(11.6397, abs=1e-4)


def test_ad_to_daf() -> None:
    # Vdaf = Vad × 100/(100 − Mad − Aad) = 8.00 × 100/87.30 = 800/87.3 = 9.1638
    assert value({"Vad": 8.00, "Mad": 1.20, "Aad": 11.50}, "Vdaf") == pytest.approx(
        9.1638, abs=1e-4
    )


def test_ad_to_ar() -> None:
    # Aar = Aad × (100 − Mt)/(100 − Mad) = 11.50 × 94.0/98.8 = 1081/98.8 = 10.9413
    assert value({"Aad": 11.50, "Mad": 1.20, "Mt": 6.0}, "Aar") == pytest.approx(10.9413, abs=1e-4)


def test_d_to_daf_needs_no_moisture() -> None:
    # Vdaf = Vd × 100/(100 − Ad) = 10.00 × 100/80.00 = 12.50
    assert value({"Vd": 10.0, "Ad": 20.0}, "Vdaf") == pytest.approx(12.50)


def test_daf_to_ad() -> None:
    # Vd = Vdaf × (100 − Ad)/100 = 14.20 × 0.685 = 9.727
    # Vad = Vd × (100 − Mad)/100 = 9.727 × 0.985 = 9.5811
    assert value({"Vdaf": 14.20, "Ad": 31.50, "Mad": 1.50}, "Vad") == pytest.approx(
        9.5811, abs=1e-4
    )


def test_sulfur_ad_to_d() -> None:
    # St,d = 0.99 × 100/98 = 1.0102
    assert value({"St_ad": 0.99, "Mad": 2.0}, "St_d") == pytest.approx(1.0102, abs=1e-4)


def test_fixed_carbon_by_difference() -> None:
    # FCad = 100 − 1.20 − 11.50 − 8.00 = 79.30
    assert value({"Mad": 1.2, "Aad": 11.5, "Vad": 8.0}, "FCad") == pytest.approx(79.30)


def test_qnet_ar_with_measured_hydrogen() -> None:
    # Qnet,ar = (28500 − 206·3.00)·(100 − 8.0)/(100 − 1.50) − 23·8.0   [J/g]
    #         = 27882 · 92/98.5 − 184 = 26042.07 − 184 = 25858.07 J/g = 25.858 MJ/kg
    got = Converter({"Qgr_ad": 28.50, "Had": 3.00, "Mt": 8.0, "Mad": 1.50}).get("Qnet_ar")
    assert isinstance(got, Derived)
    assert got.value == pytest.approx(25.858, abs=1e-3)
    assert not got.estimated


def test_qnet_ar_estimates_hydrogen_from_vdaf_and_says_so() -> None:
    # Vdaf = 9.1638; Hdaf ≈ 0.059·9.1638 + 3.173 = 3.7137; Had = 3.7137 · 87.30/100 = 3.2420
    # Qnet = (28500 − 206·3.2420)·94/98.8 − 138 = 27832.15·0.951417 − 138 = 26341.97 J/g
    m = {"Qgr_ad": 28.50, "Mad": 1.20, "Aad": 11.50, "Vad": 8.00, "Mt": 6.0}
    had = Converter(m).get("Had")
    assert isinstance(had, Derived) and had.estimated
    assert had.value == pytest.approx(3.2420, abs=1e-4)
    got = Converter(m).get("Qnet_ar")
    assert isinstance(got, Derived) and got.estimated
    assert got.value == pytest.approx(26.342, abs=1e-3)


def test_missing_names_what_is_needed() -> None:
    got = Converter({"Aad": 11.5}).get("Ad")
    assert isinstance(got, Missing)
    assert "Mad" in got.needs
    got = Converter({"Qgr_ad": 28.0, "Mad": 1.0, "Had": 3.0}).get("Qnet_ar")
    assert isinstance(got, Missing) and got.needs == ("Mt",)
    got = Converter({"Mad": 1.0}).get("St_d")
    assert isinstance(got, Missing) and "St_ad" in got.needs


def test_ash_has_no_daf_value() -> None:
    with pytest.raises(ValueError, match="dry ash-free"):
        Converter({"Aad": 10.0}).get("Adaf")


@pytest.mark.parametrize(
    ("indicators", "message"),
    [
        ({"Aad": -1.0}, "negative"),
        ({"Vad": 101.0}, "over 100"),
        ({"Mad": 40.0, "Aad": 60.0}, "Mad \\+ Aad"),
        ({"Xad": 1.0}, "unknown indicator"),
        ({"Qgr_ad": 25000.0}, "J/g"),
        ({"Aad": "12"}, "expected a number"),
        ({"Aad": float("nan")}, "finite"),
    ],
)
def test_impossible_values_are_refused_naming_the_field(
    indicators: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        validate_measured(indicators)  # type: ignore[arg-type]
