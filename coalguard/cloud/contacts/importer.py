"""Import of the directory from CSV or Excel (.xlsx): a dry run first, then all or nothing.

Each row is applied with the directory's own rules (``directory.py``, ``rota.py``)
inside a savepoint: what the dry run reports is exactly what a commit would do,
and a file with any refused row changes nothing. A row repeating a person
already listed (same role, place and phone) adds no one: importing a file twice
is harmless (so is a shift already on the rota). A duty officer's row may
carry one shift (local times, Asia/Shanghai).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud import sheets
from coalguard.cloud.contacts.directory import (
    ROLES,
    ContactError,
    ContactIn,
    add_contact,
    place_of,
)
from coalguard.cloud.contacts.rota import ShiftIn, add_shift
from coalguard.cloud.contacts.tables import Contact, DutyShift
from coalguard.cloud.sealing import Keyring
from coalguard.edge.clock import LOCAL_TZ

COLUMNS = (
    "role",
    "region_code",
    "device_id",
    "name",
    "relation",
    "phone",
    "shift_start",
    "shift_end",
)
REQUIRED = ("role", "name", "phone")


# Headings and roles as people write them, in any catalog language (docs/contacts.md).
HEADINGS = sheets.heading_words("contacts", "col_", COLUMNS)
ROLE_WORDS = sheets.heading_words("contacts", "role_", ROLES)
# Which column a refusal of the directory points at.
ERROR_COLUMN = {
    "outside_region": "region_code",
    "unknown_device": "device_id",
    "household_full": "device_id",
    "unknown_region": "region_code",
    "not_duty_officer": "role",
    "shift_order": "shift_end",
    "shift_overlap": "shift_start",
}
TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y/%m/%d %H:%M")


class RowError(sheets.RowError):
    """A refused cell of a directory sheet (headings from ``contacts.col_*``)."""

    table = "contacts"
    columns = COLUMNS


@dataclass
class ImportResult:
    rows: int = 0
    contacts_added: int = 0
    contacts_known: int = 0
    shifts_added: int = 0
    errors: list[sheets.RowError] = field(default_factory=list)
    committed: bool = False


def read_table(data: bytes, kind: str) -> sheets.Rows:
    """``(row number, {column: text})`` of a CSV (UTF-8, with or without BOM) or .xlsx file."""
    return sheets.read_table(data, kind, headings=HEADINGS, columns=COLUMNS, required=REQUIRED)


def _local_time(text: str) -> datetime:
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=LOCAL_TZ)
        except ValueError:
            continue
    raise ContactError("bad_time", value=text)


def import_rows(
    s: Session,
    keyring: Keyring,
    rows: list[tuple[int, dict[str, str]]],
    now: datetime,
    *,
    commit: bool,
    covers: Callable[[str], bool] = lambda _region: True,
) -> ImportResult:
    """Apply ``rows`` inside a savepoint; kept only when ``commit`` and no row was refused.

    ``covers``: whether the importing person may manage a region (other rows are refused)."""
    result = ImportResult(rows=len(rows))
    result.errors, result.committed = sheets.apply_rows(
        s,
        rows,
        lambda row: _apply(s, keyring, row, now, result, covers),
        commit=commit,
        refusal=ContactError,
        column_of=lambda e: ERROR_COLUMN.get(e.key, "-"),
        row_error=RowError,
    )
    return result


def _apply(
    s: Session,
    keyring: Keyring,
    row: dict[str, str],
    now: datetime,
    result: ImportResult,
    covers: Callable[[str], bool],
) -> None:
    role = row.get("role", "")
    person = ContactIn(
        role=ROLE_WORDS.get(role.lower(), role),
        region_code=row.get("region_code", ""),
        device_id=row.get("device_id") or None,
        name=row.get("name", ""),
        relation=row.get("relation") or None,
        phone=row.get("phone", ""),
    )
    start, end = row.get("shift_start", ""), row.get("shift_end", "")
    shift = None
    if start or end:
        if person.role != "township_duty":
            raise ContactError("shift_not_duty")
        shift = (_local_time(start), _local_time(end))
    region, _device = place_of(s, person)
    if not covers(region):
        raise ContactError("outside_region")
    known = _known(s, keyring, person)
    if known is None:
        known = add_contact(s, keyring, person, now)
        result.contacts_added += 1
    else:
        result.contacts_known += 1
    if shift is not None and not _same_shift(s, known.id, *shift):
        add_shift(s, ShiftIn(contact_id=known.id, starts_at=shift[0], ends_at=shift[1]), now)
        result.shifts_added += 1


def _same_shift(s: Session, contact_id: int, starts_at: datetime, ends_at: datetime) -> bool:
    """The officer already has exactly this shift (a file imported again)."""
    q = select(DutyShift.id).where(
        DutyShift.contact_id == contact_id,
        DutyShift.starts_at == starts_at,
        DutyShift.ends_at == ends_at,
        DutyShift.active,
    )
    return s.scalars(q.limit(1)).first() is not None


def _known(s: Session, keyring: Keyring, person: ContactIn) -> Contact | None:
    """The active contact this row repeats (same role, place and phone), if any."""
    region, device_id = place_of(s, person)
    q = select(Contact).where(
        Contact.role == person.role,
        Contact.region_code == region,
        Contact.phone_hash == keyring.phone_hash(person.phone),
        Contact.active,
    )
    if device_id is not None:
        q = q.where(Contact.device_id == device_id)
    return s.scalars(q.limit(1)).first()
