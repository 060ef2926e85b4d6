"""The outbox contract suite against the outbox inside the gateway database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coalguard.edge.outbox import JoinedOutbox, OutboxLocked
from coalguard.gateway.store import Store
from tests.edge.outbox_contract import *  # noqa: F403

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def outbox_factory(tmp_path: Path) -> Iterator[Any]:
    made: list[tuple[Any, Store]] = []

    def make(**kw: Any) -> Any:
        store = Store(tmp_path / f"gateway{len(made)}.sqlite")
        ob = JoinedOutbox(store, **kw)
        made.append((ob, store))
        return ob

    yield make
    for ob, store in made:
        ob.close()
        store.close()


# -- joining the host's transaction ---------------------------------------------


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "gateway.sqlite")
    yield store
    store.close()


def test_put_in_a_rolled_back_transaction_leaves_nothing(host: Store) -> None:
    ob = JoinedOutbox(host)
    kept = ob.put("verdict", {"n": 0})
    with pytest.raises(RuntimeError, match="power cut"), host.tx() as db:
        db.execute("INSERT INTO meta(key, value) VALUES ('step', 'half')")
        a = ob.put("verdict", {"n": 1})
        b = ob.put("reading", {"n": 2}, priority="telemetry")
        raise RuntimeError("power cut")
    assert ob.get(a.id) is None and ob.get(b.id) is None
    assert host.scalar("SELECT COUNT(*) FROM meta WHERE key = 'step'") == 0
    s = ob.stats()
    assert (s.pending, s.pending_critical, s.pending_telemetry) == (1, 1, 0)
    assert s.counters["put"] == 1
    assert [r.id for r in ob.lease(10, 10**9)] == [kept.id]


def test_put_commits_with_the_callers_rows(host: Store) -> None:
    ob = JoinedOutbox(host)
    with host.tx() as db:
        db.execute("INSERT INTO meta(key, value) VALUES ('step', 'done')")
        r = ob.put("verdict", {"n": 1})
        assert db.in_transaction  # the put did not commit the caller's transaction
    assert ob.get(r.id) is not None and ob.stats().pending == 1
    assert host.scalar("SELECT value FROM meta WHERE key = 'step'") == "done"


def test_totals_survive_reopening_after_a_rollback(host: Store, tmp_path: Path) -> None:
    ob = JoinedOutbox(host)
    with pytest.raises(ValueError), host.tx():
        ob.put("verdict", {"n": 1})
        raise ValueError
    ob.put("verdict", {"n": 2})
    ob.close()
    again = JoinedOutbox(host)
    assert again.stats().pending == 1 == ob.stats().pending


def test_one_process_owns_the_outbox_in_a_database(host: Store) -> None:
    ob = JoinedOutbox(host)
    with pytest.raises(OutboxLocked, match="in use by another process"):
        JoinedOutbox(host)
    ob.close()
    JoinedOutbox(host).close()
