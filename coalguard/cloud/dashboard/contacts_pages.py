"""View models of the contact directory and rota pages (plain values; words in templates).

Names are masked unless the user may see personal data; phones are always
masked here, the page's reveal button asks the API (audited) for one number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.access import CONTACT_EDITORS, PHONE_REVEALERS
from coalguard.cloud.auth import Operator
from coalguard.cloud.contacts.directory import ROLES
from coalguard.cloud.contacts.rota import on_duty
from coalguard.cloud.contacts.schemas import contact_out
from coalguard.cloud.contacts.tables import Contact, DutyShift
from coalguard.cloud.privacy import for_caller

# A contact as the pages show it: the API's ``ContactOut``, masked for the user.
ContactRow = dict[str, Any]


@dataclass(frozen=True)
class RoleGroup:
    role: str
    rows: list[ContactRow]


@dataclass(frozen=True)
class ShiftRow:
    id: int
    region_code: str
    name: str
    phone_masked: str
    starts_at: datetime
    ends_at: datetime
    on_now: bool


@dataclass(frozen=True)
class Township:
    region_code: str
    officers: list[ContactRow]  # every active duty officer, for the add-shift form
    on_now: list[ContactRow]


@dataclass(frozen=True)
class Powers:
    can_edit: bool
    can_reveal: bool


def powers(op: Operator) -> Powers:
    return Powers(can_edit=op.role in CONTACT_EDITORS, can_reveal=op.role in PHONE_REVEALERS)


def _row(c: Contact, op: Operator) -> ContactRow:
    return for_caller(contact_out(c), op.sees_personal_data)


def directory(s: Session, op: Operator, role: str | None) -> list[RoleGroup]:
    """The active contacts of the user's region, by role (in ``ROLES`` order)."""
    q = select(Contact).where(Contact.region_code.startswith(op.region_prefix), Contact.active)
    if role:
        q = q.where(Contact.role == role)
    rows = list(s.scalars(q.order_by(Contact.region_code, Contact.device_id, Contact.id)))
    return [
        RoleGroup(r, [_row(c, op) for c in rows if c.role == r]) for r in ROLES if role in (None, r)
    ]


def rota(
    s: Session, op: Operator, now: datetime, days: int = 14
) -> tuple[list[ShiftRow], list[Township]]:
    """Shifts from a day ago to ``days`` ahead, and per township who is on duty now."""
    q = (
        select(DutyShift, Contact)
        .join(Contact, Contact.id == DutyShift.contact_id)
        .where(
            DutyShift.region_code.startswith(op.region_prefix),
            DutyShift.active,
            DutyShift.ends_at > now - timedelta(days=1),
            DutyShift.starts_at < now + timedelta(days=days),
        )
        .order_by(DutyShift.starts_at, DutyShift.id)
    )
    shifts = [
        ShiftRow(
            id=sh.id,
            region_code=sh.region_code,
            name=_row(c, op)["name"],
            phone_masked=c.phone_masked,
            starts_at=sh.starts_at,
            ends_at=sh.ends_at,
            on_now=sh.starts_at <= now < sh.ends_at,
        )
        for sh, c in s.execute(q)
    ]
    officers = s.scalars(
        select(Contact)
        .where(
            Contact.role == "township_duty",
            Contact.region_code.startswith(op.region_prefix),
            Contact.active,
        )
        .order_by(Contact.region_code, Contact.id)
    )
    by_town: dict[str, list[ContactRow]] = {}
    for c in officers:
        by_town.setdefault(c.region_code, []).append(_row(c, op))
    towns = [
        Township(code, rows, [_row(c, op) for c in on_duty(s, code, now)])
        for code, rows in by_town.items()
    ]
    return shifts, towns
