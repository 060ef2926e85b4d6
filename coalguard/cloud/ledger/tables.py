"""Each gateway's ledger entries as it sent them, and the forks found among them.

An entry is kept with the exact text its hash covers (``at`` and the
canonical body), so the chain can be recomputed here at any time. Two
entries of one gateway with the same book and seq but different hashes are
a fork: the gateway wrote that position twice (a crash between its ledger
and its outbox, or tampering).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coalguard.cloud.co.tables import UTCDateTime
from coalguard.cloud.db import Base


class LedgerEntryRow(Base):
    """One ledger entry (id = the edge record id = the entry id)."""

    __tablename__ = "gw_ledger_entry"
    __table_args__ = (Index("ix_gw_ledger_entry_position", "gateway_id", "book", "seq"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    gateway_id: Mapped[str] = mapped_column(String(64))
    book: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[str] = mapped_column(String(64))
    operator: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)  # canonical text, as hashed
    corrects: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    hash_ok: Mapped[bool] = mapped_column(Boolean)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerForkRow(Base):
    """A ledger position written twice; found once, alerted once."""

    __tablename__ = "gw_ledger_fork"
    __table_args__ = (
        UniqueConstraint("gateway_id", "book", "seq", name="uq_gw_ledger_fork_position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    gateway_id: Mapped[str] = mapped_column(String(64), index=True)
    book: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(BigInteger)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime())
