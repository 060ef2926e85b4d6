"""Profile files: shipped set, administrator overrides, and every bad-file case."""

from __future__ import annotations

from pathlib import Path

import pytest

from coalguard.edge.model import Sample
from coalguard.edge.quality import Overall, ProfileSet, UnknownProfile, judge
from coalguard.errors import DataFileError

GOOD = """\
id = "{id}"
title = "测试"
version = "1"
source = "test"
verified = true
coal_types = ["anthracite"]

[[limit]]
indicator = "Ad"
max = {ad_max}
"""


def write(dir_: Path, name: str, text: str) -> Path:
    path = dir_ / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_profiles_load_with_their_status() -> None:
    ps = ProfileSet.load()
    assert ps.get("linxia-2023/anthracite-2").verified
    assert not ps.get("gb34169-2017/anthracite-1").verified
    assert not any(lim.is_set for lim in ps.get("gb34170-2017/briquette-1").limits)
    assert {"hebei-2022", "linxia-2023", "national-2014"} <= set(ps.jurisdictions)


def test_admin_directory_overrides_by_id_and_changes_the_verdict(tmp_path: Path) -> None:
    sample = Sample(sample_id="S", indicators={"Mad": 1.0, "Ad": 26.0, "Vdaf": 9.0, "St_d": 0.5})
    shipped = ProfileSet.load()
    assert judge(sample, shipped.get("linxia-2023/anthracite-2")).overall is Overall.PASS
    write(tmp_path, "stricter.toml", GOOD.format(id="linxia-2023/anthracite-2", ad_max=25.0))
    ps = ProfileSet.load([tmp_path])
    assert ps.origins["linxia-2023/anthracite-2"] == tmp_path / "stricter.toml"
    assert judge(sample, ps.get("linxia-2023/anthracite-2")).overall is Overall.FAIL


def test_admin_directory_adds_profiles(tmp_path: Path) -> None:
    write(tmp_path, "new.toml", GOOD.format(id="county-x/anthracite", ad_max=20.0))
    assert ProfileSet.load([tmp_path]).get("county-x/anthracite").limits[0].max == 20.0


def test_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(UnknownProfile, match="linxia-2023/anthracite-2"):
        ProfileSet.load().get("nope")


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        (GOOD.format(id="x/y", ad_max='"high"'), 10, "limit.0.max", "expected a number"),
        (
            GOOD.format(id="x/y", ad_max=20).replace('"Ad"', '"Ashd"'),
            9,
            "limit.0.indicator",
            "unknown indicator",
        ),
        (
            GOOD.format(id="x/y", ad_max=20).replace('"Ad"', '"Adaf"'),
            9,
            "limit.0.indicator",
            "dry ash-free",
        ),
        (
            GOOD.format(id="x/y", ad_max=20).replace("verified = true\n", ""),
            None,
            "verified",
            "required",
        ),
        (GOOD.format(id="x/y", ad_max=20) + "colour = 1\n", 11, "limit.0.colour", "not an allowed"),
        ("colour = 1\n" + GOOD.format(id="x/y", ad_max=20), 1, "colour", "not an allowed"),
        (
            GOOD.format(id="x/y", ad_max=20).replace('["anthracite"]', '["peat"]'),
            6,
            "coal_types",
            "unknown coal type",
        ),
        (
            GOOD.format(id="x/y", ad_max=20) + '\n[[limit]]\nindicator = "Ad"\nmax = 3\n',
            None,
            None,
            "two limits",
        ),
        (GOOD.format(id="x/y", ad_max=20) + "min = 30\n", None, None, "above max"),
        ('id = "x/y"\ntitle = [unclosed\n', 2, None, "TOML syntax"),
        (GOOD.format(id="Bad Id", ad_max=20), 1, "id", "required format"),
    ],
)
def test_bad_profile_file_names_file_line_and_field(
    tmp_path: Path, text: str, line: int | None, field: str | None, message: str
) -> None:
    path = write(tmp_path, "bad.toml", text)
    with pytest.raises(DataFileError, match=message) as err:
        ProfileSet.load([tmp_path])
    assert err.value.path == str(path)
    if line is not None:
        assert err.value.line == line
    if field is not None:
        assert err.value.field == field
    assert str(path) in str(err.value)


def test_verified_profile_without_limits_is_refused(tmp_path: Path) -> None:
    text = GOOD.format(id="x/y", ad_max=20).replace("max = 20\n", "")
    write(tmp_path, "empty.toml", text)
    with pytest.raises(DataFileError, match="verified profile needs"):
        ProfileSet.load([tmp_path])


def test_duplicate_id_in_one_directory_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", GOOD.format(id="x/y", ad_max=20))
    write(tmp_path, "b.toml", GOOD.format(id="x/y", ad_max=21))
    with pytest.raises(DataFileError, match="also defined in") as err:
        ProfileSet.load([tmp_path])
    assert err.value.line == 1 and err.value.field == "id"


def test_jurisdiction_pointing_at_unknown_profile_is_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        "jurisdictions.toml",
        'version = "1"\n[[jurisdiction]]\nid = "county-x"\nname = "x"\nsource = "s"\n'
        '[jurisdiction.profiles]\nanthracite = "no/such"\n',
    )
    with pytest.raises(DataFileError, match="unknown profile 'no/such'"):
        ProfileSet.load([tmp_path])


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="does not exist"):
        ProfileSet.load([tmp_path / "absent"])
