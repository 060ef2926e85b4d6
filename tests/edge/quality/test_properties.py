"""Property tests: conversions invert, and worse coal never judges better."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from coalguard.edge.model import Sample
from coalguard.edge.quality import Overall, ProfileSet, judge
from coalguard.edge.quality.basis import Converter, Derived

PS = ProfileSet.load()
SEVERITY = {Overall.PASS: 0, Overall.RETEST: 1, Overall.FAIL: 2}
PROFILES = [
    "linxia-2023/anthracite-2",
    "gb34169-2017/anthracite-1",
    "gb34169-2017/anthracite-2",
    "national-2014/other",
    "national-2014/lignite-long-distance",
]

pct = st.floats(min_value=0.1, max_value=40.0, allow_nan=False)
mad = st.floats(min_value=0.1, max_value=15.0, allow_nan=False)


@given(x=pct, m=mad)
def test_ad_to_d_to_ad_is_identity(x: float, m: float) -> None:
    d = Converter({"Aad": x, "Mad": m}).get("Ad")
    assert isinstance(d, Derived)
    back = Converter({"Ad": d.value, "Mad": m}).get("Aad")
    assert isinstance(back, Derived)
    assert abs(back.value - x) < 1e-9


@given(x=pct, m=mad, a=st.floats(min_value=0.0, max_value=40.0))
def test_ad_to_daf_to_ad_is_identity(x: float, m: float, a: float) -> None:
    daf = Converter({"Vad": x, "Mad": m, "Aad": a}).get("Vdaf")
    assert isinstance(daf, Derived)
    back = Converter({"Vdaf": daf.value, "Mad": m, "Aad": a}).get("Vad")
    assert isinstance(back, Derived)
    assert abs(back.value - x) < 1e-9


def sample_strategy():  # type: ignore[no-untyped-def]
    return st.fixed_dictionaries(
        {
            "Mad": st.floats(min_value=0.5, max_value=10.0),
            "Mt": st.floats(min_value=2.0, max_value=15.0),
            "Aad": st.floats(min_value=2.0, max_value=45.0),
            "Vad": st.floats(min_value=2.0, max_value=30.0),
            "St_ad": st.floats(min_value=0.05, max_value=3.5),
            "Qgr_ad": st.floats(min_value=14.0, max_value=33.0),
            "Had": st.floats(min_value=1.0, max_value=5.0),
        }
    )


def overall(indicators: dict[str, float], profile_id: str) -> int:
    v = judge(Sample(sample_id="p", indicators=indicators), PS.get(profile_id))
    return SEVERITY[v.overall]


@settings(max_examples=300, deadline=None)
@given(
    base=sample_strategy(),
    key=st.sampled_from(["Aad", "St_ad", "Vad"]),
    delta=st.floats(min_value=0.0, max_value=10.0),
    profile_id=st.sampled_from(PROFILES),
)
def test_more_ash_sulfur_or_volatiles_never_judges_better(
    base: dict[str, float], key: str, delta: float, profile_id: str
) -> None:
    worse = dict(base)
    worse[key] = min(base[key] + delta, 50.0)
    if worse["Mad"] + worse["Aad"] + worse["Vad"] >= 100:
        return
    assert overall(worse, profile_id) >= overall(base, profile_id)


@settings(max_examples=300, deadline=None)
@given(
    base=sample_strategy(),
    delta=st.floats(min_value=0.0, max_value=6.0),
    profile_id=st.sampled_from(
        ["gb34169-2017/anthracite-1", "national-2014/lignite-long-distance"]
    ),
)
def test_more_heat_never_judges_worse(
    base: dict[str, float], delta: float, profile_id: str
) -> None:
    better = dict(base, Qgr_ad=min(base["Qgr_ad"] + delta, 39.0))
    assert overall(better, profile_id) <= overall(base, profile_id)
