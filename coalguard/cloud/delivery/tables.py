"""Tables of clean-coal delivery (R20, R26): the network, the village purchase
registers, the deliveries from five-part slips, the monthly sales summaries and
their reviews, and the coal reserve.

Households are the register's (``household_id``); their personal data stays
there, sealed: a slip row names the household, never its head's ID or phone.
Tonnes and yuan are exact decimals.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from coalguard.cloud.db import Base, UTCDateTime

Tonnes = Numeric(12, 3)
Yuan = Numeric(14, 2)


class Supplier(Base):
    """A tendered delivery company (保供企业) with its contract and quality guarantee."""

    __tablename__ = "dlv_supplier"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(12), index=True)  # who tendered (a county)
    tender_no: Mapped[str] = mapped_column(String(64), default="")
    tendered_on: Mapped[date | None] = mapped_column(Date)
    contract_no: Mapped[str] = mapped_column(String(64), default="")
    contract_signed_on: Mapped[date | None] = mapped_column(Date)
    quality_guarantee: Mapped[str] = mapped_column(String(200), default="")  # 质量保证书
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SupplierUser(Base):
    """Which delivery company a ``supplier`` user records for (only its own slips)."""

    __tablename__ = "dlv_supplier_user"

    user_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("dlv_supplier.id"), index=True)
    assigned_by: Mapped[str] = mapped_column(String(64), default="")
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Site(Base):
    """A place of the network: county centre (中心), township station (站), village point (点)."""

    __tablename__ = "dlv_site"
    __table_args__ = (UniqueConstraint("level", "region_code", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    level: Mapped[str] = mapped_column(String(16))  # centre | station | point
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    name: Mapped[str] = mapped_column(String(200))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("dlv_supplier.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PurchaseRegister(Base):
    """A village's 登记交款清单 for one season: posted, sent to the town, then to the supplier."""

    __tablename__ = "dlv_register"
    __table_args__ = (UniqueConstraint("village_code", "season"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    season: Mapped[str] = mapped_column(String(7))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("dlv_supplier.id"))
    status: Mapped[str] = mapped_column(String(24), default="draft")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RegisterLine(Base):
    """One household on a purchase register: what it ordered and paid."""

    __tablename__ = "dlv_register_line"
    __table_args__ = (UniqueConstraint("register_id", "household_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("dlv_register.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("hh_household.id"), index=True)
    coal_t: Mapped[Decimal] = mapped_column(Tonnes)
    stoves: Mapped[int] = mapped_column(Integer, default=0)
    paid_yuan: Mapped[Decimal] = mapped_column(Yuan)


class RegisterStep(Base):
    """Who moved a purchase register to which status, when."""

    __tablename__ = "dlv_register_step"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("dlv_register.id"), index=True)
    status: Mapped[str] = mapped_column(String(24))
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Delivery(Base):
    """One line of a five-part slip delivered to a household, in a batch.

    ``(slip_serial, item)`` is unique: re-sending a slip is idempotent, a
    different content under the same serial is refused."""

    __tablename__ = "dlv_delivery"
    __table_args__ = (
        UniqueConstraint("slip_serial", "item"),
        Index("ix_dlv_delivery_village_season", "village_code", "season"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slip_serial: Mapped[str] = mapped_column(String(64))
    item: Mapped[str] = mapped_column(String(16))  # coal | stove | gas | electricity | biomass
    household_id: Mapped[int] = mapped_column(ForeignKey("hh_household.id"), index=True)
    village_code: Mapped[str] = mapped_column(String(12))
    season: Mapped[str] = mapped_column(String(7))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("dlv_supplier.id"), index=True)
    batch_no: Mapped[str] = mapped_column(String(32), default="")
    delivered_on: Mapped[date] = mapped_column(Date)
    quantity: Mapped[Decimal] = mapped_column(Tonnes)
    unit_price: Mapped[Decimal] = mapped_column(Yuan)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SalesSummary(Base):
    """A supplier's monthly sales summary (销售汇总表) for one township, built from its slips.

    ``digest`` seals the content: a review checks it before signing, so a summary
    changed after it was sealed cannot pass."""

    __tablename__ = "dlv_summary"
    __table_args__ = (UniqueConstraint("supplier_id", "township_code", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("dlv_supplier.id"))
    township_code: Mapped[str] = mapped_column(String(12), index=True)
    month: Mapped[str] = mapped_column(String(7))  # 2022-11
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    sealed_by: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(24), default="sealed")


class SummaryReview(Base):
    """One office's review of a summary: town, then 发改局, then 财政局."""

    __tablename__ = "dlv_summary_review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    summary_id: Mapped[int] = mapped_column(ForeignKey("dlv_summary.id"), index=True)
    step: Mapped[str] = mapped_column(String(16))  # town | fdrc | finance
    decision: Mapped[str] = mapped_column(String(16))  # approved | returned
    reviewer: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReserveCount(Base):
    """Coal in stock for a city's reserve on a day (Linxia: ≥ 5 days of the city's use)."""

    __tablename__ = "dlv_reserve"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    counted_on: Mapped[date] = mapped_column(Date)
    stock_t: Mapped[Decimal] = mapped_column(Tonnes)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
