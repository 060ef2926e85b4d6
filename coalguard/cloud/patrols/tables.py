"""Tables of the grid patrols (R23, R27): grids and their members, patrol records with
their photos, overdue-patrol alerts, and the pre-season sweep campaign.

A patrol's households are rows of the household register (``cloud/households``).
People live in the contact directory (``cloud/contacts``): a grid member is a contact
with a grid role, never a second copy of a name and phone. A photo is kept once per
content (its SHA-256 is its key), however many patrols attach it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from coalguard.cloud.co.tables import AlertLifecycle
from coalguard.cloud.db import Base, UTCDateTime


class Grid(Base):
    """One grid: a village, township or county (its level is the code's length)."""

    __tablename__ = "ptl_grid"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # Hebei: a village without straw-burning video or infrared cover patrols every 3 days.
    video_cover: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GridMember(Base):
    """A contact holding a grid role (leader 网格长, worker 网格员, committee 村委委员,
    inspector 协查员) in one grid."""

    __tablename__ = "ptl_member"
    __table_args__ = (UniqueConstraint("grid_id", "contact_id", "grid_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("ptl_grid.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    grid_role: Mapped[str] = mapped_column(String(16))
    # The cloud user who signs in on a phone as this member (role ``grid``), if any.
    user_name: Mapped[str | None] = mapped_column(String(64), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PatrolRecord(Base):
    """One patrol: who, in which grid and role, when, which households, what was found."""

    __tablename__ = "ptl_record"
    __table_args__ = (Index("ix_ptl_record_grid_time", "grid_id", "patrolled_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("ptl_grid.id"))
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    grid_role: Mapped[str] = mapped_column(String(16))
    patrolled_by: Mapped[str] = mapped_column(String(64))
    patrolled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    households_seen: Mapped[int] = mapped_column(Integer, default=0)
    findings: Mapped[str] = mapped_column(Text, default="")
    loose_coal_found: Mapped[bool] = mapped_column(Boolean, default=False)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("ptl_campaign.id"), index=True)
    client_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PatrolPhoto(Base):
    """A photo's bytes, addressed by their SHA-256 (kept once, bounded in size)."""

    __tablename__ = "ptl_photo"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    region_code: Mapped[str] = mapped_column(String(12))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RecordHousehold(Base):
    """A household of the register (``cloud/households``) a patrol visited."""

    __tablename__ = "ptl_record_household"

    record_id: Mapped[int] = mapped_column(ForeignKey("ptl_record.id"), primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("hh_household.id"), primary_key=True, index=True
    )


class RecordPhoto(Base):
    """A photo attached to a patrol record."""

    __tablename__ = "ptl_record_photo"

    record_id: Mapped[int] = mapped_column(ForeignKey("ptl_record.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("ptl_photo.sha256"), primary_key=True)


class PatrolAlert(AlertLifecycle, Base):
    """An overdue patrol, to the grid's leader, with the one alert lifecycle; id ``pt-N``."""

    __tablename__ = "ptl_alert"
    __table_args__ = (Index("ix_ptl_alert_region_status", "region_code", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("ptl_grid.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12), default="")
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200), default="")
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    leader_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))


class Campaign(Base):
    """The pre-season sweep (大起底、大排查、大清理) of a region, between two days."""

    __tablename__ = "ptl_campaign"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CampaignVillage(Base):
    """One village of a campaign: pending until patrolled, done when its sweep is signed off."""

    __tablename__ = "ptl_campaign_village"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("ptl_campaign.id"), primary_key=True)
    village_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|started|done
    done_by: Mapped[str | None] = mapped_column(String(64))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
