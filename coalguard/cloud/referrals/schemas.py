"""Response and request models of the referral routes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ReferralOut(BaseModel):
    """A case as listed: where it stands with the office."""

    id: int
    lab_sample_id: str
    inspection_id: str | None
    checkpoint_id: str
    region_code: str
    plate: str | None
    office: str | None
    status: str
    opened_at: str
    reminders: int
    next_reminder_at: str | None
    acknowledged_by: str | None
    acknowledged_at: str | None
    ack_note: str | None


class ReferralMessageOut(BaseModel):
    id: int
    channel: str
    reason: str
    status: str
    attempts: int
    created_at: str
    sent_at: str | None
    last_error: str | None


class ReferralDetail(ReferralOut):
    """A case with the packet the office received and every sending of it."""

    packet: dict[str, Any]
    messages: list[ReferralMessageOut]


class AckIn(BaseModel):
    note: str | None = Field(None, max_length=1000, examples=["已收到, 已安排执法人员核查"])
