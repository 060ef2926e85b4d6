"""The fast-pass list pulled over HTTP, cached, and still in force when the cloud is gone."""

from __future__ import annotations

import http.server
import threading

import pytest

from coalguard.edge.fastpass import parse_toml
from coalguard.errors import DataFileError
from tests.conftest import free_port
from tests.gateway.conftest import registration

LIST = """format = 2
version = "v7"
[[truck]]
plate = "冀E00001"
company = "某热电厂"
report_id = "QR-7"
expires = 2099-12-31
coal_type = "anthracite"
valid_from = 2026-01-01
quantity_t = 500.0
"""
DECLARED = registration("冀E00001", consignor="某热电厂")


class _ListServer:
    """A real HTTP server answering the gateway's list path in the file format."""

    def __init__(self, body: str, token: str) -> None:
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.paths.append(self.path)
                ok = self.headers.get("Authorization") == f"Bearer {token}"
                data = (body if ok else "wrong token").encode()
                self.send_response(200 if ok else 401)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.paths: list[str] = []
        self.port = free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_pull_cache_and_offline(gw):
    server = _ListServer(LIST, "tok")
    gw.config.cloud.url = f"http://127.0.0.1:{server.port}"
    gw.config.cloud.token = "tok"
    try:
        assert gw.refresh_fast_pass() == 1
        assert server.paths == ["/api/v1/gateways/cp-test/fast-pass.toml"]
        assert gw.fast_pass.check("冀E00001", DECLARED).green
        assert gw.refresh_fast_pass() == 1  # same version: nothing re-installed
        assert gw.sink.kinds()["fast_pass.loaded"] == 1
        gw.config.cloud.token = "stale"
        assert gw.refresh_fast_pass() == 1  # 401: the cached list stays
    finally:
        server.stop()
    assert gw.refresh_fast_pass() == 1  # cloud gone: the cached list stays
    assert gw.fast_pass.check("冀E00001", DECLARED).green


def test_offline_the_cached_list_still_checks_what_it_claims(gw):
    """Pulled once, then the cloud is gone: the cache still refuses a lignite declaration."""
    server = _ListServer(LIST, "tok")
    gw.config.cloud.url = f"http://127.0.0.1:{server.port}"
    gw.config.cloud.token = "tok"
    try:
        assert gw.refresh_fast_pass() == 1
    finally:
        server.stop()
    assert gw.refresh_fast_pass() == 1  # the cloud does not answer
    wf = gw.workflow
    iid = wf.arrive("冀E00001", "op")
    wf.register(iid, "op", {**DECLARED, "coal_type": "lignite"})
    assert wf.check_fast_pass(iid, "op") is False
    assert [m["code"] for m in wf.get(iid)["fast_pass"]["mismatches"]] == ["coal_type"]


def test_a_bad_list_names_the_source_line_and_field():
    with pytest.raises(DataFileError) as exc:
        parse_toml(LIST.replace("2099-12-31", '"soon"'), "https://cloud/x.toml")
    assert exc.value.line == 7 and exc.value.field == "truck.0.expires"


def test_a_format_two_list_missing_a_checked_field_is_refused():
    with pytest.raises(DataFileError) as exc:
        parse_toml(LIST.replace('coal_type = "anthracite"\n', ""), "https://cloud/x.toml")
    assert "coal_type" in str(exc.value)
