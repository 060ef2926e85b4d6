"""The projector's chunks: many records in one transaction project exactly as one at a time.

The projector loads the rows a chunk touches in one query per table and inserts
its append-only rows in bulk (``cloud/checks/chunk.py``). These tests hold it
to the record-by-record result on every kind a real gateway sends, with ledger
twins and a tampered entry inside one chunk, and to all-or-nothing when a
chunk dies before its commit.
"""

from __future__ import annotations

import copy
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Integer, func, select

from coalguard.cloud.batch_store import GatewayRecordRow
from coalguard.cloud.checks import chunk as chunk_module
from coalguard.cloud.checks.tables import Inspection, ProjectedRecord
from coalguard.cloud.db import Base
from coalguard.cloud.ledger.tables import LedgerEntryRow
from coalguard.edge.clock import ManualClock
from coalguard.edge.ledger_chain import canonical_body, entry_hash
from tests.cloud.checks.checkpoint_feed import START, gateway_token, send
from tests.cloud.ops_support import client, make_app
from tests.edge.records.gateway_day import drive, wire_records

# Tables the projector writes; columns that number rows in insertion order are left out.
PROJECTED = ("chk_", "gw_ledger_", "gateway_dead_letters", "referral_")
NUMBERING = {"seq", "case_id"}


def _second_url(db_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path}/second.sqlite"
    return request.getfixturevalue("pg_server").new_database()


def _twin(entry: dict[str, Any], *, rehash: bool) -> dict[str, Any]:
    """Another entry at the same ledger position: a fork when its hash is right."""
    twin = copy.deepcopy(entry)
    twin["id"] = str(uuid.uuid4())
    body = twin["body"]
    body["body"]["reason"] = f"{body['body'].get('reason')} (written twice)"
    if rehash:
        body["hash"] = entry_hash(
            body["book"],
            body["seq"],
            twin["id"],
            body["at"],
            body["operator"],
            body["kind"],
            canonical_body(body["body"]),
            body["corrects"],
            body["prev_hash"],
        )
    return twin


