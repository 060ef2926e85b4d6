"""Tables of coal-market oversight (R6, R12, R25): business points, sampling plans,
tasks and results, and the market's alerts.

A point's kind, status, facilities and zone flags are words of the vocabulary
(``vocabulary.toml``), stored as their keys; people read them from the
``[market]`` catalog table. Every row carries the region code it belongs to so
that every query is scoped by prefix like the rest of the cloud.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coalguard.cloud.co.tables import AlertLifecycle
from coalguard.cloud.db import Base, UTCDateTime


class BusinessPoint(Base):
    """A coal sales point (一级市场, 二级配送网点, 散煤销售网点) or a briquette producer."""

    __tablename__ = "mkt_point"
    __table_args__ = (Index("ix_mkt_point_region_kind", "region_code", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The point's own code (unique; what import files and forms name it by).
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))  # vocabulary.kinds
    licence: Mapped[str | None] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(12))  # county, township or village
    address: Mapped[str] = mapped_column(String(300), default="")
    # The person who runs it (经营者): personal data, masked on screen and in public lists.
    operator_name: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="trading")  # vocabulary.statuses
    pending_change: Mapped[str | None] = mapped_column(String(16))  # dormant: 注销 / 变更
    pledge_posted: Mapped[bool] = mapped_column(Boolean, default=False)  # 承诺公示
    pledge_posted_on: Mapped[date | None] = mapped_column(Date)
    facilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    zones: Mapped[list[str]] = mapped_column(JSON, default=list)
    coal_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Rectification (整改): while open the point may not trade; accepted closes it.
    rectification_reason: Mapped[str | None] = mapped_column(Text)
    rectification_due: Mapped[date | None] = mapped_column(Date)
    rectification_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rectification_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SamplingPlan(Base):
    """A county's sampling plan (抽检计划) for one campaign year."""

    __tablename__ = "mkt_plan"
    __table_args__ = (Index("ux_mkt_plan_region_year", "region_code", "year", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(String(12))  # the county (6 digits)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SamplingTask(Base):
    """One visit to take a sample at a point: planned, then sampled, then judged."""

    __tablename__ = "mkt_task"
    __table_args__ = (Index("ix_mkt_task_region_planned", "region_code", "planned_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("mkt_plan.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("mkt_point.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12))  # the point's, for scoping
    kind: Mapped[str] = mapped_column(String(16), default="routine")  # routine | recheck
    # The failing task this one re-checks (one re-check per failing task).
    recheck_of: Mapped[int | None] = mapped_column(ForeignKey("mkt_task.id"), unique=True)
    coal_type: Mapped[str] = mapped_column(String(32))
    planned_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)  # sampled by this local day, else overdue
    sampler: Mapped[str | None] = mapped_column(String(100))
    sample_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    seal: Mapped[str | None] = mapped_column(String(64))
    sampled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="planned")  # planned|sampled|judged
    outcome: Mapped[str | None] = mapped_column(String(16))  # pass | fail | retest
    overdue_alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SamplingResult(Base):
    """A rapid or lab result of a task's sample, judged by the cloud (``judge``)."""

    __tablename__ = "mkt_result"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("mkt_task.id"), index=True)
    method: Mapped[str] = mapped_column(String(8))  # rapid | lab
    lab: Mapped[str] = mapped_column(String(200), default="")
    indicators: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    profile_id: Mapped[str] = mapped_column(String(100))
    overall: Mapped[str] = mapped_column(String(16))  # pass | fail | retest
    verdict: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    entered_by: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MarketAlert(AlertLifecycle, Base):
    """A market condition (an overdue task, a rectification past its deadline) with the
    one alert lifecycle (``cloud/alert_lifecycle.py``); public id ``mk-N``."""

    __tablename__ = "mkt_alert"
    __table_args__ = (Index("ix_mkt_alert_region_status", "region_code", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    point_id: Mapped[int | None] = mapped_column(ForeignKey("mkt_point.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12), default="")
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200), default="")
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    message: Mapped[str] = mapped_column(Text, default="")
