"""The uplink against a real cloud (uvicorn + SQLite) and real HTTP servers."""

from __future__ import annotations

import random
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import select

from coalguard.cloud.api.routes.batches import _gunzip
from coalguard.cloud.app import create_app
from coalguard.cloud.batch_store import GatewayRecordRow
from coalguard.cloud.gateways import register_gateway
from coalguard.cloud.settings import CloudSettings
from coalguard.edge.clock import ManualClock, SystemClock
from coalguard.edge.outbox import MemoryOutbox, Outbox
from coalguard.edge.uplink import Backoff, Uplink, UplinkConfig, parse_retry_after
from coalguard.edge.uplink.uplink import gzip_body
from tests.conftest import free_port
from tests.support.servers import ThreadServer
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[tuple[ThreadServer, str, Any]]:
    app = create_app(
        CloudSettings(db_url=f"sqlite:///{tmp_path}/cloud.sqlite", max_batch_records=10),
        schema="create",
    )
    token = register_gateway(app.state.engine, "gw-1", now=SystemClock().now())
    with ThreadServer(app) as server:
        yield server, token, app.state.engine
    app.state.engine.dispose()


def stored_ids(engine: Any) -> list[str]:
    with engine.connect() as c:
        return list(c.execute(select(GatewayRecordRow.id).order_by(GatewayRecordRow.seq)).scalars())


def config(url: str, token: str = "t" * 40, **kw: Any) -> UplinkConfig:
    kw = {"backoff_base_s": 0.01, "backoff_cap_s": 0.05, "idle_wait_s": 0.05, **kw}
    return UplinkConfig(cloud_url=url, gateway_id="gw-1", token=token, **kw)


# -- backoff -------------------------------------------------------------------


def test_full_jitter_stays_under_a_capped_exponential() -> None:
    b = Backoff(base_s=1, cap_s=60, rng=random.Random(7))
    assert [b.ceiling(n) for n in (1, 2, 3, 6, 7, 50, 10_000)] == [1, 2, 4, 32, 60, 60, 60]
    draws = [b.delay(5) for _ in range(2000)]
    assert all(0 <= d <= 16 for d in draws)
    assert min(draws) < 1 and max(draws) > 15  # spread over the whole range (full jitter)
    with pytest.raises(ValueError):
        Backoff(base_s=5, cap_s=1)


def test_retry_after_seconds_and_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now) == 0
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None


# -- configuration -----------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://cloud.example.cn", "http://10.0.0.5:8080", "ftp://x.example", "cloud.example"]
)
def test_plain_http_to_another_machine_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"https|unencrypted"):
        config(url)


def test_plain_http_allowed_for_loopback_or_explicitly() -> None:
    for url in ("http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80"):
        assert config(url).cloud_url == url
    assert config("http://10.0.0.5", allow_insecure_http=True).allow_insecure_http
    assert config("https://cloud.example.cn").verify_tls  # verification on by default


def test_token_is_not_in_repr() -> None:
    assert "secret-token" not in repr(config("https://c.example", token="secret-token" * 3))


# -- delivering ----------------------------------------------------------------


def test_delivers_everything_in_order_and_acks(cloud: Any, tmp_path: Path) -> None:
    server, token, engine = cloud
    ob = Outbox(tmp_path / "o.sqlite")
    ids = [ob.put(["verdict", "inspection"][i % 2], {"i": i}).id for i in range(35)]
    up = Uplink(ob, config(server.url, token, max_records=10))
    while up.step() is not None:
        pass
    assert stored_ids(engine) == ids
    st = up.state()
    assert st.status == "connected" and st.pending == 0 and st.outcomes["stored"] == 35
    assert st.batches_sent == 4 and st.last_success_at is not None
    ob.close()


