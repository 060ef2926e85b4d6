"""Camera metadata (R9): intake, linking to inspections, retention, silence.

Pushed events are validated (a bad one is dead-lettered with its reason and
counted), de-duplicated on the read (camera, event id, capture time, plate),
linked to the inspection of the same plate, and kept at least 90 days. An
event id the camera sends again with another time or plate is a new read
after the camera's counter reset: stored, and the reset counted per camera
(``devices.counter_resets``, one per counter run, not per reused id). A
confident read at an exit camera of a truck not let go raises a bypass alert
(``gateway/bypass.py``). Events of an inspection that failed,
went to the lab or has an open case are held until the case closes. Purging
deletes in small batches, each its own short transaction, so intake never
waits long; every run is logged with its counts.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from coalguard.drivers.camera import CameraEvent, parse_event
from coalguard.edge.clock import Clock
from coalguard.edge.plates import normalize_plate
from coalguard.edge.records import CameraEventRecord, CameraPurge
from coalguard.errors import InputError
from coalguard.gateway.alerts import Alerts
from coalguard.gateway.bypass import KIND as BYPASS
from coalguard.gateway.bypass import Bypass, check_exit, is_exit_read
from coalguard.gateway.config import MIN_RETENTION_DAYS, Camera
from coalguard.gateway.devices import Devices
from coalguard.gateway.errors import GatewayError
from coalguard.gateway.sink import RecordSink, dumps
from coalguard.gateway.store import Store
from coalguard.gateway.stored_time import iso, parse_iso
from coalguard.gateway.workflow import TERMINAL, Workflow

log = logging.getLogger("coalguard.gateway.cameras")
RAW_KEPT = 20000  # characters of a rejected push kept in its dead letter
_TERMINAL_SQL = ",".join(f"'{s.value}'" for s in TERMINAL)


@dataclass(frozen=True)
class Intake:
    status: str  # accepted | duplicate | rejected
    event_id: str | None = None
    inspection_id: str | None = None
    reason: str | None = None


@dataclass
class PurgeRun:
    at: str
    cutoff: str
    examined: int = 0
    purged: int = 0
    held: int = 0
    batches: int = 0


@dataclass
class CameraCounters:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    purged: int = 0
    bypasses: int = 0
    by_camera: dict[str, int] = field(default_factory=dict)


class CameraDesk:
    def __init__(
        self,
        store: Store,
        sink: RecordSink,
        alerts: Alerts,
        devices: Devices,
        workflow: Workflow,
        clock: Clock,
        cameras: list[Camera],
        checkpoint_id: str,
        retention_days: int = 92,
        purge_batch: int = 500,
        exit_window: timedelta = timedelta(minutes=240),
    ) -> None:
        if retention_days < MIN_RETENTION_DAYS:
            raise GatewayError("retention_too_short", days=retention_days)
        self.store = store
        self.sink = sink
        self.alerts = alerts
        self.devices = devices
        self.workflow = workflow
        self.clock = clock
        self.cameras = {c.id: c for c in cameras}
        self.checkpoint_id = checkpoint_id
        self.retention = timedelta(days=retention_days)
        self.purge_batch = purge_batch
        self.exit_window = exit_window
        self.purge_pause_s = 0.002
        self.counters = CameraCounters()
        self.started = clock.now()
        for c in cameras:
            devices.declare("camera", c.id)

    # -- intake ------------------------------------------------------------------

    def intake(self, raw: Any) -> Intake:
        try:
            ev = parse_event(raw)
        except InputError as exc:
            return self._reject(raw, str(exc))
        cam = self.cameras.get(ev.camera_id)
        if cam is None:
            return self._reject(raw, f"unknown camera {ev.camera_id!r}", ev.camera_id)
        plate = normalize_plate(ev.plate) if ev.plate else None
        now = self.clock.now()
        rid = str(uuid.uuid4())
        at = iso(ev.ts)
        with self.store.tx() as db:
            same_id = db.execute(
                "SELECT id, inspection_id, at, plate, epoch FROM camera_events "
                "WHERE camera_id = ? AND event_id = ?",
                (ev.camera_id, ev.event_id),
            ).fetchall()
            dup = next((r for r in same_id if r["at"] == at and r["plate"] == plate), None)
            if dup:
                self.counters.duplicates += 1
                return Intake("duplicate", dup["id"], dup["inspection_id"])
            epoch = self.devices.counter_run(ev.camera_id)
            if any(r["epoch"] == epoch for r in same_id):
                # This run already used the id: the camera's counter started again.
                epoch = self.devices.counter_reset(ev.camera_id)
                log.warning("camera %s reused event id %r: counter reset", cam.id, ev.event_id)
            exit_ = None
            if plate and is_exit_read(cam, ev.type, ev.direction, ev.confidence or 0):
                exit_ = check_exit(db, plate, now, self.exit_window)
            iid = self._open_inspection_for(db, plate) if plate else None
            if iid is None and exit_ is not None:
                iid = exit_.let_go_by
            if iid is None and self._opens_arrival(cam, ev, plate):
                # The arrival commits with the event: a push retried after a
                # crash finds both or neither, never a duplicate without arrival.
                assert plate is not None
                iid = self.workflow.arrive(plate, f"camera:{cam.id}", source="camera")
            body = ev.model_dump(mode="json")
            db.execute(
                "INSERT INTO camera_events(id, camera_id, event_id, type, at, received_at, plate, "
                "confidence, snapshot_ref, snapshot_sha256, clip_ref, clip_sha256, inspection_id, "
                "body, epoch) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    rid,
                    ev.camera_id,
                    ev.event_id,
                    ev.type,
                    at,
                    iso(now),
                    plate,
                    ev.confidence,
                    ev.snapshot.ref if ev.snapshot else None,
                    ev.snapshot.sha256 if ev.snapshot else None,
                    ev.clip.ref if ev.clip else None,
                    ev.clip.sha256 if ev.clip else None,
                    iid,
                    dumps(body),
                    epoch,
                ),
            )
            self.sink.put(
                CameraEventRecord(
                    checkpoint_id=self.checkpoint_id,
                    record_id=rid,
                    inspection_id=iid,
                    received_at=iso(now),
                    **body,
                ),
                record_id=rid,
            )
            was_silent = self.devices.seen(ev.camera_id)  # same transaction: one fsync
            if exit_ is not None and exit_.bypass is not None:
                self._raise_bypass(cam, exit_.bypass, rid)
        if was_silent:
            self.alerts.clear("camera.silent", ev.camera_id, "event received")
        self.counters.accepted += 1
        self.counters.by_camera[ev.camera_id] = self.counters.by_camera.get(ev.camera_id, 0) + 1
        return Intake("accepted", rid, iid)

    def _raise_bypass(self, cam: Camera, bypass: Bypass, rid: str) -> None:
        """``camera.bypass`` with the read, in the read's transaction (at once)."""
        self.counters.bypasses += 1
        log.warning("bypass: %s", bypass.message(cam))
        self.alerts.raise_(
            BYPASS,
            bypass.plate,
            bypass.message(cam),
            camera_id=cam.id,
            event=rid,
            **bypass.detail(),
        )

    def _opens_arrival(self, cam: Camera, ev: CameraEvent, plate: str | None) -> bool:
        return bool(
            plate
            and ev.type == "plate"
            and cam.creates_arrival
            and ev.direction != "out"
            and (ev.confidence or 0) >= cam.min_confidence
        )

    def _open_inspection_for(self, db: Any, plate: str) -> str | None:
        row = db.execute(
            f"SELECT id FROM inspections WHERE plate = ? AND state NOT IN ({_TERMINAL_SQL}) "
            "ORDER BY opened_at DESC LIMIT 1",
            (plate,),
        ).fetchone()
        return row[0] if row else None

    def _reject(self, raw: Any, reason: str, camera_id: str | None = None) -> Intake:
        self.counters.rejected += 1
        if camera_id is None and isinstance(raw, dict) and isinstance(raw.get("camera_id"), str):
            camera_id = raw["camera_id"][:64]
        try:
            text = json.dumps(raw, ensure_ascii=True, default=str)[:RAW_KEPT]
        except (TypeError, ValueError, RecursionError):
            text = ascii(raw)[:RAW_KEPT]
        self._dead_letter(text, reason, camera_id)
        if camera_id and camera_id in self.cameras:
            self.devices.error(camera_id, reason)
        return Intake("rejected", reason=reason)

    def reject_body(self, body: bytes, reason: str) -> Intake:
        """A push whose body is not an acceptable document: kept as sent, with the reason."""
        self.counters.rejected += 1
        self._dead_letter(body[:RAW_KEPT].decode("utf-8", "backslashreplace"), reason, None)
        return Intake("rejected", reason=reason)

    def _dead_letter(self, text: str, reason: str, camera_id: str | None) -> None:
        with self.store.tx() as db:
            db.execute(
                "INSERT INTO camera_dead_letters(id, received_at, camera_id, reason, raw) "
                "VALUES (?,?,?,?,?)",
                (str(uuid.uuid4()), iso(self.clock.now()), camera_id, reason, text),
            )

    # -- reading --------------------------------------------------------------------

    def for_inspection(self, iid: str) -> list[dict[str, Any]]:
        rows = self.store.rows(
            "SELECT * FROM camera_events WHERE inspection_id = ? ORDER BY at", (iid,)
        )
        return [dict(r) for r in rows]

    def dead_letters(self) -> int:
        return int(self.store.scalar("SELECT COUNT(*) FROM camera_dead_letters") or 0)

    # -- retention --------------------------------------------------------------------

    def purge(self, max_batches: int | None = None) -> PurgeRun:
        """Delete metadata older than the window, never held events, in batches."""
        now = self.clock.now()
        cutoff = iso(now - self.retention)
        run = PurgeRun(at=iso(now), cutoff=cutoff)
        eligible = (
            "SELECT e.id FROM camera_events e LEFT JOIN inspections i ON i.id = e.inspection_id "
            "WHERE e.received_at < ? AND e.at < ? AND (e.inspection_id IS NULL OR "
            f"(i.case_open = 0 AND i.state IN ({_TERMINAL_SQL}))) LIMIT ?"
        )
        while max_batches is None or run.batches < max_batches:
            with self.store.tx() as db:
                ids = [r[0] for r in db.execute(eligible, (cutoff, cutoff, self.purge_batch))]
                if not ids:
                    break
                db.executemany("DELETE FROM camera_events WHERE id = ?", [(i,) for i in ids])
            run.batches += 1
            run.purged += len(ids)
            if len(ids) < self.purge_batch:
                break
            # Let intake take the store between batches (the lock is not fair).
            time.sleep(self.purge_pause_s)
        run.held = int(
            self.store.scalar(
                "SELECT COUNT(*) FROM camera_events WHERE received_at < ? AND at < ?",
                (cutoff, cutoff),
            )
            or 0
        )
        run.examined = run.purged + run.held
        self.counters.purged += run.purged
        with self.store.tx() as db:
            db.execute(
                "INSERT INTO purge_runs(id, at, cutoff, examined, purged, held, batches) "
                "VALUES (?,?,?,?,?,?,?)",
                (
                    str(uuid.uuid4()),
                    run.at,
                    run.cutoff,
                    run.examined,
                    run.purged,
                    run.held,
                    run.batches,
                ),
            )
            self.sink.put(CameraPurge(checkpoint_id=self.checkpoint_id, **run.__dict__))
        return run

    # -- silence ------------------------------------------------------------------------

    def check_silent(self) -> list[str]:
        """Raise ``camera.silent`` for each camera quiet longer than its interval."""
        now = self.clock.now()
        silent = []
        for cam in self.cameras.values():
            dev = self.devices.get(cam.id) or {}
            last: datetime = parse_iso(dev["last_seen"]) if dev.get("last_seen") else self.started
            if now - last > timedelta(seconds=cam.expected_interval_s):
                silent.append(cam.id)
                if not dev.get("silent_since"):
                    self.devices.mark_silent(cam.id)
                    self.alerts.raise_(
                        "camera.silent",
                        cam.id,
                        f"camera {cam.id} ({cam.name}) silent since {iso(last)}",
                        last_seen=iso(last),
                    )
        return silent
