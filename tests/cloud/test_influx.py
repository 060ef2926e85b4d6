"""InfluxDB export: the line protocol of the documented schema, batching, and retry
against a server that refuses — while ingest goes on. No InfluxDB 2.x server can be
installed from this machine's package sources (Debian has 1.6, without the v2 write API),
so acceptance by a real InfluxDB is not tested here."""

from __future__ import annotations

import gzip
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from coalguard.cloud.co.tables import CoDevice, CoMessageRow
from coalguard.cloud.influx import InfluxCursor, InfluxExporter, analyzer_point, co_point
from coalguard.cloud.leases import Leases
from coalguard.edge.clock import ManualClock
from coalguard.edge.records import AnalyzerResultRecord
from tests.cloud.checks.checkpoint_feed import START, gateway_token, send
from tests.cloud.ops_support import client, make_app
from tests.conftest import free_port
from tests.support.waiting import wait_for

T = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_line_protocol_of_the_documented_schema() -> None:
    p = co_point(
        "co 1",
        "130102001001",
        T,
        {"co_ppm": 35, "battery_pct": 80, "alarm": "low", "tamper": False, "eol": False, "x": 1},
    )
    assert p.to_line_protocol() == (
        "co_state,device_id=co\\ 1,region_code=130102001001 "
        'alarm="low",battery_pct=80,co_ppm=35,eol=false,tamper=false 1795420800'
    )
    a = analyzer_point(
        AnalyzerResultRecord(
            checkpoint_id="cp-zz",
            result_id="r1",
            analyzer_id="an-1",
            sample_id="S1",
            at=T.isoformat(),
            indicators={"St_ad": 0.3, "Aad": 10.0},
            uncertainty={},
        ),
        "130102",
        T,
    )
    assert a.to_line_protocol() == (
        "analyzer_result,analyzer_id=an-1,checkpoint_id=cp-zz,region_code=130102 "
        'Aad=10,St_ad=0.3,sample_id="S1" 1795420800'
    )


class _Refusing(BaseHTTPRequestHandler):
    """Answers every write with 503, keeping what was sent (a server that refuses)."""

    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.headers.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        type(self).bodies.append(raw)
        self.send_response(503)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"code":"unavailable","message":"refusing"}')

    def log_message(self, *args: object) -> None:
        pass


def _seed_states(app, n: int) -> None:  # type: ignore[no-untyped-def]
    with app.state.sessions.begin() as s:
        s.add(CoDevice(device_id="co-1", registered=True, region_code="130102001001"))
        for k in range(n):
            s.add(
                CoMessageRow(
                    device_id="co-1",
                    seq=k,
                    kind="state",
                    ts=START,
                    received_at=START,
                    payload={"co_ppm": k},
                )
            )


@pytest.mark.timeout(60)
def test_batches_retry_and_keep_the_cursor_while_refused(tmp_path: Path, cloud_db: str) -> None:
    app = make_app(cloud_db)
    _seed_states(app, 25)
    _Refusing.bodies = []
    srv = ThreadingHTTPServer(("127.0.0.1", free_port()), _Refusing)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    try:
        ex = InfluxExporter(
            app.state.sessions,
            f"http://127.0.0.1:{srv.server_port}",
            "org",
            "bucket",
            "tok",
            batch_size=10,
            interval_s=0.05,
            backoff_min_s=0.01,
            backoff_max_s=0.04,
            leases=Leases(app.state.clock),
        )
        ex.start()
        wait_for(
            lambda: ex.failures >= 3, timeout=20, what="three refused attempts", retry_errors=True
        )
        # Ingest is not held up by the failing export.
        c = client(app)
        assert send(c, "gw-1", gateway_token(app, "gw-1"), [])["stored"] == 0
        ex.stop()
        # Each attempt sent the first batch of 10 lines, again and again; nothing was skipped.
        assert len(_Refusing.bodies) >= 3
        first = _Refusing.bodies[0].decode().splitlines()
        assert len(first) == 10 and first[0].startswith("co_state,device_id=co-1")
        assert all(b == _Refusing.bodies[0] for b in _Refusing.bodies)
        with app.state.sessions() as s:
            assert s.get(InfluxCursor, "co_message") is None
        assert "503" in (ex.last_error or "")
    finally:
        srv.shutdown()
        srv.server_close()


def test_nothing_listening_is_retried_not_fatal(tmp_path: Path, cloud_db: str) -> None:
    app = make_app(cloud_db)
    _seed_states(app, 3)
    ex = InfluxExporter(
        app.state.sessions,
        f"http://127.0.0.1:{free_port()}",
        "o",
        "b",
        None,
        timeout_ms=2000,
        leases=Leases(app.state.clock),
    )
    with pytest.raises(Exception, match=r"(?i)refused|connect"):
        ex.run_once()
    with app.state.sessions() as s:
        assert s.get(InfluxCursor, "co_message") is None
    ex.client.close()


def test_two_replicas_export_each_batch_once(tmp_path: Path, cloud_db: str) -> None:
    """One replica exports (it holds the lease); the other takes over when it expires."""
    app = make_app(cloud_db)
    _seed_states(app, 3)
    _Refusing.bodies = []
    srv = ThreadingHTTPServer(("127.0.0.1", free_port()), _Refusing)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    clock = ManualClock(datetime.now(UTC))
    a, b = (
        InfluxExporter(
            app.state.sessions,
            f"http://127.0.0.1:{srv.server_port}",
            "o",
            "b",
            None,
            leases=Leases(clock, owner),
        )
        for owner in ("replica-a", "replica-b")
    )
    try:
        with pytest.raises(Exception, match="503"):
            a.run_once()
        assert b.run_once() == 0  # a holds the export: b sends nothing
        assert len(_Refusing.bodies) == 1
        clock.advance(a.lease_ttl)  # a stopped (crashed): its lease expired
        with pytest.raises(Exception, match="503"):
            b.run_once()
        assert a.run_once() == 0
        assert len(_Refusing.bodies) == 2
    finally:
        a.client.close()
        b.client.close()
        srv.shutdown()
        srv.server_close()
