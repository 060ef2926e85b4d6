"""Routes of the watch list: plates an office lists, and the list a gateway pulls.

Listing and removing plates is for staff (admin, operator) within their
region; reading the list too (installers have no use for it). The gateway
pulls its checkpoint's list with its own token, like the fast-pass list.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel, Field

from coalguard.cloud.api.deps import ClockDep
from coalguard.cloud.api.deps import Staff as WatchKeeper
from coalguard.cloud.api.gateway_pull import PullingCheckpoint, gateway_list
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.api.responses import problems
from coalguard.cloud.checks import watch
from coalguard.cloud.scope import scoped_region
from coalguard.edge import watchlist
from coalguard.edge.plain import plain

router = APIRouter(prefix="/api/v1", tags=["watch"])


class WatchPlateIn(BaseModel):
    plate: str = Field(min_length=2, max_length=16, examples=["冀A12345"])
    region_code: str = Field(pattern=r"^[0-9]{2,12}$", examples=["1301"])
    reason: str = Field(min_length=1, max_length=200, examples=["多次闯卡"])


class WatchPlateOut(BaseModel):
    plate: str
    region_code: str
    reason: str
    added_by: str
    added_at: AwareDatetime
    active: bool


class WatchListOut(watchlist.WatchList):
    """A checkpoint's watch list in ``region`` (the gateway's model, plus the region)."""

    region: str


def _out(w: Any) -> dict[str, Any]:
    return plain(w, ("plate", "region_code", "reason", "added_by", "added_at", "active"))


def _covered(op: Any, region_code: str) -> None:
    if not op.covers(region_code):
        raise Problem(403, "region_refused", region=op.region_prefix or "(all)")


@router.post(
    "/watch/plates", status_code=201, response_model=WatchPlateOut, responses=problems(422)
)
def add_watch_plate(
    request: Request, op: WatchKeeper, clock: ClockDep, body: WatchPlateIn
) -> dict[str, Any]:
    """Ask the checkpoints of a region to watch a plate, saying why."""
    _covered(op, body.region_code)
    with request.app.state.sessions.begin() as s:
        try:
            w = watch.add_plate(s, body.plate, body.region_code, body.reason, op.name, clock.now())
        except watch.WatchError as exc:
            raise Problem(422, "invalid", reason=exc) from None
        return _out(w)


@router.delete("/watch/plates/{plate}", response_model=WatchPlateOut, responses=problems(404))
def remove_watch_plate(
    request: Request, op: WatchKeeper, plate: str, region_code: str
) -> dict[str, Any]:
    """Take a plate off a region's list (kept, inactive, for the record)."""
    _covered(op, region_code)
    with request.app.state.sessions.begin() as s:
        w = watch.find(s, plate, region_code)
        if w is None:
            raise Problem(404, "no_watch_plate", plate=plate, region=region_code)
        w.active = False
        return _out(w)


@router.get("/watch/list", response_model=WatchListOut)
def watch_list(request: Request, op: WatchKeeper, region: str | None = None) -> dict[str, Any]:
    """The list a checkpoint in ``region`` gets (turn-backs within ``region`` only)."""
    region = scoped_region(op, region)
    with request.app.state.sessions() as s:
        wl = watch.listed(s, region, region, request.app.state.clock.now())
    return {"region": region, **wl.model_dump(mode="json", by_alias=True)}


@gateway_list(router, "watch.toml")
def gateway_watch_list(request: Request, cp: PullingCheckpoint) -> str:
    """The watch list for a gateway's checkpoint, with the gateway's own token."""
    scope = cp.region_code[: watch.GATEWAY_SCOPE_DIGITS]
    with request.app.state.sessions() as s:
        wl = watch.listed(s, cp.region_code, scope, request.app.state.clock.now())
    return watchlist.to_toml(wl, f"Watch list for checkpoint {cp.checkpoint_id}.")
