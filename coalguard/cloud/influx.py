"""Optional export of readings to InfluxDB (2.x or 1.x, ``influx_write``), for Grafana.

Schema (documented in docs/influxdb.md):

* ``co_state`` — tag ``region_code``; fields ``device_id`` (string),
  ``co_ppm``, ``battery_pct`` (float), ``alarm`` (string), ``tamper``, ``eol``
  (bool); time = the alarm's own timestamp (ms) plus the device's slot, a
  fixed offset under one millisecond. The device is a field, not a tag, so the
  series are one per village, not one per alarm (10^6 series in a province);
  its slot keeps two alarms of one village reporting in the same millisecond
  two points (same series and time would overwrite each other).
* ``analyzer_result`` — tags ``checkpoint_id``, ``region_code``,
  ``analyzer_id``; one float field per indicator symbol (``Mad``, ``Aad``,
  ``St_ad``…) plus ``sample_id`` (string); time = the analyzer's result time.

The exporter runs in its own thread and reads what ingest already stored, so
ingest never waits for InfluxDB. Rows go out in batches of ``batch_size``;
a batch that fails is retried with exponential backoff (capped) and the
cursors (kept in ``influx_cursor``) move only after InfluxDB accepted it, so
an outage delays the export and loses nothing. With several replicas one
exports: it holds the ``influx.export`` lease (``leases``), renewed with every
pass and every cursor move; if it dies, another takes over when the lease
expires. A batch is written twice only if a write outlasts the lease, and a
repeated point (same series and time) overwrites itself in InfluxDB.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from influxdb_client import Point, WritePrecision
from sqlalchemy import BigInteger, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from coalguard.cloud.batch_store import GatewayRecordRow
from coalguard.cloud.checks.tables import Checkpoint
from coalguard.cloud.co.tables import CoDevice, CoMessageRow
from coalguard.cloud.db import Base
from coalguard.cloud.influx_write import InfluxWriter
from coalguard.cloud.leases import Leases
from coalguard.edge.records import AnalyzerResultRecord, UndecodableRecord, decode

log = logging.getLogger("coalguard.cloud.influx")
LEASE = "influx.export"


class LeaseLost(RuntimeError):
    """Another replica took over the export; this one stops and leaves the cursor."""


class InfluxCursor(Base):
    """How far each source has been exported."""

    __tablename__ = "influx_cursor"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NS_PER_MS = 1_000_000


def time_ns(at: datetime) -> int:
    """Exact nanoseconds since the epoch (no float rounding)."""
    return (at - EPOCH) // timedelta(microseconds=1) * 1000


def device_slot_ns(device_id: str) -> int:
    """The device's fixed offset under one millisecond (stable across processes)."""
    digest = hashlib.blake2b(device_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % _NS_PER_MS


def co_time_ns(device_id: str, ts: datetime) -> int:
    """The alarm's timestamp to the millisecond, plus its device's slot."""
    return time_ns(ts) // _NS_PER_MS * _NS_PER_MS + device_slot_ns(device_id)


def co_point(device_id: str, region_code: str, ts: datetime, payload: dict[str, Any]) -> Point:
    p = Point("co_state").tag("region_code", region_code or "").field("device_id", device_id)
    for key in ("co_ppm", "battery_pct"):
        if isinstance(payload.get(key), int | float) and not isinstance(payload.get(key), bool):
            p = p.field(key, float(payload[key]))
    if isinstance(payload.get("alarm"), str):
        p = p.field("alarm", payload["alarm"])
    for key in ("tamper", "eol"):
        if isinstance(payload.get(key), bool):
            p = p.field(key, payload[key])
    return p.time(co_time_ns(device_id, ts), WritePrecision.NS)


def analyzer_point(result: AnalyzerResultRecord, region_code: str, at: datetime) -> Point:
    p = (
        Point("analyzer_result")
        .tag("checkpoint_id", result.checkpoint_id)
        .tag("region_code", region_code or "")
        .tag("analyzer_id", result.analyzer_id)
    )
    for sym, v in sorted(result.indicators.items()):
        p = p.field(sym, float(v))
    if result.sample_id:
        p = p.field("sample_id", result.sample_id)
    return p.time(time_ns(at), WritePrecision.NS)


@dataclass
class Batch:
    source: str
    last: int  # cursor position after this batch
    lines: list[str]


class InfluxExporter:
    """Reads new CO states and analyzer results; writes them to InfluxDB in batches."""

    def __init__(
        self,
        sessions: sessionmaker,
        writer: InfluxWriter,
        *,
        batch_size: int = 500,
        interval_s: float = 5.0,
        backoff_min_s: float = 1.0,
        backoff_max_s: float = 300.0,
        timeout_ms: int = 10_000,
        leases: Leases,
    ) -> None:
        self.sessions = sessions
        self.leases = leases  # timed by the process's clock
        # Outlasts a pass's writes (timeout each) and the wait before the next pass.
        self.lease_ttl = timedelta(seconds=max(60.0, 4 * interval_s, 6 * timeout_ms / 1000))
        self.batch_size = batch_size
        self.interval_s = interval_s
        self.backoff_min_s = backoff_min_s
        self.backoff_max_s = backoff_max_s
        self.writer = writer
        self.attempts = 0
        self.failures = 0
        self.exported = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sleep: Callable[[float], bool] = self._stop.wait

    # -- reading -------------------------------------------------------------------

    def _cursor(self, s: Session, source: str) -> int:
        row = s.get(InfluxCursor, source)
        return row.position if row else 0

    def pending(self) -> Iterable[Batch]:
        """The next batch of each source (at most one each)."""
        with self.sessions() as s:
            pos = self._cursor(s, "co_message")
            rows = s.execute(
                select(
                    CoMessageRow.id, CoMessageRow.device_id, CoMessageRow.ts, CoMessageRow.payload
                )
                .where(CoMessageRow.id > pos, CoMessageRow.kind == "state")
                .order_by(CoMessageRow.id)
                .limit(self.batch_size)
            ).all()
            if rows:
                regions = dict(
                    s.execute(
                        select(CoDevice.device_id, CoDevice.region_code).where(
                            CoDevice.device_id.in_({r[1] for r in rows})
                        )
                    ).all()
                )
                lines = [
                    co_point(dev, regions.get(dev, ""), ts, payload or {}).to_line_protocol()
                    for _id, dev, ts, payload in rows
                ]
                yield Batch("co_message", rows[-1][0], [ln for ln in lines if ln])
            pos = self._cursor(s, "analyzer_result")
            recs = s.execute(
                select(GatewayRecordRow.seq, GatewayRecordRow.body, GatewayRecordRow.born_at)
                .where(
                    GatewayRecordRow.seq > pos, GatewayRecordRow.kind == AnalyzerResultRecord.KIND
                )
                .order_by(GatewayRecordRow.seq)
                .limit(self.batch_size)
            ).all()
            if recs:
                cps = dict(
                    s.execute(select(Checkpoint.checkpoint_id, Checkpoint.region_code)).all()
                )
                lines = []
                for _seq, body, born in recs:
                    try:
                        result = decode(AnalyzerResultRecord.KIND, body)
                    except UndecodableRecord:  # dead-lettered by the projector
                        continue
                    assert isinstance(result, AnalyzerResultRecord)
                    at = _parse(result.at) or born
                    region = cps.get(result.checkpoint_id, "")
                    lines.append(analyzer_point(result, region, at).to_line_protocol())
                yield Batch("analyzer_result", recs[-1][0], [ln for ln in lines if ln])

    # -- writing -------------------------------------------------------------------

    def write(self, batch: Batch) -> None:
        """Send one batch; raises when InfluxDB did not accept it."""
        self.attempts += 1
        if batch.lines:
            self.writer.write(batch.lines)
        with self.sessions.begin() as s:
            if not self.leases.take(s, LEASE, self.lease_ttl):
                raise LeaseLost(f"{LEASE} is held by another replica")
            row = s.get(InfluxCursor, batch.source)
            if row is None:
                s.add(InfluxCursor(source=batch.source, position=batch.last))
            else:
                row.position = batch.last
        self.exported += len(batch.lines)

    def run_once(self) -> int:
        """Export what is pending until caught up; returns lines sent. Raises on failure.

        0 at once while another replica holds the export lease.
        """
        with self.sessions.begin() as s:
            if not self.leases.take(s, LEASE, self.lease_ttl):
                return 0
        sent = 0
        while True:
            batches = list(self.pending())
            if not batches:
                return sent
            for b in batches:
                self.write(b)
                sent += len(b.lines)

    def _run(self) -> None:
        backoff = self.backoff_min_s
        while not self._stop.is_set():
            try:
                self.run_once()
                backoff = self.backoff_min_s
                wait = self.interval_s
            except Exception as exc:  # InfluxDB down or refusing: retry later, keep cursors
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"[:500]
                log.warning("InfluxDB export failed (retry in %.0f s): %s", backoff, exc)
                wait = backoff
                backoff = min(backoff * 2, self.backoff_max_s)
            if self._sleep(wait):
                return

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="influx-export", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None
            try:  # hand the export to another replica now, not at expiry
                with self.sessions.begin() as s:
                    self.leases.release(s, LEASE)
            except Exception as exc:  # the database is gone: the lease expires by itself
                log.warning("influx export lease not released: %s", exc)
        self.writer.close()


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
