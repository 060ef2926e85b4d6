"""The watch list the cloud serves (issue 12): managed plates and plates turned back nearby.

A region's office lists a plate with its reason; a plate listed for a region
applies at every checkpoint inside it. Plates turned back (劝返) at any
checkpoint of the scope within the window come from the projected
transitions, one entry per plate with how often and where last. A gateway's
scope is its checkpoint's city (the first ``GATEWAY_SCOPE_DIGITS`` digits of
its region code): trucks cross county lines.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.checks.tables import Checkpoint, Inspection, Transition, WatchPlate
from coalguard.edge import listfile
from coalguard.edge.clock import LOCAL_TZ
from coalguard.edge.plates import normalize_plate
from coalguard.edge.watchlist import WatchedPlate, WatchList
from coalguard.errors import WordedValueError

GATEWAY_SCOPE_DIGITS = 4
WINDOW_DAYS = 30


class WatchError(WordedValueError):
    """A watch entry the cloud refuses: a ``[refusal]`` key and its parameters."""


def add_plate(
    s: Session, plate: str, region_code: str, reason: str, who: str, at: datetime
) -> WatchPlate:
    """List ``plate`` for ``region_code`` (again, with the new reason, if it was removed)."""
    p = normalize_plate(plate)
    if len(p) < 2:
        raise WatchError("watch_plate_short")
    row = find(s, p, region_code)
    if row is None:
        row = WatchPlate(plate=p, region_code=region_code)
        s.add(row)
    row.reason, row.added_by, row.added_at, row.active = reason.strip(), who, at, True
    s.flush()
    return row


def find(s: Session, plate: str, region_code: str) -> WatchPlate | None:
    return s.scalars(
        select(WatchPlate).where(
            WatchPlate.plate == normalize_plate(plate), WatchPlate.region_code == region_code
        )
    ).first()


def listed(
    s: Session, region: str, scope: str, now: datetime, days: int = WINDOW_DAYS
) -> WatchList:
    """The watch list of a checkpoint in ``region``: plates listed for it or any region
    containing it, and plates turned back within ``scope`` in the last ``days`` days."""
    prefixes = [region[:k] for k in range(1, len(region) + 1)]
    entries: dict[tuple[str, str], WatchedPlate] = {}
    for w in s.scalars(
        select(WatchPlate)
        .where(WatchPlate.active.is_(True), WatchPlate.region_code.in_(prefixes))
        .order_by(WatchPlate.plate, WatchPlate.region_code)
    ):
        entries.setdefault(
            (w.plate, "listed"),
            WatchedPlate(plate=w.plate, source="listed", reason=w.reason, at=w.added_at),
        )
    names = {i: n for i, n in s.execute(select(Checkpoint.checkpoint_id, Checkpoint.name))}
    turns = s.execute(
        select(Inspection.plate, Transition.at, Inspection.checkpoint_id)
        .join(Inspection, Inspection.id == Transition.inspection_id)
        .where(
            Transition.action == "turn_back",
            Transition.at >= now - timedelta(days=days),
            Inspection.region_code.startswith(scope),
        )
        .order_by(Transition.at)
    )
    for plate, at, checkpoint_id in turns:
        before = entries.get((plate, "turned_back"))
        entries[(plate, "turned_back")] = WatchedPlate(
            plate=plate,
            source="turned_back",
            at=at,
            times=before.times + 1 if before else 1,
            checkpoint_id=checkpoint_id,
            checkpoint=names.get(checkpoint_id) or "",
        )
    plates = [entries[k] for k in sorted(entries)]
    day = now.astimezone(LOCAL_TZ).date()
    return WatchList(version=listfile.version_of(plates, day), days=days, plates=plates)
