"""What the contact routes answer (serialize with ``privacy.for_caller``: names masked
unless the caller may see personal data; phones always masked, revealed only on request)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from coalguard.cloud.contacts.tables import Contact, DutyShift
from coalguard.cloud.privacy import PersonName
from coalguard.cloud.sheets import RowErrorOut


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # read from a ``Contact`` row

    id: int
    role: str
    region_code: str
    device_id: str | None
    name: PersonName
    relation: str | None
    phone_masked: str
    active: bool
    updated_at: datetime


class ShiftOut(BaseModel):
    id: int
    contact_id: int
    region_code: str
    starts_at: datetime
    ends_at: datetime
    active: bool
    name: PersonName
    phone_masked: str


class RevealOut(BaseModel):
    """The plain phone of one contact, for the person who asked (the reveal is audited)."""

    contact_id: int
    phone: str


class ImportOut(BaseModel):
    rows: int
    contacts_added: int
    contacts_known: int
    shifts_added: int
    committed: bool
    errors: list[RowErrorOut]


def contact_out(c: Contact) -> ContactOut:
    return ContactOut.model_validate(c)


def shift_out(sh: DutyShift, c: Contact) -> ShiftOut:
    return ShiftOut(
        id=sh.id,
        contact_id=sh.contact_id,
        region_code=sh.region_code,
        starts_at=sh.starts_at,
        ends_at=sh.ends_at,
        active=sh.active,
        name=c.name,
        phone_masked=c.phone_masked,
    )
