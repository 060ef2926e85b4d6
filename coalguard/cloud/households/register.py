"""Adding, finding and updating households, and linking CO alarms to them.

A household is found by its head's ID number (keyed hash, the one the market's
five-part forms keep) or, without one, by its phone within its village: the
alarm an installer registers (``co/registry.py``) and the office's sheet of the
same household meet on one record.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.co.tables import CoDevice
from coalguard.cloud.contacts.directory import mobile_number
from coalguard.cloud.households.tables import Household, Verification
from coalguard.cloud.households.vocabulary import vocabulary
from coalguard.cloud.market.idcard import parse_id_card
from coalguard.cloud.market.sales import id_hash
from coalguard.cloud.privacy import mask_id_card, mask_name, mask_phone
from coalguard.cloud.scope import region_level
from coalguard.cloud.sealing import Keyring, purpose_of
from coalguard.errors import WordedValueError

NAME_PURPOSE = purpose_of(Household, "head_name_sealed")
ID_PURPOSE = purpose_of(Household, "head_id_sealed")
PHONE_PURPOSE = purpose_of(Household, "phone_sealed")


class HouseholdError(WordedValueError):
    """What the register refuses, from the ``[households]`` catalog table."""

    section = "households"


def _key(kind: str, known: list[str], v: str | None) -> str | None:
    if v is not None and v not in known:
        raise HouseholdError(f"unknown_{kind}", value=v, known=", ".join(known))
    return v


class HouseholdFields(BaseModel):
    """What may be written about a household (every field optional: an update)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    village_code: str | None = None
    head_name: str | None = Field(default=None, min_length=1, max_length=100)
    id_number: str | None = Field(default=None, min_length=1, max_length=32)
    phone: str | None = Field(default=None, min_length=1, max_length=32)
    address: str | None = Field(default=None, min_length=1, max_length=400)
    category: str | None = None
    heating_route: str | None = None
    stove_type: str | None = None
    hardship: bool | None = None
    trained_on: date | None = None
    trained_by: str | None = Field(default=None, max_length=100)
    zone_told_on: date | None = None
    retrofit_acceptance: str | None = None
    pledge_signed_on: date | None = None

    @field_validator("village_code")
    @classmethod
    def _village(cls, v: str | None) -> str | None:
        if v is not None and region_level(v) != "village":
            raise HouseholdError("village_code", value=v)
        return v

    @field_validator("id_number")
    @classmethod
    def _id(cls, v: str | None) -> str | None:
        return None if v is None else parse_id_card(v, date.max).number

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        return None if v is None else mobile_number(v)

    @field_validator("category")
    @classmethod
    def _category(cls, v: str | None) -> str | None:
        return _key("category", vocabulary().categories, v)

    @field_validator("heating_route")
    @classmethod
    def _route(cls, v: str | None) -> str | None:
        return _key("route", vocabulary().heating_routes, v)

    @field_validator("stove_type")
    @classmethod
    def _stove(cls, v: str | None) -> str | None:
        return _key("stove", vocabulary().stove_types, v)

    @field_validator("retrofit_acceptance")
    @classmethod
    def _acceptance(cls, v: str | None) -> str | None:
        return _key("acceptance", vocabulary().acceptance_states, v)


class HouseholdIn(HouseholdFields):
    """A new household: village, head's name, address and category are needed."""

    village_code: str
    head_name: str = Field(min_length=1, max_length=100)
    address: str = Field(min_length=1, max_length=400)
    category: str


def find(
    s: Session, keyring: Keyring, village: str | None, id_number: str | None, phone: str | None
) -> Household | None:
    """The household with this ID number, else the one with this phone in ``village``
    that has no other ID number on file."""
    if id_number:
        found = s.scalars(
            select(Household).where(Household.head_id_hash == id_hash(keyring, id_number))
        ).first()
        if found is not None:
            return found
    if phone and village:
        q = select(Household).where(
            Household.village_code == village,
            Household.phone_hash == keyring.phone_hash(phone),
        )
        if id_number:
            q = q.where(Household.head_id_hash.is_(None))
        return s.scalars(q.order_by(Household.id).limit(1)).first()
    return None


def head_name(h: Household, keyring: Keyring) -> str:
    """The plain name (only for an audited reveal, or to compare on update)."""
    return keyring.open(h.head_name_sealed, NAME_PURPOSE)


