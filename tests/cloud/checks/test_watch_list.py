"""The watch list: plates an office lists and plates turned back nearby, pulled by a gateway.

A real cloud app served by uvicorn on 127.0.0.1; the pulling gateway reads it
over real HTTP with its own token, caches it, and keeps it when the cloud goes.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from coalguard.edge.clock import ManualClock
from coalguard.edge.watchlist import parse_toml
from tests.cloud.checks.checkpoint_feed import (
    START,
    build_gateway,
    gateway_token,
    records,
    run_day,
    send,
)
from tests.cloud.ops_support import bearer, client, make_app, users
from tests.support.servers import ThreadServer


def test_watch_list_served_pulled_over_http_and_kept_offline(tmp_path: Path, cloud_db: str) -> None:
    app = make_app(cloud_db)
    app.state.clock = ManualClock(START + timedelta(hours=2))
    tok = users(app)
    c = client(app)
    admin, city, county = bearer(tok["admin"]), bearer(tok["city"]), bearer(tok["county"])
    for cp, region, gw_id in (
        ("cp-zz", "130102", "gw-zz"),  # turns back 冀A20000 (same city as cp-bd)
        ("cp-dt", "140200", "gw-dt"),  # turns back 冀B20000 (another province)
        ("cp-bd", "130104", "cp-bd"),  # pulls the list (a gateway is named by its checkpoint)
    ):
        body = {"name": f"{cp} 检查站", "region_code": region, "jurisdiction": "hebei-2022"}
        r = c.put(f"/api/v1/checkpoints/{cp}", json=body | {"gateway_id": gw_id}, headers=admin)
        assert r.status_code == 200, r.text
    clock = ManualClock(START)
    for cp, region, gw_id, prefix in (
        ("cp-zz", "130102", "gw-zz", "A"),
        ("cp-dt", "140200", "gw-dt", "B"),
    ):
        other = build_gateway(tmp_path, cp, region, clock)
        run_day(other, clock, prefix=prefix)
        send(c, gw_id, gateway_token(app, gw_id), records(other))
        other.store.close()
    app.state.projector.run_until_idle()

    # Offices list plates within their region, with a reason.
    listed = {"plate": "冀d·00001", "region_code": "1301", "reason": "多次闯卡"}
    r = c.post("/api/v1/watch/plates", json=listed, headers=city)
    assert r.status_code == 201, r.text
    assert r.json()["plate"] == "冀D00001" and r.json()["added_by"] == "city-1301"
    assert c.post("/api/v1/watch/plates", json=listed, headers=county).status_code == 403
    far = {"plate": "晋B00002", "region_code": "14", "reason": "套牌嫌疑"}
    assert c.post("/api/v1/watch/plates", json=far, headers=admin).status_code == 201
    bad = {**listed, "plate": "·-"}
    r = c.post("/api/v1/watch/plates", json=bad, headers=city)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    gone = {"plate": "冀D00003", "region_code": "1301", "reason": "已处理"}
    assert c.post("/api/v1/watch/plates", json=gone, headers=city).status_code == 201
    r = c.delete("/api/v1/watch/plates/冀D00003", params={"region_code": "1301"}, headers=city)
    assert r.status_code == 200 and r.json()["active"] is False
    r = c.delete("/api/v1/watch/plates/冀D00009", params={"region_code": "1301"}, headers=city)
    assert r.status_code == 404

    # The JSON view of an office (turn-backs inside its own region only).
    doc = c.get("/api/v1/watch/list", params={"region": "1301"}, headers=city).json()
    assert [(p["plate"], p["source"]) for p in doc["plate"]] == [
        ("冀A20000", "turned_back"),
        ("冀D00001", "listed"),
    ]

    gw_token = gateway_token(app, "cp-bd")
    with ThreadServer(app) as server:
        r = c.get("/api/v1/gateways/cp-bd/watch.toml", headers=bearer(gw_token))
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/toml")
        wl = parse_toml(r.text, "cloud")
        assert wl.days == 30
        assert {(p.plate, p.source) for p in wl.plates} == {
            ("冀A20000", "turned_back"),
            ("冀D00001", "listed"),
        }
        turned = next(p for p in wl.plates if p.source == "turned_back")
        assert (turned.checkpoint_id, turned.checkpoint, turned.times) == (
            "cp-zz",
            "cp-zz 检查站",
            1,
        )
        assert (
            c.get("/api/v1/gateways/cp-bd/watch.toml", headers=bearer("x" * 40)).status_code == 401
        )

        gw = build_gateway(tmp_path, "cp-bd", "130104", ManualClock(START + timedelta(hours=3)))
        gw.config.cloud.url = server.url
        gw.config.cloud.token = gw_token
        assert gw.refresh_watch_list() == 2
    try:
        assert gw.refresh_watch_list() == 2  # the cloud is gone: the cache stays in force
        assert [f.code for f in gw.watch.flags("冀A20000")] == ["turned_back_nearby"]
        assert [(f.code, f.params) for f in gw.watch.flags("冀D00001")] == [
            ("listed", {"reason": "多次闯卡"})
        ]
        assert gw.watch.flags("冀B20000") == []  # another province's turn-back
    finally:
        gw.store.close()
