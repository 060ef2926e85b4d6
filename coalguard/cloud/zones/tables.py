"""Tables of the zone lists: one row per published version, one per listed area."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from coalguard.cloud.db import Base, UTCDateTime


class ZoneList(Base):
    """A published version of a region's zone list; the newest published one counts."""

    __tablename__ = "zone_list"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    # The region the list is issued for (a county, a city): a newer list replaces
    # an older one of the same region only.
    region_code: Mapped[str] = mapped_column(String(12), default="")
    published_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200), default="")
    imported_by: Mapped[str] = mapped_column(String(64), default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ZoneArea(Base):
    """One village (12 digits) or area (a shorter prefix) of a list, its kind and fuels."""

    __tablename__ = "zone_area"
    __table_args__ = (Index("ix_zone_area_list_region", "list_id", "region_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("zone_list.id"))
    name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(24))  # one of coalguard.edge.zonelist.KINDS
    region_code: Mapped[str] = mapped_column(String(12))
    allowed_fuels: Mapped[list[str]] = mapped_column(JSON, default=list)
