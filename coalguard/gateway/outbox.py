"""The gateway's outbox: ``outbox_*`` tables in the gateway database itself.

Every record a step makes is ``put`` inside the step's transaction, so the
step's rows, its ledger entry and its records for the cloud commit together
or not at all (a crash can no longer leave the cloud with a step the gateway
rolled back, and so no forked ledger position or doubled transition).

Earlier versions kept a separate outbox file (``data_dir/outbox.sqlite``).
At start its unsent records are moved into the gateway's outbox in one
transaction, ids and birth times kept, and the file is renamed
``outbox.sqlite.migrated``; a crash before the rename repeats the move, which
finds the same ids already held and adds nothing.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from coalguard.edge.clock import Clock
from coalguard.edge.outbox import JoinedOutbox, Outbox, OutboxPolicy
from coalguard.edge.outbox.sqlite import disk_free_at
from coalguard.gateway.config import GatewayConfig
from coalguard.gateway.store import Store

log = logging.getLogger("coalguard.gateway.outbox")
_MOVE_BATCH = 500


def open_outbox(config: GatewayConfig, store: Store, clock: Clock) -> JoinedOutbox:
    """The outbox in ``store``, with the configured quota and disk floor."""
    return JoinedOutbox(
        store,
        policy=OutboxPolicy(
            quota_bytes=config.outbox.quota_mb * 1024**2,
            min_free_disk_bytes=config.outbox.min_free_disk_mb * 1024**2,
        ),
        clock=clock,
        disk_free=disk_free_at(store.path),
    )


def adopt_legacy_outbox(path: Path, outbox: JoinedOutbox, store: Store) -> int:
    """Move the unsent records of an old outbox file into ``outbox``; returns how many.

    Run before the uplink starts. Raises ``OutboxLocked`` if another process
    still has the file open (an old gateway still running).
    """
    if not path.exists():
        return 0
    old = Outbox(path)
    moved = 0
    try:
        with store.tx():
            while batch := old.lease(_MOVE_BATCH, 1 << 62):
                outbox.put_many(
                    {
                        "kind": r.kind,
                        "body": r.body,
                        "priority": r.priority,
                        "record_id": r.id,
                        "born_at": r.born_at,
                    }
                    for r in batch
                )
                moved += len(batch)
    finally:
        old.close()
    done = path.with_name(path.name + ".migrated")
    os.replace(path, done)
    Path(f"{path}.lock").unlink(missing_ok=True)
    log.warning(
        "moved %d unsent record(s) from the old outbox file %s into the gateway database; "
        "the file is kept as %s",
        moved,
        path,
        done,
    )
    return moved
