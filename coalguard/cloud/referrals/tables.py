"""Referral cases and the messages that announce them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coalguard.cloud.co.tables import Outgoing
from coalguard.cloud.db import Base, UTCDateTime


class ReferralCase(Base):
    """One failing lab report referred to the office, from opening to acknowledgement.

    ``lab_sample_id`` is unique: however many replicas project the report, and
    however often, there is one case per lab sample.
    """

    __tablename__ = "referral_case"
    __table_args__ = (Index("ix_referral_case_region_status", "region_code", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lab_sample_id: Mapped[str] = mapped_column(String(64), unique=True)
    inspection_id: Mapped[str | None] = mapped_column(String(64), index=True)
    checkpoint_id: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(12), default="")
    plate: Mapped[str | None] = mapped_column(String(16))
    office: Mapped[str | None] = mapped_column(String(400))  # name and contact, when registered
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | acknowledged
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    next_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ack_note: Mapped[str | None] = mapped_column(Text)
    packet: Mapped[dict[str, Any]] = mapped_column(JSON)


class ReferralMessage(Outgoing, Base):
    """One sending of a case's packet to one channel (opened, or a reminder)."""

    __tablename__ = "referral_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("referral_case.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))  # opened | reminder
