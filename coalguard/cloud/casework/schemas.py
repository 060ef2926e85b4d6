"""Request and response bodies of the casework routes (``api/routes/casework.py``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Rows(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TipIn(BaseModel):
    region_code: str | None = Field(None, pattern=r"^[0-9]{4,12}$")  # default: the caller's
    channel: str = Field(min_length=1, max_length=24)
    content: str = Field(min_length=1, max_length=4000)
    contact: str = Field("", max_length=40)
    source: str = Field("", max_length=300)
    destination: str = Field("", max_length=300)


class TipNoticeIn(BaseModel):
    region_code: str = Field(pattern=r"^[0-9]{4,12}$")
    note: str = Field("", max_length=2000)


class TipNoticeOut(_Rows):
    id: int
    region_code: str
    note: str
    notified_by: str
    notified_at: datetime


class TipOut(_Rows):
    """A tip as every reader sees it: the contact only masked."""

    id: int
    region_code: str
    channel: str
    content: str
    contact_masked: str
    source: str
    destination: str
    reward_status: str
    reward_note: str
    case_id: int | None
    received_by: str
    received_at: datetime
    notices: list[TipNoticeOut] = []


class TipCaseIn(BaseModel):
    subject_kind: str = Field(pattern="^(point|household|village|truck)$")
    subject_ref: str = Field(min_length=1, max_length=100)
    violation: str = Field(min_length=1, max_length=32)
    deadline: date | None = None  # rectification due (default: the ladder's days)


class RewardIn(BaseModel):
    status: str = Field(min_length=1, max_length=16)
    note: str = Field("", max_length=2000)


class LedgerItemIn(BaseModel):
    region_code: str = Field(pattern=r"^[0-9]{4,12}$")
    title: str = Field(min_length=1, max_length=300)
    detail: str = Field("", max_length=4000)
    deadline: date
    major: bool = False
    joint: bool = False
    case_id: int | None = Field(None, ge=0)
    tip_id: int | None = Field(None, ge=0)


class LedgerItemOut(_Rows):
    id: int
    region_code: str
    level: str
    title: str
    detail: str
    case_id: int | None
    tip_id: int | None
    major: bool
    joint: bool
    deadline: date
    status: str
    overdue_alerted: bool
    history: list[dict[str, Any]]
    opened_by: str
    opened_at: datetime
    closed_by: str | None
    closed_at: datetime | None


class CloseIn(BaseModel):
    note: str = Field("", max_length=2000)


class ZoneFindingIn(BaseModel):
    """A household of the register (``household_id``), or a village and a reference."""

    household_id: int | None = Field(None, ge=0)
    village: str | None = Field(None, pattern=r"^[0-9]{12}$")
    household_ref: str = Field("", max_length=100)
    note: str = Field("", max_length=2000)


class ZoneFindingOut(_Rows):
    id: int
    zone_area_id: int
    region_code: str
    household_id: int | None
    household_ref: str
    note: str
    status: str
    found_by: str
    found_at: datetime
    cleared_by: str | None
    cleared_at: datetime | None
    clearance: str


class ClearIn(BaseModel):
    clearance: str = Field(min_length=1, max_length=2000)


class ZoneClearanceOut(BaseModel):
    area_id: int
    name: str
    kind: str
    region_code: str
    open_count: int
    cleared_count: int
    open_items: list[ZoneFindingOut]
