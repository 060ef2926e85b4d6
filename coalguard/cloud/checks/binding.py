"""Which gateway may write a checkpoint's records, and what happens when another tries.

A checkpoint is bound to one gateway: the one an admin registered for it
(``PUT /api/v1/checkpoints/{id}`` with ``gateway_id``), or else the first
gateway whose records named it (trust on first use; registering pins it).
A record naming a checkpoint bound to another gateway is refused: it is kept
as a dead letter with the reason, counted as outcome ``refused`` in the
projection status, and raises a ``gateway.foreign_checkpoint`` alert in the
checkpoint's region, so its admin sees who tried.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from coalguard.cloud.batch_store import GatewayDeadLetterRow, GatewayRecordRow, raw_text
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


def claim(s: Session, cp: Checkpoint, gateway_id: str) -> None:
    """Bind an unbound checkpoint to the first gateway that writes it.

    The row is re-read under a lock, so two projectors cannot each bind it
    to a different gateway; the loser's record then fails and is retried
    alone, and refused.
    """
    s.refresh(cp, with_for_update=True)
    if cp.gateway_id and cp.gateway_id != gateway_id:
        raise BindingRace(f"checkpoint {cp.checkpoint_id!r} was just bound to {cp.gateway_id!r}")
    if not cp.gateway_id:
        log.info("checkpoint %s bound to gateway %s (first records)", cp.checkpoint_id, gateway_id)
        cp.gateway_id = gateway_id


class BindingRace(Exception):
    """Another gateway's records bound the checkpoint meanwhile; the record is retried."""


def refuse(s: Session, rec: GatewayRecordRow, cp: Checkpoint, reason: str) -> None:
    """Dead-letter ``rec`` and alert the checkpoint's region (one open alert per gateway)."""
    now = datetime.now(UTC)
    log.warning(
        "record %s (%s) from gateway %s refused: %s", rec.id, rec.kind, rec.gateway_id, reason
    )
    s.add(
        GatewayDeadLetterRow(
            gateway_id=rec.gateway_id,
            record_id=rec.id,
            outcome="rejected",
            reason=reason,
            raw=raw_text(
                {
                    "id": rec.id,
                    "kind": rec.kind,
                    "priority": rec.priority,
                    "born_at": rec.born_at.isoformat(),
                    "body": rec.body,
                }
            ),
            received_at=now,
        )
    )
    cp_alerts.raise_alert(
        s,
        checkpoint_id=cp.checkpoint_id,
        region_code=cp.region_code,
        kind=FOREIGN,
        subject=rec.gateway_id,
        message=(
            f"gateway {rec.gateway_id} sent records for checkpoint {cp.checkpoint_id}, "
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
