"""judge(): outcomes per indicator and overall, against hand computations."""

from __future__ import annotations

import pytest

from coalguard.edge.model import Sample
from coalguard.edge.quality import Limit, Overall, Profile, ProfileSet, Status, judge
from coalguard.errors import InputError


@pytest.fixture(scope="module")
def ps() -> ProfileSet:
    return ProfileSet.load()


def by_indicator(v):  # type: ignore[no-untyped-def]
    return {i.indicator: i for i in v.indicators}


def one_limit(indicator: str, **bounds: float) -> Profile:
    """A verified test profile with a single limit."""
    return Profile(
        id="t/p",
        title="t",
        version="1",
        source="s",
        verified=True,
        coal_types=["anthracite"],
        limit=[Limit(indicator=indicator, **bounds)],
    )


def test_linxia_pass(ps: ProfileSet) -> None:
    # Vdaf = 9 × 100/(100−2−20) = 11.54 ≤ 12; St,d = 0.8 × 100/98 = 0.82 ≤ 1; Ad = 20.41 ≤ 30
    v = judge(
        Sample(sample_id="LX-001", indicators={"Mad": 2, "Aad": 20, "Vad": 9, "St_ad": 0.8}),
        ps.get("linxia-2023/anthracite-2"),
    )
    got = by_indicator(v)
    assert v.overall is Overall.PASS
    assert got["Vdaf"].value == 11.54
    assert got["St_d"].value == 0.82
    assert got["Ad"].value == 20.41
    assert not v.provisional


def test_linxia_retest_within_repeatability(ps: ProfileSet) -> None:
    # Vdaf = 900/74 = 12.162 → 12.16 > 12, band r(V<20 %) = 0.30 × (12.162/9) = 0.405 → retest
    # St,d = 0.99 × 100/98 = 1.0102 → 1.01 > 1, band 0.05 × 100/98 = 0.051 → retest
    v = judge(
        Sample(sample_id="LX-002", indicators={"Mad": 2, "Aad": 24, "Vad": 9, "St_ad": 0.99}),
        ps.get("linxia-2023/anthracite-2"),
    )
    got = by_indicator(v)
    assert got["Vdaf"].status is Status.RETEST
    assert got["Vdaf"].band == pytest.approx(0.405, abs=1e-3)
    assert got["St_d"].status is Status.RETEST
    assert got["St_d"].band == pytest.approx(0.051, abs=1e-3)
    assert got["Ad"].status is Status.PASS
    assert v.overall is Overall.RETEST


def test_fail_beyond_band_wins_over_retest(ps: ProfileSet) -> None:
    # St,d 1.30 > 1 + 0.05 → fail; Vdaf 12.2 within 12 + band → retest; overall fail
    v = judge(
        Sample(sample_id="S", indicators={"Mad": 1.5, "Ad": 20.0, "Vdaf": 12.2, "St_d": 1.30}),
        ps.get("linxia-2023/anthracite-2"),
    )
    got = by_indicator(v)
    assert got["St_d"].status is Status.FAIL
    assert got["Vdaf"].status is Status.RETEST
    assert v.overall is Overall.FAIL


def test_min_limit_qnet(ps: ProfileSet) -> None:
    # Qnet,ar = 25.858 (see test_basis) ≥ 25 → pass; with Qgr_ad 27.40:
    # (27400 − 618)·92/98.5 − 184 = 26782·0.934010 − 184 = 24830.66 J/g → 24.83 < 25,
    # within the 0.12 band? 25 − 24.83 = 0.17 > 0.12 → fail
    prof = ps.get("gb34169-2017/anthracite-1")
    base = {"Mad": 1.5, "Aad": 10.0, "Vad": 7.0, "St_ad": 0.3, "Had": 3.0, "Mt": 8.0}
    ok = judge(Sample(sample_id="A", indicators={**base, "Qgr_ad": 28.5}), prof)
    low = judge(Sample(sample_id="B", indicators={**base, "Qgr_ad": 27.4}), prof)
    assert by_indicator(ok)["Qnet_ar"].status is Status.PASS
    assert by_indicator(ok)["Qnet_ar"].value == 25.86
    assert by_indicator(low)["Qnet_ar"].value == 24.83
    assert by_indicator(low)["Qnet_ar"].status is Status.FAIL
    assert ok.provisional and ok.overall is Overall.PASS


