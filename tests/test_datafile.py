"""Numbers in every data file: finite, and written as numbers (issue 10 item 11).

NaN passed every limit check (no comparison with NaN is true), ``true`` was
read as 1.0 and ``"12"`` as 12.0, so a mistyped file was accepted silently.
Each loader below refuses them, naming the file, the line and the field.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from coalguard.cloud.co.rules import load_rules
from coalguard.datafile import load_model
from coalguard.drivers.analyzer.regmap import load_map
from coalguard.edge.quality import ProfileSet
from coalguard.edge.quality.repeatability import FILE as REPEATABILITY
from coalguard.edge.quality.repeatability import RepeatabilityFile
from coalguard.errors import DataFileError
from coalguard.gateway.config import load_config

ROOT = Path(__file__).resolve().parents[1]
MAPS = ROOT / "coalguard" / "drivers" / "analyzer" / "maps"
RULES = ROOT / "coalguard" / "cloud" / "co" / "alert_rules.toml"


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COALGUARD_LANG", "en")


def refused(
    load: Callable[[Path], Any], tmp_path: Path, text: str, name: str = "f.toml"
) -> DataFileError:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load(path)
    assert err.value.path == str(path)
    return err.value


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def edited(source: Path, old: str, new: str) -> str:
    text = source.read_text(encoding="utf-8")
    assert old in text, old
    return text.replace(old, new, 1)


# -- register maps ----------------------------------------------------------

MAP = MAPS / "generic-rtu-float-cdab.toml"


def test_regmap_scale_nan_is_refused_with_line(tmp_path: Path) -> None:
    text = edited(MAP, 'indicator = "Aad"', 'indicator = "Aad"\nscale = nan')
    err = refused(load_map, tmp_path, text)
    assert err.line == line_of(text, "scale = nan")
    assert err.field is not None and err.field.endswith(".scale")
    assert "not a finite number" in err.reason


def test_regmap_timeout_inf_is_refused_with_line(tmp_path: Path) -> None:
    text = edited(MAP, "timeout = 0.5", "timeout = inf")
    err = refused(load_map, tmp_path, text)
    assert (err.line, err.field) == (line_of(text, "timeout = inf"), "transport.timeout")
    assert "not a finite number" in err.reason


@pytest.mark.parametrize(
    ("value", "words"), [("true", "got true"), ('"11"', "got text"), ("11.0", "with a fraction")]
)
def test_regmap_address_must_be_an_integer(tmp_path: Path, value: str, words: str) -> None:
    text = edited(MAP, "address = 11\n", f"address = {value}\n")
    err = refused(load_map, tmp_path, text)
    assert err.line == line_of(text, f"address = {value}")
    assert "expected an integer" in err.reason and words in err.reason


def test_regmap_overlapping_register_addresses_are_refused_with_line(tmp_path: Path) -> None:
    """``aad`` moved onto the second word of ``mad`` (a float32 at 11..12)."""
    text = edited(MAP, 'name = "aad"\naddress = 13', 'name = "aad"\naddress = 12')
    err = refused(load_map, tmp_path, text)
    assert err.line == line_of(text, "address = 12")
    assert err.field is not None and err.field.endswith(".address")
    assert "'aad'" in err.reason and "overlaps" in err.reason and "'mad'" in err.reason


def test_regmap_scale_zero_is_refused(tmp_path: Path) -> None:
    text = edited(MAP, 'indicator = "Aad"', 'indicator = "Aad"\nscale = 0')
    assert "scale 0" in refused(load_map, tmp_path, text).reason


def test_every_shipped_map_still_loads() -> None:
    for path in MAPS.glob("*.toml"):
        load_map(path)


# -- profiles, repeatability, gateway config, alert rules -------------------

PROFILE = """\
id = "test/strict"
title = "t"
version = "1"
source = "test"
verified = {verified}
coal_types = ["anthracite"]

