"""The record sink contract against every ``RecordSink`` implementation.

``store``: ``StoreSink`` (tools and tests); ``joined``: the running gateway's
sink, the outbox in the gateway database as ``gateway/outbox.py`` opens it;
``outbox`` and ``memory``: the standalone edge outboxes, which serve as sinks
for the edge CLI and for tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from coalguard.edge.clock import ManualClock
from coalguard.edge.outbox import MemoryOutbox, Outbox, OutboxCore
from coalguard.gateway.config import GatewayConfig
from coalguard.gateway.outbox import open_outbox
from coalguard.gateway.sink import OutboxSink, RecordSink, StoreSink
from coalguard.gateway.store import Store
from tests.gateway.conftest import config_dict
from tests.gateway.sink_contract import *  # noqa: F403
from tests.gateway.sink_contract import T0, SinkCase

pytestmark = pytest.mark.timeout(60)


def _held(outbox: OutboxCore) -> int:
    s = outbox.stats()
    return s.pending + s.retained


@pytest.fixture(params=["store", "joined", "outbox", "memory"])
def sink_case(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SinkCase]:
    clock = ManualClock(T0)
    store = Store(tmp_path / "gateway.sqlite") if request.param in ("store", "joined") else None
    outbox: OutboxCore | None = None
    if store is not None and request.param == "store":
        sink = StoreSink(store, clock)
        case = SinkCase(sink, clock, sink.depth, host=store)
    elif store is not None:
        config = GatewayConfig.model_validate(config_dict(tmp_path / "data"))
        outbox = open_outbox(config, store, clock)
        case = SinkCase(OutboxSink(outbox), clock, lambda: _held(outbox), host=store)
    else:
        if request.param == "outbox":
            outbox = Outbox(tmp_path / "outbox.sqlite", clock=clock)
        else:
            outbox = MemoryOutbox(clock=clock)
        case = SinkCase(OutboxSink(outbox), clock, lambda: _held(outbox))
    assert isinstance(case.sink, RecordSink)
    yield case
    if outbox is not None:
        outbox.close()
    if store is not None:
        store.close()
