"""The record sink contract: every ``RecordSink`` implementation passes these.

The gateway's steps rely on exactly this and nothing more: a record is
checked as the outbox checks it, kept as given, idempotent by id (the same
content again is a no-op, other content under a used id is a conflict, never
silently dropped), and, for a sink kept in the gateway database, part of the
step's transaction. Quota, disk floor, leases and retention are the outbox's
policy (``tests/edge/outbox_contract.py``), not the seam's.

A test module gets the suite by defining a ``sink_case`` fixture returning a
``SinkCase`` and importing ``*`` from here (as ``outbox_contract``). The
suite calls the sink only through ``put_record`` and ``stored``: when the
sink's signature changes, adapt those two functions.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from coalguard.edge.clock import ManualClock
from coalguard.edge.outbox import RecordInvalid
from coalguard.edge.records import Record
from coalguard.gateway.sink import RecordSink
from coalguard.gateway.store import Store

T0 = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)


@dataclass(frozen=True)
class SinkCase:
    """One implementation under test: the sink, its clock, and what it holds."""

    sink: RecordSink
    clock: ManualClock
    count: Callable[[], int]  # records held
    host: Store | None = None  # the database whose transactions ``put`` joins


@dataclass(frozen=True)
class Stored:
    """What a sink holds for one record, as the cloud will receive it."""

    id: str
    kind: str
    priority: str
    born_at: datetime
    body: dict[str, Any]


class _Probe(Record):
    """Any kind, priority and body, for the storage contract (typing is the registry's)."""

    raw: Any

    def wire_body(self) -> Any:
        return self.raw


def put_record(
    sink: RecordSink, kind: str, body: Any, *, priority: str = "critical", **kw: Any
) -> str:
    """The suite's one call of ``RecordSink.put``; returns the record's id."""
    probe = type("Probe", (_Probe,), {"KIND": kind, "PRIORITY": priority})
    return sink.put(probe(raw=body), **kw).id


def stored(sink: Any, record_id: str) -> Stored | None:
    """The suite's one read of a sink: the record held under ``record_id``."""
    rec = sink.get(record_id)
    if rec is None:
        return None
    return Stored(rec.id, rec.kind, rec.priority, rec.born_at, rec.body)


# -- put ------------------------------------------------------------------------


def test_put_keeps_kind_priority_body_and_births_the_record_now(sink_case: SinkCase) -> None:
    body = {"sample": "S1", "值": 1.5, "nested": {"a": [1, None, True]}}
    rid = put_record(sink_case.sink, "verdict", body)
    assert uuid.UUID(rid)
    got = stored(sink_case.sink, rid)
    assert got == Stored(rid, "verdict", "critical", T0, body)
    assert got.born_at.utcoffset() == timedelta(0)
    tele = put_record(sink_case.sink, "reading", {}, priority="telemetry")
    assert stored(sink_case.sink, tele).priority == "telemetry"
    assert stored(sink_case.sink, str(uuid.uuid4())) is None


def test_put_keeps_a_given_id_and_birth_time_in_utc(sink_case: SinkCase) -> None:
    rid = str(uuid.uuid4())
    born = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    local = born.astimezone(timezone(timedelta(hours=8)))  # as Asia/Shanghai gives it
    assert put_record(sink_case.sink, "verdict", {}, record_id=rid.upper(), born_at=local) == rid
    got = stored(sink_case.sink, rid)
    assert got is not None and got.born_at == born and got.born_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("kind", "body", "kwargs", "fragment"),
    [
        ("Verdict!", {}, {}, "kind"),
        ("", {}, {}, "kind"),
        ("verdict", [1], {}, "body must be a JSON object"),
        ("verdict", {"x": object()}, {}, "JSON"),
        ("verdict", {}, {"priority": "urgent"}, "priority"),
        ("verdict", {}, {"born_at": datetime(2026, 1, 1)}, "timezone"),
        ("verdict", {}, {"record_id": "abc"}, "UUID"),
        ("verdict", {"pad": "x" * (1024 * 1024)}, {}, "limit is"),
    ],
    ids=["bad-kind", "empty-kind", "list-body", "object", "priority", "naive", "id", "size"],
)
def test_put_refuses_bad_input_naming_it(
    sink_case: SinkCase, kind: str, body: Any, kwargs: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(RecordInvalid, match=fragment):
        put_record(sink_case.sink, kind, body, **kwargs)
    assert sink_case.count() == 0


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_number_is_refused_not_stored_as_invalid_json(
    sink_case: SinkCase, number: float
) -> None:
    with pytest.raises(RecordInvalid, match="JSON"):
        put_record(sink_case.sink, "verdict", {"Aad": number})
    assert sink_case.count() == 0


def test_stored_body_is_a_copy_of_the_callers(sink_case: SinkCase) -> None:
    body: dict[str, Any] = {"a": [1]}
    rid = put_record(sink_case.sink, "verdict", body)
    body["a"].append(2)
    assert stored(sink_case.sink, rid).body == {"a": [1]}


# -- a repeated id ----------------------------------------------------------------


def test_repeated_id_with_same_content_is_idempotent(sink_case: SinkCase) -> None:
    rid = str(uuid.uuid4())
    first = put_record(sink_case.sink, "verdict", {"x": 1, "y": [2]}, record_id=rid)
    # key order is not content: the body is kept as canonical JSON
    again = put_record(sink_case.sink, "verdict", {"y": [2], "x": 1}, record_id=rid)
    assert first == again == rid
    assert sink_case.count() == 1


def test_repeated_id_with_other_body_is_a_conflict_not_silently_ignored(
    sink_case: SinkCase,
) -> None:
    rid = str(uuid.uuid4())
    put_record(sink_case.sink, "verdict", {"x": 1}, record_id=rid, born_at=T0)
    with pytest.raises(RecordInvalid, match="already used"):
        put_record(sink_case.sink, "verdict", {"x": 2}, record_id=rid, born_at=T0)
    assert stored(sink_case.sink, rid).body == {"x": 1}
    assert sink_case.count() == 1


@pytest.mark.parametrize(
    "other",
    [
        {"kind": "reading"},
        {"priority": "telemetry"},
        {"born_at": T0 + timedelta(microseconds=1)},
    ],
    ids=["kind", "priority", "born_at"],
)
def test_repeated_id_with_other_envelope_is_a_conflict(
    sink_case: SinkCase, other: dict[str, Any]
) -> None:
    rid = str(uuid.uuid4())
    first = {"kind": "verdict", "priority": "critical", "born_at": T0}
    put_record(sink_case.sink, body={"x": 1}, record_id=rid, **first)
    with pytest.raises(RecordInvalid, match="already used"):
        put_record(sink_case.sink, body={"x": 1}, record_id=rid, **{**first, **other})
    got = stored(sink_case.sink, rid)
    assert (got.kind, got.priority, got.born_at) == ("verdict", "critical", T0)


def test_retry_without_birth_time_after_the_clock_moved_is_a_conflict(
    sink_case: SinkCase,
) -> None:
    """A producer that retries by id passes ``born_at``; else each try is born anew."""
    rid = str(uuid.uuid4())
    put_record(sink_case.sink, "verdict", {"x": 1}, record_id=rid)
    sink_case.clock.advance(1)
    with pytest.raises(RecordInvalid, match="already used"):
        put_record(sink_case.sink, "verdict", {"x": 1}, record_id=rid)
    assert put_record(sink_case.sink, "verdict", {"x": 1}, record_id=rid, born_at=T0) == rid


def test_concurrent_producers_all_land(sink_case: SinkCase) -> None:
    ids: list[str] = []
    lock = threading.Lock()

    def produce(p: int) -> None:
        for i in range(20):
            rid = put_record(sink_case.sink, "verdict", {"p": p, "i": i})
            with lock:
                ids.append(rid)

    threads = [threading.Thread(target=produce, args=(p,)) for p in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(set(ids)) == 80 == sink_case.count()
    assert all(stored(sink_case.sink, rid) is not None for rid in ids)


# -- the step's transaction (sinks kept in the gateway database) ------------------


def _host(sink_case: SinkCase) -> Store:
    if sink_case.host is None:
        pytest.skip("this sink is not kept in the gateway database")
    return sink_case.host


def _step_rows(host: Store) -> int:
    return int(host.scalar("SELECT COUNT(*) FROM meta WHERE key = 'step'"))


def test_put_commits_with_the_steps_rows(sink_case: SinkCase) -> None:
    host = _host(sink_case)
    with host.tx() as db:
        db.execute("INSERT INTO meta(key, value) VALUES ('step', 'done')")
        rid = put_record(sink_case.sink, "verdict", {"n": 1})
        assert db.in_transaction  # the put did not commit the step half-way
    assert stored(sink_case.sink, rid) is not None and _step_rows(host) == 1


def test_put_in_a_rolled_back_step_leaves_no_record(sink_case: SinkCase) -> None:
    host = _host(sink_case)
    kept = put_record(sink_case.sink, "verdict", {"n": 0})
    with pytest.raises(RuntimeError, match="power cut"), host.tx() as db:
        db.execute("INSERT INTO meta(key, value) VALUES ('step', 'half')")
        lost = put_record(sink_case.sink, "verdict", {"n": 1})
        raise RuntimeError("power cut")
    assert stored(sink_case.sink, lost) is None and stored(sink_case.sink, kept) is not None
    assert sink_case.count() == 1 and _step_rows(host) == 0


def test_conflict_inside_a_step_rolls_the_whole_step_back(sink_case: SinkCase) -> None:
    host = _host(sink_case)
    rid = str(uuid.uuid4())
    put_record(sink_case.sink, "verdict", {"x": 1}, record_id=rid, born_at=T0)
    with pytest.raises(RecordInvalid, match="already used"), host.tx() as db:
        db.execute("INSERT INTO meta(key, value) VALUES ('step', 'half')")
        other = put_record(sink_case.sink, "verdict", {"n": 2})
        put_record(sink_case.sink, "verdict", {"x": 2}, record_id=rid, born_at=T0)
    assert _step_rows(host) == 0 and stored(sink_case.sink, other) is None
    assert sink_case.count() == 1


__all__ = [name for name in dict(globals()) if name.startswith("test_")]
