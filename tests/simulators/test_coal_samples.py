"""Simulated samples look like real coal: per-type levels, noise, verdicts of every kind."""

from __future__ import annotations

import statistics
from collections import Counter

import pytest

from coalguard.edge.model import Sample
from coalguard.edge.quality import ProfileSet, judge
from coalguard.simulators.analyzer.coal import SampleSource
from coalguard.simulators.analyzer.faults import Faults

SYMS = ["Mad", "Aad", "Vdaf", "St_ad", "Qgr_ad", "Qnet_ar", "Mt"]


def draws(coal: str, n: int = 60) -> list[dict[str, float]]:
    src = SampleSource(seed=1, coal=coal)
    return [src.draw(SYMS)[1] for _ in range(n)]


def test_volatile_matter_separates_coal_types() -> None:
    vdaf = {
        c: statistics.mean(d["Vdaf"] for d in draws(c))
        for c in ("anthracite", "bituminous", "semi_coke", "briquette")
    }
    assert vdaf["anthracite"] < 10 < vdaf["bituminous"]  # anthracite is Vdaf <= 10 %
    assert vdaf["semi_coke"] < 10


def test_measurement_noise_is_present_but_small() -> None:
    ash = [d["Aad"] for d in draws("anthracite_near_limit")]
    assert len(set(ash)) > 50  # varies from sample to sample
    assert statistics.stdev(ash) < 0.5


def test_derived_values_are_consistent() -> None:
    for d in draws("bituminous", 10):
        assert d["Qnet_ar"] < d["Qgr_ad"]
        assert d["Mt"] > d["Mad"]


def test_a_run_yields_pass_fail_and_retest() -> None:
    profile = ProfileSet.load().get("gb34169-2017/anthracite-1")
    src = SampleSource(seed=2)
    seen: Counter[str] = Counter()
    for n in range(300):
        coal, values = src.draw(["Mad", "Aad", "Vdaf", "St_ad", "Qgr_ad", "Qnet_ar", "Mt"])
        if coal.startswith("anthracite"):
            seen[judge(Sample(sample_id=f"S{n}", indicators=values), profile).overall.value] += 1
    assert seen["pass"] and seen["fail"] and seen["retest"], seen


def test_unknown_coal_type_named() -> None:
    with pytest.raises(ValueError, match="anthracite"):
        SampleSource(coal="peat")


@pytest.mark.parametrize(
    ("text", "active"),
    [
        ("crc,slow=0.5", ["slow=0.5", "crc"]),
        ("exception=6,units=2+3", ["exception=6", "units=2+3"]),
        ("none", []),
        ("stuck-ready", ["stuck_ready"]),
    ],
)
def test_fault_parse(text: str, active: list[str]) -> None:
    assert Faults.parse(text).active() == active


@pytest.mark.parametrize("bad", ["lightning", "slow=fast", "exception=0", "crc=1"])
def test_fault_parse_refuses(bad: str) -> None:
    with pytest.raises(ValueError, match="bad fault"):
        Faults.parse(bad)
