"""Import of existing point lists from CSV or Excel (.xlsx): a dry run first, then all
or nothing (``sheets.apply_rows``), with row-level errors.

Headings and words may be the catalog's (``网点编号``, ``散煤销售网点``, ``防尘帘``)
or the keys; lists (facilities, zones, coal types) are separated by ``、`` ``,``
``;``. A row naming a code already listed updates that point: importing a file
twice is harmless.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from coalguard.cloud import sheets
from coalguard.cloud.market.points import (
    MarketError,
    PointFields,
    PointIn,
    add_point,
    point_by_code,
    update_point,
)
from coalguard.cloud.market.vocabulary import vocabulary
from coalguard.edge.quality.profiles import COAL_TYPES
from coalguard.errors import WordedError

COLUMNS = (
    "code",
    "name",
    "kind",
    "licence",
    "region_code",
    "address",
    "operator_name",
    "status",
    "pending_change",
    "pledge_posted",
    "pledge_posted_on",
    "facilities",
    "zones",
    "coal_types",
)
REQUIRED = ("code", "name", "kind", "region_code")
HEADINGS = sheets.heading_words("market", "col_", COLUMNS)
_LIST = re.compile(r"[、,，;；/\s]+")
# Which column a refusal of the register points at.
ERROR_COLUMN = {
    "point_region": "region_code",
    "point_exists": "code",
    "outside_region": "region_code",
    "rectify_by_step": "status",
    "rectify_open": "status",
}


class RowError(sheets.RowError):
    """A refused cell of a point list (headings from ``market.col_*``)."""

    table = "market"
    columns = COLUMNS


@dataclass
class ImportResult:
    rows: int = 0
    added: int = 0
    updated: int = 0
    errors: list[sheets.RowError] = field(default_factory=list)
    committed: bool = False


def read_table(data: bytes, kind: str) -> sheets.Rows:
    return sheets.read_table(data, kind, headings=HEADINGS, columns=COLUMNS, required=REQUIRED)


def _words(prefix: str, keys: list[str] | tuple[str, ...]) -> dict[str, str]:
    return sheets.heading_words("market", prefix, tuple(keys))


def _one(text: str, words: dict[str, str]) -> str:
    return words.get(text.lower(), text)


def _many(text: str, words: dict[str, str]) -> list[str]:
    return [_one(w, words) for w in _LIST.split(text) if w]


def fields_of(row: dict[str, str]) -> dict[str, object]:
    """A sheet row as the point's fields (words mapped to keys; blank cells left out)."""
    v = vocabulary()
    maps: dict[str, Callable[[str], object]] = {
        "kind": lambda x: _one(x, _words("kind_", v.kinds)),
        "status": lambda x: _one(x, _words("status_", v.statuses)),
        "pending_change": lambda x: _one(x, _words("pending_", v.pending_changes)),
        "pledge_posted": sheets.yes_no,
        "pledge_posted_on": lambda x: x[:10],
        "facilities": lambda x: _many(x, _words("facility_", v.facilities)),
        "zones": lambda x: _many(x, _words("zone_", v.zones)),
        "coal_types": lambda x: _many(x, sheets.heading_words("coal_type", "", COAL_TYPES)),
    }
    return {k: maps.get(k, str)(text) for k, text in row.items() if text}


def import_rows(
    s: Session,
    rows: sheets.Rows,
    who: str,
    now: datetime,
    *,
    commit: bool,
    covers: Callable[[str], bool] = lambda _region: True,
) -> ImportResult:
    """Add or update every row's point; ``covers``: whether the importer may manage a region."""
    result = ImportResult(rows=len(rows))

    def apply(row: dict[str, str]) -> None:
        values = fields_of(row)
        known = point_by_code(s, row.get("code", ""))
        body: PointFields = (
            PointIn.model_validate(values)
            if known is None
            else PointFields.model_validate({k: x for k, x in values.items() if k != "code"})
        )
        region = body.region_code or (known.region_code if known else "")
        if not covers(region) or (known is not None and not covers(known.region_code)):
            raise MarketError("outside_region", region=region)
        if known is None:
            assert isinstance(body, PointIn)
            add_point(s, body, who, now)
            result.added += 1
        else:
            update_point(s, known, body, now)
            result.updated += 1

    def column_of(e: WordedError) -> str:
        return ERROR_COLUMN.get(e.key, "-")

    result.errors, result.committed = sheets.apply_rows(
        s,
        rows,
        apply,
        commit=commit,
        refusal=MarketError,
        column_of=column_of,
        row_error=RowError,
    )
    return result