[[limit]]
indicator = "{indicator}"
max = {max}
"""


def load_profiles(path: Path) -> ProfileSet:
    return ProfileSet.load([path.parent])


@pytest.mark.parametrize(
    ("verified", "indicator", "max_", "field", "words"),
    [
        ("true", "Ad", "-inf", "limit.0.max", "not a finite number"),
        ("true", "Ad", "150", "limit.0", "outside 0..100 %"),
        ("true", "Qnet_ar", "250", "limit.0", "outside 0..40 MJ/kg"),
        ('"true"', "Ad", "12", "verified", "true or false"),
    ],
)
def test_profile_numbers_and_flags_are_refused_with_field(
    tmp_path: Path, verified: str, indicator: str, max_: str, field: str, words: str
) -> None:
    text = PROFILE.format(verified=verified, indicator=indicator, max=max_)
    err = refused(load_profiles, tmp_path, text)
    assert err.field == field and words in err.reason


def test_repeatability_r_nan_is_refused_with_line(tmp_path: Path) -> None:
    text = edited(REPEATABILITY, "r = 0.40 }, { r = 0.50 }", "r = nan }, { r = 0.50 }")
    err = refused(lambda p: load_model(p, RepeatabilityFile), tmp_path, text)
    assert err.line == line_of(text, "r = nan")
    assert err.field == "quantity.Mt.steps.0.r" and "not a finite number" in err.reason


def test_gateway_config_interval_nan_or_text_is_refused_with_line(tmp_path: Path) -> None:
    base = (
        '[checkpoint]\nid = "cp-1"\nname = "n"\nregion_code = "130100"\n'
        'jurisdiction = "hebei-2022"\n'
    )
    cams = "".join(f'\n[[camera]]\nid = "c{i}"\nname = "c"\n' for i in range(3))
    for value, words in (("nan", "not a finite number"), ('"60"', "got text")):
        text = base + f"\n[lab]\ncheck_interval_s = {value}\n" + cams
        err = refused(load_config, tmp_path, text, "gw.toml")
        assert (err.line, err.field) == (line_of(text, "check_interval_s"), "lab.check_interval_s")
        assert words in err.reason


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        ("value = 20 }", 'value = "20" }', "rule.2.state.0.value", "compared with a number"),
        ("value = 20 }", "value = nan }", "rule.2.state.0", "not a finite number"),
        (
            'op = "==", value = "alarm"',
            'op = "<", value = "alarm"',
            "rule.0.state.0.op",
            "no order",
        ),
        ("heartbeat_s = 300", "heartbeat_s = inf", "heartbeat_s", "not a finite number"),
    ],
)
def test_alert_rule_that_could_never_hold_is_refused(
    tmp_path: Path, old: str, new: str, field: str, words: str
) -> None:
    """``battery_pct < "20"`` never holds: the rule would be silent forever."""
    text = edited(RULES, old, new)
    err = refused(load_rules, tmp_path, text)
    assert err.field is not None and err.field.startswith(field), err
    assert words in err.reason
    assert err.line is not None


# -- any data file ----------------------------------------------------------


def test_datafile_integer_over_4300_digits_is_refused_with_line(tmp_path: Path) -> None:
    text = edited(MAP, "baudrate = 9600", "baudrate = " + "9" * 5000)
    err = refused(load_map, tmp_path, text)
    assert err.line == line_of(text, "baudrate = 999")
    assert "4300 digits" in err.reason


def test_datafile_reasons_come_from_the_locale_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COALGUARD_LANG", "zh")
    text = edited(MAP, "timeout = 0.5", "timeout = nan")
    assert "不是有限数值" in refused(load_map, tmp_path, text).reason


def test_regmap_refusal_is_in_the_readers_language(tmp_path: Path) -> None:
    # Regression (issue 11): a map validator's English ValueError read "值无效：field ... scale 0".
    text = edited(MAP, 'indicator = "Aad"', 'indicator = "Aad"\nscale = 0')
    err = refused(load_map, tmp_path, text)
    assert "scale 为 0 会使每个读数都为零" in err.text("zh")
    assert "值无效" not in err.text("zh") and "would make" not in err.text("zh")
    assert "scale 0 would make every reading zero" in err.text("en")
