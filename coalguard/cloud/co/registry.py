"""Binding alarms to households, commissioning tests and the season check (R14, R15, R18).

The household's phone is its first contact in the directory, sealed
(``cloud/contacts``); the device keeps the keyed hash (to find a household by
phone) and a masked form for people (``138****5678``).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.co.tables import CoCommissioning, CoDevice, CoMessageRow
from coalguard.cloud.contacts.directory import household_phone
from coalguard.cloud.households.register import link_alarm
from coalguard.cloud.privacy import PersonName, Phone, mask_phone, normalize_phone
from coalguard.cloud.sealing import Keyring
from coalguard.drivers.co_alarm import DEVICE_ID
from coalguard.errors import WordedInputError, WordedValueError


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t else None


REGION_CODE = re.compile(r"^[0-9]{12}$")
PHONE = re.compile(r"^\+?[0-9]{7,15}$")


class Household(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    address: str = Field(min_length=1, max_length=400)
    village_code: str = Field(description="12-digit village region code")
    phone: str

    @field_validator("village_code")
    @classmethod
    def _village(cls, v: str) -> str:
        if not REGION_CODE.match(v):
            raise WordedValueError("village_code")
        return v

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str) -> str:
        v = normalize_phone(v)
        if not PHONE.match(v):
            raise WordedValueError("phone_digits")
        return v


def alarm_id(v: str) -> str:
    """An alarm id as the MQTT topics allow it, else the worded refusal."""
    if not DEVICE_ID.fullmatch(v):
        raise WordedValueError("device_id_format")
    return v


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_id: str
    household: Household
    installer_id: str = Field(min_length=1, max_length=64)

    _device = field_validator("device_id")(lambda v: alarm_id(v))


def register(s: Session, reg: Registration, keyring: Keyring, now: datetime) -> CoDevice:
    """Bind (or re-bind) an alarm to a household; earlier messages stay, now attributed.

    The phone becomes the household's first contact, sealed, so an escalation can call it;
    the alarm is linked to the register's household with that phone (made when new)."""
    dev = s.get(CoDevice, reg.device_id)
    if dev is None:
        dev = CoDevice(
            device_id=reg.device_id,
            messages=0,
            duplicates=0,
            gaps=0,
            eol=False,
            silent_alerted=False,
        )
        s.add(dev)
    new_phone_hash = keyring.phone_hash(reg.household.phone)
    # Another household's phone: the alarm was handed on; its old contacts are not reached.
    new_household = bool(dev.registered and dev.phone_hash not in (None, new_phone_hash))
    dev.registered = True
    dev.region_code = reg.household.village_code
    dev.household_name = reg.household.name
    dev.address = reg.household.address
    dev.phone_hash = new_phone_hash
    dev.phone_masked = mask_phone(reg.household.phone)
    dev.installer_id = reg.installer_id
    dev.registered_at = now
    dev.last_heard_at = dev.last_state_at or now  # watched for silence from now on
    s.flush()
    household_phone(s, keyring, dev, reg.household.phone, now, new_household=new_household)
    hh = reg.household
    link_alarm(
        s,
        keyring,
        dev,
        name=hh.name,
        address=hh.address,
        village=hh.village_code,
        phone=hh.phone,
        by=reg.installer_id,
        now=now,
    )
    return dev


# Times go out as ``isoformat()`` (``+00:00``), like every other cloud answer.
IsoTime = Annotated[datetime | None, PlainSerializer(_iso, return_type=str | None)]


class HouseholdOut(BaseModel):
    """A household as people see it: the name masked by the privacy policy, the phone
    masked (the plain one is sealed in the contact directory, revealed on request)."""

    name: PersonName
    address: str | None
    phone: Phone


class DeviceOut(BaseModel):
    """What people see about an alarm (serialize with ``privacy.for_caller``)."""

    device_id: str
    registered: bool
    region_code: str | None
    household: HouseholdOut | None
    installer_id: str | None
    last_seen: IsoTime
    last_state_at: IsoTime
    last_state: dict[str, Any] | None
    battery_pct: float | None
    online: bool | None
    eol: bool | None
    last_test_at: IsoTime
    messages: int | None
    duplicates: int | None
    gaps: int | None


def device_view(dev: CoDevice) -> DeviceOut:
    household = (
        HouseholdOut(name=dev.household_name, address=dev.address, phone=dev.phone_masked)
        if dev.registered
        else None
    )
    return DeviceOut(
        device_id=dev.device_id,
        registered=bool(dev.registered),
        region_code=dev.region_code,
        household=household,
        installer_id=dev.installer_id,
        last_seen=dev.last_seen,
        last_state_at=dev.last_state_at,
        last_state=dev.last_state,
        battery_pct=dev.battery_pct,
        online=dev.online,
        eol=dev.eol,
        last_test_at=dev.last_test_at,
        messages=dev.messages,
        duplicates=dev.duplicates,
        gaps=dev.gaps,
    )