def test_running_uplink_sends_records_as_they_come(cloud: Any) -> None:
    server, token, engine = cloud
    ob = MemoryOutbox()
    up = Uplink(ob, config(server.url, token, idle_wait_s=5))
    up.start()
    try:
        ids = [ob.put("verdict", {"i": i}).id for i in range(25)]
        wait_for(lambda: stored_ids(engine) == ids, 20, "records at the cloud")
        wait_for(lambda: ob.stats().pending == 0, 10, "acks")
    finally:
        up.close()
    assert up.state().status == "stopped"


def test_resend_after_lost_ack_is_a_duplicate_not_a_double(cloud: Any) -> None:
    server, token, engine = cloud
    ob = MemoryOutbox()
    ids = [ob.put("verdict", {"i": i}).id for i in range(5)]
    # simulate a crash between send and ack: send, then forget the answer
    up = Uplink(ob, config(server.url, token))
    batch = ob.lease_pending(10, 10**9)
    up._send(batch)
    ob.release(r.id for r in batch)
    while up.step() is not None:
        pass
    assert stored_ids(engine) == ids
    assert up.state().outcomes["duplicate"] == 5


def test_oversize_batch_is_split(cloud: Any) -> None:
    server, token, engine = cloud  # the cloud takes at most 10 records per batch
    ob = MemoryOutbox()
    ids = [ob.put("verdict", {"i": i}).id for i in range(45)]
    up = Uplink(ob, config(server.url, token, max_records=40))
    for _ in range(50):
        if up.step() is None:
            break
    assert stored_ids(engine) == ids


def test_wrong_token_backs_off_and_keeps_records(cloud: Any) -> None:
    server, _, engine = cloud
    clock = ManualClock()
    ob = MemoryOutbox(clock=clock)
    ob.put("verdict", {"i": 1})
    up = Uplink(ob, config(server.url, "wrong-token-" * 4), clock=clock)
    wait = up.step()
    st = up.state()
    assert wait is not None and 0 <= wait <= 0.05
    assert st.status == "backing_off" and "401" in st.last_error
    assert st.backoff_until is not None and st.backoff_until >= clock.now()
    assert st.pending == 1 and stored_ids(engine) == []
    assert len(ob.lease(10, 10**9)) == 1  # released for the next try


def test_unreachable_cloud_backs_off_exponentially_without_blocking_producers() -> None:
    clock = ManualClock()
    ob = MemoryOutbox(clock=clock)
    cfg = config(f"http://127.0.0.1:{free_port()}", backoff_base_s=1, backoff_cap_s=8)
    up = Uplink(ob, cfg, clock=clock, rng=random.Random(3))
    ob.put("verdict", {"i": 0})
    waits = [up.step() for _ in range(6)]
    assert all(
        w is not None and 0 <= w <= c for w, c in zip(waits, [1, 2, 4, 8, 8, 8], strict=True)
    )
    st = up.state()
    assert st.status == "backing_off" and st.consecutive_failures == 6
    assert "cannot reach the cloud" in st.last_error
    clock.advance(3600)
    assert up.state().oldest_unsent_age_s == 3600
    up.start()  # running against a dead cloud …
    try:
        for i in range(200):  # … producers are never held up
            ob.put("verdict", {"i": i})
    finally:
        up.close()
    assert ob.stats().pending == 201


class _Busy(BaseHTTPRequestHandler):
    """A real HTTP server that answers 429/503 with Retry-After, then 200."""

    script: ClassVar[list[tuple[int, dict[str, str]]]] = []
    seen: ClassVar[list[str]] = []
    encodings: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        import gzip

        length = int(self.headers.get("content-length", 0))
        body = self.rfile.read(length)
        self.seen.append(self.headers.get("authorization", ""))
        self.encodings.append(self.headers.get("content-encoding", "identity"))
        if self.encodings[-1] == "gzip":
            body = gzip.decompress(body)
        status, headers = self.script.pop(0) if self.script else (200, {})
        if status == 200:
            import json

            recs = json.loads(body)["records"]
            payload = json.dumps(
                {
                    "results": [
                        {"index": i, "id": r["id"], "outcome": "stored"} for i, r in enumerate(recs)
                    ],
                    "counts": {},
                }
            ).encode()
        else:
            payload = b'{"detail": "busy"}'
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


