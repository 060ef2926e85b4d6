"""Registers <-> values: int16/uint16/int32/uint32/float32 in any word order, strings.

The Modbus spec fixes byte order inside a register (big-endian) but not which
register of a 32-bit value comes first; vendors use all four layouts. pymodbus
only handles ABCD and CDAB, so the byte shuffling is done here for all four.
"""

from __future__ import annotations

import struct
from enum import StrEnum


class DataType(StrEnum):
    INT16 = "int16"
    UINT16 = "uint16"
    INT32 = "int32"
    UINT32 = "uint32"
    FLOAT32 = "float32"
    STRING = "string"


class WordOrder(StrEnum):
    """Byte layout of a value as A (most significant) .. D (least)."""

    ABCD = "ABCD"
    CDAB = "CDAB"
    BADC = "BADC"
    DCBA = "DCBA"


_STRUCT = {
    DataType.INT16: ">h",
    DataType.UINT16: ">H",
    DataType.INT32: ">i",
    DataType.UINT32: ">I",
    DataType.FLOAT32: ">f",
}


def register_count(dtype: DataType, length: int = 0) -> int:
    """Registers a value occupies (``length`` is the register count of a string)."""
    if dtype is DataType.STRING:
        return length
    return 2 if dtype in (DataType.INT32, DataType.UINT32, DataType.FLOAT32) else 1


_MAX = {
    DataType.INT16: 2**15 - 1,
    DataType.UINT16: 2**16 - 1,
    DataType.INT32: 2**31 - 1,
    DataType.UINT32: 2**32 - 1,
    DataType.FLOAT32: 2**24,  # the last integer a float32 counts exactly
}


def counter_max(dtype: DataType) -> int | None:
    """The largest count a counter of this type holds before it wraps (None: a string)."""
    return _MAX.get(dtype)


def _wire_bytes(registers: list[int]) -> bytes:
    return b"".join(r.to_bytes(2, "big") for r in registers)


def _to_abcd(raw: bytes, order: WordOrder) -> bytes:
    """Reorder bytes as they came off the wire into natural big-endian order."""
    if len(raw) == 2:
        return raw[::-1] if order in (WordOrder.BADC, WordOrder.DCBA) else raw
    if order is WordOrder.ABCD:
        return raw
    if order is WordOrder.CDAB:
        return raw[2:4] + raw[0:2]
    if order is WordOrder.BADC:
        return bytes((raw[1], raw[0], raw[3], raw[2]))
    return raw[::-1]


# Each permutation is its own inverse, so the same shuffle encodes.
_from_abcd = _to_abcd


def decode(registers: list[int], dtype: DataType, order: WordOrder = WordOrder.ABCD) -> float | str:
    """Decode the registers of one value. Strings: NUL/space padding stripped."""
    raw = _wire_bytes(registers)
    if dtype is DataType.STRING:
        if order in (WordOrder.BADC, WordOrder.DCBA):
            raw = b"".join(raw[i : i + 2][::-1] for i in range(0, len(raw), 2))
        return raw.split(b"\x00", 1)[0].decode("ascii", errors="replace").strip()
    need = register_count(dtype)
    if len(registers) != need:
        raise ValueError(f"{dtype.value} needs {need} registers, got {len(registers)}")
    (value,) = struct.unpack(_STRUCT[dtype], _to_abcd(raw, order))
    return value


def encode(
    value: float | str, dtype: DataType, order: WordOrder = WordOrder.ABCD, length: int = 0
) -> list[int]:
    """Encode one value to registers (the simulator's half of the codec)."""
    if dtype is DataType.STRING:
        data = str(value).encode("ascii")[: 2 * length].ljust(2 * length, b"\x00")
        if order in (WordOrder.BADC, WordOrder.DCBA):
            data = b"".join(data[i : i + 2][::-1] for i in range(0, len(data), 2))
        return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    fmt = _STRUCT[dtype]
    num = float(value) if dtype is DataType.FLOAT32 else round(float(value))
    raw = _from_abcd(struct.pack(fmt, num), order)
    return [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
