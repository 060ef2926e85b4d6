"""The exit check: a truck the exit camera reads must have been let go.

A truck may leave once its inspection was released, or sent on with a lab
sample, within ``[exit] released_within_minutes``. Any other confident exit
read is a bypass: the truck left while still in the workflow, after a
turn-back or a cancel, or without ever stopping (no inspection at all, or only
one closed long ago). The camera desk raises it as a ``camera.bypass`` alert
in the same transaction that stores the read.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from coalguard.gateway.config import Camera
from coalguard.gateway.stored_time import iso
from coalguard.gateway.workflow import State

MAY_LEAVE = frozenset({State.RELEASED.value, State.LAB_SAMPLE.value})
KIND = "camera.bypass"


@dataclass(frozen=True)
class Bypass:
    """A plate that left without being let go, and what the gateway knew of it."""

    plate: str
    reason: Literal["not_released", "never_arrived"]
    inspection_id: str | None = None
    state: str | None = None

    def message(self, camera: Camera) -> str:
        """One line for logs and the cloud (the page words it from the catalog)."""
        at = f"exit camera {camera.id} ({camera.name})"
        if self.reason == "never_arrived":
            return f"{self.plate} read at {at} but never arrived at the checkpoint"
        return f"{self.plate} read at {at} while {self.state}, not released"

    def detail(self) -> dict[str, Any]:
        return asdict(self)


def is_exit_read(camera: Camera, kind: str, direction: str | None, confidence: float) -> bool:
    """A plate read sure enough to act on, at an exit camera, not of a truck coming in."""
    return (
        camera.role == "exit"
        and kind == "plate"
        and direction != "in"
        and confidence >= camera.min_confidence
    )


@dataclass(frozen=True)
class ExitCheck:
    """What an exit read means: the inspection that let the truck go, or a bypass."""

    let_go_by: str | None = None  # the exit read is linked to it (evidence it left)
    bypass: Bypass | None = None


def check_exit(db: sqlite3.Connection, plate: str, now: datetime, window: timedelta) -> ExitCheck:
    """Let go when ``plate``'s latest inspection released it within ``window``; else a bypass."""
    row = db.execute(
        "SELECT id, state, closed_at FROM inspections WHERE plate = ? "
        "ORDER BY opened_at DESC LIMIT 1",
        (plate,),
    ).fetchone()
    if row is None:
        return ExitCheck(bypass=Bypass(plate, "never_arrived"))
    if row["state"] in MAY_LEAVE:
        if row["closed_at"] and row["closed_at"] >= iso(now - window):
            return ExitCheck(let_go_by=row["id"])
        return ExitCheck(bypass=Bypass(plate, "never_arrived"))  # let go long ago: not this trip
    return ExitCheck(bypass=Bypass(plate, "not_released", row["id"], row["state"]))
