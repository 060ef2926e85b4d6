"""The contact directory's rules: who may be listed where, and how a person is stored.

Roles and the region level each belongs to are data here (``ROLE_LEVEL``);
region codes are checked by ``cloud/scope.py``. A household (one CO alarm)
has at most ``HOUSEHOLD_MAX`` active contacts. Phones are Chinese mobile
numbers (11 digits, ``1[3-9]…``): SMS and voice providers reach them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalguard.cloud.contacts.tables import Contact
from coalguard.cloud.privacy import mask_phone, normalize_phone
from coalguard.cloud.scope import region_level
from coalguard.cloud.sealing import Keyring, purpose_of
from coalguard.errors import WordedInputError, WordedValueError
from coalguard.i18n import t

if TYPE_CHECKING:
    from coalguard.cloud.co.tables import CoDevice

# The role of a contact -> the level of the region it belongs to.
ROLE_LEVEL = {
    "household": "village",
    "grid_worker": "village",
    "village_committee": "village",
    "village_inspector": "village",
    "township_duty": "township",
    "county_desk": "county",
}
ROLES = tuple(ROLE_LEVEL)
HOUSEHOLD_MAX = 3
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
PHONE_PURPOSE = purpose_of(Contact, "phone_sealed")


@dataclass(frozen=True)
class Term:
    """A catalog word (a role, a region level) that words itself in the reader's language."""

    key: str

    def text(self, lang: str | None = None) -> str:
        return t(f"contacts.{self.key}", lang)


def role_term(role: str) -> Term:
    return Term(f"role_{role}")


class ContactError(WordedInputError):
    """A contact the directory refuses, worded from the ``[contacts]`` catalog table."""

    section = "contacts"


def mobile_number(value: str) -> str:
    """The stored form of a mobile number (``+86 139-1234 5678`` -> ``13912345678``)."""
    v = normalize_phone(value)
    for prefix in ("+86", "0086", "86"):
        if v.startswith(prefix) and len(v) == len(prefix) + 11:
            v = v[len(prefix) :]
    if not MOBILE.match(v):
        raise WordedValueError("contacts.bad_phone")
    return v


class ContactIn(BaseModel):
    """A contact as written by a person (API body, import row)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: str
    region_code: str = Field("", description="village/township/county code; households: omit")
    device_id: str | None = Field(None, description="the CO alarm of a household contact")
    name: str = Field(min_length=1, max_length=200)
    relation: str | None = Field(None, max_length=64)
    phone: str

    @field_validator("role")
    @classmethod
    def _role(cls, v: str) -> str:
        if v not in ROLE_LEVEL:
            raise WordedValueError("contacts.unknown_role", role=v, known=", ".join(ROLES))
        return v

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str) -> str:
        return mobile_number(v)


class ContactPatch(BaseModel):
    """Fields of a contact that may change (role and place stay: add a new one instead)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(None, min_length=1, max_length=200)
    relation: str | None = Field(None, max_length=64)
    phone: str | None = None
    active: bool | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        return None if v is None else mobile_number(v)


def place_of(s: Session, c: ContactIn) -> tuple[str, str | None]:
    """The (region code, device id) a contact belongs to; a worded error when it has none."""
    if c.role == "household":
        # Imported here: ``cloud.co``'s package imports its notifier, which reads the
        # directory (``recipients``), so a module-level import would be circular.
        from coalguard.cloud.co.tables import CoDevice

        dev = s.get(CoDevice, c.device_id) if c.device_id else None
        if dev is None or not dev.registered:
            raise ContactError("unknown_device", device_id=c.device_id or "")
        return dev.region_code, dev.device_id
    want = ROLE_LEVEL[c.role]
    if region_level(c.region_code) != want:
        raise ContactError(
            "unknown_region",
            region=c.region_code,
            role=role_term(c.role),
            level=Term(f"level_{want}"),
        )
    return c.region_code, None


def household_count(s: Session, device_id: str) -> int:
    return (
        s.scalar(
            select(func.count())
            .select_from(Contact)
            .where(Contact.device_id == device_id, Contact.role == "household", Contact.active)
        )
        or 0
    )


def set_phone(row: Contact, keyring: Keyring, phone: str) -> None:
    """Seal ``phone`` into ``row`` with its look-up hash and masked form."""
    row.phone_sealed = keyring.seal(phone, PHONE_PURPOSE)
    row.phone_hash = keyring.phone_hash(phone)
    row.phone_masked = mask_phone(phone)


def open_phone(row: Contact, keyring: Keyring) -> str:
    """The plain number, for sending or an allowed reveal only: never store or log it."""
    return keyring.open(row.phone_sealed, PHONE_PURPOSE)


def add_contact(s: Session, keyring: Keyring, c: ContactIn, now: datetime) -> Contact:
    """Store a new contact (at most ``HOUSEHOLD_MAX`` per household)."""
    region, device_id = place_of(s, c)
    if device_id is not None and household_count(s, device_id) >= HOUSEHOLD_MAX:
        raise ContactError("household_full", device_id=device_id, n=HOUSEHOLD_MAX)
    row = Contact(
        role=c.role,
        region_code=region,
        device_id=device_id,
        name=c.name,
        relation=c.relation,
        active=True,
        created_at=now,
        updated_at=now,
    )
    set_phone(row, keyring, c.phone)
    s.add(row)
    s.flush()
    return row


def update_contact(
    s: Session, keyring: Keyring, row: Contact, patch: ContactPatch, now: datetime
) -> Contact:
    """Change a contact's name, relation, phone or active flag (reactivating counts again)."""
    reactivated = patch.active and not row.active and row.device_id is not None
    if reactivated and household_count(s, row.device_id or "") >= HOUSEHOLD_MAX:
        raise ContactError("household_full", device_id=row.device_id, n=HOUSEHOLD_MAX)
    if patch.name is not None:
        row.name = patch.name
    if "relation" in patch.model_fields_set:
        row.relation = patch.relation
    if patch.phone is not None:
        set_phone(row, keyring, patch.phone)
    if patch.active is not None:
        row.active = patch.active
    row.updated_at = now
    return row


def household_phone(
    s: Session,
    keyring: Keyring,
    dev: CoDevice,
    phone: str,
    now: datetime,
    *,
    new_household: bool,
) -> Contact:
    """The registered household's own phone as its contact (relation ``self``).

    Registering again updates it and moves the household's contacts with the
    alarm's village; an alarm bound to another household (``new_household``)
    stops reaching the previous household's contacts."""
    rows = list(
        s.scalars(
            select(Contact)
            .where(Contact.device_id == dev.device_id, Contact.role == "household")
            .order_by(Contact.id)
        )
    )
    for c in rows:
        c.region_code = dev.region_code
        if new_household and c.active:
            c.active = False
            c.updated_at = now
    own = None if new_household else next((c for c in rows if c.relation == "self"), None)
    if own is None:
        own = Contact(role="household", device_id=dev.device_id, relation="self", active=False)
        own.created_at = now
        s.add(own)
    own.region_code = dev.region_code
    own.name = dev.household_name or ""
    own.updated_at = now
    set_phone(own, keyring, phone)
    s.flush()
    if not own.active:
        own.active = household_count(s, dev.device_id) < HOUSEHOLD_MAX
    return own
