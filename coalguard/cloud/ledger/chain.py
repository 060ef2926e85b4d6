"""Keep each ``ledger.entry`` record, check its hash, find forks, and report the chain.

The projector hands every ``ledger.entry`` record here, decoded (the model
checks each field). The entry's hash is
recomputed with the gateway's own definition (``coalguard.edge.ledger_chain``);
a mismatch raises ``ledger.tampered``. A second entry at a (gateway, book,
seq) already held with another hash is a fork: recorded once in
``gw_ledger_fork`` and alerted once (``ledger.fork``). Links (each entry's
``prev_hash`` against the entry before it) are judged when read, since
entries may arrive in any order.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, text
from sqlalchemy.orm import Session, aliased

from coalguard.cloud.bulk import insert_rows
from coalguard.cloud.checks import alerts as cp_alerts
from coalguard.cloud.checks.tables import Checkpoint
from coalguard.cloud.ledger.tables import LedgerEntryRow, LedgerForkRow
from coalguard.edge.ledger_chain import GENESIS, canonical_body, entry_hash
from coalguard.edge.records import LedgerEntryRecord

log = logging.getLogger("coalguard.cloud.ledger")


def _gateway_checkpoint(s: Session, gateway_id: str) -> tuple[str, str]:
    """Where an alert about a gateway's ledger shows: its checkpoint (and region)."""
    cp = s.scalars(
        select(Checkpoint)
        .where(Checkpoint.gateway_id == gateway_id)
        .order_by(Checkpoint.registered.desc(), Checkpoint.checkpoint_id)
    ).first()
    return (cp.checkpoint_id, cp.region_code) if cp else (gateway_id, "")


# The fields of an entry the cloud keeps as the gateway sent them (the body: canonical text).
_AS_SENT = ("book", "seq", "at", "operator", "kind", "corrects", "prev_hash", "hash")


def keep_entries(
    s: Session, entries: Sequence[tuple[Any, LedgerEntryRecord]], now: datetime
) -> None:
    """Store each stored record's decoded entry; alert a bad hash or a new fork.

    Set-based: the positions the entries name are read in one query per book,
    the entries inserted in one statement. Entries earlier in ``entries`` count
    as held for the ones after them, so twins within one call are a fork too.
    """
    if not entries:
        return
    _lock_books(s, sorted({(r.gateway_id, f.book) for r, f in entries}))
    held = _held_positions(s, entries)
    rows: list[dict[str, Any]] = []
    forks: set[tuple[str, str, int]] = set()
    for rec, f in entries:
        text = canonical_body(f.body)
        computed = entry_hash(
            f.book, f.seq, rec.id, f.at, f.operator, f.kind, text, f.corrects, f.prev_hash
        )
        position = (rec.gateway_id, f.book, f.seq)
        others = held.setdefault(position, [])
        as_sent = {k: getattr(f, k) for k in _AS_SENT}  # plain fields: no serializer needed
        rows.append(
            {
                "id": rec.id,
                "gateway_id": rec.gateway_id,
                **as_sent,
                "body": text,
                "hash_ok": computed == f.hash,
                "received_at": now,
            }
        )
        where = f"{rec.gateway_id}:{f.book}#{f.seq}"
        if computed != f.hash:
            log.warning("ledger %s: entry %s does not match its hash", where, rec.id)
            _alert(s, rec.gateway_id, "ledger.tampered", where, now, {"entry_id": rec.id})
        if any(h != f.hash for _, h in others) and position not in forks:
            forks.add(position)
            ids = sorted([i for i, _ in others] + [rec.id])
            _fork(s, rec.gateway_id, f.book, f.seq, ids, now)
        others.append((rec.id, f.hash))
    insert_rows(s.connection(), LedgerEntryRow.__table__, rows)


def _held_positions(
    s: Session, entries: Sequence[tuple[Any, LedgerEntryRecord]]
) -> dict[tuple[str, str, int], list[tuple[str, str]]]:
    """(gateway, book, seq) -> [(id, hash)] of the entries already held at those positions."""
    wanted: dict[tuple[str, str], set[int]] = {}
    for rec, f in entries:
        wanted.setdefault((rec.gateway_id, f.book), set()).add(f.seq)
    held: dict[tuple[str, str, int], list[tuple[str, str]]] = {}
    conn = s.connection()  # Core: ledger rows are never pending in the ORM, nothing to flush
    for (gateway_id, book), seqs in wanted.items():
        ordered = sorted(seqs)
        for k in range(0, len(ordered), 500):
            q = select(LedgerEntryRow.seq, LedgerEntryRow.id, LedgerEntryRow.hash).where(
                LedgerEntryRow.gateway_id == gateway_id,
                LedgerEntryRow.book == book,
                LedgerEntryRow.seq.in_(ordered[k : k + 500]),
            )
            for seq, entry_id, h in conn.execute(q):
                held.setdefault((gateway_id, book, seq), []).append((entry_id, h))
    return held


