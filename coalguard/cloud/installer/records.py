"""A commissioning record as people read it: the test, its times and the household,
masked whoever asks (the record is printed and left in the farmhouse)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.auth import Operator
from coalguard.cloud.co.tables import CoCommissioning, CoDevice
from coalguard.cloud.privacy import mask_name

# The two things a test waits for, in the order the installer sees them.
WAITS_FOR = ("test_event", "state")


@dataclass(frozen=True)
class CommissioningRecord:
    id: int
    device_id: str
    installer_id: str
    status: str  # waiting | passed | failed | superseded
    started_at: datetime
    deadline: datetime
    test_event_at: datetime | None
    state_at: datetime | None
    finished_at: datetime | None
    missing: tuple[str, ...]
    village_code: str | None
    household: str | None  # masked
    address: str | None
    phone: str | None  # masked

    @property
    def seconds(self) -> float | None:
        """How long the test took, start to pass or failure."""
        if self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds(), 1)


def _record(c: CoCommissioning, dev: CoDevice) -> CommissioningRecord:
    return CommissioningRecord(
        id=c.id,
        device_id=c.device_id,
        installer_id=c.installer_id,
        status=c.status,
        started_at=c.started_at,
        deadline=c.deadline,
        test_event_at=c.test_event_at,
        state_at=c.state_at,
        finished_at=c.finished_at,
        missing=tuple(c.missing or ()),
        village_code=dev.region_code,
        household=mask_name(dev.household_name) if dev.household_name else None,
        address=dev.address,
        phone=dev.phone_masked,
    )


def record_of(s: Session, op: Operator, commissioning_id: int) -> CommissioningRecord | None:
    """The record, when its alarm is in the caller's region (else None: not found)."""
    c = s.get(CoCommissioning, commissioning_id)
    dev = s.get(CoDevice, c.device_id) if c is not None else None
    if c is None or dev is None or dev.region_code is None or not op.covers(dev.region_code):
        return None
    return _record(c, dev)


def recent_records(s: Session, op: Operator, limit: int = 20) -> list[CommissioningRecord]:
    """The caller's own latest tests (an installer's day), newest first."""
    rows = s.execute(
        select(CoCommissioning, CoDevice)
        .join(CoDevice, CoDevice.device_id == CoCommissioning.device_id)
        .where(
            CoCommissioning.installer_id == op.name,
            CoDevice.region_code.startswith(op.region_prefix, autoescape=True),
        )
        .order_by(CoCommissioning.id.desc())
        .limit(limit)
    ).all()
    return [_record(c, d) for c, d in rows]