def open_head(h: Household, keyring: Keyring) -> dict[str, str | None]:
    """The plain name, ID number and phone (only for an audited reveal)."""
    return {
        "head_name": head_name(h, keyring),
        "id_number": keyring.open(h.head_id_sealed, ID_PURPOSE) if h.head_id_sealed else None,
        "phone": keyring.open(h.phone_sealed, PHONE_PURPOSE) if h.phone_sealed else None,
    }


def add_household(
    s: Session, keyring: Keyring, body: HouseholdIn, by: str, now: datetime, source: str = "form"
) -> Household:
    h = Household(source=source, created_by=by, created_at=now, hardship=False)
    s.add(h)
    update_household(s, keyring, h, body, now)
    return h


def update_household(
    s: Session, keyring: Keyring, h: Household, body: HouseholdFields, now: datetime
) -> bool:
    """Write the fields ``body`` sets; True when anything changed (a sheet imported twice
    changes nothing)."""
    values = body.model_dump(exclude_unset=True, exclude_none=True)
    changed = h.id is None
    name = values.pop("head_name", None)
    if name is not None and (h.head_name_sealed is None or head_name(h, keyring) != name):
        h.head_name_sealed = keyring.seal(name, NAME_PURPOSE)
        h.head_name_masked = mask_name(name)
        changed = True
    number = values.pop("id_number", None)
    if number is not None and h.head_id_hash != id_hash(keyring, number):
        h.head_id_sealed = keyring.seal(number, ID_PURPOSE)
        h.head_id_hash = id_hash(keyring, number)
        h.head_id_masked = mask_id_card(number)
        changed = True
    phone = values.pop("phone", None)
    if phone is not None and h.phone_hash != keyring.phone_hash(phone):
        h.phone_sealed = keyring.seal(phone, PHONE_PURPOSE)
        h.phone_hash = keyring.phone_hash(phone)
        h.phone_masked = mask_phone(phone)
        changed = True
    for k, v in values.items():
        if getattr(h, k) != v:
            setattr(h, k, v)
            changed = True
    if changed:
        h.updated_at = now
    s.flush()
    return changed


def verify(
    s: Session, h: Household, by_whom: str, on: date, recorder: str, now: datetime, note: str = ""
) -> bool:
    """Record that ``by_whom`` confirmed the household on ``on``; False when already on file."""
    known = s.scalars(
        select(Verification.id).where(
            Verification.household_id == h.id,
            Verification.confirmed_by == by_whom,
            Verification.confirmed_on == on,
        )
    ).first()
    if known is not None:
        return False
    s.add(
        Verification(
            household_id=h.id,
            confirmed_by=by_whom,
            confirmed_on=on,
            note=note or None,
            recorded_by=recorder,
            recorded_at=now,
        )
    )
    s.flush()
    return True


def verifications(s: Session, household_id: int) -> list[Verification]:
    q = select(Verification).where(Verification.household_id == household_id)
    return list(s.scalars(q.order_by(Verification.confirmed_on.desc(), Verification.id.desc())))


def link_alarm(
    s: Session,
    keyring: Keyring,
    dev: CoDevice,
    *,
    name: str,
    address: str,
    village: str,
    phone: str,
    by: str,
    now: datetime,
) -> Household:
    """The household an alarm is registered for: the one with this phone in the village,
    else a new one (not yet classified); the alarm points at it."""
    with suppress(WordedValueError):  # a landline on an alarm: kept as written, still sealed
        phone = mobile_number(phone)
    h = find(s, keyring, village, None, phone)
    if h is None:
        h = Household(source="alarm", created_by=by, created_at=now, hardship=False)
        h.village_code, h.address = village, address
        h.head_name_sealed = keyring.seal(name, NAME_PURPOSE)
        h.head_name_masked = mask_name(name)
        h.phone_sealed = keyring.seal(phone, PHONE_PURPOSE)
        h.phone_hash = keyring.phone_hash(phone)
        h.phone_masked = mask_phone(phone)
        h.updated_at = now
        s.add(h)
        s.flush()
    dev.household_id = h.id
    s.flush()
    return h


def alarms_of(s: Session, household_id: int) -> list[CoDevice]:
    q = select(CoDevice).where(CoDevice.household_id == household_id)
    return list(s.scalars(q.order_by(CoDevice.device_id)))