@pytest.fixture(scope="module")
def day_records(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """A real gateway's records of every kind, plus a fork, a bad hash and an unknown kind."""
    gw, store = drive(tmp_path_factory.mktemp("gateway"))
    recs = wire_records(store)
    gw.store.close()
    entries = [r for r in recs if r["kind"] == "ledger.entry" and r["body"]["book"] == "inspection"]
    recs += [_twin(entries[0], rehash=True), _twin(entries[1], rehash=False)]
    unknown = {**recs[0], "id": str(uuid.uuid4()), "kind": "gate.opened", "body": {"n": 1}}
    return [*recs, unknown]


def _fed(url: str, recs: list[dict[str, Any]]) -> FastAPI:
    app = make_app(url, ManualClock(START))
    send(client(app), "gw-day", gateway_token(app, "gw-day"), recs)
    return app


def _tables(app: FastAPI) -> dict[str, list[tuple[str, ...]]]:
    """Every projected table's rows, sorted, without the columns that number rows."""
    out = {}
    with app.state.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if not table.name.startswith(PROJECTED):
                continue
            cols = [
                c
                for c in table.columns
                if c.name not in NUMBERING
                and not (c.primary_key and isinstance(c.type, Integer) and c.autoincrement)
            ]
            out[table.name] = sorted(tuple(map(repr, row)) for row in conn.execute(select(*cols)))
    return out


def test_chunked_projection_matches_record_by_record(
    day_records: list[dict[str, Any]],
    db_url: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    one_by_one = _fed(db_url, day_records)
    chunked = _fed(_second_url(db_url, request, tmp_path), day_records)
    n = len(day_records)
    assert one_by_one.state.projector.run_until_idle(chunk=1) == n
    assert chunked.state.projector.run_until_idle() == n
    alone, together = _tables(one_by_one), _tables(chunked)
    assert together == alone
    for table in ("chk_inspection", "chk_transition", "chk_verdict", "chk_lab_sample"):
        assert together[table], f"the day left {table} empty: the comparison proves nothing"
    for table in ("chk_analyzer_result", "gw_ledger_entry", "gw_ledger_fork", "referral_case"):
        assert together[table], f"the day left {table} empty: the comparison proves nothing"
    with chunked.state.sessions() as s:
        outcomes = set(s.scalars(select(ProjectedRecord.outcome)))
    assert outcomes == {"applied", "archived", "dead_letter"}
    alerts = " ".join(map(str, together["chk_alert"]))
    assert "ledger.fork" in alerts and "ledger.tampered" in alerts


def test_chunk_that_dies_before_commit_leaves_nothing_and_the_rerun_projects_once(
    day_records: list[dict[str, Any]], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _fed(db_url, day_records)
    projector = app.state.projector
    write = chunk_module.Chunk.write

    def killed(self: chunk_module.Chunk, now: Any) -> None:
        write(self, now)  # every row of the chunk sent, then the process dies before COMMIT
        raise KeyboardInterrupt

    monkeypatch.setattr(chunk_module.Chunk, "write", killed)
    with pytest.raises(KeyboardInterrupt):
        projector.run_once()
    with app.state.sessions() as s:
        for model in (ProjectedRecord, Inspection, LedgerEntryRow):
            assert s.scalar(select(func.count()).select_from(model)) == 0, model.__name__
    monkeypatch.undo()
    assert projector.run_until_idle() == len(day_records)
    assert projector.run_until_idle() == 0
    with app.state.sessions() as s:
        projected = s.scalar(select(func.count()).select_from(ProjectedRecord))
        stored = s.scalar(select(func.count()).select_from(GatewayRecordRow))
        entries = s.scalar(select(func.count()).select_from(LedgerEntryRow))
    ledger = sum(1 for r in day_records if r["kind"] == "ledger.entry")
    assert projected == stored == len(day_records) and entries == ledger


def test_a_chunk_read_by_two_replicas_is_applied_once(
    day_records: list[dict[str, Any]], db_url: str
) -> None:
    """Both read the same pending records; the one that commits second finds them marked."""
    app = _fed(db_url, day_records)
    t = GatewayRecordRow.__table__
    with app.state.sessions() as s:
        pending = list(s.execute(select(*t.columns).order_by(t.c.seq)))
    first, second = app.state.projector, make_app(db_url, ManualClock(START)).state.projector
    with app.state.sessions.begin() as s:
        first._apply(s, pending)
    once = _tables(app)
    with app.state.sessions.begin() as s:
        second._apply(s, pending)
    assert _tables(app) == once


def test_the_projectors_plain_inspection_has_every_inspection_column() -> None:
    """A column added to ``chk_inspection`` and not to ``PlainInspection`` would make every
    chunk that loads an inspection fail (and every record be retried alone)."""
    from dataclasses import fields

    from coalguard.cloud.checks.chunk import PlainInspection
    from coalguard.cloud.checks.tables import Inspection

    assert {f.name for f in fields(PlainInspection)} == set(Inspection.__table__.c.keys())


def test_a_record_behind_the_newest_projected_is_found_once_nothing_new_is_pending(
    db_url: str, day_records: list[dict[str, Any]]
) -> None:
    """A batch that committed late sits behind records already projected (PostgreSQL numbers
    rows before commit): the projector reads new records first and searches the margin
    behind them when nothing new is pending, so the late one is never left behind."""
    app = _fed(db_url, day_records)
    projector = app.state.projector
    assert projector.run_until_idle() == len(day_records)
    camera = next(r["id"] for r in day_records if r["kind"] == "camera.event")
    with app.state.sessions.begin() as s:  # as if it had committed only now
        s.execute(ProjectedRecord.__table__.delete().where(ProjectedRecord.record_id == camera))
    assert projector.run_until_idle() == 1
    with app.state.sessions() as s:
        assert s.get(ProjectedRecord, camera).outcome == "archived"
    assert projector.run_until_idle() == 0
