"""Resident ID numbers (GB 11643-1999): the check digit, region and birth date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coalguard.cloud.market.idcard import (
    PROVINCES,
    IdCardError,
    check_digit,
    parse_id_card,
)

TODAY = date(2026, 11, 26)


def make_id(region: str, birth: date, seq: int) -> str:
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


regions = st.builds(
    lambda p, rest: p + rest,
    st.sampled_from(sorted(PROVINCES)),
    st.integers(1, 9999).map(lambda n: f"{n:04d}"),
)
births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
seqs = st.integers(0, 999)


def test_the_standards_worked_example_passes() -> None:
    # GB 11643-1999 appendix: 11010519491231002X
    card = parse_id_card("11010519491231002x", TODAY)
    assert card.number == "11010519491231002X"
    assert card.birth == date(1949, 12, 31)
    assert card.region == "110105"
    assert not card.male


@given(regions, births, seqs)
def test_every_well_formed_number_is_accepted(region: str, birth: date, seq: int) -> None:
    card = parse_id_card(make_id(region, birth, seq), TODAY)
    assert card.birth == birth
    assert card.male == (seq % 2 == 1)


@given(regions, births, seqs, st.integers(0, 16), st.integers(1, 9))
def test_one_changed_digit_is_refused(
    region: str, birth: date, seq: int, pos: int, delta: int
) -> None:
    good = make_id(region, birth, seq)
    digit = (int(good[pos]) + delta) % 10
    bad = good[:pos] + str(digit) + good[pos + 1 :]
    with pytest.raises(IdCardError):
        parse_id_card(bad, TODAY)


@given(regions, births, seqs)
def test_a_wrong_check_character_is_refused(region: str, birth: date, seq: int) -> None:
    good = make_id(region, birth, seq)
    for c in "0123456789X":
        if c != good[17]:
            with pytest.raises(IdCardError) as e:
                parse_id_card(good[:17] + c, TODAY)
            assert e.value.key == "id_check_digit"


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("1101051949123100", "id_length"),
        ("11010519491231002X1", "id_length"),
        ("1101051949123100AX", "id_characters"),
        (make_id("990105", date(1980, 1, 1), 1), "id_region"),
        (make_id("130000", date(1980, 1, 1), 1), "id_region"),
        ("110105" + "19490231" + "002" + check_digit("11010519490231002"), "id_birth"),
        (make_id("110105", TODAY + timedelta(days=1), 1), "id_birth"),
        (make_id("110105", date(1899, 12, 31), 1), "id_birth"),
    ],
)
def test_what_is_wrong_is_named(value: str, key: str) -> None:
    with pytest.raises(IdCardError) as e:
        parse_id_card(value, TODAY)
    assert e.value.key == key
    assert e.value.text("zh") != f"market_sales.{key}"  # worded in the catalog
