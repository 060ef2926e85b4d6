"""Tables projected from gateway records, plus the checkpoint registry and fast pass.

Region codes are copied onto each row (from the checkpoint registry) so a
region query is one indexed prefix match; registering a checkpoint's region
later rewrites them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from coalguard.cloud.co.tables import AlertLifecycle, UTCDateTime
from coalguard.cloud.db import Base


class Checkpoint(Base):
    __tablename__ = "chk_checkpoint"

    checkpoint_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    region_code: Mapped[str] = mapped_column(String(12), default="", index=True)
    jurisdiction: Mapped[str | None] = mapped_column(String(64))
    gateway_id: Mapped[str | None] = mapped_column(String(64))
    registered: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RegionOffice(Base):
    """The air-pollution office (大气办) a region's failing lab reports go to."""

    __tablename__ = "chk_region_office"

    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(200))


class Inspection(Base):
    __tablename__ = "chk_inspection"
    __table_args__ = (Index("ix_chk_inspection_region_opened", "region_code", "opened_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    checkpoint_id: Mapped[str] = mapped_column(String(64), index=True)
    region_code: Mapped[str] = mapped_column(String(12), default="")
    plate: Mapped[str] = mapped_column(String(16), index=True)
    state: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str | None] = mapped_column(String(32))
    driver: Mapped[str | None] = mapped_column(String(40))
    origin: Mapped[str | None] = mapped_column(String(100), index=True)
    destination: Mapped[str | None] = mapped_column(String(100))
    coal_type: Mapped[str | None] = mapped_column(String(32))
    weight_t: Mapped[float | None] = mapped_column(Float)
    waybill_no: Mapped[str | None] = mapped_column(String(64))
    profile_id: Mapped[str | None] = mapped_column(String(100))
    fast_pass: Mapped[bool | None] = mapped_column(Boolean)
    # The report a green lane drew on (what it consumed of the report's quantity).
    fast_pass_report_id: Mapped[str | None] = mapped_column(String(64), index=True)
    sample_id: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    overall: Mapped[str | None] = mapped_column(String(16))
    cloud_overall: Mapped[str | None] = mapped_column(String(16))
    disagreement: Mapped[bool] = mapped_column(Boolean, default=False)
    # The gateway's verdict rests on limits not verified against the published standard.
    provisional: Mapped[bool | None] = mapped_column(Boolean)


class Transition(Base):
    """One workflow step as the gateway recorded it (id = record id)."""

    __tablename__ = "chk_transition"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    inspection_id: Mapped[str] = mapped_column(String(64), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    operator: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class VerdictRow(Base):
    """A rapid or lab verdict: the gateway's and the cloud's own, side by side."""

    __tablename__ = "chk_verdict"
    __table_args__ = (Index("ix_chk_verdict_region_at", "region_code", "at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    inspection_id: Mapped[str | None] = mapped_column(String(64), index=True)
    lab_sample_id: Mapped[str | None] = mapped_column(String(64))
    checkpoint_id: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(12), default="")
    source: Mapped[str] = mapped_column(String(8))  # rapid | lab
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    sample_id: Mapped[str | None] = mapped_column(String(64))
    profile_id: Mapped[str | None] = mapped_column(String(100))
    profile_version: Mapped[str | None] = mapped_column(String(40))
    overall: Mapped[str | None] = mapped_column(String(16))
    indicators: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    measured: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cloud_profile_id: Mapped[str | None] = mapped_column(String(100))
    cloud_overall: Mapped[str | None] = mapped_column(String(16))
    agree: Mapped[bool | None] = mapped_column(Boolean)
    disagreement: Mapped[str | None] = mapped_column(Text)
    # Profile-set versions (label@hash): the gateway's, and the one the cloud re-judged with.
    profile_set: Mapped[str | None] = mapped_column(String(100))
    cloud_profile_set: Mapped[str | None] = mapped_column(String(100))


class LabSample(Base):
    __tablename__ = "chk_lab_sample"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    inspection_id: Mapped[str | None] = mapped_column(String(64), index=True)
    checkpoint_id: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(12), default="", index=True)
    sample_id: Mapped[str] = mapped_column(String(64))
    seal_no: Mapped[str | None] = mapped_column(String(64))
    profile_id: Mapped[str | None] = mapped_column(String(100))
    sampled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dispatch_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lab_name: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    report_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    report_no: Mapped[str | None] = mapped_column(String(64))
    indicators: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    overall: Mapped[str | None] = mapped_column(String(16))
    cloud_overall: Mapped[str | None] = mapped_column(String(16))
    referred_to: Mapped[str | None] = mapped_column(String(400))
    dispatch_alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    report_alerted: Mapped[bool] = mapped_column(Boolean, default=False)


class AnalyzerReading(Base):
    """An analyzer result as measured (the time series exported to InfluxDB)."""

    __tablename__ = "chk_analyzer_result"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    checkpoint_id: Mapped[str] = mapped_column(String(64), index=True)
    analyzer_id: Mapped[str] = mapped_column(String(64))
    sample_id: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    indicators: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)


class CheckpointAlert(AlertLifecycle, Base):
    """A checkpoint condition with the CO alerts' lifecycle (open/acknowledged/resolved)."""

    __tablename__ = "chk_alert"
    __table_args__ = (Index("ix_chk_alert_region_status", "region_code", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    checkpoint_id: Mapped[str] = mapped_column(String(64), index=True)
    region_code: Mapped[str] = mapped_column(String(12), default="")
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200), default="")
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    origin: Mapped[str] = mapped_column(String(16), default="gateway")  # gateway | cloud
    message: Mapped[str] = mapped_column(Text, default="")


class ProjectedRecord(Base):
    """A gateway record already projected: the projector's idempotency key."""

    __tablename__ = "chk_projected"

    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    # applied | archived | refused | dead_letter | error
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)


class FastPassReport(Base):
    """A company's coal quality report, judged by the cloud before it counts."""

    __tablename__ = "fp_report"

    report_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    company: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    coal_type: Mapped[str] = mapped_column(String(32))
    lab: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[date] = mapped_column(Date)
    expires: Mapped[date] = mapped_column(Date)
    # Tonnes the report covers (NULL: uploaded before quantities were kept; covers none).
    quantity_t: Mapped[float | None] = mapped_column(Float)
    indicators: Mapped[dict[str, float]] = mapped_column(JSON)
    profile_id: Mapped[str] = mapped_column(String(100))
    overall: Mapped[str] = mapped_column(String(16))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RegionPlate:
    """A plate a region lists for its checkpoints (one row per plate and region)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plate: Mapped[str] = mapped_column(String(16), index=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class FastPassTruck(RegionPlate, Base):
    __tablename__ = "fp_truck"
    __table_args__ = (UniqueConstraint("plate", "region_code", name="uq_fp_truck_plate_region"),)

    company: Mapped[str] = mapped_column(String(200))
    report_id: Mapped[str] = mapped_column(String(64))
    registered_by: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WatchPlate(RegionPlate, Base):
    """A plate a region's office asks its checkpoints to watch, with the reason."""

    __tablename__ = "chk_watch_plate"
    __table_args__ = (UniqueConstraint("plate", "region_code", name="uq_chk_watch_plate_region"),)

    reason: Mapped[str] = mapped_column(String(200))
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
