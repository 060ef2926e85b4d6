"""Simulated checkpoint cameras: plate reads and snapshots pushed over HTTP.

Each truck visit gives a plate read at the entry camera, a snapshot at the
sampling camera and a plate read at the exit, the way an ANPR camera reports
(several events per vehicle). Faults: misreads (one confusable character
swapped, low confidence), duplicates (the same event posted twice, as a
camera retrying after a lost answer does) and counter resets (after
``counter_reset_after`` events the event counter starts again at 1, as a
camera does after a power cut, so event ids come back with new reads).
Snapshot bytes are generated, and their SHA-256 is the one the event carries;
``snapshot_dir`` writes them out.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from coalguard.edge.clock import SystemClock

PROVINCES = "冀晋蒙京津鲁豫陕"
CONFUSABLE = {
    "8": "B",
    "B": "8",
    "0": "D",
    "D": "0",
    "1": "7",
    "7": "1",
    "5": "S",
    "S": "5",
    "2": "Z",
    "Z": "2",
}
_ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def random_plate(rng: random.Random) -> str:
    return (
        rng.choice(PROVINCES)
        + rng.choice("ABCDEFGHJK")
        + "".join(rng.choice(_ALNUM) for _ in range(5))
    )


def misread(plate: str, rng: random.Random) -> str:
    """Swap one confusable character (8↔B, 0↔D …); plates with none lose a character."""
    spots = [i for i, ch in enumerate(plate) if ch in CONFUSABLE and i >= 2]
    if not spots:
        i = rng.randrange(2, len(plate))
        return plate[:i] + rng.choice(_ALNUM) + plate[i + 1 :]
    i = rng.choice(spots)
    return plate[:i] + CONFUSABLE[plate[i]] + plate[i + 1 :]


@dataclass
class CameraSim:
    cameras: list[str] = field(default_factory=lambda: ["cam-entry", "cam-sampling", "cam-exit"])
    misread_rate: float = 0.1
    duplicate_rate: float = 0.05
    seed: int = 0
    snapshot_dir: Path | None = None
    start: datetime | None = None
    counter_reset_after: int | None = None
    _seq: int = 0
    _sent: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def _event(self, camera: str, kind: str, at: datetime, plate: str | None) -> dict[str, Any]:
        if self.counter_reset_after and self._sent and self._sent % self.counter_reset_after == 0:
            self._seq = 0  # the camera restarted: its counter begins again
        self._sent += 1
        self._seq += 1
        eid = f"{camera}-{self._seq:08d}"
        image = f"{camera}|{eid}|{plate}|{at.isoformat()}".encode() + self.rng.randbytes(64)
        ref = f"nvr://{camera}/{at:%Y%m%d}/{eid}.jpg"
        if self.snapshot_dir:
            path = self.snapshot_dir / camera / f"{eid}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(image)
            ref = str(path)
        ev: dict[str, Any] = {
            "v": 1,
            "camera_id": camera,
            "event_id": eid,
            "type": kind,
            "ts": at.isoformat(timespec="milliseconds"),
            "snapshot": {"ref": ref, "sha256": hashlib.sha256(image).hexdigest()},
        }
        if kind == "plate" and plate:
            wrong = self.rng.random() < self.misread_rate
            ev["plate"] = misread(plate, self.rng) if wrong else plate
            ev["confidence"] = round(
                self.rng.uniform(0.35, 0.7) if wrong else self.rng.uniform(0.86, 0.99), 2
            )
            ev["plate_color"] = "yellow"
            ev["direction"] = "out" if camera == self.cameras[-1] else "in"
            ev["track_id"] = f"{camera}-t{self._seq}"
        return ev

    def visit(self, plate: str, at: datetime) -> list[dict[str, Any]]:
        """Events of one truck: entry read, sampling snapshot, exit read."""
        entry, sampling, exit_ = (self.cameras + self.cameras[-1:] * 3)[:3]
        return [
            self._event(entry, "plate", at, plate),
            self._event(sampling, "snapshot", at + timedelta(minutes=3), None),
            self._event(exit_, "plate", at + timedelta(minutes=12), plate),
        ]

    def stream(
        self,
        plates: list[str] | None = None,
        count: int = 10,
        gap: timedelta = timedelta(minutes=2),
    ) -> Iterator[dict[str, Any]]:
        """Events for ``count`` trucks, duplicates included, in posting order."""
        at = self.start or SystemClock().now()
        for n in range(count):
            plate = plates[n % len(plates)] if plates else random_plate(self.rng)
            for ev in self.visit(plate, at):
                yield ev
                if self.rng.random() < self.duplicate_rate:
                    yield ev
            at += gap

    def heartbeat(self, at: datetime | None = None) -> list[dict[str, Any]]:
        """One overview snapshot per camera: a quiet road still proves the camera lives."""
        at = at or SystemClock().now()
        return [self._event(c, "snapshot", at, None) for c in self.cameras]


def post_events(
    url: str, events: list[dict[str, Any]], client: httpx.Client | None = None
) -> list[int]:
    """POST each event to ``{url}/api/v1/camera-events``; returns the status codes."""
    own = client is None
    client = client or httpx.Client(timeout=10)
    try:
        return [
            client.post(url.rstrip("/") + "/api/v1/camera-events", json=ev).status_code
            for ev in events
        ]
    finally:
        if own:
            client.close()
