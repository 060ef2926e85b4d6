"""The outbox contract: every implementation of the outbox interface passes these.

A test module gets the suite by defining an ``outbox_factory`` fixture that
returns ``make(policy=None, clock=None, disk_free=None) -> outbox`` and
importing ``*`` from here (Telegraf's buffer_suite_test pattern).
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from coalguard.edge.clock import ManualClock
from coalguard.edge.outbox import OutboxFull, OutboxPolicy, RecordInvalid

__all__ = [name for name in dir() if name.startswith("test_")]  # filled below

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def ob(outbox_factory: Any, clock: ManualClock) -> Any:
    return outbox_factory(clock=clock)


def body(n: int, pad: int = 0) -> dict[str, Any]:
    """A body whose size does not depend on ``n`` below 10**6 (quota tests count bytes)."""
    return {"n": n, "pad": "x" * pad, "w": " " * (6 - len(str(n)))}


# -- put ----------------------------------------------------------------------


def test_put_gives_id_and_utc_birth_and_keeps_body(ob: Any, clock: ManualClock) -> None:
    r = ob.put("verdict", {"sample": "S1", "值": 1.5, "nested": {"a": [1, None]}})
    assert uuid.UUID(r.id)
    assert r.kind == "verdict" and r.priority == "critical"
    assert r.born_at == T0 and r.born_at.tzinfo is not None
    assert r.body == {"sample": "S1", "值": 1.5, "nested": {"a": [1, None]}}
    got = ob.get(r.id)
    assert got is not None and got.body == r.body and got.born_at == T0
    assert ob.get(str(uuid.uuid4())) is None


def test_put_keeps_given_id_and_birth_time(ob: Any) -> None:
    rid = str(uuid.uuid4())
    born = datetime(2025, 12, 31, 23, 0, tzinfo=UTC) + timedelta(hours=8)
    r = ob.put("inspection", {}, record_id=rid.upper(), born_at=born.astimezone())
    assert r.id == rid
    assert r.born_at == born and r.born_at.utcoffset() == timedelta(0)


def test_body_is_a_copy(ob: Any) -> None:
    b = {"a": [1]}
    r = ob.put("verdict", b)
    b["a"].append(2)
    assert ob.get(r.id).body == {"a": [1]}


@pytest.mark.parametrize(
    ("args", "kwargs", "fragment"),
    [
        (("Verdict!", {}), {}, "kind"),
        (("", {}), {}, "kind"),
        (("verdict", [1]), {}, "body must be a JSON object"),
        (("verdict", {"x": float("nan")}), {}, "JSON"),
        (("verdict", {"x": object()}), {}, "JSON"),
        (("verdict", {}), {"priority": "urgent"}, "priority"),
        (("verdict", {}), {"born_at": datetime(2026, 1, 1)}, "timezone"),
        (("verdict", {}), {"record_id": "abc"}, "UUID"),
        (("verdict", {"pad": "x" * 5000}), {}, "limit is 4096 bytes"),
    ],
)
def test_put_refuses_bad_input_naming_it(
    outbox_factory: Any, args: tuple, kwargs: dict, fragment: str
) -> None:
    ob = outbox_factory(policy=OutboxPolicy(max_record_bytes=4096))
    with pytest.raises(RecordInvalid, match=fragment):
        ob.put(*args, **kwargs)
    assert ob.stats().pending == 0


def test_put_again_with_same_content_is_idempotent(ob: Any) -> None:
    rid = str(uuid.uuid4())
    a = ob.put("verdict", {"x": 1}, record_id=rid, born_at=T0)
    b = ob.put("verdict", {"x": 1}, record_id=rid, born_at=T0)
    assert a.id == b.id and b.body == {"x": 1}
    assert ob.stats().pending == 1
    assert ob.stats().counters["put"] == 1


def test_put_same_id_with_other_content_is_refused(ob: Any) -> None:
    rid = str(uuid.uuid4())
    ob.put("verdict", {"x": 1}, record_id=rid, born_at=T0)
    with pytest.raises(RecordInvalid, match="already used"):
        ob.put("verdict", {"x": 2}, record_id=rid, born_at=T0)
    assert ob.get(rid).body == {"x": 1}


def test_put_many_commits_together(ob: Any) -> None:
    recs = ob.put_many(
        [{"kind": "verdict", "body": body(i)} for i in range(5)]
        + [{"kind": "reading", "body": {}, "priority": "telemetry"}]
    )
    assert len(recs) == 6 and len({r.id for r in recs}) == 6
    s = ob.stats()
    assert (s.pending, s.pending_critical, s.pending_telemetry) == (6, 5, 1)


def test_concurrent_producers_all_land(ob: Any) -> None:
    ids: list[str] = []
    lock = threading.Lock()

    def produce(p: int) -> None:
        for i in range(40):
            r = ob.put("verdict" if i % 2 else "reading", {"p": p, "i": i})
            with lock:
                ids.append(r.id)

    threads = [threading.Thread(target=produce, args=(p,)) for p in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(set(ids)) == 320
    assert ob.stats().pending == 320
    assert all(ob.get(i) is not None for i in ids)
    # per producer, commit order is put order
    leased = ob.lease(1000, 10**9)
    for p in range(8):
        seen = [r.body["i"] for r in leased if r.body["p"] == p]
        assert seen == list(range(40))


# -- lease / ack ----------------------------------------------------------


def test_lease_is_oldest_first_and_keeps_order_per_kind(ob: Any, clock: ManualClock) -> None:
    for i in range(30):
        ob.put(["verdict", "inspection", "camera_event"][i % 3], body(i))
        clock.advance(1)
    got = []
    while batch := ob.lease(7, 10**9):
        got.extend(batch)
        ob.ack(r.id for r in batch)
    assert [r.body["n"] for r in got] == list(range(30))
    for kind in ("verdict", "inspection", "camera_event"):
        births = [r.born_at for r in got if r.kind == kind]
        assert births == sorted(births) and len(births) == 10


def test_lease_respects_record_and_byte_budgets(ob: Any) -> None:
    recs = [ob.put("verdict", body(i, pad=100)) for i in range(10)]
    size = recs[0].size
    assert len(ob.lease(3, 10**9)) == 3
    ob.release(r.id for r in recs)
    batch = ob.lease(100, size * 4 + size // 2)
    assert [r.body["n"] for r in batch] == [0, 1, 2, 3]
    ob.release(r.id for r in batch)
    # a record bigger than the byte budget still goes out, alone
    assert len(ob.lease(100, 10)) == 1


def test_leased_records_are_not_leased_twice(ob: Any) -> None:
    for i in range(6):
        ob.put("verdict", body(i))
    a = ob.lease(4, 10**9)
    b = ob.lease(4, 10**9)
    assert [r.body["n"] for r in a] == [0, 1, 2, 3]
    assert [r.body["n"] for r in b] == [4, 5]
    assert ob.lease(4, 10**9) == []
    assert ob.stats().leased == 6


def test_a_record_put_after_the_outbox_emptied_is_leased(ob: Any) -> None:
    """Leasing reads on from the last record leased; once every record is acknowledged
    SQLite numbers the next one from the front again, and it must still go out."""
    for i in range(3):
        ob.put("verdict", body(i))
    a = ob.lease(10, 10**9)
    assert ob.lease(10, 10**9) == []
    ob.ack(r.id for r in a)
    later = ob.put("verdict", body(3))
    assert [r.id for r in ob.lease(10, 10**9)] == [later.id]


def test_pipelined_leases_read_on_in_commit_order(ob: Any) -> None:
    for i in range(10):
        ob.put("verdict", body(i))
    a = ob.lease(4, 10**9)
    b = ob.lease(4, 10**9)
    assert ob.ack(r.id for r in a) == 4
    assert [r.body["n"] for r in ob.lease(4, 10**9)] == [8, 9]
    ob.put("verdict", body(10))
    assert [r.body["n"] for r in ob.lease(4, 10**9)] == [10]
    ob.release(r.id for r in b)
    assert [r.body["n"] for r in ob.lease(10, 10**9)] == [4, 5, 6, 7]


def test_acking_the_newer_lease_first_keeps_the_older_one_out(ob: Any) -> None:
    for i in range(6):
        ob.put("verdict", body(i))
    a = ob.lease(3, 10**9)
    b = ob.lease(3, 10**9)
    assert ob.ack(r.id for r in b) == 3
    later = ob.put("verdict", body(6))
    assert [r.id for r in ob.lease(10, 10**9)] == [later.id]
    ob.release(r.id for r in a)
    assert [r.body["n"] for r in ob.lease(10, 10**9)] == [0, 1, 2]


def test_lease_pending_gives_the_wire_text_of_each_record(ob: Any) -> None:
    r = ob.put("camera_event", {"plate": "冀A12345", "q": 'a"b\\c', "n": [1.5, None]})
    (p,) = ob.lease_pending(10, 10**9)
    assert (p.id, p.kind, p.priority, p.size) == (r.id, r.kind, r.priority, r.size)
    assert p.wire_bytes() == r.to_wire_json().encode()
    assert p.record() == r


def test_release_sends_again_in_the_same_order(ob: Any) -> None:
    for i in range(5):
        ob.put("verdict", body(i))
    a = ob.lease(3, 10**9)
    ob.release(r.id for r in a)
    again = ob.lease(10, 10**9)
    assert [r.body["n"] for r in again] == [0, 1, 2, 3, 4]


def test_lease_expires_after_timeout(outbox_factory: Any, clock: ManualClock) -> None:
    ob = outbox_factory(clock=clock, policy=OutboxPolicy(lease_timeout=timedelta(seconds=30)))
    ob.put("verdict", body(1))
    assert len(ob.lease(10, 10**9)) == 1
    clock.advance(29)
    assert ob.lease(10, 10**9) == []
    clock.advance(2)
    assert len(ob.lease(10, 10**9)) == 1


def test_ack_removes_only_what_was_acked(ob: Any) -> None:
    recs = [ob.put("verdict", body(i)) for i in range(5)]
    batch = ob.lease(5, 10**9)
    assert ob.ack([recs[1].id, recs[3].id, str(uuid.uuid4())]) == 2
    assert ob.ack([recs[1].id]) == 0  # already acked
    ob.release(r.id for r in batch)
    assert [r.body["n"] for r in ob.lease(10, 10**9)] == [0, 2, 4]
    s = ob.stats()
    assert s.pending == 3 and s.counters["acked"] == 2
    assert ob.get(recs[1].id) is None


def test_ack_without_lease_works(ob: Any) -> None:
    r = ob.put("verdict", body(1))
    assert ob.ack([r.id]) == 1
    assert ob.stats().pending == 0


# -- retention ------------------------------------------------------------


def test_acked_records_kept_for_retention_then_pruned(
    outbox_factory: Any, clock: ManualClock
) -> None:
    pol = OutboxPolicy(retain_acked=timedelta(hours=24), maintain_every=timedelta(minutes=1))
    ob = outbox_factory(clock=clock, policy=pol)
    r = ob.put("verdict", body(1))
    ob.ack([r.id])
    kept = ob.get(r.id)
    assert kept is not None and kept.acked_at == T0 and kept.body == body(1)
    s = ob.stats()
    assert (s.pending, s.retained) == (0, 1)
    assert ob.lease(10, 10**9) == []  # a sent record is never sent again
    clock.advance(timedelta(hours=23, minutes=59))
    ob.maintain()
    assert ob.get(r.id) is not None
    clock.advance(timedelta(minutes=2))
    ob.maintain()
    assert ob.get(r.id) is None
    assert ob.stats().retained == 0 and ob.stats().retained_bytes == 0


def test_retention_runs_by_itself_during_normal_work(
    outbox_factory: Any, clock: ManualClock
) -> None:
    pol = OutboxPolicy(retain_acked=timedelta(hours=1), maintain_every=timedelta(minutes=1))
    ob = outbox_factory(clock=clock, policy=pol)
    old = ob.put("verdict", body(1))
    ob.ack([old.id])
    clock.advance(timedelta(hours=2))
    ob.put("verdict", body(2))  # no explicit maintain(): puts run it when due
    assert ob.get(old.id) is None


def test_without_retention_acked_records_are_deleted(ob: Any) -> None:
    r = ob.put("verdict", body(1))
    ob.ack([r.id])
    assert ob.get(r.id) is None
    assert ob.stats().retained == 0


# -- bounds -----------------------------------------------------------------


def _sized_policy(records: int, size: int, **kw: Any) -> OutboxPolicy:
    return OutboxPolicy(quota_bytes=records * size, max_record_bytes=size * 2, **kw)


def _size(outbox_factory: Any) -> int:
    return outbox_factory().put("reading", body(0, pad=200), priority="telemetry").size


def test_over_quota_oldest_telemetry_goes_first_and_is_counted(
    outbox_factory: Any, clock: ManualClock
) -> None:
    size = _size(outbox_factory)
    ob = outbox_factory(clock=clock, policy=_sized_policy(10, size))
    crit = [ob.put("verdict", body(i, pad=200)) for i in range(3)]
    tele = [ob.put("reading", body(100 + i, pad=200), priority="telemetry") for i in range(7)]
    assert ob.stats().counters["dropped_telemetry_quota"] == 0
    more = [ob.put("reading", body(200 + i, pad=200), priority="telemetry") for i in range(3)]
    s = ob.stats()
    assert s.counters["dropped_telemetry_quota"] == 3
    assert s.total_bytes <= s.quota_bytes
    assert all(ob.get(r.id) is None for r in tele[:3])
    assert all(ob.get(r.id) is not None for r in tele[3:] + more + crit)
    assert s.health == "ok"


def test_critical_never_dropped_and_loud_when_it_fills_the_quota(
    outbox_factory: Any, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    size = _size(outbox_factory)
    ob = outbox_factory(clock=clock, policy=_sized_policy(5, size))
    t = ob.put("reading", body(0, pad=200), priority="telemetry")
    with caplog.at_level(logging.WARNING, logger="coalguard.edge.outbox"):
        crit = [ob.put("verdict", body(i, pad=200)) for i in range(8)]
    assert ob.get(t.id) is None  # telemetry went first
    assert all(ob.get(r.id) is not None for r in crit)  # no critical record was dropped
    s = ob.stats()
    assert s.pending_critical == 8 and s.total_bytes > s.quota_bytes
    assert s.health == "over_quota" and "never dropped" in s.health_reason
    assert s.counters["critical_over_quota"] == 3
    assert s.counters["dropped_telemetry_quota"] == 1
    assert sum("OVER QUOTA" in m for m in caplog.messages) == 1  # said once, not per put
    # new telemetry cannot push critical out: it is itself the oldest telemetry
    t2 = ob.put("reading", body(99, pad=200), priority="telemetry")
    assert ob.get(t2.id) is None and ob.stats().counters["dropped_telemetry_quota"] == 2
    # the warning repeats while the state lasts …
    clock.advance(ob.policy.warn_every)
    with caplog.at_level(logging.WARNING, logger="coalguard.edge.outbox"):
        ob.put("verdict", body(50, pad=200))
    assert sum("OVER QUOTA" in m for m in caplog.messages) == 2
    # … and the state ends when the cloud takes records
    ob.ack(r.id for r in crit)
    assert ob.stats().health == "ok"


def test_retained_records_are_evicted_before_unsent_telemetry(
    outbox_factory: Any, clock: ManualClock
) -> None:
    size = _size(outbox_factory)
    pol = _sized_policy(4, size, retain_acked=timedelta(days=30))
    ob = outbox_factory(clock=clock, policy=pol)
    sent = [ob.put("verdict", body(i, pad=200)) for i in range(2)]
    ob.ack(r.id for r in sent)
    tele = [ob.put("reading", body(10 + i, pad=200), priority="telemetry") for i in range(4)]
    s = ob.stats()
    assert s.counters["evicted_retained"] == 2 and s.counters["dropped_telemetry_quota"] == 0
    assert all(ob.get(r.id) is None for r in sent)
    assert all(ob.get(r.id) is not None for r in tele)


def test_telemetry_past_max_age_is_dropped_and_counted(
    outbox_factory: Any, clock: ManualClock
) -> None:
    pol = OutboxPolicy(telemetry_max_age=timedelta(hours=6), maintain_every=timedelta(minutes=1))
    ob = outbox_factory(clock=clock, policy=pol)
    old_t = ob.put("reading", body(1), priority="telemetry")
    old_c = ob.put("verdict", body(2))
    clock.advance(timedelta(hours=5))
    new_t = ob.put("reading", body(3), priority="telemetry")
    clock.advance(timedelta(hours=1, seconds=1))
    batch = ob.lease(10, 10**9)  # expiry runs before leasing
    assert [r.id for r in batch] == [old_c.id, new_t.id]
    assert ob.get(old_t.id) is None
    assert ob.stats().counters["dropped_telemetry_expired"] == 1


def test_disk_floor_refuses_loudly(outbox_factory: Any, clock: ManualClock) -> None:
    free = {"bytes": 10**9}
    pol = OutboxPolicy(min_free_disk_bytes=10**6)
    ob = outbox_factory(clock=clock, policy=pol, disk_free=lambda: free["bytes"])
    ob.put("verdict", body(1))
    free["bytes"] = 10**5
    with pytest.raises(OutboxFull, match="under the floor"):
        ob.put("verdict", body(2))
    s = ob.stats()
    assert s.health == "disk_floor" and s.pending == 1
    assert s.counters["refused_disk_floor"] == 1
    free["bytes"] = 10**9
    ob.put("verdict", body(3))
    assert ob.stats().health == "ok" and ob.stats().pending == 2


# -- stats ------------------------------------------------------------------


def test_stats_report_oldest_unsent_age(ob: Any, clock: ManualClock) -> None:
    assert ob.stats().oldest_pending_age_s is None
    first = ob.put("verdict", body(1))
    clock.advance(90)
    ob.put("verdict", body(2))
    s = ob.stats()
    assert s.oldest_pending_born_at == T0 and s.oldest_pending_age_s == 90
    ob.ack([first.id])
    assert ob.stats().oldest_pending_age_s == 0
    d = ob.stats().as_dict()
    assert d["pending"] == 1 and d["health"] == "ok" and d["counters"]["put"] == 2


def test_wait_returns_when_a_record_arrives(ob: Any) -> None:
    assert ob.wait(0.01) is False
    threading.Timer(0.05, lambda: ob.put("verdict", body(1))).start()
    assert ob.wait(10) is True


__all__ = [name for name in dict(globals()) if name.startswith("test_")] + ["clock", "ob"]
