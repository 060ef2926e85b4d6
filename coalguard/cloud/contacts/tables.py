"""Tables of the contact directory: people to reach per household and region, and the rota.

A phone is kept sealed (``cloud/sealing.py``), with its keyed hash for look-up
and a masked form for lists; the plain number exists only in memory, when a
message is sent or an allowed person reveals it. Names are kept like the
household's name (``co_device.household_name``): plain, masked in every
response unless the caller may see personal data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coalguard.cloud.db import Base, UTCDateTime


class Contact(Base):
    """One person to reach: a household's contact, or a role holder of a region."""

    __tablename__ = "contact"
    __sealed__ = ("phone_sealed",)
    __table_args__ = (Index("ix_contact_role_region", "role", "region_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # household | grid_worker | village_committee | village_inspector | township_duty | county_desk
    role: Mapped[str] = mapped_column(String(32))
    # The region the role belongs to (village, township or county code); a household's village.
    region_code: Mapped[str] = mapped_column(String(12))
    device_id: Mapped[str | None] = mapped_column(String(64), index=True)  # household contacts
    name: Mapped[str] = mapped_column(String(200))
    relation: Mapped[str | None] = mapped_column(String(64))
    phone_sealed: Mapped[str] = mapped_column(Text)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DutyShift(Base):
    """One township duty officer on call from ``starts_at`` to ``ends_at`` (UTC)."""

    __tablename__ = "contact_shift"
    __table_args__ = (Index("ix_contact_shift_region_time", "region_code", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12))  # the township
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
