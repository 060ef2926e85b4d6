"""Golden records: each case is encoded as the gateway encodes and projected as the cloud projects.

``testdata/<kind>/today_*.json`` were captured from the gateway before the
records were typed (version 1 is that shape: records already in outboxes and
clouds must keep decoding); the other cases are built from the models.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from coalguard.cloud.batch_store import GatewayDeadLetterRow, store_batch
from coalguard.cloud.checks.projector import ARCHIVE_ONLY, Projector
from coalguard.cloud.checks.tables import ProjectedRecord
from coalguard.cloud.db import create_schema, make_engine, make_sessionmaker
from coalguard.edge.clock import SystemClock
from coalguard.edge.model import utcnow
from coalguard.edge.quality import ProfileSet
from coalguard.edge.records import REGISTRY, decode, encode, kinds
from tests.edge.records.gateway_day import drive, wire_records

DATA = Path(__file__).parent / "testdata"
CASES = sorted(DATA.glob("*/*.json"))
PROFILES = ProfileSet.load()


@dataclass
class Cloud:
    engine: Engine
    sessions: sessionmaker

    def ingest(self, wires: list[dict[str, Any]], gateway_id: str = "gw-golden") -> None:
        """Through the cloud's own batch store, then the projector."""
        outcomes = store_batch(
            self.engine, gateway_id, wires, max_record_bytes=1 << 20, received_at=utcnow()
        )
        assert {o.outcome for o in outcomes} == {"stored"}, outcomes
        Projector(self.sessions, PROFILES, SystemClock()).run_until_idle()


def _cloud(where: Path) -> Iterator[Cloud]:
    engine = make_engine(f"sqlite:///{where}/cloud.sqlite")
    create_schema(engine, for_tests_or_demo=True)
    yield Cloud(engine, make_sessionmaker(engine))
    engine.dispose()


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    """One cloud for all golden cases (each case has its own record id)."""
    yield from _cloud(tmp_path_factory.mktemp("cloud"))


@pytest.fixture
def fresh_cloud(tmp_path: Path) -> Iterator[Cloud]:
    yield from _cloud(tmp_path)


def _outcomes(sessions: sessionmaker, ids: list[str]) -> dict[str, tuple[str, str | None]]:
    with sessions() as s:
        rows = s.execute(
            select(ProjectedRecord.record_id, ProjectedRecord.outcome, ProjectedRecord.error).where(
                ProjectedRecord.record_id.in_(ids)
            )
        ).all()
    return {r: (o, e) for r, o, e in rows}


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_golden_record_round_trips_gateway_to_cloud(case: Path, cloud: Cloud) -> None:
    wire = json.loads(case.read_text())
    assert case.parent.name == wire["kind"]
    # Cloud side: the projector's decode, then the projection itself.
    record = decode(wire["kind"], wire["body"])
    # Gateway side: the model encodes to exactly the stored body (kind, priority too).
    assert encode(record) == (wire["kind"], wire["priority"], wire["body"])
    cloud.ingest([wire])
    outcome, error = _outcomes(cloud.sessions, [wire["id"]])[wire["id"]]
    expected = "archived" if type(record) in ARCHIVE_ONLY else "applied"
    assert (outcome, error) == (expected, None)


def test_every_registered_kind_has_a_golden_case() -> None:
    covered = {p.parent.name for p in CASES}
    assert kinds() - covered == set()
    assert covered - kinds() == set()  # no case for a kind nobody registered


def test_every_kind_is_projected_or_archive_only_on_purpose() -> None:
    archive = {m.KIND for m in ARCHIVE_ONLY}
    projected = {
        "inspection.transition",
        "analyzer.result",
        "lab.sampled",
        "lab.dispatched",
        "lab.received",
        "lab.reported",
        "alert.raised",
        "alert.cleared",
        "ledger.entry",
    }
    assert archive.isdisjoint(projected)
    assert archive | projected == {k for k, _ in REGISTRY}


def test_every_record_todays_gateway_makes_decodes_and_projects(
    tmp_path: Path, fresh_cloud: Cloud
) -> None:
    """Drive a real gateway through every step; the cloud accepts all it sends."""
    _gw, store = drive(tmp_path / "gw")
    try:
        wires = wire_records(store)
    finally:
        store.close()
    assert {w["kind"] for w in wires} == kinds()
    for w in wires:
        record = decode(w["kind"], w["body"])
        assert encode(record).body == w["body"]
    fresh_cloud.ingest(wires, gateway_id="gw-day")
    outcomes = _outcomes(fresh_cloud.sessions, [w["id"] for w in wires])
    bad = {i: o for i, o in outcomes.items() if o[0] not in ("applied", "archived")}
    assert bad == {} and len(outcomes) == len(wires)


def _dead_letters(sessions: sessionmaker, record_id: str) -> list[tuple[str, str]]:
    with sessions() as s:
        return list(
            s.execute(
                select(GatewayDeadLetterRow.outcome, GatewayDeadLetterRow.reason).where(
                    GatewayDeadLetterRow.record_id == record_id
                )
            ).all()
        )


def _wire(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "priority": "critical",
        "born_at": "2026-11-23T02:00:00+00:00",
        "body": body,
    }


def test_unknown_record_kind_is_dead_lettered_not_ignored(fresh_cloud: Cloud) -> None:
    """The projector used to mark kinds it had no handler for "ignored", silently."""
    rec = _wire("weather.report", {"checkpoint_id": "cp-test", "wind": 3})
    fresh_cloud.ingest([rec])
    outcome, reason = _outcomes(fresh_cloud.sessions, [rec["id"]])[rec["id"]]
    assert outcome == "dead_letter"
    assert reason is not None and "unknown record kind" in reason
    [(dl_outcome, dl_reason)] = _dead_letters(fresh_cloud.sessions, rec["id"])
    assert dl_outcome == "undecodable" and dl_reason == reason


def test_unknown_schema_version_is_dead_lettered_with_its_reason(fresh_cloud: Cloud) -> None:
    body = json.loads((DATA / "fast_pass.loaded" / "today.json").read_text())["body"]
    rec = _wire("fast_pass.loaded", {**body, "schema_version": 7})
    fresh_cloud.ingest([rec])
    outcome, reason = _outcomes(fresh_cloud.sessions, [rec["id"]])[rec["id"]]
    assert outcome == "dead_letter"
    assert reason is not None and "schema version 7" in reason
    assert _dead_letters(fresh_cloud.sessions, rec["id"])[0][1] == reason
