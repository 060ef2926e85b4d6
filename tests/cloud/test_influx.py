"""InfluxDB export against a real InfluxDB 1.x (``influxd`` from Debian's ``influxdb``):
points land at their time with their values and tags, a refused write keeps the cursor,
one replica exports, alarms of one village stay apart, series are bounded by villages.

InfluxDB 2.x cannot run here (Debian ships 1.6, PyPI has no server): its writer is
tested at the client level, on the request ``influxdb-client`` sends."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from coalguard.cloud.batch_store import GatewayRecordRow
from coalguard.cloud.checks.tables import Checkpoint
from coalguard.cloud.co.tables import CoDevice, CoMessageRow
from coalguard.cloud.influx import (
    InfluxCursor,
    InfluxExporter,
    analyzer_point,
    co_point,
    co_time_ns,
    time_ns,
)
from coalguard.cloud.influx_write import InfluxRefused, V1Writer, make_writer
from coalguard.cloud.leases import Leases
from coalguard.edge.clock import ManualClock
from coalguard.edge.records import AnalyzerResultRecord, encode
from tests.cloud.ops_support import make_app
from tests.conftest import free_port
from tests.support.influxdb import DB, InfluxServer, influx_server
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
T = datetime(2026, 11, 23, 8, 0, 0, 123000, tzinfo=UTC)
T_NS = 1795420800_123_000_000  # T in ns since the epoch


@pytest.fixture(scope="module")
def influx() -> InfluxServer:  # type: ignore[misc]
    with influx_server() as server:
        yield server


@pytest.fixture
def fresh_db(influx: InfluxServer) -> str:
    """An empty database of its own for each test (the server is shared by the module)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    influx.query(f'CREATE DATABASE "{name}"', method="POST")
    return name


def v1(influx: InfluxServer, db: str, **kw: object) -> V1Writer:
    return V1Writer(influx.url, db, None, None, None, int(kw.get("timeout_ms", 5000)))  # type: ignore[arg-type]


def exporter(app, writer, clock=None, owner="replica-a", **kw) -> InfluxExporter:  # type: ignore[no-untyped-def]
    return InfluxExporter(
        app.state.sessions,
        writer,
        leases=Leases(clock or app.state.clock, owner),
        **kw,
    )


def seed_states(app, n: int, *, device="co-1", region="130102001001", ts=T, alarm="none") -> None:  # type: ignore[no-untyped-def]
    with app.state.sessions.begin() as s:
        if s.get(CoDevice, device) is None:
            s.add(CoDevice(device_id=device, registered=True, region_code=region))
        for k in range(n):
            s.add(
                CoMessageRow(
                    device_id=device,
                    seq=k,
                    kind="state",
                    ts=ts + timedelta(seconds=k),
                    received_at=ts,
                    payload={"co_ppm": 3.5 + k, "battery_pct": 87, "alarm": alarm, "eol": False},
                )
            )


def seed_result(app) -> AnalyzerResultRecord:  # type: ignore[no-untyped-def]
    rec = AnalyzerResultRecord(
        checkpoint_id="cp-zz",
        result_id="r1",
        analyzer_id="an-1",
        sample_id="S1",
        at=T.isoformat(),
        indicators={"St_ad": 0.3, "Aad": 10.0, "Vdaf": 31.0},
        uncertainty={},
    )
    kind, priority, body = encode(rec)
    with app.state.sessions.begin() as s:
        s.add(Checkpoint(checkpoint_id="cp-zz", name="zz", region_code="130102"))
        s.add(
            GatewayRecordRow(
                id=str(uuid.uuid4()),
                gateway_id="gw-1",
                kind=kind,
                priority=priority,
                born_at=T,
                received_at=T,
                body=json.dumps(body),  # stored as the JSON text it arrived as
            )
        )
    return rec


def test_line_protocol_of_the_documented_schema() -> None:
    p = co_point(
        "co 1",
        "130102001001",
        T,
        {"co_ppm": 35, "battery_pct": 80, "alarm": "low", "tamper": False, "eol": False, "x": 1},
    )
    assert p.to_line_protocol() == (
        "co_state,region_code=130102001001 "
        'alarm="low",battery_pct=80,co_ppm=35,device_id="co 1",eol=false,tamper=false '
        f"{co_time_ns('co 1', T)}"
    )
    # The device's slot is under one millisecond: the time stays the alarm's, to the ms.
    assert T_NS <= co_time_ns("co 1", T) < T_NS + 1_000_000
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
        f'Aad=10,St_ad=0.3,sample_id="S1" {T_NS}'
    )
    assert time_ns(T) == T_NS


