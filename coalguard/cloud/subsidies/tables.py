"""Tables of subsidy payouts: lists drawn per township and season, their lines, and
the money each county was allocated (the settlement's first column).

A payout line is an entitlement line frozen when the list was drawn, with the
schemes' version it was computed under; a clawback is a negative line.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coalguard.cloud.db import Base, UTCDateTime

Yuan = Numeric(14, 2)


class PayoutList(Base):
    """A township's payout list for a season: drawn → posted (公示) → paid."""

    __tablename__ = "sub_payout_list"
    __table_args__ = (UniqueConstraint("township_code", "season", "round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    township_code: Mapped[str] = mapped_column(String(12), index=True)
    season: Mapped[str] = mapped_column(String(7))
    round: Mapped[int] = mapped_column(Integer, default=1)  # a later list pays what came due since
    status: Mapped[str] = mapped_column(String(16), default="drawn")
    schemes_version: Mapped[str] = mapped_column(String(40))
    drawn_by: Mapped[str] = mapped_column(String(64))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime())
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PayoutLine(Base):
    """One household's amount for one scheme item on a list (or the rule that refused it)."""

    __tablename__ = "sub_payout_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("sub_payout_list.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("hh_household.id"), index=True)
    village_code: Mapped[str] = mapped_column(String(12))
    scheme_id: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[str] = mapped_column(String(40))
    payer: Mapped[str] = mapped_column(String(16))
    units: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    amount: Mapped[Decimal] = mapped_column(Yuan)
    refusal: Mapped[str | None] = mapped_column(String(40))  # the rule that refused it
    refusal_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    slips: Mapped[list[str]] = mapped_column(JSON, default=list)
    clawback: Mapped[bool] = mapped_column(default=False)


class Allocation(Base):
    """Money a payer allocated to a county for a season (what the settlement compares to)."""

    __tablename__ = "sub_allocation"
    __table_args__ = (UniqueConstraint("county_code", "season", "payer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(String(12))
    season: Mapped[str] = mapped_column(String(7))
    payer: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Yuan)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
