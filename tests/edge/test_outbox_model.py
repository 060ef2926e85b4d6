"""Random sequences of outbox operations checked against a plain model (Hypothesis).

The model: an ordered list of unsent ids and a set of leased ones. Any
implementation that loses a record, leases one twice, sends out of commit
order or miscounts fails here.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from coalguard.edge.clock import ManualClock
from coalguard.edge.outbox import MemoryOutbox, Outbox

KINDS = ["verdict", "inspection", "reading"]


class OutboxModel(RuleBasedStateMachine):
    make: Any = None

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock()
        self.ob = self.make(self.clock)
        self.unsent: list[str] = []
        self.leased: set[str] = set()
        self.acked = 0
        self.n = 0

    @rule(kind=st.sampled_from(KINDS), count=st.integers(1, 4))
    def put(self, kind: str, count: int) -> None:
        for _ in range(count):
            r = self.ob.put(kind, {"n": self.n})
            self.n += 1
            self.unsent.append(r.id)

    @rule(max_records=st.integers(1, 6))
    def lease(self, max_records: int) -> None:
        got = [r.id for r in self.ob.lease(max_records, 10**9)]
        free = [i for i in self.unsent if i not in self.leased]
        assert got == free[:max_records]  # oldest first, never twice
        self.leased.update(got)

    @precondition(lambda self: self.leased)
    @rule(data=st.data())
    def ack_some(self, data: st.DataObject) -> None:
        ids = data.draw(st.lists(st.sampled_from(sorted(self.leased)), unique=True, min_size=1))
        assert self.ob.ack(ids) == len(ids)
        self.leased.difference_update(ids)
        self.unsent = [i for i in self.unsent if i not in ids]
        self.acked += len(ids)

    @precondition(lambda self: self.leased)
    @rule()
    def release_all(self) -> None:
        self.ob.release(list(self.leased))
        self.leased.clear()

    @rule()
    def ack_unknown(self) -> None:
        assert self.ob.ack(["00000000-0000-7000-8000-000000000000"]) == 0

    @invariant()
    def counts_agree(self) -> None:
        s = self.ob.stats()
        assert s.pending == len(self.unsent)
        assert s.leased == len(self.leased)
        assert s.counters["put"] == self.n and s.counters["acked"] == self.acked

    def teardown(self) -> None:
        self.ob.close()


def _run(make: Any) -> None:
    machine = type("Machine", (OutboxModel,), {"make": staticmethod(make)})
    runner = machine.TestCase
    runner.settings = settings(
        max_examples=25,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    runner().runTest()


@pytest.mark.timeout(120)
def test_memory_outbox_matches_the_model() -> None:
    _run(lambda clock: MemoryOutbox(clock=clock))


@pytest.mark.timeout(120)
def test_sqlite_outbox_matches_the_model(tmp_path: Path) -> None:
    def make(clock: ManualClock) -> Outbox:
        return Outbox(Path(tempfile.mkdtemp(dir=tmp_path)) / "o.sqlite", clock=clock)

    _run(make)
