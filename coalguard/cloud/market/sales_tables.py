"""Tables of a point's purchases and sales, findings, cases and the handover ledger.

A sale is one five-part form (五联单, R12/R25) with its weighbridge ticket; the
buyer's ID number and phone are sealed (``cloud/sealing.py``) with a keyed hash
for look-up and a masked form for lists: the plain values exist only in memory
when an allowed person reveals them. Serial numbers are not unique on purpose:
a serial used twice is a finding (倒卖票据), not a refused row.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coalguard.cloud.db import Base, UTCDateTime


class PointClerk(Base):
    """Which point a clerk records for (a clerk reads and reveals only their point's forms)."""

    __tablename__ = "mkt_point_clerk"

    user_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("mkt_point.id"), index=True)
    assigned_by: Mapped[str] = mapped_column(String(64), default="")
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Purchase(Base):
    """Coal coming in (进货): the contract and the supplier's quality report."""

    __tablename__ = "mkt_purchase"
    __table_args__ = (Index("ix_mkt_purchase_point_type", "point_id", "coal_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("mkt_point.id"))
    region_code: Mapped[str] = mapped_column(String(12))
    contract_no: Mapped[str] = mapped_column(String(64))
    supplier: Mapped[str] = mapped_column(String(200))
    quality_report: Mapped[str] = mapped_column(String(200))
    coal_type: Mapped[str] = mapped_column(String(32))
    tonnes: Mapped[float] = mapped_column(Float)
    received_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Sale(Base):
    """One five-part form (五联单) with its weighbridge ticket."""

    __tablename__ = "mkt_sale"
    __sealed__ = ("buyer_id_sealed", "buyer_phone_sealed")
    __table_args__ = (
        Index("ix_mkt_sale_point_type", "point_id", "coal_type"),
        Index("ix_mkt_sale_buyer_sold", "buyer_id_hash", "sold_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("mkt_point.id"))
    region_code: Mapped[str] = mapped_column(String(12))  # the point's
    serial_no: Mapped[str] = mapped_column(String(64), index=True)
    buyer_name: Mapped[str] = mapped_column(String(100))
    buyer_address: Mapped[str] = mapped_column(String(300))
    buyer_village: Mapped[str] = mapped_column(String(12), index=True)
    buyer_id_sealed: Mapped[str] = mapped_column(Text)
    buyer_id_hash: Mapped[str] = mapped_column(String(64))
    buyer_id_masked: Mapped[str] = mapped_column(String(32))
    buyer_phone_sealed: Mapped[str] = mapped_column(Text)
    buyer_phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    buyer_phone_masked: Mapped[str] = mapped_column(String(32))
    coal_type: Mapped[str] = mapped_column(String(32))
    quantity_t: Mapped[float] = mapped_column(Float)
    unit_price: Mapped[float] = mapped_column(Float)  # yuan per tonne
    amount: Mapped[float] = mapped_column(Float)  # yuan
    quality_report: Mapped[str] = mapped_column(String(200))  # the factory quality report
    ticket_id: Mapped[str] = mapped_column(String(64), index=True)
    ticket_net_t: Mapped[float | None] = mapped_column(Float)
    sold_on: Mapped[date] = mapped_column(Date)  # local day
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Finding(Base):
    """Something a point's books show that must be looked into (``sales_rules.FINDING_KINDS``)."""

    __tablename__ = "mkt_finding"
    __table_args__ = (Index("ix_mkt_finding_point_found", "point_id", "found_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("mkt_point.id"))
    region_code: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(32))
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("mkt_sale.id"))
    subject: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("mkt_alert.id"))
    found_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Case(Base):
    """An illegal-sale case (R24) on the penalty ladder 限期整改 → 查封 → 关停: the one
    home of cases, on a sales point or on another subject (a household, a village, a
    truck) named by ``subject_kind`` and ``subject_ref``, e.g. when a tip opened it."""

    __tablename__ = "mkt_case"
    __table_args__ = (Index("ix_mkt_case_region_status", "region_code", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    point_id: Mapped[int | None] = mapped_column(ForeignKey("mkt_point.id"), index=True)
    # What the case concerns: point | household | village | truck (a point: ``point_id``).
    subject_kind: Mapped[str] = mapped_column(String(16), default="point")
    subject_ref: Mapped[str | None] = mapped_column(String(100))  # plate, household ref, …
    region_code: Mapped[str] = mapped_column(String(12))
    violation: Mapped[str] = mapped_column(String(32))  # sales_rules violation code
    origin: Mapped[str] = mapped_column(String(16))  # finding | sample | office | tip
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("mkt_finding.id"))
    sample_ref: Mapped[str | None] = mapped_column(String(64))  # a failing task's sample id
    summary: Mapped[str] = mapped_column(Text, default="")
    step: Mapped[str] = mapped_column(String(16), default="rectify")  # rectify | seal | shut
    step_since: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)
    overdue_alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    outcome: Mapped[str | None] = mapped_column(String(16))  # rectified | shut
    seized_t: Mapped[float] = mapped_column(Float, default=0.0)
    disposal: Mapped[str | None] = mapped_column(Text)
    published_on: Mapped[date | None] = mapped_column(Date)
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CaseEvent(Base):
    """One step in a case's history: who did what, when (append-only)."""

    __tablename__ = "mkt_case_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mkt_case.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Handover(Base):
    """Seized coal handed over to 发改 (the handover ledger, 移交台账)."""

    __tablename__ = "mkt_handover"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mkt_case.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12))
    tonnes: Mapped[float] = mapped_column(Float)
    receiver: Mapped[str] = mapped_column(String(200))  # the 发改 office and person
    handed_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
