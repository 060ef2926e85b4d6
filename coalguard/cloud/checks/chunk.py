"""One projector transaction's working set: rows loaded per table, rows added in bulk.

Record by record, the ORM looked each row up (a SELECT, after flushing
everything pending) and flushed after each record: about a millisecond per
record at catch-up, more than the ingest itself. A ``Chunk`` loads what its
records touch in one query per table (projection marks, checkpoints,
inspections, analyzer readings), and keeps the append-only rows it adds
(projection marks, transitions, analyzer readings, ledger entries) until
``write()``, one INSERT per table. Inspections are plain objects
(``PlainInspection``), not ORM instances: the ORM's attribute events and flush
cost a sixth of the projection; ``write()`` inserts the new ones and updates
the ones the chunk touched. A handler that reads other tables (lab steps,
alerts, referral cases) calls ``write()`` first, so it sees every row the
records before it added. Everything stays in the projector's one transaction:
the chunk commits whole or not at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from coalguard.cloud.bulk import insert_rows
from coalguard.cloud.checks.tables import (
    AnalyzerReading,
    Checkpoint,
    Inspection,
    ProjectedRecord,
)
from coalguard.cloud.ledger import chain as ledger_chain
from coalguard.edge.records import (
    AnalyzerResultRecord,
    CheckpointRecord,
    InspectionTransition,
    LabReported,
    LabSampled,
    LedgerEntryRecord,
    Record,
)

_IN_CHUNK = 500  # ids per IN (...) list


@dataclass(slots=True)
class PlainInspection:
    """A ``chk_inspection`` row as the projector reads and changes it (the same columns)."""

    id: str
    checkpoint_id: str
    plate: str
    state: str
    opened_at: datetime
    updated_at: datetime
    region_code: str = ""
    last_seq: int = 0
    source: str | None = None
    driver: str | None = None
    origin: str | None = None
    destination: str | None = None
    coal_type: str | None = None
    weight_t: float | None = None
    waybill_no: str | None = None
    profile_id: str | None = None
    fast_pass: bool | None = None
    fast_pass_report_id: str | None = None
    sample_id: str | None = None
    result: dict[str, Any] | None = None
    overall: str | None = None
    cloud_overall: str | None = None
    disagreement: bool = False
    provisional: bool | None = None


_INSPECTIONS = Inspection.__table__
# Each executemany row's column keys become the SET clause; "_id" picks the row.
_UPDATE_INSPECTION = update(_INSPECTIONS).where(_INSPECTIONS.c.id == bindparam("_id"))


_FIELDS = tuple(f.name for f in fields(PlainInspection))


def _values(insp: PlainInspection) -> dict[str, Any]:
    """Its columns, shallow (``dataclasses.asdict`` deep-copies every JSON value)."""
    return {name: getattr(insp, name) for name in _FIELDS}


def _changes(insp: PlainInspection) -> dict[str, Any]:
    values = _values(insp)
    values["_id"] = values.pop("id")
    return values


def _in_parts(ids: Iterable[str]) -> list[list[str]]:
    unique = sorted(set(ids))
    return [unique[k : k + _IN_CHUNK] for k in range(0, len(unique), _IN_CHUNK)]


class Chunk:
    """The rows ``records`` touch, loaded once; the rows they add, written by ``write()``."""

    def __init__(self, s: Session, records: Sequence[Any], decoded: Sequence[Any]) -> None:
        self.s = s
        self.ledger: list[tuple[Any, LedgerEntryRecord]] = []
        self._rows: dict[type, list[dict[str, Any]]] = defaultdict(list)
        self.projected = self._ids(ProjectedRecord.record_id, (r.id for r in records))
        typed = [d for d in decoded if isinstance(d, Record)]
        pairs = zip(records, decoded, strict=True)
        readings = (r.id for r, d in pairs if type(d) is AnalyzerResultRecord)
        self.readings = self._ids(AnalyzerReading.id, readings)
        # Held here: the session's identity map keeps only rows someone refers to.
        # None: looked up and not held (yet); a record's handler adds it (``checkpoint_seen``).
        cp_ids = [d.checkpoint_id for d in typed if isinstance(d, CheckpointRecord)]
        self.checkpoints: dict[str, Checkpoint | None] = dict.fromkeys(cp_ids)
        for part in _in_parts(cp_ids):
            for cp in s.scalars(select(Checkpoint).where(Checkpoint.checkpoint_id.in_(part))):
                self.checkpoints[cp.checkpoint_id] = cp
        wanted = [d.inspection_id for d in typed if isinstance(d, InspectionTransition)]
        wanted += [
            d.inspection_id
            for d in typed
            if isinstance(d, LabSampled | LabReported) and d.inspection_id
        ]
        self.inspections: dict[str, PlainInspection | None] = dict.fromkeys(wanted)
        self._new: dict[str, PlainInspection] = {}  # inserted by the next write()
        self._touched: dict[str, PlainInspection] = {}  # held ones, updated by the next write()
        for part in _in_parts(wanted):
            for insp in self._load(_INSPECTIONS.c.id.in_(part)):
                self.inspections[insp.id] = insp

    def _ids(self, column: Any, ids: Iterable[str]) -> set[str]:
        held: set[str] = set()
        conn = self.s.connection()  # Core: nothing is pending at a chunk's start to flush
        for part in _in_parts(ids):
            held.update(conn.execute(select(column).where(column.in_(part))).scalars())
        return held

    def checkpoint(self, cp_id: str) -> Checkpoint | None:
        """The checkpoint as this transaction sees it, without a look-up per record."""
        if cp_id not in self.checkpoints:
            self.checkpoints[cp_id] = self.s.get(Checkpoint, cp_id)
        return self.checkpoints[cp_id]

    def inspection(self, iid: str) -> PlainInspection | None:
        """The inspection as this transaction sees it (loaded, or added by an earlier record);
        whatever the caller changes on it is written by the next ``write()``."""
        if iid not in self.inspections:
            found = self._load(_INSPECTIONS.c.id == iid)
            self.inspections[iid] = found[0] if found else None
        insp = self.inspections[iid]
        if insp is not None and iid not in self._new:
            self._touched[iid] = insp
        return insp

    def add_inspection(self, insp: PlainInspection) -> None:
        self.inspections[insp.id] = insp
        self._new[insp.id] = insp

    def _load(self, where: Any) -> list[PlainInspection]:
        rows = self.s.connection().execute(select(_INSPECTIONS).where(where))
        return [PlainInspection(**row._mapping) for row in rows]

    def add(self, model: type, row: dict[str, Any]) -> None:
        """A row of an append-only table, inserted by ``write()``."""
        self._rows[model].append(row)

    def write(self, now: datetime) -> None:
        """Insert the rows kept so far (ledger entries checked first: they may raise alerts)."""
        if self.ledger:
            entries, self.ledger = self.ledger, []
            ledger_chain.keep_entries(self.s, entries, now)
        conn = self.s.connection()  # not the ORM's bulk insert: a third of the cost
        new, self._new = self._new, {}
        insert_rows(conn, _INSPECTIONS, [_values(i) for i in new.values()])
        touched, self._touched = self._touched, {}
        if touched:
            changes = [_changes(i) for i in touched.values()]
            conn.execute(_UPDATE_INSPECTION, changes)
        rows, self._rows = self._rows, defaultdict(list)
        for model, values in rows.items():
            insert_rows(conn, model.__table__, values)
