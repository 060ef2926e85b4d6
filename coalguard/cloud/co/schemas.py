"""What the CO alarm routes answer: one response model per shape (OpenAPI and checks)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class CommissioningOut(BaseModel):
    id: int
    device_id: str
    installer_id: str
    status: str
    started_at: str | None
    deadline: str | None
    remaining_s: float
    test_event_at: str | None
    state_at: str | None
    finished_at: str | None
    missing: list[str] | None


class VillageSummary(BaseModel):
    """Alarms registered in a village and how many have each problem."""

    model_config = {"extra": "allow"}
    village_code: str
    registered: int
    ok: int


class SeasonCheckOut(BaseModel):
    region: str
    since: str
    season_start: str
    villages: list[VillageSummary]
    alarms: list[dict[str, Any]]
    # The register's new coal households without a commissioned alarm (``cloud/households``).
    households: list[dict[str, Any]]
    # Every problem key as the reader reads it.
    problem_words: dict[str, str]


class DeadLetterOut(BaseModel):
    id: int
    received_at: str
    topic: str | None
    device_id: str | None
    payload_hex: str
    reason: str


class DeadLettersOut(BaseModel):
    total: int
    items: list[DeadLetterOut]


class ChannelHealthOut(BaseModel):
    channel: str
    pending: int
    sent: int
    failed: int
    delivered: int  # delivery receipts
    undelivered: int
    last_success_at: str | None
    last_failure_at: str | None
    failing: bool  # the last failure came after the last success
    last_error: str | None


class NotificationOut(BaseModel):
    id: int
    channel: str
    level: str | int | None
    reason: str | None
    status: str
    attempts: int
    created_at: str
    sent_at: str | None
    last_error: str | None
    delivery_state: str | None  # sent | delivered | undelivered | failed
    delivered_at: str | None
    delivery_detail: str | None
    # A person of an escalation step (None: the operators' broadcast feed).
    who: str | None = None
    contact_id: str | None = None
    recipient_name: str | None = None
    step: int | None = None
    attempt: int = 0
    failover_of: int | None = None


class OutageAlarmOut(BaseModel):
    """One alarm an area outage counted (``co/outage.py``)."""

    device_id: str
    region_code: str
    joined_at: str
    released_at: str | None  # the incident ended and its grace period passed
    heard_again: bool


class OutageAlarmsOut(BaseModel):
    alert_id: str
    area: str  # "" when our own side was blind
    count: int
    alarms: list[OutageAlarmOut]  # those in the caller's region
