"""The profile sets installed in the cloud: the one gateways pull, and older ones kept.

An administrator installs a whole set (shipped profiles plus a directory of
published tables) once; it becomes the active set every gateway pulls and the
cloud re-judges with. Sets are never edited, only installed: a version names
its content (``label@hash``), so a verdict made with an older set is re-judged
with that very set while the cloud still holds it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from coalguard.cloud.db import Base, UTCDateTime
from coalguard.edge.quality import ProfileSet


class ProfileSetRow(Base):
    __tablename__ = "chk_profile_set"

    version: Mapped[str] = mapped_column(String(100), primary_key=True)
    label: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    installed_by: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=False)


def install(s: Session, ps: ProfileSet, who: str, at: datetime) -> ProfileSetRow:
    """Make ``ps`` the active set (installing the same content again only re-activates it)."""
    s.execute(update(ProfileSetRow).values(active=False))
    row = s.get(ProfileSetRow, ps.version)
    if row is None:
        row = ProfileSetRow(
            version=ps.version,
            label=ps.label,
            digest=ps.digest(),
            body=ps.to_doc(),
            installed_at=at,
            installed_by=who,
        )
        s.add(row)
    row.active = True
    s.flush()
    return row


def installed(s: Session) -> list[ProfileSetRow]:
    """Every installed set, newest first."""
    return list(s.scalars(select(ProfileSetRow).order_by(ProfileSetRow.installed_at.desc())))


class CloudProfiles:
    """The active installed set (else the set the cloud started with) and any version by name."""

    def __init__(self, fallback: ProfileSet) -> None:
        self.fallback = fallback
        self._cache: dict[str, ProfileSet] = {fallback.version: fallback}

    def current(self, s: Session) -> ProfileSet:
        version = s.scalar(select(ProfileSetRow.version).where(ProfileSetRow.active.is_(True)))
        return self.fallback if version is None else (self.get(s, version) or self.fallback)

    def served(self, s: Session) -> dict[str, Any]:
        """The active set exactly as installed (gateways check it themselves), else the fallback."""
        body = s.scalar(select(ProfileSetRow.body).where(ProfileSetRow.active.is_(True)))
        return body if body is not None else self.fallback.to_doc()

    def get(self, s: Session, version: str) -> ProfileSet | None:
        """The set named ``version``, or None when the cloud never had it."""
        if version not in self._cache:
            row = s.get(ProfileSetRow, version)
            if row is None:
                return None
            self._cache[version] = ProfileSet.from_doc(row.body, f"installed set {version}")
        return self._cache[version]
