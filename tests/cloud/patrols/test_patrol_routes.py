"""Patrol routes: photos refused when too big or not an image, kept once by SHA-256;
a patrol names its photos; grid members only in their region; the grid tree; the
pre-season sweep's progress per village."""

from __future__ import annotations

import hashlib
import struct
import zlib
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from coalguard.cloud.auth import issue_token
from coalguard.cloud.patrols.photos import MAX_PHOTO_BYTES
from coalguard.edge.clock import ManualClock
from tests.cloud.ops_support import bearer, make_app
from tests.cloud.patrols.patrol_support import (
    NOW,
    OTHER_VILLAGE,
    VILLAGE,
    households,
    village_grid,
)


def png(seed: int = 0) -> bytes:
    """A real 1×1 PNG (its pixel from ``seed``)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixel = zlib.compress(bytes([0, seed % 256, 80, 160]))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", pixel) + chunk(b"IEND", b"")


@pytest.fixture
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    app = make_app(f"sqlite:///{tmp_path}/cloud.sqlite", ManualClock(NOW))
    village_grid(app)
    village_grid(app, OTHER_VILLAGE, user="grid-2")
    tok = {
        "grid": issue_token(app.state.sessions, "grid-1", VILLAGE, "grid", now=NOW),
        "op": issue_token(app.state.sessions, "op-1", "130102", "operator", now=NOW),
    }
    return TestClient(app), tok


def _photo(client: TestClient, token: str, data: bytes, region: str = VILLAGE, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/patrols/photos?region={region}",
        content=data,
        headers={**bearer(token), "Content-Type": "image/jpeg", **headers},
    )


def test_a_photo_too_big_is_refused_with_its_limit(served) -> None:  # type: ignore[no-untyped-def]
    client, tok = served
    big = b"\xff\xd8\xff" + b"\0" * MAX_PHOTO_BYTES
    r = _photo(client, tok["grid"], big, **{"Accept-Language": "en"})
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    assert str(MAX_PHOTO_BYTES) in r.json()["detail"]


def test_a_file_that_is_not_an_image_is_refused(served) -> None:  # type: ignore[no-untyped-def]
    client, tok = served
    r = _photo(client, tok["grid"], b"%PDF-1.7 not a photo at all, whatever it claims")
    assert r.status_code == 415
    assert r.json()["detail"] == "不是照片：只接受 JPEG、PNG 或 WebP 图像。"
    assert _photo(client, tok["grid"], b"").status_code == 415


def test_a_photo_is_kept_once_by_its_hash_and_named_by_the_patrol(served) -> None:  # type: ignore[no-untyped-def]
    client, tok = served
    data = png(7)
    first = _photo(client, tok["grid"], data)
    again = _photo(client, tok["grid"], data)
    assert first.status_code == again.status_code == 201
    digest = hashlib.sha256(data).hexdigest()
    assert first.json() == again.json() == {
        "sha256": digest, "content_type": "image/png", "size": len(data)
    }  # fmt: skip
    a, b = households(client.app, n=2)
    body = {"region_code": VILLAGE, "household_ids": [b, b, a], "photos": [digest]}
    r = client.post("/api/v1/patrols", json=body, headers=bearer(tok["grid"]))
    assert r.status_code == 201, r.text
    assert r.json()["photos"] == [digest] and r.json()["household_ids"] == [a, b]
    assert r.json()["patrolled_by"] == "grid-1" and r.json()["households_seen"] == 2

    unknown = {"region_code": VILLAGE, "photos": ["ab" * 32]}
    r = client.post("/api/v1/patrols", json=unknown, headers=bearer(tok["grid"]))
    assert r.status_code == 409


def test_a_patrol_names_households_of_its_own_village_only(served) -> None:  # type: ignore[no-untyped-def]
    client, tok = served
    (elsewhere,) = households(client.app, OTHER_VILLAGE, n=1)
    body = {"region_code": VILLAGE, "household_ids": [elsewhere]}
    r = client.post("/api/v1/patrols", json=body, headers=bearer(tok["grid"]))
    assert r.status_code == 409
    assert r.json()["detail"] == f"登记册中 {VILLAGE} 辖区内没有第 {elsewhere} 号户。"


def test_a_grid_member_records_only_in_their_own_village(served) -> None:  # type: ignore[no-untyped-def]
    client, tok = served
    r = client.post(
        "/api/v1/patrols", json={"region_code": OTHER_VILLAGE}, headers=bearer(tok["grid"])
    )
    assert r.status_code == 403
    assert _photo(client, tok["grid"], png(), OTHER_VILLAGE).status_code == 403
    r = client.post(
        "/api/v1/patrols/grids",
        json={"region_code": VILLAGE, "name": "x"},
        headers=bearer(tok["grid"]),
    )
    assert r.status_code == 403, "a grid member does not keep the grid tree"


def test_the_grid_tree_nests_villages_under_their_township(served) -> None:  # type: ignore[no-untyped-def]
    client, tok = served
    r = client.post(
        "/api/v1/patrols/grids",
        json={"region_code": "130102001", "name": "乡网格"},
        headers=bearer(tok["op"]),
    )
    assert r.status_code == 201, r.text
    (town,) = client.get("/api/v1/patrols/grids", headers=bearer(tok["op"])).json()
    assert town["region_code"] == "130102001"
    assert [g["region_code"] for g in town["children"]] == [VILLAGE, OTHER_VILLAGE]
    roles = [m["grid_role"] for m in town["children"][0]["members"]]
    assert roles == ["leader", "worker"]
    assert town["children"][0]["members"][0]["name"] != "王网格长", "names masked"


def test_campaign_progress_per_village(served) -> None:  # type: ignore[no-untyped-def]
    client, tok = served
    body = {
        "name": "2026 采暖季前大起底、大排查、大清理",
        "region_code": "130102",
        "starts_on": "2026-10-15",
        "ends_on": "2026-11-30",
    }
    r = client.post("/api/v1/patrols/campaigns", json=body, headers=bearer(tok["op"]))
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert r.json()["villages"] == 2 and r.json()["done"] == 0

    done = f"/api/v1/patrols/campaigns/{cid}/villages/{VILLAGE}/done"
    assert client.post(done, headers=bearer(tok["grid"])).status_code == 409, "not patrolled yet"
    patrol = {"region_code": VILLAGE, "campaign_id": cid, "households_seen": 41,
              "loose_coal_found": True, "findings": "3 户存散煤，已清理"}  # fmt: skip
    assert (
        client.post("/api/v1/patrols", json=patrol, headers=bearer(tok["grid"])).status_code == 201
    )
    r = client.post(done, headers=bearer(tok["grid"]))
    assert r.status_code == 200, r.text

    p = client.get(f"/api/v1/patrols/campaigns/{cid}", headers=bearer(tok["op"])).json()
    assert (p["villages"], p["started"], p["done"], p["share_done"]) == (2, 0, 1, 0.5)
    assert p["by_village"] == [
        {"village_code": VILLAGE, "status": "done", "patrols": 1, "households_seen": 41,
         "loose_coal_found": 1},
        {"village_code": OTHER_VILLAGE, "status": "pending", "patrols": 0, "households_seen": 0,
         "loose_coal_found": 0},
    ]  # fmt: skip
    # The grid member sees their own village's row of the county's campaign.
    mine = client.get(f"/api/v1/patrols/campaigns/{cid}", headers=bearer(tok["grid"])).json()
    assert [v["village_code"] for v in mine["by_village"]] == [VILLAGE]
    page = client.get(f"/patrols/campaigns/{cid}", headers=bearer(tok["op"]))
    assert page.status_code == 200 and "已完成 1/2 个村（50.0%）" in page.text
    assert date.fromisoformat(p["ends_on"]) == date(2026, 11, 30)
