"""Tables of the household register: the household and its re-verifications (反复核实).

The head of household's name, ID number and phone are sealed
(``cloud/sealing.py``), each with a masked form for lists; the ID number and
phone also with a keyed hash to find the household (the ID hash is the one the
market's five-part forms keep for their buyer, so purchases join on it).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coalguard.cloud.db import Base, UTCDateTime


class Household(Base):
    """One household of a village, as the register keeps it."""

    __tablename__ = "hh_household"
    __sealed__ = ("head_name_sealed", "head_id_sealed", "phone_sealed")
    __table_args__ = (Index("ix_hh_household_village_phone", "village_code", "phone_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    head_name_sealed: Mapped[str] = mapped_column(Text)
    head_name_masked: Mapped[str] = mapped_column(String(200))
    head_id_sealed: Mapped[str | None] = mapped_column(Text)
    head_id_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    head_id_masked: Mapped[str | None] = mapped_column(String(32))
    phone_sealed: Mapped[str | None] = mapped_column(Text)
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(400))
    # Vocabulary keys (``vocabulary.toml``); None: not yet classified (made by an alarm).
    category: Mapped[str | None] = mapped_column(String(32))
    heating_route: Mapped[str | None] = mapped_column(String(32))
    stove_type: Mapped[str | None] = mapped_column(String(32))
    hardship: Mapped[bool] = mapped_column(Boolean, default=False)
    trained_on: Mapped[date | None] = mapped_column(Date)
    trained_by: Mapped[str | None] = mapped_column(String(100))
    zone_told_on: Mapped[date | None] = mapped_column(Date)
    retrofit_acceptance: Mapped[str | None] = mapped_column(String(32))
    pledge_signed_on: Mapped[date | None] = mapped_column(Date)  # 不燃煤承诺
    # The retrofit's history, for the subsidy rules (``cloud/subsidies``): the year it was
    # built, refused for personal reasons (no subsidy again), a construction subsidy paid
    # in an earlier season (no second one).
    retrofit_year: Mapped[int | None] = mapped_column(Integer)
    retrofit_refused: Mapped[bool] = mapped_column(Boolean, default=False)
    construction_paid_season: Mapped[str | None] = mapped_column(String(7))
    source: Mapped[str] = mapped_column(String(16))  # import | alarm | form
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Verification(Base):
    """One re-verification (反复核实): who confirmed the household on file, and when."""

    __tablename__ = "hh_verification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("hh_household.id"), index=True)
    confirmed_by: Mapped[str] = mapped_column(String(100))
    confirmed_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(400))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
