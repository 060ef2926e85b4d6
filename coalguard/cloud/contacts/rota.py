"""The township on-call rota: shifts of duty officers, and who is on duty at a time."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.contacts.directory import ContactError
from coalguard.cloud.contacts.tables import Contact, DutyShift


class ShiftIn(BaseModel):
    """One shift as written by a person (times with their zone)."""

    model_config = ConfigDict(extra="forbid")

    contact_id: int
    starts_at: AwareDatetime
    ends_at: AwareDatetime


def overlapping(
    s: Session, contact_id: int, starts_at: datetime, ends_at: datetime, ignore: int | None = None
) -> DutyShift | None:
    """An active shift of the same officer that overlaps ``[starts_at, ends_at)``."""
    q = select(DutyShift).where(
        DutyShift.contact_id == contact_id,
        DutyShift.active,
        DutyShift.starts_at < ends_at,
        DutyShift.ends_at > starts_at,
    )
    if ignore is not None:
        q = q.where(DutyShift.id != ignore)
    return s.scalars(q.limit(1)).first()


def duty_officer(s: Session, contact_id: int) -> Contact:
    c = s.get(Contact, contact_id)
    if c is None or c.role != "township_duty" or not c.active:
        raise ContactError("not_duty_officer", contact_id=contact_id)
    return c


def add_shift(s: Session, shift: ShiftIn, now: datetime) -> DutyShift:
    """Store a shift of an active township duty officer; refused when it overlaps another."""
    officer = duty_officer(s, shift.contact_id)
    if shift.ends_at <= shift.starts_at:
        raise ContactError("shift_order")
    if overlapping(s, officer.id, shift.starts_at, shift.ends_at) is not None:
        raise ContactError("shift_overlap", contact_id=officer.id)
    row = DutyShift(
        contact_id=officer.id,
        region_code=officer.region_code,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        active=True,
        created_at=now,
    )
    s.add(row)
    s.flush()
    return row


def on_duty(s: Session, township: str, at: datetime) -> list[Contact]:
    """The active officers of ``township`` whose shift covers ``at`` (start inclusive)."""
    return list(
        s.scalars(
            select(Contact)
            .join(DutyShift, DutyShift.contact_id == Contact.id)
            .where(
                DutyShift.region_code == township,
                DutyShift.active,
                DutyShift.starts_at <= at,
                DutyShift.ends_at > at,
                Contact.active,
            )
            .order_by(DutyShift.starts_at, Contact.id)
        )  # one row per officer: an officer's shifts never overlap
    )
