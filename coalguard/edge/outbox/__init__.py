"""Durable store-and-forward queue of records born at the edge.

``Outbox(path)`` (SQLite, WAL) is the one to use alone; ``JoinedOutbox(host)``
keeps the queue in a host's database so a ``put`` commits with the host's own
transaction; ``MemoryOutbox`` has the same contract without durability, for
tests. ``put`` returns only once the record is committed (in a host's open
transaction: commits with it); the uplink ``lease``s batches and ``ack``s what
the cloud confirmed.
"""

from coalguard.edge.outbox.core import OutboxCore
from coalguard.edge.outbox.joined import JoinedOutbox, TransactionHost
from coalguard.edge.outbox.memory import MemoryOutbox
from coalguard.edge.outbox.policy import OutboxFull, OutboxPolicy, OutboxStats
from coalguard.edge.outbox.record import PRIORITIES, OutboxRecord, RecordInvalid
from coalguard.edge.outbox.sqlite import Outbox, OutboxCorrupt, OutboxLocked

__all__ = [
    "PRIORITIES",
    "JoinedOutbox",
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
    "TransactionHost",
]
