"""Durable store-and-forward queue of records born at the edge.

``Outbox(path)`` (SQLite, WAL) is the one to use; ``MemoryOutbox`` has the
same contract without durability, for tests. ``put`` returns only once the
record is committed; the uplink ``lease``s batches and ``ack``s what the
cloud confirmed.
"""

from coalguard.edge.outbox.clock import Clock, ManualClock, SystemClock
from coalguard.edge.outbox.core import OutboxCore
from coalguard.edge.outbox.memory import MemoryOutbox
from coalguard.edge.outbox.policy import OutboxFull, OutboxPolicy, OutboxStats
from coalguard.edge.outbox.record import PRIORITIES, OutboxRecord, RecordInvalid
from coalguard.edge.outbox.sqlite import Outbox, OutboxCorrupt, OutboxLocked

__all__ = [
    "PRIORITIES",
    "Clock",
    "ManualClock",
    "MemoryOutbox",
    "Outbox",
    "OutboxCore",
    "OutboxCorrupt",
    "OutboxFull",
    "OutboxLocked",
    "OutboxPolicy",
    "OutboxRecord",
    "OutboxStats",
    "RecordInvalid",
    "SystemClock",
]
