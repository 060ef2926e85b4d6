"""Which gateway may write a checkpoint's records, and what happens when another tries.

A checkpoint is bound to one gateway: the one an admin registered for it
(``PUT /api/v1/checkpoints/{id}`` with ``gateway_id``), or else the first
gateway whose records named it (trust on first use; registering pins it).
A record naming a checkpoint bound to another gateway is refused, and so is
a record that names its own checkpoint but reaches for another checkpoint's
inspection or lab sample by id: it is kept as a dead letter with the reason,
counted as outcome ``refused`` in the projection status, and raises a
``gateway.foreign_checkpoint`` alert in the victim checkpoint's region, so
its admin sees who tried.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from coalguard.cloud.batch_store import GatewayRecordRow, dead_letter_record
from coalguard.cloud.checks import alerts as cp_alerts
from coalguard.cloud.checks.tables import Checkpoint

log = logging.getLogger("coalguard.cloud.checks")
FOREIGN = "gateway.foreign_checkpoint"


def refusal(cp: Checkpoint | None, gateway_id: str) -> str | None:
    """Why ``gateway_id`` may not write checkpoint ``cp``; None when it may."""
    if cp is None or not cp.gateway_id or cp.gateway_id == gateway_id:
        return None
    return (
        f"checkpoint {cp.checkpoint_id!r} is bound to gateway {cp.gateway_id!r}; "
        f"gateway {gateway_id!r} may not write its records"
    )


class Foreign(Exception):
    """A record reaches for a row of another checkpoint (by inspection or lab sample id)."""

    def __init__(self, checkpoint_id: str, reason: str) -> None:
        super().__init__(reason)
        self.checkpoint_id = checkpoint_id


def same_checkpoint(row: Any, cp: Checkpoint, what: str, row_id: str) -> None:
    """Raise ``Foreign`` when ``row`` (an inspection, a lab sample) belongs to another checkpoint.

    The record names its own checkpoint but another checkpoint's inspection:
    without this, a gateway could release a truck elsewhere by its id.
    """
    if row is not None and row.checkpoint_id != cp.checkpoint_id:
        raise Foreign(
            row.checkpoint_id,
            f"{what} {row_id!r} belongs to checkpoint {row.checkpoint_id!r}, not to "
            f"{cp.checkpoint_id!r} of gateway {cp.gateway_id!r}; it may not be changed from there",
        )


def claim(s: Session, cp: Checkpoint, gateway_id: str) -> None:
    """Bind an unbound checkpoint to the first gateway that writes it.

    The row is re-read under a lock, so two projectors cannot each bind it
    to a different gateway; the loser's record then fails and is retried
    alone, and refused.
    """
    s.flush()  # a refresh must not drop changes made earlier in this transaction
    s.refresh(cp, with_for_update=True)
    if cp.gateway_id and cp.gateway_id != gateway_id:
        raise BindingRace(f"checkpoint {cp.checkpoint_id!r} was just bound to {cp.gateway_id!r}")
    if not cp.gateway_id:
        log.info("checkpoint %s bound to gateway %s (first records)", cp.checkpoint_id, gateway_id)
        cp.gateway_id = gateway_id


class BindingRace(Exception):
    """Another gateway's records bound the checkpoint meanwhile; the record is retried."""


def refuse(s: Session, rec: GatewayRecordRow, cp: Checkpoint, reason: str, now: datetime) -> None:
    """Dead-letter ``rec`` and alert ``cp``'s region (one open alert per intruding gateway)."""
    log.warning(
        "record %s (%s) from gateway %s refused: %s", rec.id, rec.kind, rec.gateway_id, reason
    )
    dead_letter_record(s, rec, "rejected", reason, now)
    cp_alerts.raise_alert(
        s,
        checkpoint_id=cp.checkpoint_id,
        region_code=cp.region_code,
        kind=FOREIGN,
        subject=rec.gateway_id,
        message=(
            f"gateway {rec.gateway_id} sent records touching checkpoint {cp.checkpoint_id}, "
            f"which belongs to gateway {cp.gateway_id}; refused"
        ),
        at=now,
        origin="cloud",
        detail={
            "gateway_id": rec.gateway_id,
            "bound_gateway_id": cp.gateway_id,
            "last_record_id": rec.id,
            "last_kind": rec.kind,
        },
    )
