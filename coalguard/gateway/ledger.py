"""Append-only, hash-chained ledgers (R8): duty, handover, inspection, sampling.

Each entry carries the hash of the previous entry of its book, and its own
hash covers everything it says, so an edited, deleted or reordered entry
breaks the chain. SQLite triggers refuse UPDATE and DELETE; the chain catches
what goes around them (a file edited by hand). A correction is a new entry
whose ``corrects`` names the entry it replaces. Every entry also goes through
the record sink, so the cloud holds a copy of each chain.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from coalguard.edge.clock import Clock
from coalguard.edge.ledger_chain import GENESIS, entry_hash
from coalguard.edge.records import LedgerBody, LedgerEntryRecord
from coalguard.errors import WordedInputError, fill
from coalguard.gateway.errors import in_words
from coalguard.gateway.sink import RecordSink, dumps
from coalguard.gateway.store import Store
from coalguard.gateway.stored_time import iso
from coalguard.i18n import t

BOOKS = ("duty", "handover", "inspection", "sampling")


@dataclass(frozen=True)
class Entry:
    book: str
    seq: int
    id: str
    at: str
    operator: str
    kind: str
    body: dict[str, Any]
    corrects: str | None
    prev_hash: str
    hash: str

    def record(self) -> LedgerEntryRecord:
        """The copy the cloud keeps: every field but the id, which travels as the record id."""
        fields = asdict(self)
        del fields["id"]
        return LedgerEntryRecord(**fields)


@dataclass(frozen=True)
class Problem:
    book: str
    seq: int | None
    message: str  # English, for logs
    key: str = ""  # ``gw_verify.<key>`` (or a full ``table.key``): what a person reads
    params: Mapping[str, Any] = field(default_factory=dict)  # the key's placeholders

    def __str__(self) -> str:
        where = f"{self.book} #{self.seq}" if self.seq is not None else self.book
        return f"{where}: {self.message}"

    def text(self, lang: str | None = None) -> str:
        """``<book in words> #<seq>: <what is wrong>`` for a person (pages, the CLI)."""
        where = in_words("gw_book", self.book, lang)
        where += f" #{self.seq}" if self.seq is not None else ""
        key = self.key if "." in self.key else f"gw_verify.{self.key}"
        what = fill(t(key, lang), self.params, lang) if self.key else self.message
        return f"{where}{t('gw_page.colon', lang)}{what}"


