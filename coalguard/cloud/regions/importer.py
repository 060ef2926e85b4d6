"""Import of region names from a sheet (CSV or .xlsx): a dry run first, then all or
nothing (``sheets.apply_rows``), with row-level errors.

A row is ``code, name_zh, name_en``; its parent (the code cut one level up) must be
known already or come earlier in the same file, so a village never hangs under a
township the directory lacks. A code already known gets the row's names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from coalguard.cloud import sheets
from coalguard.cloud.regions.directory import LEVELS, Region, loaded_from, parent_code
from coalguard.cloud.regions.tables import RegionRow
from coalguard.errors import WordedError

COLUMNS = ("code", "name_zh", "name_en")
REQUIRED = ("code", "name_zh")
HEADINGS = sheets.heading_words("regions", "col_", COLUMNS)
MAX_NAME = 100


class RegionError(WordedError):
    """A refused region row (``[regions]`` catalog table)."""

    section = "regions"


class RowError(sheets.RowError):
    table = "regions"
    columns = COLUMNS


@dataclass
class ImportResult:
    rows: int = 0
    added: int = 0
    renamed: int = 0
    unchanged: int = 0
    errors: list[sheets.RowError] = field(default_factory=list)
    committed: bool = False


def read_table(data: bytes, kind: str) -> sheets.Rows:
    return sheets.read_table(data, kind, headings=HEADINGS, columns=COLUMNS, required=REQUIRED)


def import_rows(
    s: Session, rows: sheets.Rows, who: str, now: datetime, *, commit: bool
) -> ImportResult:
    """Add or rename every row's region; nothing is kept when a row is refused."""
    result = ImportResult(rows=len(rows))
    known = loaded_from(s)
    seen: set[str] = set()

    def apply(row: dict[str, str]) -> None:
        code, name_zh = row.get("code", ""), row.get("name_zh", "")
        name_en = row.get("name_en") or None
        if not (code.isascii() and code.isdigit() and len(code) in LEVELS):
            raise RegionError("bad_code", value=code)
        if code in seen:
            raise RegionError("duplicate", code=code)
        seen.add(code)
        parent = parent_code(code)
        if parent is not None and parent not in known:
            raise RegionError("unknown_parent", code=code, parent=parent)
        if not name_zh:
            raise RegionError("name_missing")
        if len(name_zh) > MAX_NAME or len(name_en or "") > 2 * MAX_NAME:
            raise RegionError("name_too_long", limit=MAX_NAME)
        old = known.get(code)
        if old is not None and (old.name_zh, old.name_en) == (name_zh, name_en):
            result.unchanged += 1
            return
        stored = s.get(RegionRow, code)
        if stored is None:
            s.add(
                RegionRow(
                    code=code,
                    parent_code=parent,
                    name_zh=name_zh,
                    name_en=name_en,
                    imported_by=who,
                    imported_at=now,
                )
            )
        else:
            stored.name_zh, stored.name_en = name_zh, name_en
            stored.imported_by, stored.imported_at = who, now
        if old is None:
            result.added += 1
        else:
            result.renamed += 1
        known[code] = Region(code, name_zh, name_en)
        s.flush()

    def column_of(e: WordedError) -> str:
        return {"bad_code": "code", "duplicate": "code", "unknown_parent": "code"}.get(
            e.key, "name_zh"
        )

    result.errors, result.committed = sheets.apply_rows(
        s,
        rows,
        apply,
        commit=commit,
        refusal=RegionError,
        column_of=column_of,
        row_error=RowError,
    )
    return result
