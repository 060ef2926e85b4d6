"""Spreadsheets people upload (CSV in UTF-8, or Excel .xlsx via openpyxl) as rows of text.

One reader for every import (the contact directory, the market's points): the
heading row names the columns, in any catalog language or as the keys
themselves; blank rows are skipped; each row keeps its spreadsheet number
(heading = 1) so a refusal can point at the cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from openpyxl import load_workbook
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from coalguard import validation
from coalguard.cloud.db import hold_write_lock
from coalguard.errors import WordedError, WordedInputError
from coalguard.i18n import LANGS, t

Rows = list[tuple[int, dict[str, str]]]
_YES = {"是", "有", "已公示", "yes", "y", "true", "1"}
_NO = {"否", "无", "未公示", "no", "n", "false", "0"}


class SheetError(WordedInputError):
    """A file that cannot be read as the expected sheet at all (``[sheets]`` catalog table)."""

    section = "sheets"


def heading_words(table: str, prefix: str, keys: tuple[str, ...]) -> dict[str, str]:
    """Catalog words ``<table>.<prefix><key>`` in every language (and the keys) -> key."""
    out = {k: k for k in keys}
    for lang in LANGS:
        out.update({t(f"{table}.{prefix}{k}", lang).lower(): k for k in keys})
    return out


def read_table(
    data: bytes,
    kind: str,
    *,
    headings: dict[str, str],
    columns: tuple[str, ...],
    required: tuple[str, ...],
) -> Rows:
    """``(row number, {column: text})`` of a CSV or .xlsx file; ``SheetError`` when it is no
    such sheet at all."""
    if kind == "xlsx":
        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except Exception:  # openpyxl raises many kinds for a file that is no workbook
            raise SheetError("not_xlsx") from None
        table = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SheetError("not_utf8") from None
        table = list(csv.reader(io.StringIO(text)))
    if not table:
        raise SheetError("empty_file")
    heads = [headings.get(h.strip().lower(), h.strip()) for h in table[0]]
    unknown = [h for h in heads if h and h not in columns]
    missing = [c for c in required if c not in heads]
    if unknown or missing:
        raise SheetError(
            "bad_heading", unknown=", ".join(unknown) or "-", missing=", ".join(missing) or "-"
        )
    rows = []
    for n, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        rows.append((n, {h: c.strip() for h, c in zip(heads, cells, strict=False) if h}))
    return rows


def yes_no(text: str) -> bool | str:
    """是/否 as people write them; anything else is left for validation to refuse."""
    if text.lower() in _YES:
        return True
    if text.lower() in _NO:
        return False
    return text


def day(text: str) -> str:
    """A date cell as ISO text: ``2026/11/3`` and a spreadsheet's ``2026-11-03 00:00``
    both read ``2026-11-03``; anything else is left for validation to refuse."""
    head = text.split(" ")[0].replace("/", "-").replace(".", "-")
    parts = head.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}"
    return text


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


@dataclass(frozen=True)
class RowError:
    """What is wrong in one cell: spreadsheet row number (heading = 1), column, words.

    A subclass names the catalog table of its column headings (``<table>.col_<column>``)."""

    table: ClassVar[str] = ""
    columns: ClassVar[tuple[str, ...]] = ()

    row: int
    column: str
    reason: WordedError | validation.FieldReason

    def view(self, lang: str) -> dict[str, Any]:
        known = self.column in self.columns
        label = t(f"{self.table}.col_{self.column}", lang) if known else self.column
        return {
            "row": self.row,
            "column": self.column,
            "column_label": label,
            "message": self.reason.text(lang),
        }


class RowErrorOut(BaseModel):
    """A ``RowError`` as an import answer carries it (``RowError.view``)."""

    row: int
    column: str
    column_label: str
    message: str


def apply_rows(
    s: Session,
    rows: Rows,
    apply: Callable[[dict[str, str]], None],
    *,
    commit: bool,
    refusal: type[WordedError],
    column_of: Callable[[WordedError], str],
    row_error: type[RowError],
) -> tuple[list[RowError], bool]:
    """Apply every row inside one savepoint: kept only when ``commit`` and no row was refused
    (a dry run reports exactly what a commit would do; a refused row changes nothing).
    Returns the row errors and whether the rows were kept."""
    errors: list[RowError] = []
    hold_write_lock(s)  # rows read then write: on SQLite wait for the lock, never fail on it
    savepoint = s.begin_nested()
    for n, row in rows:
        try:
            apply(row)
        except ValidationError as e:
            for err in e.errors():
                column = validation.field_name(err.get("loc", ())) or "-"
                errors.append(row_error(n, column, validation.FieldReason(err)))
        except refusal as e:
            errors.append(row_error(n, column_of(e), e))
    if commit and not errors:
        savepoint.commit()
        return errors, True
    savepoint.rollback()
    return errors, False
