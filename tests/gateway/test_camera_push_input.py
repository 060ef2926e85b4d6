"""Hostile camera pushes get 413/422 with the reason and are dead-lettered, never a 500."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from coalguard.gateway.web import create_app
from tests.gateway.conftest import CAMERA_AUTH
from tests.gateway.test_cameras import plate_event


@pytest.fixture
def client(gw):
    with TestClient(create_app(gw, lang="zh"), raise_server_exceptions=False) as c:
        yield c


def _push(client: TestClient, body: bytes):
    return client.post(
        "/api/v1/camera-events",
        content=body,
        headers=CAMERA_AUTH | {"content-type": "application/json"},
    )


def _refused_and_kept(gw, r, status: int, words: str) -> None:
    assert r.status_code == status, r.text
    assert words in r.json()["reason"]
    row = gw.store.row("SELECT reason, raw FROM camera_dead_letters ORDER BY rowid DESC LIMIT 1")
    assert row is not None and words in row["reason"] and row["raw"]
    assert gw.cameras.counters.rejected == 1
    assert gw.store.scalar("SELECT COUNT(*) FROM camera_events") == 0


def test_deeply_nested_json_push_is_422_not_500(client, gw):
    r = _push(client, b'{"a":' * 100_000 + b"1" + b"}" * 100_000)
    _refused_and_kept(gw, r, 422, "nested deeper")


def test_integer_over_4300_digits_push_is_422_not_500(client, gw, clock):
    body = json.dumps(plate_event(clock, 1) | {"lane": 0}).replace(
        '"lane": 0', '"lane": ' + "9" * 5000
    )
    _refused_and_kept(gw, _push(client, body.encode()), 422, "4300 digits")


@pytest.mark.parametrize(
    "ts", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00", "0001-01-01T00:00:00Z"]
)
def test_camera_time_in_year_1_or_9999_is_422_not_500(client, gw, clock, ts):
    r = _push(client, json.dumps(plate_event(clock, 1) | {"ts": ts}).encode())
    _refused_and_kept(gw, r, 422, "'ts'")
    assert gw.devices.get("cam-entry")["errors"] == 1


def test_snapshot_time_in_year_9999_is_422_not_500(client, gw, clock):
    ev = plate_event(clock, 1)
    ev["snapshot"]["start"] = "9999-12-31T23:59:59-08:00"
    _refused_and_kept(gw, _push(client, json.dumps(ev).encode()), 422, "snapshot.start")


@pytest.mark.parametrize("field", ["plate", "note"])
def test_lone_surrogate_in_push_is_422_not_500(client, gw, clock, field):
    body = json.dumps(plate_event(clock, 1) | {field: "\ud800"})  # ensure_ascii: "\\ud800"
    _refused_and_kept(gw, _push(client, body.encode()), 422, "lone surrogate")


def test_body_over_the_limit_is_413_and_kept(client, gw):
    r = _push(client, b'["' + b"x" * (1024 * 1024) + b'"]')
    _refused_and_kept(gw, r, 413, "larger than")


def test_unparsable_push_is_dead_lettered_with_its_own_reason(client, gw):
    # Before: the dead letter said "camera_id: Field required", not why the body failed.
    r = _push(client, b"{nope")
    _refused_and_kept(gw, r, 400, "not JSON")


@pytest.mark.parametrize("field", ["plate", "note"])
def test_nul_in_push_is_422_not_forwarded_for_the_cloud_to_reject(client, gw, clock, field):
    # Before: accepted here, then rejected by the cloud (which refuses NUL) far from the camera.
    body = json.dumps(plate_event(clock, 1) | {field: "A\u0000B"})
    _refused_and_kept(gw, _push(client, body.encode()), 422, "NUL")
