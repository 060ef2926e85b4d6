"""Work that one replica does at a time: named leases and claimed rows.

Several cloud processes (``cloud serve`` replicas, ``co-ingest`` workers) share
one database, and each runs the same background loops. A loop whose work must
happen once (send a notification, escalate an alert, raise a lab-overdue
alert, project a record, export a batch) claims it here first:

* ``Leases.take(s, name, ttl)``: a named lease row (owner + expiry), taken by a
  conditional UPDATE as the first statement of the loop's transaction. Until
  that transaction ends it is also a lock (a PostgreSQL row lock found with
  ``FOR UPDATE SKIP LOCKED``; SQLite's single writer), so no two passes
  overlap and each sees the other's committed work. With ``ttl=None`` the lease
  is free again at commit; with a ``ttl`` it stays with its owner until it
  expires, so a crashed holder's lease runs out and another replica takes over.
* ``Leases.claim(s, Model, *ready, limit, ttl)``: claims up to ``limit`` rows of
  a ``Claimable`` table (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the same
  conditional UPDATE on SQLite). The claimer acts on each row and settles it;
  a claim that expired unsettled is free for another replica.

Expiry compares wall clocks of different hosts: keep them within a fraction of
the shortest ``ttl`` (NTP does).
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, String, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from coalguard.cloud.db import Base, UTCDateTime
from coalguard.edge.clock import Clock

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # "free": any clock is past it


class Lease(Base):
    """A named piece of background work and who holds it until when."""

    __tablename__ = "lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Claimable:
    """Columns of a work row that one replica claims before acting on it."""

    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


def _new_lease(insert: Any, name: str) -> Any:
    return insert.values(name=name, owner="", expires_at=EPOCH).on_conflict_do_nothing(
        index_elements=["name"]
    )


def _row_locked(s: Session, name: str) -> bool:
    """PostgreSQL: lock the lease row for this transaction; False when another
    transaction holds it (found with SKIP LOCKED: never waits, except to create it)."""
    lock = select(Lease.name).where(Lease.name == name).with_for_update(skip_locked=True)
    if s.execute(lock).first() is not None:
        return True
    if s.execute(select(Lease.name).where(Lease.name == name)).first() is not None:
        return False  # exists, locked elsewhere (an INSERT here would wait for that commit)
    s.execute(_new_lease(postgresql.insert(Lease), name))
    return s.execute(lock).first() is not None


@cache
def instance_id() -> str:
    """This process among the replicas: host, pid and a random part (pids repeat in containers)."""
    host = re.sub(r"[^A-Za-z0-9_.-]", "-", socket.gethostname())[:24] or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(3)}"


@dataclass
class Leases:
    """Leases and row claims of one owner (by default: this process), timed by ``clock``."""

    clock: Clock
    owner: str = field(default_factory=instance_id)

    def take(self, s: Session, name: str, ttl: timedelta | None = None) -> bool:
        """Take or renew ``name``; False while another replica holds it.

        Call it first in the transaction. ``ttl=None``: held until the
        transaction ends; else until ``ttl`` after now, or until taken back
        with ``release``.
        """
        now = self.clock.now()
        if s.get_bind().dialect.name == "postgresql":
            if not _row_locked(s, name):
                return False
        else:  # the first write of the transaction: SQLite's one writer is ours until commit
            s.execute(_new_lease(sqlite.insert(Lease), name))
        taken = s.execute(
            update(Lease)
            .where(Lease.name == name, or_(Lease.owner == self.owner, Lease.expires_at <= now))
            .values(owner=self.owner, expires_at=EPOCH if ttl is None else now + ttl)
            .execution_options(synchronize_session=False)
        )
        return taken.rowcount == 1

    def release(self, s: Session, name: str) -> None:
        """Give ``name`` back before its expiry (no-op when not ours)."""
        s.execute(
            update(Lease)
            .where(Lease.name == name, Lease.owner == self.owner)
            .values(expires_at=EPOCH)
            .execution_options(synchronize_session=False)
        )

    def claim(
        self,
        s: Session,
        model: type[Claimable],
        *ready: ColumnElement[bool],
        limit: int,
        ttl: timedelta,
    ) -> list[Any]:
        """Claim up to ``limit`` rows matching ``ready`` (oldest key first); their keys."""
        now = self.clock.now()
        key = model.__mapper__.primary_key[0]  # type: ignore[attr-defined]
        free = or_(model.claimed_until.is_(None), model.claimed_until <= now)
        pick = (select(key).where(*ready, free).order_by(key).limit(limit)).with_for_update(
            skip_locked=True
        )
        stmt = (
            update(model)
            .where(key.in_(pick.scalar_subquery()), *ready, free)
            .values(claimed_by=self.owner, claimed_until=now + ttl)
            .returning(key)
            .execution_options(synchronize_session=False)
        )
        return sorted(s.execute(stmt).scalars())

    def unclaim(self, s: Session, model: type[Claimable], keys: list[Any]) -> None:
        """Give rows back unsettled (e.g. too little of the claim left to act safely)."""
        if not keys:
            return
        key = model.__mapper__.primary_key[0]  # type: ignore[attr-defined]
        s.execute(
            update(model)
            .where(key.in_(keys), model.claimed_by == self.owner)
            .values(claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )

    def holds(self, row: Claimable) -> bool:
        """Whether ``row`` (read in the settling transaction) is still claimed by us."""
        return row.claimed_by == self.owner
