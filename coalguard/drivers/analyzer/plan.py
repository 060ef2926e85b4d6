"""Coalesce fields into as few reads as possible.

Contiguous (or nearly contiguous) fields of one table go in one request of
at most 125 registers; a request never crosses a declared block, because
devices like the COALSCAN refuse such reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from coalguard.drivers.analyzer.regmap import MAX_READ, Field_, RegisterMap, Table

# Reading a few unused registers is cheaper than another round trip.
MAX_GAP = 8


@dataclass(frozen=True)
class ReadRequest:
    table: Table
    address: int
    count: int
    fields: tuple[Field_, ...]

    @property
    def end(self) -> int:
        return self.address + self.count

    def slice(self, registers: list[int], f: Field_) -> list[int]:
        start = f.address - self.address
        return registers[start : start + f.count]


def coalesce(regmap: RegisterMap, fields: list[Field_] | None = None) -> list[ReadRequest]:
    """Group ``fields`` (default: all) into read requests."""
    todo = sorted(
        fields if fields is not None else regmap.field, key=lambda f: (f.table, f.address)
    )
    out: list[ReadRequest] = []
    cur: list[Field_] = []

    def flush() -> None:
        if cur:
            start = cur[0].address
            end = max(f.end for f in cur)
            out.append(ReadRequest(cur[0].table, start, end - start, tuple(cur)))
            cur.clear()

    for f in todo:
        if cur:
            first = cur[0]
            end = max(x.end for x in cur)
            fits = (
                f.table is first.table
                and f.address - end <= MAX_GAP
                and max(end, f.end) - first.address <= MAX_READ
                and regmap.block_of(f) == regmap.block_of(first)
            )
            if not fits:
                flush()
        cur.append(f)
    flush()
    return out
