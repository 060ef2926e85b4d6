"""Register maps: the shipped ones load; bad files are refused naming file, line, field."""

from __future__ import annotations

from pathlib import Path

import pytest

from coalguard.drivers.analyzer.plan import coalesce
from coalguard.drivers.analyzer.regmap import Role, load_map, resolve_map, shipped_maps
from coalguard.errors import DataFileError

GOOD = """\
format = 1
id = "t"
version = "1"

[device]
manufacturer = "X"
model = "Y"

[[field]]
name = "seq"
role = "sequence"
address = 0
type = "uint16"

[[field]]
name = "ash"
address = 1
unit = "%"
indicator = "Aad"
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "map.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_at_least_four_shipped_maps_load() -> None:
    maps = shipped_maps()
    assert {
        "scantech-coalscan-9500x",
        "generic-rtu-float-cdab",
        "generic-tcp-int16",
        "generic-rtu-status-word",
    } <= set(maps)
    for path in maps.values():
        m = load_map(path)
        assert m.values and (m.role(Role.SEQUENCE) or m.role(Role.READY))


def test_scantech_is_abcd_float_dry_basis_btu_blocks() -> None:
    m = resolve_map("scantech-coalscan-9500x")
    energy = next(f for f in m.field if f.indicator == "Qgr_d")
    assert (energy.unit, energy.order.value, energy.type.value) == ("Btu/lb", "ABCD", "float32")
    assert len(m.block) == 2


def test_good_minimal_map(tmp_path: Path) -> None:
    m = load_map(write(tmp_path, GOOD))
    assert m.id == "t" and m.transport.unit == 1


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "words"),
    [
        ('indicator = "Aad"', 'indicator = "Ash"', 19, "field.1.indicator", "unknown indicator"),
        ('unit = "%"', 'unit = "J/g"', 19, "field.1.indicator", "percent unit"),
        ('type = "uint16"', 'type = "float64"', 13, "field.0.type", ""),
        ('role = "sequence"', 'role = "value"', None, None, "sequence' or 'ready"),
        ("address = 1", "address = 70000", 17, "field.1.address", ""),
    ],
)
def test_bad_map_names_file_line_field(
    tmp_path: Path, old: str, new: str, line: int | None, field: str | None, words: str
) -> None:
    p = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(DataFileError) as ei:
        load_map(p)
    err = ei.value
    assert err.path == str(p)
    if line is not None:
        assert err.line == line
    if field is not None:
        assert err.field == field
    assert words in str(err)


def test_energy_indicator_needs_energy_unit(tmp_path: Path) -> None:
    text = GOOD.replace('indicator = "Aad"', 'indicator = "Qgr_ad"')
    with pytest.raises(DataFileError, match="energy unit"):
        load_map(write(tmp_path, text))


def test_field_outside_blocks_refused(tmp_path: Path) -> None:
    text = GOOD + "\n[[block]]\nstart = 0\ncount = 1\n"
    with pytest.raises(DataFileError, match="'ash' lies outside every declared block"):
        load_map(write(tmp_path, text))


def test_syntax_error_has_line(tmp_path: Path) -> None:
    with pytest.raises(DataFileError) as ei:
        load_map(write(tmp_path, GOOD + "\n[[field]\n"))
    assert ei.value.line is not None


def test_unknown_map_name_lists_shipped() -> None:
    with pytest.raises(DataFileError, match="scantech-coalscan-9500x"):
        resolve_map("no-such-map")


def test_coalesce_contiguous_fields_in_one_request() -> None:
    m = resolve_map("generic-rtu-float-cdab")
    reqs = coalesce(m)
    holding = [r for r in reqs if r.table.value == "holding"]
    assert len(holding) == 1 and holding[0].address == 0 and holding[0].count == 25
    assert [r.table.value for r in reqs].count("input") == 1


def test_coalesce_never_crosses_a_block() -> None:
    m = resolve_map("scantech-coalscan-9500x")
    reqs = coalesce(m)
    assert [(r.address, r.count) for r in reqs] == [(0, 14), (100, 2)]


def test_coalesce_caps_at_125_registers(tmp_path: Path) -> None:
    fields = "".join(
        f'\n[[field]]\nname = "v{i}"\naddress = {3 + 2 * i}\nunit = "%"\n' for i in range(100)
    )
    m = load_map(write(tmp_path, GOOD + fields))
    reqs = coalesce(m)
    assert all(r.count <= 125 for r in reqs)
    assert sum(len(r.fields) for r in reqs) == 102
    assert len(reqs) == 2


def test_sample_id_entry_needs_a_string_sample_id_field(tmp_path: Path) -> None:
    keyed = GOOD.replace('version = "1"\n', 'version = "1"\nsample_id_entry = "keypad"\n')
    with pytest.raises(DataFileError, match="needs a string field with role 'sample_id'"):
        load_map(write(tmp_path, keyed))
    field = '\n[[field]]\nname = "sid"\nrole = "sample_id"\naddress = 3\ntype = "string"\n'
    m = load_map(write(tmp_path, keyed + field + "length = 12\n"))
    assert m.carries_sample_id and m.sample_id_chars == 24 and m.counter_max == 65535
    assert not resolve_map("generic-tcp-int16").carries_sample_id  # its own sample numbers