def test_missing_indicator_makes_incomplete_and_names_it(ps: ProfileSet) -> None:
    v = judge(
        Sample(sample_id="S", indicators={"Mad": 1.0, "Aad": 10.0, "Vad": 7.0, "St_ad": 0.3}),
        ps.get("gb34169-2017/anthracite-1"),
    )
    qnet = by_indicator(v)["Qnet_ar"]
    assert qnet.status is Status.MISSING
    assert "Qgr_ad" in qnet.missing and "Mt" in qnet.missing
    assert v.overall is Overall.INCOMPLETE


def test_limitless_profile_says_no_verified_limits(ps: ProfileSet) -> None:
    v = judge(
        Sample(sample_id="S", indicators={"Mad": 3.0, "Aad": 20.0}),
        ps.get("gb34170-2017/briquette-1"),
    )
    assert v.overall is Overall.NO_LIMITS
    assert v.provisional
    assert any("no verified limits" in n for n in v.notes)
    assert all(i.status is Status.UNSET for i in v.indicators)


def test_rounding_half_even_before_comparison() -> None:
    # 12.505 rounds to 12.50 (half to even) and passes a 12.50 limit; 12.515 → 12.52
    prof = one_limit("Ad", max=12.50, band=0.0)
    assert judge(Sample(sample_id="a", indicators={"Ad": 12.505}), prof).overall is Overall.PASS
    assert judge(Sample(sample_id="b", indicators={"Ad": 12.515}), prof).overall is Overall.FAIL


def test_profile_band_overrides_repeatability() -> None:
    prof = one_limit("Ad", max=12.0, band=1.0)
    v = judge(Sample(sample_id="a", indicators={"Ad": 12.9}), prof)
    assert v.indicators[0].status is Status.RETEST
    assert v.indicators[0].band_source == "profile"


def test_device_uncertainty_widens_the_band() -> None:
    prof = one_limit("St_d", max=1.0)
    plain = Sample(sample_id="a", indicators={"St_d": 1.10})
    rapid = Sample(sample_id="b", indicators={"St_d": 1.10}, uncertainty={"St_d": 0.15})
    assert judge(plain, prof).overall is Overall.FAIL  # 1.10 > 1.0 + r 0.05
    v = judge(rapid, prof)
    assert v.overall is Overall.RETEST
    assert v.indicators[0].band_source == "device uncertainty"


def test_impossible_sample_is_an_input_error(ps: ProfileSet) -> None:
    with pytest.raises(InputError, match="Mad \\+ Aad"):
        judge(
            Sample(sample_id="S", indicators={"Mad": 50.0, "Aad": 50.0}),
            ps.get("linxia-2023/anthracite-2"),
        )


def test_verdict_names_profile_and_every_indicator(ps: ProfileSet) -> None:
    prof = ps.get("linxia-2023/anthracite-2")
    v = judge(Sample(sample_id="S", indicators={"Mad": 2, "Aad": 20, "Vad": 9, "St_ad": 0.8}), prof)
    assert (v.profile_id, v.profile_version, v.profile_source) == (
        prof.id,
        prof.version,
        prof.source,
    )
    vdaf = by_indicator(v)["Vdaf"]
    assert vdaf.measured == {"Vad": 9.0, "Mad": 2.0, "Aad": 20.0}
    assert vdaf.max == 12.0 and vdaf.formula and "Vdaf" in vdaf.formula


@pytest.mark.parametrize(
    ("jurisdiction", "coal_type", "profile_id"),
    [
        ("hebei-2022", "anthracite", "gb34169-2017/anthracite-1"),
        ("hebei-2022", "briquette", "gb34170-2017/briquette-1"),
        ("linxia-2023", "anthracite", "linxia-2023/anthracite-2"),
        ("national-2014", "lignite", "national-2014/lignite"),
    ],
)
def test_jurisdiction_maps_coal_type_to_profile(
    ps: ProfileSet, jurisdiction: str, coal_type: str, profile_id: str
) -> None:
    assert ps.for_coal(jurisdiction, coal_type).id == profile_id
