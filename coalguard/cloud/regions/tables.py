"""The imported regions (the shipped ``regions.csv`` is not stored: it is read at start)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from coalguard.cloud.db import Base, UTCDateTime


class RegionRow(Base):
    """One region an administrator imported: its code, names and parent's code."""

    __tablename__ = "rg_region"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(String(12), index=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(200))
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
