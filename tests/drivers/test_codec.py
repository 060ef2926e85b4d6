"""Golden fixtures: every type and word order decoded from known register values."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coalguard.drivers.analyzer.codec import DataType, WordOrder, decode, encode
from coalguard.drivers.analyzer.units import from_canonical, to_canonical

F, I16, U16, I32, U32, S = (
    DataType.FLOAT32,
    DataType.INT16,
    DataType.UINT16,
    DataType.INT32,
    DataType.UINT32,
    DataType.STRING,
)
A, C, B, D = WordOrder.ABCD, WordOrder.CDAB, WordOrder.BADC, WordOrder.DCBA

GOLDEN = [
    # 1.0f = 0x3F800000 (the layouts published for the four orders)
    ([0x3F80, 0x0000], F, A, 1.0),
    ([0x0000, 0x3F80], F, C, 1.0),
    ([0x803F, 0x0000], F, B, 1.0),
    ([0x0000, 0x803F], F, D, 1.0),
    # 12.5f = 0x41480000
    ([0x4148, 0x0000], F, A, 12.5),
    ([0x0000, 0x4148], F, C, 12.5),
    ([0x4841, 0x0000], F, B, 12.5),
    ([0x0000, 0x4841], F, D, 12.5),
    # -123456 = 0xFFFE1DC0
    ([0xFFFE, 0x1DC0], I32, A, -123456),
    ([0x1DC0, 0xFFFE], I32, C, -123456),
    ([0xFEFF, 0xC01D], I32, B, -123456),
    ([0xC01D, 0xFEFF], I32, D, -123456),
    # 3000000000 = 0xB2D05E00
    ([0xB2D0, 0x5E00], U32, A, 3_000_000_000),
    ([0x5E00, 0xB2D0], U32, C, 3_000_000_000),
    ([0xD0B2, 0x005E], U32, B, 3_000_000_000),
    ([0x005E, 0xD0B2], U32, D, 3_000_000_000),
    # 16-bit: word order is moot, byte-swapped orders swap the two bytes
    ([0xFFFE], I16, A, -2),
    ([0xFFFE], I16, C, -2),
    ([0xFEFF], I16, B, -2),
    ([0x3412], U16, D, 0x1234),
    ([0x1234], U16, A, 0x1234),
]


@pytest.mark.parametrize(("regs", "dtype", "order", "value"), GOLDEN)
def test_golden_decode(regs: list[int], dtype: DataType, order: WordOrder, value: float) -> None:
    assert decode(regs, dtype, order) == value


@pytest.mark.parametrize(("regs", "dtype", "order", "value"), GOLDEN)
def test_golden_encode(regs: list[int], dtype: DataType, order: WordOrder, value: float) -> None:
    assert encode(value, dtype, order) == regs


def test_wrong_order_gives_nonsense() -> None:
    # the symptom the docs warn about: ABCD bytes read as CDAB are tiny, not 1.0
    assert decode([0x3F80, 0x0000], F, C) != 1.0


def test_string_high_byte_first_and_padding_stripped() -> None:
    regs = [0x5331, 0x3233, 0x3400, 0x0000]  # "S1234" NUL padded
    assert decode(regs, S, A) == "S1234"
    assert decode([0x3153, 0x3332, 0x0034], S, B) == "S1234"
    assert encode("S1234", S, A, length=4) == regs


def test_register_count_checked() -> None:
    with pytest.raises(ValueError, match="needs 2 registers"):
        decode([1], F, A)


@given(st.floats(width=32, allow_nan=False), st.sampled_from(list(WordOrder)))
def test_float_roundtrip(x: float, order: WordOrder) -> None:
    assert decode(encode(x, F, order), F, order) == x


@given(st.integers(-(2**31), 2**31 - 1), st.sampled_from(list(WordOrder)))
def test_int32_roundtrip(x: int, order: WordOrder) -> None:
    assert decode(encode(x, I32, order), I32, order) == x


def test_float_abcd_matches_struct() -> None:
    raw = struct.pack(">f", 27.35)
    regs = [int.from_bytes(raw[:2], "big"), int.from_bytes(raw[2:], "big")]
    assert math.isclose(decode(regs, F, A), 27.35, rel_tol=1e-6)


@pytest.mark.parametrize(
    ("value", "unit", "mj"),
    [
        (25000, "J/g", 25.0),
        (6000, "kcal/kg", 25.1208),
        (10000, "Btu/lb", 23.26),
        (6000, "cal/g", 25.1208),
        (25.0, "MJ/kg", 25.0),
    ],
)
def test_energy_to_mj_per_kg(value: float, unit: str, mj: float) -> None:
    assert to_canonical(value, unit) == pytest.approx(mj, rel=1e-9)
    assert from_canonical(mj, unit) == pytest.approx(value, rel=1e-9)


def test_unknown_unit_named() -> None:
    with pytest.raises(ValueError, match="furlongs"):
        to_canonical(1.0, "furlongs")