def _fork(s: Session, gateway_id: str, book: str, seq: int, ids: list[str], now: datetime) -> None:
    """Record a fork once (``gw_ledger_fork``) and alert it once."""
    fork = s.scalars(
        select(LedgerForkRow).where(
            LedgerForkRow.gateway_id == gateway_id,
            LedgerForkRow.book == book,
            LedgerForkRow.seq == seq,
        )
    ).first()
    if fork is not None:
        return
    s.add(LedgerForkRow(gateway_id=gateway_id, book=book, seq=seq, found_at=now))
    s.flush()
    where = f"{gateway_id}:{book}#{seq}"
    log.warning("ledger %s: fork, entries %s", where, ", ".join(ids))
    _alert(s, gateway_id, "ledger.fork", where, now, {"entry_ids": ids})


def _lock_books(s: Session, books: list[tuple[str, str]]) -> None:
    """Two projectors holding twin entries must not both miss the fork (PostgreSQL).

    One transaction-scoped advisory lock per (gateway, book) the entries name,
    taken in sorted order (no deadlock between two projectors): a lock per
    position would take a thousand lock-table slots for one chunk. SQLite
    needs nothing: its single writer refuses the second, stale transaction,
    and the projector retries that record alone.
    """
    if s.get_bind().dialect.name == "postgresql":
        keys = [f"ledger:{g}:{b}" for g, b in books]
        s.execute(
            text(
                "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) "
                "FROM unnest(CAST(:keys AS text[])) AS k"
            ),
            {"keys": keys},
        )


def _alert(
    s: Session, gateway_id: str, kind: str, where: str, at: datetime, detail: dict[str, Any]
) -> None:
    checkpoint_id, region = _gateway_checkpoint(s, gateway_id)
    what = "written twice (fork)" if kind == "ledger.fork" else "does not match its hash"
    cp_alerts.raise_alert(
        s,
        checkpoint_id=checkpoint_id,
        region_code=region,
        kind=kind,
        subject=where,
        message=f"ledger position {where} of gateway {gateway_id} {what}",
        at=at,
        origin="cloud",
        detail={"gateway_id": gateway_id, **detail},
    )


def gateway_ledger(s: Session, gateway_id: str) -> dict[str, Any]:
    """The cloud's copy of one gateway's ledgers (the ``verify-ledger`` contract)."""
    rows = s.execute(
        select(
            LedgerEntryRow.book,
            LedgerEntryRow.seq,
            LedgerEntryRow.id,
            LedgerEntryRow.hash,
            LedgerEntryRow.prev_hash,
        )
        .where(LedgerEntryRow.gateway_id == gateway_id)
        .order_by(LedgerEntryRow.book, LedgerEntryRow.seq, LedgerEntryRow.id)
    ).all()
    entries = [{"book": b, "seq": n, "id": i, "hash": h, "prev_hash": p} for b, n, i, h, p in rows]
    forks = []
    for (book, seq), group in groupby(entries, key=lambda x: (x["book"], x["seq"])):
        same = list(group)
        if len({x["hash"] for x in same}) > 1:
            ids, hashes = [x["id"] for x in same], [x["hash"] for x in same]
            forks.append({"book": book, "seq": seq, "ids": ids, "hashes": hashes})
    return {"gateway_id": gateway_id, "entries": entries, "forks": forks}


def verification(s: Session, gateway_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Per gateway: entries, last seq per book, bad hashes, broken links, gaps, forks."""
    e, p = aliased(LedgerEntryRow), aliased(LedgerEntryRow)
    same_book = and_(p.gateway_id == e.gateway_id, p.book == e.book, p.seq == e.seq - 1)
    has_prev = exists().where(same_book)
    linked = exists().where(same_book, p.hash == e.prev_hash)

    def per_gateway(*conds: Any) -> dict[str, int]:
        q = select(e.gateway_id, func.count()).where(*conds).group_by(e.gateway_id)
        if gateway_ids is not None:
            q = q.where(e.gateway_id.in_(gateway_ids))
        return {g: n for g, n in s.execute(q).all()}

    total = per_gateway()
    bad = per_gateway(e.hash_ok.is_(False))
    broken = per_gateway(
        or_(and_(e.seq == 1, e.prev_hash != GENESIS), and_(e.seq > 1, has_prev, ~linked))
    )
    gaps = per_gateway(e.seq > 1, ~has_prev)
    twins = (
        select(e.gateway_id.label("g"))
        .group_by(e.gateway_id, e.book, e.seq)
        .having(func.count(e.hash.distinct()) > 1)
        .subquery()
    )
    forks = dict(s.execute(select(twins.c.g, func.count()).group_by(twins.c.g)).all())
    books: dict[str, dict[str, int]] = {}
    for g, b, n in s.execute(
        select(e.gateway_id, e.book, func.max(e.seq)).group_by(e.gateway_id, e.book)
    ).all():
        books.setdefault(g, {})[b] = n
    out = []
    for g in sorted(total):
        state = {
            "gateway_id": g,
            "entries": total[g],
            "last_seq": books.get(g, {}),
            "bad_hashes": bad.get(g, 0),
            "broken_links": broken.get(g, 0),
            "gaps": gaps.get(g, 0),
            "forks": forks.get(g, 0),
        }
        state["intact"] = not (state["bad_hashes"] or state["broken_links"] or state["forks"])
        out.append(state)
    return out
