"""Recording a patrol (from a phone): who, when, which households, findings, photos.

Households are rows of the register (``cloud/households``) in the grid's region.

Photos are uploaded first (``photos.py``) and named here by their SHA-256; a patrol
naming a photo the cloud does not hold is refused. A ``client_id`` makes a resent
form one record. The patrol clears the grid's overdue alerts it satisfies and, when
it belongs to a campaign, starts that village's sweep.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.households.tables import Household
from coalguard.cloud.patrols.campaign import mark_started
from coalguard.cloud.patrols.frequency import GridRole
from coalguard.cloud.patrols.grids import GridError
from coalguard.cloud.patrols.overdue import clear_by_patrol
from coalguard.cloud.patrols.tables import (
    Grid,
    PatrolPhoto,
    PatrolRecord,
    RecordHousehold,
    RecordPhoto,
)

MAX_PHOTOS = 8


class PatrolIn(BaseModel):
    """A patrol as the phone's form sends it."""

    model_config = ConfigDict(extra="forbid")

    region_code: str = Field(pattern=r"^[0-9]{6,12}$")
    grid_role: GridRole = "worker"
    patrolled_at: datetime | None = None  # default: when the cloud receives it
    household_ids: list[int] = Field(default_factory=list, max_length=500)
    households_seen: int = Field(0, ge=0, le=10000)
    findings: str = Field("", max_length=2000)
    loose_coal_found: bool = False
    photos: list[str] = Field(default_factory=list, max_length=MAX_PHOTOS)
    campaign_id: int | None = None
    client_id: str | None = Field(None, min_length=8, max_length=64)


def record_patrol(s: Session, grid: Grid, p: PatrolIn, who: str, now: datetime) -> PatrolRecord:
    """Store the patrol (once per ``client_id``) with its photos; clear what it satisfies."""
    if p.client_id:
        old = s.scalars(select(PatrolRecord).where(PatrolRecord.client_id == p.client_id)).first()
        if old is not None:
            return old
    hashes = list(dict.fromkeys(h.lower() for h in p.photos))
    known = set(s.scalars(select(PatrolPhoto.sha256).where(PatrolPhoto.sha256.in_(hashes))))
    missing = [h for h in hashes if h not in known]
    if missing:
        raise GridError("patrols.unknown_photo", photo=missing[0][:16])
    at = min(p.patrolled_at or now, now)  # a phone's clock ahead of ours is not the future
    households = _households(s, grid, p.household_ids)
    record = PatrolRecord(
        grid_id=grid.id,
        region_code=grid.region_code,
        grid_role=p.grid_role,
        patrolled_by=who,
        patrolled_at=at,
        households_seen=max(p.households_seen, len(households)),
        findings=p.findings,
        loose_coal_found=p.loose_coal_found,
        campaign_id=p.campaign_id,
        client_id=p.client_id,
        recorded_at=now,
    )
    s.add(record)
    s.flush()
    s.add_all(RecordPhoto(record_id=record.id, sha256=h) for h in hashes)
    s.add_all(RecordHousehold(record_id=record.id, household_id=h) for h in households)
    clear_by_patrol(s, grid.id, p.grid_role, now)
    if p.campaign_id is not None:
        mark_started(s, p.campaign_id, grid.region_code)
    s.flush()
    return record


def _households(s: Session, grid: Grid, ids: list[int]) -> list[int]:
    """The register's households named by ``ids`` (each once), all of the grid's region."""
    wanted = list(dict.fromkeys(ids))
    q = select(Household.id).where(
        Household.id.in_(wanted), Household.village_code.startswith(grid.region_code)
    )
    found = set(s.scalars(q))
    missing = [h for h in wanted if h not in found]
    if missing:
        raise GridError("patrols.unknown_household", household=missing[0], region=grid.region_code)
    return wanted


def households_of(s: Session, record_id: int) -> list[int]:
    q = select(RecordHousehold.household_id).where(RecordHousehold.record_id == record_id)
    return list(s.scalars(q.order_by(RecordHousehold.household_id)))


def photos_of(s: Session, record_id: int) -> list[str]:
    q = select(RecordPhoto.sha256).where(RecordPhoto.record_id == record_id)
    return list(s.scalars(q.order_by(RecordPhoto.sha256)))


def recent_patrols(s: Session, region_prefix: str, limit: int = 100) -> list[PatrolRecord]:
    q = select(PatrolRecord).where(PatrolRecord.region_code.startswith(region_prefix))
    return list(s.scalars(q.order_by(PatrolRecord.patrolled_at.desc()).limit(limit)))
