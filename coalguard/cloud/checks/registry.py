"""Which region and jurisdiction each checkpoint belongs to, and the regions' offices.

A checkpoint first seen in a gateway's records has no region: only national
users see it until an admin registers it, which re-tags its rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from coalguard.cloud.checks.tables import (
    Checkpoint,
    CheckpointAlert,
    Inspection,
    LabSample,
    RegionOffice,
    VerdictRow,
)
from coalguard.edge.plain import plain


def register_checkpoint(
    s: Session,
    checkpoint_id: str,
    *,
    name: str,
    region_code: str,
    jurisdiction: str | None,
    gateway_id: str | None = None,
) -> Checkpoint:
    cp = s.get(Checkpoint, checkpoint_id)
    if cp is None:
        cp = Checkpoint(checkpoint_id=checkpoint_id)
        s.add(cp)
    cp.name = name or checkpoint_id
    cp.jurisdiction = jurisdiction
    cp.gateway_id = gateway_id or cp.gateway_id
    cp.registered = True
    if cp.region_code != region_code:
        cp.region_code = region_code
        for table in (Inspection, VerdictRow, LabSample, CheckpointAlert):
            s.execute(
                update(table)
                .where(table.checkpoint_id == checkpoint_id)
                .values(region_code=region_code)
            )
    s.flush()
    return cp


def set_office(s: Session, region_code: str, name: str, contact: str) -> RegionOffice:
    office = s.get(RegionOffice, region_code)
    if office is None:
        office = RegionOffice(region_code=region_code, name=name, contact=contact)
        s.add(office)
    office.name, office.contact = name, contact
    return office


CHECKPOINT_FIELDS = (
    "checkpoint_id",
    "name",
    "region_code",
    "jurisdiction",
    "gateway_id",
    "registered",
    "first_seen",
    "last_seen",
)


def checkpoint_view(cp: Checkpoint) -> dict[str, Any]:
    return plain(cp, CHECKPOINT_FIELDS, iso=("first_seen", "last_seen"))