def test_influx_points_land_at_their_time_not_1970(
    influx: InfluxServer, fresh_db: str, cloud_db: str
) -> None:
    """Regression: second timestamps were sent as nanoseconds (every point in 1970)."""
    app = make_app(cloud_db)
    seed_states(app, 3)
    seed_result(app)
    ex = exporter(app, v1(influx, fresh_db))
    try:
        assert ex.run_once() == 4
    finally:
        ex.writer.close()
    co = influx.rows_in(fresh_db, "SELECT * FROM co_state ORDER BY time")
    assert [r["time"] // 1_000_000 for r in co] == [T_NS // 1_000_000 + 1000 * k for k in range(3)]
    assert [r["co_ppm"] for r in co] == [3.5, 4.5, 5.5]
    assert {(r["device_id"], r["region_code"], r["battery_pct"], r["alarm"]) for r in co} == {
        ("co-1", "130102001001", 87, "none")
    }
    (an,) = influx.rows_in(fresh_db, "SELECT * FROM analyzer_result")
    assert an["time"] == T_NS
    assert (an["checkpoint_id"], an["analyzer_id"], an["region_code"]) == (
        "cp-zz",
        "an-1",
        "130102",
    )
    assert (an["Aad"], an["St_ad"], an["sample_id"]) == (10, 0.3, "S1")


def test_refused_batch_keeps_the_cursor_then_goes_through(
    influx: InfluxServer, cloud_db: str
) -> None:
    """A write InfluxDB refuses (here: its database does not exist yet) is retried whole."""
    app = make_app(cloud_db)
    seed_states(app, 25)
    db = f"late_{uuid.uuid4().hex[:8]}"
    ex = exporter(app, v1(influx, db), batch_size=10)
    try:
        with pytest.raises(InfluxRefused, match="404"):
            ex.run_once()
        with app.state.sessions() as s:
            assert s.get(InfluxCursor, "co_message") is None
        influx.query(f'CREATE DATABASE "{db}"', method="POST")
        assert ex.run_once() == 25
    finally:
        ex.writer.close()
    assert influx.rows_in(db, "SELECT count(co_ppm) FROM co_state")[0]["count"] == 25
    with app.state.sessions() as s:
        assert s.get(InfluxCursor, "co_message").position == 25


def test_nothing_listening_is_retried_not_fatal(cloud_db: str) -> None:
    app = make_app(cloud_db)
    seed_states(app, 3)
    for api in ("v1", "v2"):
        ex = exporter(app, make_writer(api, f"http://127.0.0.1:{free_port()}", timeout_ms=2000))
        with pytest.raises(Exception, match=r"(?i)refused|connect"):
            ex.run_once()
        with app.state.sessions() as s:
            assert s.get(InfluxCursor, "co_message") is None
        ex.writer.close()


def test_two_replicas_export_each_batch_once(
    influx: InfluxServer, fresh_db: str, cloud_db: str
) -> None:
    """One replica exports (it holds the lease); the other takes over when it expires."""
    app = make_app(cloud_db)
    seed_states(app, 3)
    clock = ManualClock(datetime.now(UTC))
    a, b = (exporter(app, v1(influx, fresh_db), clock, owner) for owner in ("a", "b"))
    try:
        assert a.run_once() == 3
        seed_states(app, 2, device="co-2")
        assert b.run_once() == 0  # a holds the export: b sends nothing
        clock.advance(a.lease_ttl)  # a stopped (crashed): its lease expired
        assert b.run_once() == 2
        assert a.run_once() == 0
    finally:
        a.writer.close()
        b.writer.close()
    assert influx.rows_in(fresh_db, "SELECT count(co_ppm) FROM co_state")[0]["count"] == 5


def test_alarms_of_one_village_in_the_same_millisecond_stay_two_points(
    influx: InfluxServer, fresh_db: str, cloud_db: str
) -> None:
    """The device is a field: without its slot, one village's points at one time collide."""
    app = make_app(cloud_db)
    for dev in ("co-a", "co-b"):
        seed_states(app, 1, device=dev)
    ex = exporter(app, v1(influx, fresh_db))
    try:
        ex.run_once()
    finally:
        ex.writer.close()
    rows = influx.rows_in(fresh_db, "SELECT device_id FROM co_state")
    assert sorted(r["device_id"] for r in rows) == ["co-a", "co-b"]


def test_series_are_one_per_village_not_one_per_alarm(
    influx: InfluxServer, fresh_db: str, cloud_db: str
) -> None:
    app = make_app(cloud_db)
    for k in range(40):  # 40 alarms in 4 villages
        seed_states(app, 2, device=f"co-{k}", region=f"13010200100{k % 4}")
    ex = exporter(app, v1(influx, fresh_db))
    try:
        assert ex.run_once() == 80
    finally:
        ex.writer.close()
    assert len(influx.rows_in(fresh_db, "SHOW SERIES")) == 4


class _Recording(BaseHTTPRequestHandler):
    """Accepts every write (204) and keeps the request line and body."""

    seen: ClassVar[list[tuple[str, bytes]]] = []

    def do_POST(self) -> None:
        import gzip

        raw = self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.headers.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        type(self).seen.append((self.path, raw))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_influx_v2_points_land_at_their_time_not_1970(tmp_path: Path, cloud_db: str) -> None:
    """2.x at the client level: the precision influxdb-client declares is the lines' own."""
    app = make_app(cloud_db)
    seed_states(app, 1)
    _Recording.seen = []
    srv = ThreadingHTTPServer(("127.0.0.1", free_port()), _Recording)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        writer = make_writer("v2", f"http://127.0.0.1:{srv.server_port}", bucket="b", org="o")
        ex = exporter(app, writer)
        assert ex.run_once() == 1
        writer.close()
    finally:
        srv.shutdown()
        srv.server_close()
    ((path, body),) = _Recording.seen
    query = parse_qs(urlparse(path).query)
    assert urlparse(path).path == "/api/v2/write"
    assert (query["bucket"], query["org"]) == (["b"], ["o"])
    scale = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[query["precision"][0]]
    stamp = int(body.decode().rsplit(" ", 1)[1]) * scale
    assert stamp // 1_000_000 == T_NS // 1_000_000


def test_grafana_dashboard_queries_run_on_the_exported_data(
    influx: InfluxServer, fresh_db: str, cloud_db: str
) -> None:
    """Every panel of deploy/grafana/influx-coalguard.json is valid InfluxQL that finds data."""
    app = make_app(cloud_db)
    seed_states(app, 3)
    seed_states(app, 1, device="co-2", alarm="high")
    seed_result(app)
    ex = exporter(app, v1(influx, fresh_db))
    try:
        ex.run_once()
    finally:
        ex.writer.close()
    dash = json.loads((ROOT / "deploy/grafana/influx-coalguard.json").read_text())
    window = f"time >= {T_NS - 3_600 * 10**9} AND time < {T_NS + 3_600 * 10**9}"
    values = {"$timeFilter": window, "$__interval": "1m", "$region": "1301", "$device": "co-1"}
    for panel in dash["panels"]:
        for target in panel["targets"]:
            q = target["query"]
            for var, value in values.items():
                q = q.replace(var, value)
            assert influx.query(q, db=fresh_db), f"{panel['title']}: no data for {q}"


def test_v1_basic_auth_user_and_password(cloud_db: str) -> None:
    """An InfluxDB 1.x with auth on refuses a writer without credentials, takes the user's."""
    app = make_app(cloud_db)
    seed_states(app, 2)
    with influx_server(user="coalguard") as secured:
        anonymous = exporter(app, make_writer("v1", secured.url, db=DB))
        with pytest.raises(InfluxRefused, match="401"):
            anonymous.run_once()
        anonymous.writer.close()
        writer = make_writer(
            "v1", secured.url, db=DB, username="coalguard", password=secured.password
        )
        ex = exporter(app, writer)
        try:
            assert ex.run_once() == 2
        finally:
            writer.close()
        assert secured.rows_in(DB, "SELECT count(co_ppm) FROM co_state")[0]["count"] == 2


def test_cloud_serve_settings_export_to_influxdb_v1(
    influx: InfluxServer, fresh_db: str, tmp_path: Path
) -> None:
    """End to end from the settings (COALGUARD_CLOUD_INFLUX_*): the app's own exporter thread."""
    from fastapi.testclient import TestClient

    from coalguard.cloud.app import create_app
    from coalguard.cloud.settings import CloudSettings

    settings = CloudSettings(
        db_url=f"sqlite:///{tmp_path}/cloud.sqlite",
        influx_url=influx.url,
        influx_api="v1",
        influx_db=fresh_db,
        influx_interval_s=0.05,
    )
    app = create_app(settings, schema="create")
    seed_states(app, 3)
    with TestClient(app):  # lifespan: the background services run
        wait_for(
            lambda: influx.rows_in(fresh_db, "SELECT count(co_ppm) FROM co_state"),
            20,
            "the exporter to write",
        )
    (row,) = influx.rows_in(fresh_db, "SELECT count(co_ppm) FROM co_state")
    assert row["count"] == 3
