"""Response models of the register's routes and the view the pages share.

Personal fields are the stored masked forms: the plain name, ID number and phone
leave only through the audited reveal.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.co.tables import CoDevice
from coalguard.cloud.households.coverage import (
    alarms_by_household,
    commissioned_devices,
    commissioned_households,
    coverage,
)
from coalguard.cloud.households.purchases import purchases_of
from coalguard.cloud.households.register import alarms_of, verifications
from coalguard.cloud.households.tables import Household
from coalguard.cloud.households.vocabulary import vocabulary
from coalguard.cloud.sheets import RowErrorOut


class HouseholdOut(BaseModel):
    """A household as lists show it (name, ID number and phone masked)."""

    id: int
    village_code: str
    head_name: str
    id_number: str | None
    phone: str | None
    address: str
    category: str | None
    heating_route: str | None
    stove_type: str | None
    # For a new coal household: whether it has the matched briquette stove (else None).
    stove_matched: bool | None
    hardship: bool
    trained_on: date | None
    trained_by: str | None
    zone_told_on: date | None
    retrofit_acceptance: str | None
    pledge_signed_on: date | None
    source: str
    alarms: list[str]
    alarm_commissioned: bool


class AlarmOut(BaseModel):
    device_id: str
    last_seen: datetime | None
    commissioned: bool


class PurchaseOut(BaseModel):
    sale_id: int
    serial_no: str
    point_id: int
    coal_type: str
    quantity_t: float
    sold_on: date


class VerificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    confirmed_by: str
    confirmed_on: date
    note: str | None
    recorded_by: str
    recorded_at: datetime


class HouseholdDetailOut(HouseholdOut):
    alarm_details: list[AlarmOut]
    purchases: list[PurchaseOut]
    verifications: list[VerificationOut]


class VerificationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    confirmed_by: str = Field(min_length=1, max_length=100)
    confirmed_on: date
    note: str | None = Field(default=None, max_length=400)


class RevealOut(BaseModel):
    """The plain head's name, ID number and phone, for the person who asked (audited)."""

    household_id: int
    head_name: str
    id_number: str | None
    phone: str | None


class CoverageOut(BaseModel):
    village_code: str
    households: int
    coal_households: int
    coal_with_alarm: int
    alarm_pct: float | None
    clean_coal: int
    clean_coal_pct: float | None
    trained: int
    trained_pct: float | None
    verified: int
    verified_pct: float | None


class ImportOut(BaseModel):
    rows: int
    added: int
    updated: int
    unchanged: int
    verifications_added: int
    committed: bool
    errors: list[RowErrorOut]


def household_out(h: Household, alarms: list[CoDevice], commissioned: set[int]) -> HouseholdOut:
    v = vocabulary()
    coal = h.category in v.coal_categories
    return HouseholdOut(
        id=h.id,
        village_code=h.village_code,
        head_name=h.head_name_masked,
        id_number=h.head_id_masked,
        phone=h.phone_masked,
        address=h.address,
        category=h.category,
        heating_route=h.heating_route,
        stove_type=h.stove_type,
        stove_matched=(h.stove_type == v.matched_stove) if coal else None,
        hardship=h.hardship,
        trained_on=h.trained_on,
        trained_by=h.trained_by,
        zone_told_on=h.zone_told_on,
        retrofit_acceptance=h.retrofit_acceptance,
        pledge_signed_on=h.pledge_signed_on,
        source=h.source,
        alarms=[d.device_id for d in alarms],
        alarm_commissioned=h.id in commissioned,
    )


def household_detail(
    s: Session, h: Household, commissioned_devices: set[str], commissioned: set[int]
) -> HouseholdDetailOut:
    alarms = alarms_of(s, h.id)
    base = household_out(h, alarms, commissioned)
    return HouseholdDetailOut(
        **base.model_dump(),
        alarm_details=[
            AlarmOut(
                device_id=d.device_id,
                last_seen=d.last_seen,
                commissioned=d.device_id in commissioned_devices,
            )
            for d in alarms
        ],
        purchases=[
            PurchaseOut(
                sale_id=p.id,
                serial_no=p.serial_no,
                point_id=p.point_id,
                coal_type=p.coal_type,
                quantity_t=p.quantity_t,
                sold_on=p.sold_on,
            )
            for p in purchases_of(s, h)
        ],
        verifications=[VerificationOut.model_validate(x) for x in verifications(s, h.id)],
    )


def household_rows(
    s: Session, region_prefix: str, category: str | None = None, limit: int = 2000
) -> list[HouseholdOut]:
    """The households of a region (a village code: that village), by village and id."""
    q = select(Household).where(Household.village_code.startswith(region_prefix))
    if category:
        q = q.where(Household.category == (None if category == "none" else category))
    found = list(s.scalars(q.order_by(Household.village_code, Household.id).limit(limit)))
    alarms = alarms_by_household(s, [h.id for h in found])
    done = commissioned_households(s, region_prefix)
    return [household_out(h, alarms.get(h.id, []), done) for h in found]


def detail_of(s: Session, h: Household) -> HouseholdDetailOut:
    devices = [d.device_id for d in alarms_of(s, h.id)]
    return household_detail(
        s, h, commissioned_devices(s, devices), commissioned_households(s, h.village_code)
    )


def coverage_rows(s: Session, region_prefix: str) -> list[CoverageOut]:
    return [
        CoverageOut(
            village_code=c.village_code,
            households=c.households,
            coal_households=c.coal_households,
            coal_with_alarm=c.coal_with_alarm,
            alarm_pct=c.alarm_pct,
            clean_coal=c.clean_coal,
            clean_coal_pct=c.clean_coal_pct,
            trained=c.trained,
            trained_pct=c.trained_pct,
            verified=c.verified,
            verified_pct=c.verified_pct,
        )
        for c in coverage(s, region_prefix)
    ]
