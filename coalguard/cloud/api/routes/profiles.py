"""Routes of the profile sets: the active set gateways pull, and who judges with which version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import func, select

from coalguard.cloud.api.deps import Reader, SessionDep
from coalguard.cloud.api.gateway_pull import gateway_get
from coalguard.cloud.checks import profile_sets
from coalguard.cloud.checks.tables import Checkpoint, VerdictRow
from coalguard.edge.quality.profiles import ProfileSetDoc

router = APIRouter(prefix="/api/v1", tags=["profiles"])


class InstalledSetOut(BaseModel):
    version: str
    label: str
    digest: str
    installed_at: datetime
    installed_by: str
    active: bool


class CheckpointSetOut(BaseModel):
    checkpoint_id: str
    region_code: str
    profile_set: str | None  # the version of its latest verdict (None: made before versions)
    at: datetime


class ProfileSetsOut(BaseModel):
    active: str  # the version gateways pull and the cloud judges with
    installed: list[InstalledSetOut]
    checkpoints: list[CheckpointSetOut]


@gateway_get(router, "profiles.json", ProfileSetDoc)
def gateway_profiles(request: Request, gateway_id: str) -> dict[str, Any]:
    """The active profile set, with the gateway's own token: profiles, jurisdictions, digest."""
    with request.app.state.sessions() as s:
        return request.app.state.profile_sets.served(s)


@router.get("/profile-sets", response_model=ProfileSetsOut)
def installed_sets(request: Request, op: Reader, s: SessionDep) -> dict[str, Any]:
    """Installed sets, the active one, and the version each checkpoint last judged with."""
    latest = (
        select(VerdictRow.checkpoint_id, func.max(VerdictRow.at).label("at"))
        .where(VerdictRow.source == "rapid")
        .group_by(VerdictRow.checkpoint_id)
        .subquery()
    )
    rows = s.execute(
        select(
            Checkpoint.checkpoint_id, Checkpoint.region_code, VerdictRow.profile_set, latest.c.at
        )
        .join(latest, latest.c.checkpoint_id == Checkpoint.checkpoint_id)
        .join(
            VerdictRow,
            (VerdictRow.checkpoint_id == latest.c.checkpoint_id)
            & (VerdictRow.at == latest.c.at)
            & (VerdictRow.source == "rapid"),
        )
        .order_by(Checkpoint.checkpoint_id)
    ).all()
    seen: dict[str, dict[str, Any]] = {}
    for cp_id, region, version, at in rows:
        if op.covers(region) and cp_id not in seen:
            seen[cp_id] = {
                "checkpoint_id": cp_id,
                "region_code": region,
                "profile_set": version,
                "at": at,
            }
    return {
        "active": request.app.state.profile_sets.current(s).version,
        "installed": [
            {k: getattr(r, k) for k in InstalledSetOut.model_fields}
            for r in profile_sets.installed(s)
        ],
        "checkpoints": list(seen.values()),
    }
