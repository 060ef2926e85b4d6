"""Tables of the casework (``cw_*``): tips, the regions a tip was passed to, the issue
ledger and the zones' loose-coal findings. Every row carries a region code so every
query is scoped by prefix like the rest of the cloud."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coalguard.cloud.db import Base, UTCDateTime


class Tip(Base):
    """A rewarded tip (有奖举报): how it came in, what it says, the tipster's contact
    (sealed; only its mask is shown), the reward's status and the case it led to."""

    __tablename__ = "cw_tip"
    __table_args__ = (Index("ix_cw_tip_region_received", "region_code", "received_at"),)
    __sealed__ = ("contact_sealed",)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(String(12))  # where the tip is handled
    channel: Mapped[str] = mapped_column(String(24))  # rules.toml channels
    content: Mapped[str] = mapped_column(Text)
    contact_sealed: Mapped[str | None] = mapped_column(Text)
    contact_masked: Mapped[str] = mapped_column(String(40), default="")
    # Traced (R24): where the coal came from, where it was sold.
    source: Mapped[str] = mapped_column(String(300), default="")
    destination: Mapped[str] = mapped_column(String(300), default="")
    reward_status: Mapped[str] = mapped_column(String(16), default="pending")
    reward_note: Mapped[str] = mapped_column(Text, default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("mkt_case.id"), index=True)
    received_by: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TipNotice(Base):
    """Another region told of a tip (及时通报相关区域): one row per region."""

    __tablename__ = "cw_tip_notice"
    __table_args__ = (Index("ux_cw_tip_notice", "tip_id", "region_code", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("cw_tip.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    notified_by: Mapped[str] = mapped_column(String(64))
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerItem(Base):
    """One problem of the issue ledger (问题台账): owned by a region at a level, due by a
    local day, open until closed; an overdue item raises one alert."""

    __tablename__ = "cw_ledger_item"
    __table_args__ = (Index("ix_cw_ledger_region_status", "region_code", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(String(12))  # the owner region
    level: Mapped[str] = mapped_column(String(16))  # village | township | county | city
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text, default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("mkt_case.id"), index=True)
    tip_id: Mapped[int | None] = mapped_column(ForeignKey("cw_tip.id"), index=True)
    major: Mapped[bool] = mapped_column(Boolean, default=False)  # 重大案件
    joint: Mapped[bool] = mapped_column(Boolean, default=False)  # needs joint handling
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    overdue_alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ZoneFinding(Base):
    """Loose coal found at a household in a zone (动态清零): open until cleared."""

    __tablename__ = "cw_zone_finding"
    __table_args__ = (Index("ix_cw_zone_finding_area_status", "zone_area_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    zone_area_id: Mapped[int] = mapped_column(ForeignKey("zone_area.id"))
    region_code: Mapped[str] = mapped_column(String(12))  # the village
    # The household of the register (``cloud/households``) where it is on file; else
    # ``household_ref`` alone names it (a door number).
    household_id: Mapped[int | None] = mapped_column(ForeignKey("hh_household.id"), index=True)
    household_ref: Mapped[str] = mapped_column(String(100))  # register id or door number
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | cleared
    found_by: Mapped[str] = mapped_column(String(64))
    found_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cleared_by: Mapped[str | None] = mapped_column(String(64))
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    clearance: Mapped[str] = mapped_column(Text, default="")