class Ledger:
    """Appends to and verifies the four books."""

    def __init__(self, store: Store, sink: RecordSink, clock: Clock) -> None:
        self.store = store
        self.sink = sink
        self.clock = clock

    def append(
        self,
        book: str,
        kind: str,
        operator: str,
        body: LedgerBody | dict[str, Any],
        *,
        corrects: str | None = None,
    ) -> Entry:
        """Chain a new entry; a typed body (duty, handover) is hashed in its ``hashed()`` form."""
        if isinstance(body, LedgerBody):
            body = body.hashed()
        if book not in BOOKS:
            raise WordedInputError("gw_ledger_book", book=book, known=", ".join(BOOKS))
        if not operator.strip():
            raise WordedInputError("gw_ledger_operator")
        with self.store.tx() as db:
            if corrects is not None:
                old = db.execute("SELECT book FROM ledger WHERE id = ?", (corrects,)).fetchone()
                if old is None or old[0] != book:
                    raise WordedInputError("gw_ledger_corrects", entry_id=corrects, book=book)
            last = db.execute(
                "SELECT seq, hash FROM ledger WHERE book = ? ORDER BY seq DESC LIMIT 1", (book,)
            ).fetchone()
            seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
            eid = str(uuid.uuid4())
            at = iso(self.clock.now())
            text = dumps(body)
            h = entry_hash(book, seq, eid, at, operator, kind, text, corrects, prev)
            db.execute(
                "INSERT INTO ledger(book, seq, id, at, operator, kind, body, corrects, "
                "prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (book, seq, eid, at, operator, kind, text, corrects, prev, h),
            )
            entry = Entry(book, seq, eid, at, operator, kind, body, corrects, prev, h)
            self.sink.put(entry.record(), record_id=eid)
        return entry

    def correct(self, entry_id: str, operator: str, reason: str, body: dict[str, Any]) -> Entry:
        """A new entry replacing ``entry_id``'s content; the old one stays."""
        if not reason.strip():
            raise WordedInputError("gw_correction_reason")
        old = self.store.row("SELECT book, kind FROM ledger WHERE id = ?", (entry_id,))
        if old is None:
            raise WordedInputError("gw_no_entry", entry_id=entry_id)
        return self.append(
            old["book"],
            f"correction.{old['kind']}",
            operator,
            {"reason": reason, **body},
            corrects=entry_id,
        )

    def entries(self, book: str, limit: int | None = None) -> list[Entry]:
        sql = "SELECT * FROM ledger WHERE book = ? ORDER BY seq DESC"
        rows = self.store.rows(sql + (f" LIMIT {int(limit)}" if limit else ""), (book,))
        return [row_entry(r) for r in rows]

    def for_inspection(self, inspection_id: str) -> list[Entry]:
        """Every entry of any book written for one inspection, oldest first."""
        rows = self.store.rows(
            "SELECT * FROM ledger WHERE json_extract(body, '$.inspection_id') = ? "
            "ORDER BY at, book, seq",
            (inspection_id,),
        )
        return [row_entry(r) for r in rows]

    def entry_intact(self, book: str, seq: int) -> bool:
        """One entry matches its hash and is linked to its neighbours (``verify`` walks books)."""
        rows = {
            r["seq"]: r
            for r in self.store.rows(
                "SELECT * FROM ledger WHERE book = ? AND seq BETWEEN ? AND ?",
                (book, seq - 1, seq + 1),
            )
        }
        r, before, after = rows.get(seq), rows.get(seq - 1), rows.get(seq + 1)
        if r is None or _row_hash(r) != r["hash"]:
            return False
        linked_before = r["prev_hash"] == (
            before["hash"] if before else GENESIS if seq == 1 else ""
        )
        return linked_before and (after is None or after["prev_hash"] == r["hash"])

    def positions(self) -> dict[tuple[str, int], tuple[str, str]]:
        """Every entry's (book, seq) -> (id, hash), to compare with the cloud's copy."""
        rows = self.store.rows("SELECT book, seq, id, hash FROM ledger")
        return {(r[0], r[1]): (r[2], r[3]) for r in rows}

    def verify(self) -> tuple[dict[str, int], list[Problem]]:
        """Walk every book; returns entry counts and the problems found."""
        counts: dict[str, int] = {}
        problems: list[Problem] = []
        books = {r[0] for r in self.store.rows("SELECT DISTINCT book FROM ledger")}
        for book in sorted(books | set(BOOKS)):
            rows = self.store.rows("SELECT * FROM ledger WHERE book = ? ORDER BY seq", (book,))
            counts[book] = len(rows)
            if book not in BOOKS:
                problems.append(Problem(book, None, "unknown book", "unknown_book"))
            prev, expect = GENESIS, 1
            for r in rows:
                if r["seq"] != expect:
                    problems.append(
                        Problem(book, r["seq"], f"entry #{expect} is missing (deleted?)", "missing")
                    )
                if r["prev_hash"] != prev:
                    problems.append(
                        Problem(
                            book,
                            r["seq"],
                            "previous-hash link broken (entry before it "
                            "was changed, deleted or reordered)",
                            "link",
                        )
                    )
                if _row_hash(r) != r["hash"]:
                    problems.append(
                        Problem(
                            book,
                            r["seq"],
                            "content does not match its hash (entry was edited)",
                            "edited",
                        )
                    )
                prev, expect = r["hash"], r["seq"] + 1
        return counts, problems


# The stored columns the entry hash covers, in the order ``entry_hash`` takes them.
_HASHED = ("book", "seq", "id", "at", "operator", "kind", "body", "corrects", "prev_hash")


def _row_hash(r: Any) -> str:
    """The hash a stored ledger row should carry (``edge.ledger_chain``)."""
    return entry_hash(*(r[c] for c in _HASHED))


def row_entry(r: Any) -> Entry:
    """A stored ledger row as its ``Entry`` (for readers of the ledger table)."""
    values = {c: r[c] for c in (*_HASHED, "hash")}
    return Entry(**{**values, "body": json.loads(r["body"])})