def test_retry_after_is_honoured_on_429_and_503() -> None:
    _Busy.script = [(429, {"Retry-After": "7"}), (503, {"Retry-After": "120"}), (503, {})]
    _Busy.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Busy)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        ob = MemoryOutbox()
        ob.put("verdict", {"i": 1})
        cfg = config(
            f"http://127.0.0.1:{httpd.server_address[1]}",
            token="k" * 40,
            backoff_cap_s=0.5,
            retry_after_cap_s=60,
        )
        up = Uplink(ob, cfg)
        assert up.step() == 7
        assert "429" in up.state().last_error
        assert up.step() == 60  # capped at retry_after_cap_s
        w = up.step()
        assert w is not None and w <= 0.5  # no header: ordinary backoff
        assert up.step() == 0.0 and ob.stats().pending == 0
        assert _Busy.seen[0] == "Bearer " + "k" * 40
    finally:
        httpd.shutdown()


def test_gzip_body_is_one_member_the_cloud_inflates() -> None:
    """The cloud inflates one gzip member and wants its end (``batches._gunzip``)."""
    body = ('{"records":[' + ",".join([f'{{"n":"值{i}"}}' for i in range(3000)]) + "]}").encode()
    packed = gzip_body(body)
    assert _gunzip(packed, len(body)) == body
    assert len(packed) < len(body) // 5


def test_batches_are_gzipped_unless_switched_off() -> None:
    _Busy.script = []
    _Busy.encodings = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Busy)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        for compress in (True, False):
            ob = MemoryOutbox()
            for i in range(30):
                ob.put("verdict", {"i": i, "pad": "x" * 100})
            ob.put("verdict", {"last": True})
            up = Uplink(ob, config(url, compress=compress, max_records=30))
            assert up.step() == 0.0 and up.step() == 0.0  # 30 records, then one small one
            assert ob.stats().pending == 0
            up.close()
        assert _Busy.encodings == ["gzip", "identity", "identity", "identity"]
    finally:
        httpd.shutdown()


# -- TLS -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not installed")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_tls_is_verified_by_default(tmp_path: Path, tls_cert: tuple[Path, Path]) -> None:
    cert, key = tls_cert
    app = create_app(CloudSettings(db_url=f"sqlite:///{tmp_path}/c.sqlite"), schema="create")
    token = register_gateway(app.state.engine, "gw-1", now=SystemClock().now())
    with ThreadServer(app, ssl_certfile=str(cert), ssl_keyfile=str(key)) as server:
        assert server.url.startswith("https://")
        ob = MemoryOutbox()
        rid = ob.put("verdict", {"i": 1}).id
        up = Uplink(ob, config(server.url, token))
        assert up.step() is not None  # self-signed certificate: refused
        assert "CERTIFICATE_VERIFY_FAILED" in up.state().last_error
        assert stored_ids(app.state.engine) == []
        trusting = Uplink(ob, config(server.url, token, ca_file=str(cert)))
        assert trusting.step() == 0.0
        assert stored_ids(app.state.engine) == [rid]
        up.close()
        trusting.close()


def test_redirects_are_not_followed(tmp_path: Path) -> None:
    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(307)
            self.send_header("location", "http://198.51.100.1/steal")
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        ob = MemoryOutbox()
        ob.put("verdict", {"id": str(uuid.uuid4())})
        up = Uplink(ob, config(f"http://127.0.0.1:{httpd.server_address[1]}"))
        assert up.step() is not None
        assert "307" in up.state().last_error and ob.stats().pending == 1
    finally:
        httpd.shutdown()


def test_state_as_dict_is_json_ready() -> None:
    ob = MemoryOutbox()
    up = Uplink(ob, config("https://cloud.example.cn"))
    d = up.state().as_dict()
    assert d["status"] == "starting" and d["pending"] == 0 and d["backoff_until"] is None
