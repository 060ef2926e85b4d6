"""``coalguard verdict`` on hostile input: exit 2 with one line naming the field, never a traceback.

Each case below once ended in a traceback or was accepted silently (issue 10
item 11). The regressions run the real console script in a subprocess; the
property feeds arbitrary JSON documents to the same entry point in-process
so that hundreds of documents fit in a few seconds.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from coalguard.cli import main
from coalguard.edge.quality import KNOWN_INDICATORS
from tests.conftest import COALGUARD
from tests.edge.quality.test_profiles import GOOD

PROFILE = "linxia-2023/anthracite-2"
EN = {**os.environ, "COALGUARD_LANG": "en"}


def verdict(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COALGUARD, "verdict", "-p", PROFILE, "--json", *args, "-"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=EN,
    )


def sample(indicators: str, extra: str = "") -> str:
    return '{"sample_id": "S-1", "indicators": ' + indicators + extra + "}"


def assert_refused(r: subprocess.CompletedProcess[str], *words: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stderr[-500:])
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr[-500:]
    for w in words:
        assert w in lines[0], lines[0]


def test_verdict_ad_zero_with_aad_exits_2_not_traceback() -> None:
    r = verdict(sample('{"Ad": 0, "Aad": 5, "Mad": 1, "Vdaf": 8, "St_d": 0.3}'))
    assert_refused(r, "Ad = 0", "Aad = 5")


def test_verdict_dry_ash_of_100_from_aar_and_mt_exits_2_not_traceback() -> None:
    r = verdict(sample('{"Mad": 1, "Vad": 8, "Aar": 50, "Mt": 50, "St_d": 0.3}'))
    assert_refused(r, "Mt + Aar = 100 %")


def test_verdict_uncertainty_1e308_exits_2_not_traceback() -> None:
    r = verdict(
        sample('{"Mad": 1, "Aad": 11, "Vad": 8, "St_ad": 0.3}', ', "uncertainty": {"Aad": 1e308}')
    )
    assert_refused(r, "uncertainty Aad")


def test_verdict_deep_json_exits_2_not_traceback() -> None:
    r = verdict("[" * 100_000 + "]" * 100_000)
    assert_refused(r, "nested too deeply")


def test_verdict_integer_over_4300_digits_exits_2_naming_the_field() -> None:
    r = verdict(sample('{"Aad": ' + "7" * 5000 + "}"))
    assert_refused(r, "field 'indicators.Aad'", "too large")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("NaN", ("not a finite number",)),
        ("Infinity", ("not a finite number",)),
        ("1e400", ("not a finite number",)),
        ("true", ("expected a number, got true",)),
        ('"12"', ("expected a number, got text",)),
    ],
)
def test_verdict_nan_infinity_boolean_and_string_values_are_refused_naming_the_field(
    value: str, words: tuple[str, ...]
) -> None:
    r = verdict(sample('{"Mad": 1, "Aad": ' + value + ', "Vad": 8, "St_ad": 0.3}'))
    assert_refused(r, "field 'indicators.Aad'", *words)


@pytest.mark.parametrize(
    ("uncertainty", "words"),
    [('{"Aad": -1}', ("uncertainty Aad",)), ('{"Zad": 1}', ("'Zad'",))],
)
def test_verdict_negative_or_unknown_uncertainty_is_refused(
    uncertainty: str, words: tuple[str, ...]
) -> None:
    r = verdict(sample('{"Mad": 1, "Aad": 11}', ', "uncertainty": ' + uncertainty))
    assert_refused(r, *words)


@pytest.mark.parametrize(
    ("max_", "words"),
    [
        ("nan", ("not a finite number",)),
        ("inf", ("not a finite number",)),
        ("true", ("expected a number, got true",)),
        ('"12"', ("expected a number, got text",)),
    ],
)
def test_profile_max_nan_is_refused_with_line(
    tmp_path: Path, max_: str, words: tuple[str, ...]
) -> None:
    """``max = nan`` was a traceback; ``true`` and ``"12"`` were accepted as 1.0 and 12.0."""
    path = tmp_path / "strict.toml"
    path.write_text(GOOD.format(id="test/strict", ad_max=max_), encoding="utf-8")
    r = verdict(sample('{"Mad": 1, "Aad": 11}'), "--profiles", str(tmp_path))
    assert_refused(r, f"{path}, line 10, field 'limit.0.max'", *words)


# -- property: any JSON document exits 0 or 2, never a traceback ------------------


def run_in_process(doc: str, profile: str = PROFILE) -> tuple[int, str, str]:
    """``coalguard verdict`` through the console entry point, stdin/stdout captured."""
    out, err = io.StringIO(), io.StringIO()
    argv, stdin = sys.argv, sys.stdin
    sys.argv = ["coalguard", "verdict", "-p", profile, "--json", "-"]
    sys.stdin = io.StringIO(doc)
    code: int | str | None = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main.run()
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.argv, sys.stdin = argv, stdin
    return int(code or 0), out.getvalue(), err.getvalue()


numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, 0.0, 1e-300, 99.99, 100, 1e308, -0.0]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=12))
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
indicator_maps = st.dictionaries(
    st.one_of(st.sampled_from(KNOWN_INDICATORS), st.text(max_size=6)),
    st.one_of(st.floats(min_value=0, max_value=100), numbers, scalars),
    max_size=7,
)
samples = st.fixed_dictionaries(
    {
        "sample_id": st.one_of(st.text(min_size=1, max_size=8), scalars),
        "indicators": indicator_maps,
    },
    optional={"uncertainty": indicator_maps},
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    doc=st.one_of(samples, st.lists(samples, max_size=3), documents).map(json.dumps),
    profile=st.sampled_from([PROFILE, "gb34169-2017/anthracite-1", "national-2014/lignite"]),
)
@example(doc="[" * 50_000, profile=PROFILE)
@example(doc=sample('{"Aad": ' + "9" * 4400 + "}"), profile=PROFILE)
@example(doc=sample('{"Ad": 0, "Aad": 5}'), profile=PROFILE)
@example(doc='{"sample_id": "\\ud800", "indicators": {}}', profile=PROFILE)
@example(doc="not json", profile=PROFILE)
def test_any_json_document_exits_0_or_2_without_traceback(doc: str, profile: str) -> None:
    code, out, err = run_in_process(doc, profile)
    assert code in (0, 2), (code, err[-300:])
    assert "Traceback" not in err
    if code == 2:
        assert len(err.strip().splitlines()) == 1, err[-300:]
    else:
        out.encode("utf-8")  # what the real stdout will have to write
        parsed = json.loads(out)
        for v in parsed if isinstance(parsed, list) else [parsed]:
            for ind in v["indicators"]:
                assert ind["value"] is None or math.isfinite(ind["value"])