def start_test(
    s: Session, device_id: str, installer_id: str, now: datetime, timeout_s: float
) -> CoCommissioning:
    dev = s.get(CoDevice, device_id)
    if dev is None or not dev.registered:
        raise WordedInputError("device_unregistered", device_id=device_id)
    for old in s.scalars(
        select(CoCommissioning).where(
            CoCommissioning.device_id == device_id, CoCommissioning.status == "waiting"
        )
    ):
        old.status = "superseded"
        old.finished_at = now
    c = CoCommissioning(
        device_id=device_id,
        installer_id=installer_id,
        started_at=now,
        deadline=now + timedelta(seconds=timeout_s),
        status="waiting",
        missing=[],
    )
    s.add(c)
    s.flush()
    return c


def commissioning_view(c: CoCommissioning, now: datetime) -> dict[str, Any]:
    waiting_for = [
        w for w, at in (("test_event", c.test_event_at), ("state", c.state_at)) if not at
    ]
    return {
        "id": c.id,
        "device_id": c.device_id,
        "installer_id": c.installer_id,
        "status": c.status,
        "started_at": _iso(c.started_at),
        "deadline": _iso(c.deadline),
        "remaining_s": max(0.0, (c.deadline - now).total_seconds()) if c.status == "waiting" else 0,
        "test_event_at": _iso(c.test_event_at),
        "state_at": _iso(c.state_at),
        "finished_at": _iso(c.finished_at),
        "missing": c.missing if c.status != "waiting" else waiting_for,
    }


class SeasonRow(BaseModel):
    """One alarm with a problem in the season check (serialize with ``privacy.for_caller``)."""

    village_code: str
    device_id: str
    household_id: int | None  # the register's household (``cloud/households``)
    household: PersonName
    phone: Phone
    last_seen: IsoTime
    last_test_at: IsoTime
    battery_pct: float | None
    eol: bool | None
    problems: list[str]


SEASON_COLUMNS = tuple(SeasonRow.model_fields)


def season_check(
    s: Session,
    region_prefix: str,
    since: datetime,
    season_start: datetime,
    low_battery_pct: float = 20,
) -> list[SeasonRow]:
    """全面排查: registered alarms with a problem, per village.

    Problems: ``not_heard_since`` (nothing since ``since``), ``not_tested``
    (no test event since ``season_start``), ``low_battery``, ``expired`` (eol).
    """
    rows = []
    q = (
        select(CoDevice)
        .where(CoDevice.registered.is_(True), CoDevice.region_code.startswith(region_prefix))
        .order_by(CoDevice.region_code, CoDevice.device_id)
    )
    for dev in s.scalars(q):
        last_test = dev.last_test_at or _last_test(s, dev.device_id)
        problems = []
        if dev.last_seen is None or dev.last_seen < since:
            problems.append("not_heard_since")
        if last_test is None or last_test < season_start:
            problems.append("not_tested")
        if dev.battery_pct is not None and dev.battery_pct < low_battery_pct:
            problems.append("low_battery")
        if dev.eol:
            problems.append("expired")
        if problems:
            rows.append(
                SeasonRow(
                    village_code=dev.region_code,
                    device_id=dev.device_id,
                    household_id=dev.household_id,
                    household=dev.household_name,
                    phone=dev.phone_masked,
                    last_seen=dev.last_seen,
                    last_test_at=last_test,
                    battery_pct=dev.battery_pct,
                    eol=dev.eol,
                    problems=problems,
                )
            )
    return rows


def season_summary(rows: list[SeasonRow], s: Session, region_prefix: str) -> list[dict]:
    """Per village: alarms registered, and how many have each problem."""
    totals: dict[str, dict[str, Any]] = {}
    for code in s.scalars(
        select(CoDevice.region_code).where(
            CoDevice.registered.is_(True), CoDevice.region_code.startswith(region_prefix)
        )
    ):
        t = totals.setdefault(code, {"village_code": code, "registered": 0, "ok": 0})
        t["registered"] += 1
    for r in rows:
        t = totals[r.village_code]
        for p in r.problems:
            t[p] = t.get(p, 0) + 1
        t["with_problems"] = t.get("with_problems", 0) + 1
    for t in totals.values():
        t["ok"] = t["registered"] - t.get("with_problems", 0)
    return sorted(totals.values(), key=lambda t: t["village_code"])


def season_csv(rows: list[dict[str, Any]]) -> str:
    """The CSV export of already serialized rows (``privacy.for_caller``: masked the same way)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(SEASON_COLUMNS)
    for r in rows:
        w.writerow([";".join(r[c]) if c == "problems" else r[c] for c in SEASON_COLUMNS])
    return buf.getvalue()


def _last_test(s: Session, device_id: str) -> datetime | None:
    return s.scalars(
        select(CoMessageRow.received_at)
        .where(
            CoMessageRow.device_id == device_id,
            CoMessageRow.kind == "event",  # PostgreSQL: only the events partition is read
            CoMessageRow.event_type == "test",
        )
        .order_by(CoMessageRow.received_at.desc())
        .limit(1)
    ).first()
