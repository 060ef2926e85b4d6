"""Import of the register from the sheets offices keep (CSV or Excel .xlsx): a dry run
first, then all or nothing (``sheets.apply_rows``), with row-level errors.

Headings and words may be the catalog's (``户主姓名``, ``新增燃煤户``, ``型煤炉``)
or the keys. A row is the household with its head's ID number (or, without
one, its phone in the village) when that is already on file: its blank cells
leave the record as it is, the others update it; importing a file twice changes
nothing. A row with a confirmer and a date adds a re-verification (反复核实)
unless that one is already recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from coalguard.cloud import sheets
from coalguard.cloud.households.register import (
    HouseholdError,
    HouseholdFields,
    HouseholdIn,
    add_household,
    find,
    update_household,
    verify,
)
from coalguard.cloud.households.vocabulary import vocabulary
from coalguard.cloud.market.idcard import IdCardError, parse_id_card
from coalguard.cloud.market.sales import local_day
from coalguard.cloud.sealing import Keyring
from coalguard.errors import WordedError

COLUMNS = (
    "village_code",
    "head_name",
    "id_number",
    "phone",
    "address",
    "category",
    "heating_route",
    "stove_type",
    "hardship",
    "trained_on",
    "trained_by",
    "zone_told_on",
    "retrofit_acceptance",
    "pledge_signed_on",
    "verified_by",
    "verified_on",
)
REQUIRED = ("village_code", "head_name", "address", "category")
HEADINGS = sheets.heading_words("households", "col_", COLUMNS)
DATES = ("trained_on", "zone_told_on", "pledge_signed_on", "verified_on")
# Which column a refusal of the register points at.
ERROR_COLUMN = {
    "outside_region": "village_code",
    "identity_missing": "id_number",
    "verification_half": "verified_on",
    "bad_date": "verified_on",
}


class RowError(sheets.RowError):
    """A refused cell of a household sheet (headings from ``households.col_*``)."""

    table = "households"
    columns = COLUMNS


@dataclass
class ImportResult:
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    verifications_added: int = 0
    errors: list[sheets.RowError] = field(default_factory=list)
    committed: bool = False


def read_table(data: bytes, kind: str) -> sheets.Rows:
    return sheets.read_table(data, kind, headings=HEADINGS, columns=COLUMNS, required=REQUIRED)


def _words(prefix: str, keys: list[str]) -> Callable[[str], str]:
    words = sheets.heading_words("households", prefix, tuple(keys))
    return lambda x: words.get(x.lower(), x)


def fields_of(row: dict[str, str]) -> dict[str, object]:
    """A sheet row as the household's fields (words mapped to keys; blank cells left out)."""
    v = vocabulary()
    maps: dict[str, Callable[[str], object]] = {
        "category": _words("category_", v.categories),
        "heating_route": _words("route_", v.heating_routes),
        "stove_type": _words("stove_", v.stove_types),
        "retrofit_acceptance": _words("acceptance_", v.acceptance_states),
        "hardship": sheets.yes_no,
        **{d: sheets.day for d in DATES},
    }
    return {k: maps.get(k, str)(text) for k, text in row.items() if text}


def _verification(values: dict[str, object]) -> tuple[str, date] | None:
    by, on = values.pop("verified_by", None), values.pop("verified_on", None)
    if by is None and on is None:
        return None
    if by is None or on is None:
        raise HouseholdError("verification_half")
    try:
        return str(by), date.fromisoformat(str(on))
    except ValueError:
        raise HouseholdError("bad_date", value=on) from None


def import_rows(
    s: Session,
    keyring: Keyring,
    rows: sheets.Rows,
    who: str,
    now: datetime,
    *,
    commit: bool,
    covers: Callable[[str], bool] = lambda _region: True,
) -> ImportResult:
    """Add or update every row's household; ``covers``: whether the importer may manage a
    village (other rows are refused)."""
    result = ImportResult(rows=len(rows))

    def apply(row: dict[str, str]) -> None:
        values = fields_of(row)
        checked = _verification(values)
        body = HouseholdFields.model_validate(values)
        if body.id_number is None and body.phone is None:
            raise HouseholdError("identity_missing")
        if body.id_number is not None:
            parse_id_card(body.id_number, local_day(now))  # born by today
        known = find(s, keyring, body.village_code, body.id_number, body.phone)
        village = body.village_code or ""
        if not covers(village) or (known is not None and not covers(known.village_code)):
            raise HouseholdError("outside_region", region=village)
        if known is None:
            known = add_household(
                s, keyring, HouseholdIn.model_validate(values), who, now, source="import"
            )
            result.added += 1
        elif update_household(s, keyring, known, body, now):
            result.updated += 1
        else:
            result.unchanged += 1
        if checked is not None and verify(s, known, checked[0], checked[1], who, now):
            result.verifications_added += 1

    def column_of(e: WordedError) -> str:
        if isinstance(e, IdCardError):
            return "id_number"
        return ERROR_COLUMN.get(e.key, "-")

    result.errors, result.committed = sheets.apply_rows(
        s,
        rows,
        apply,
        commit=commit,
        refusal=WordedError,
        column_of=column_of,
        row_error=RowError,
    )
    return result
