"""REST for CO alarms: region-scoped tokens, alert lifecycle, registration, season check."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from coalguard.cloud.app import create_app
from coalguard.cloud.auth import issue_token
from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.rules import load_rules
from coalguard.cloud.co.store import MessageStore
from coalguard.cloud.settings import CloudSettings
from coalguard.edge.clock import SystemClock
from tests.cloud.co.co_support import T0, event, state

HEBEI_VILLAGE = "130102001001"
SHANXI_VILLAGE = "140202003004"


@pytest.fixture
def env(tmp_path: Path):  # type: ignore[no-untyped-def]
    app = create_app(CloudSettings(db_url=f"sqlite:///{tmp_path / 'c.sqlite'}"), schema="create")
    sm = app.state.sessions
    tokens = {
        "nation": issue_token(sm, "national-desk", "", now=SystemClock().now()),
        "county": issue_token(sm, "county-officer", "130102", now=SystemClock().now()),
        "shanxi": issue_token(sm, "shanxi-officer", "14", now=SystemClock().now()),
        "installer": issue_token(
            sm, "inst-1", "130102001", role="installer", now=SystemClock().now()
        ),
    }
    store = MessageStore(sm, AlertBook(load_rules(), ("log",)))
    return TestClient(app), tokens, store


def h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def reg(client: TestClient, token: str, dev: str, village: str, phone: str = "13912345678"):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/co/devices",
        headers=h(token),
        json={
            "device_id": dev,
            "household": {
                "name": "李家",
                "address": "2组5号",
                "village_code": village,
                "phone": phone,
            },
            "installer_id": "inst-1",
        },
    )


def test_registration_masks_phone_and_checks_region(env) -> None:  # type: ignore[no-untyped-def]
    client, tok, _ = env
    r = reg(client, tok["installer"], "dev-1", HEBEI_VILLAGE, "139-1234-5678")
    assert r.status_code == 201, r.text
    assert r.json()["household"]["phone"] == "139****5678"
    assert "13912345678" not in r.text
    assert reg(client, tok["installer"], "dev-2", SHANXI_VILLAGE).status_code == 403
    bad = reg(client, tok["installer"], "dev-3", "1301")
    assert bad.status_code == 422 and "village_code" in bad.text
    assert client.get("/api/v1/co/alerts").status_code == 401
    assert client.get("/api/v1/co/alerts", headers=h("cgt_forged")).status_code == 401


def test_alerts_listed_by_region_and_status_and_lifecycle(env) -> None:  # type: ignore[no-untyped-def]
    client, tok, store = env
    reg(client, tok["nation"], "heb-1", HEBEI_VILLAGE)
    reg(client, tok["nation"], "shx-1", SHANXI_VILLAGE)
    store.apply([event("heb-1", 1, "alarm_start"), event("shx-1", 1, "alarm_start")])
    store.apply([state("shx-1", 2, battery_pct=10)])

    def ids(token: str, **params: str) -> list[tuple[str, str]]:
        r = client.get("/api/v1/co/alerts", headers=h(token), params=params)
        assert r.status_code == 200, r.text
        return sorted((a["device_id"], a["kind"]) for a in r.json())

    assert ids(tok["county"]) == [("heb-1", "co_alarm")]
    assert ids(tok["shanxi"]) == [("shx-1", "co_alarm"), ("shx-1", "low_battery")]
    assert len(ids(tok["nation"])) == 3
    assert ids(tok["nation"], region="14", status="open") == ids(tok["shanxi"])
    assert (
        client.get(
            "/api/v1/co/alerts", headers=h(tok["county"]), params={"region": "14"}
        ).status_code
        == 403
    )

    heb = client.get("/api/v1/co/alerts", headers=h(tok["county"])).json()[0]
    shx = client.get("/api/v1/co/alerts", headers=h(tok["shanxi"]), params={"kind": "co_alarm"})
    shx_id = shx.json()[0]["id"]
    # Another region's alert does not exist for this token.
    assert (
        client.post(f"/api/v1/co/alerts/{shx_id}/ack", headers=h(tok["county"])).status_code == 404
    )
    r = client.post(f"/api/v1/co/alerts/{heb['id']}/ack", headers=h(tok["county"]))
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["acknowledged_by"]) == ("acknowledged", "county-officer")
    assert (
        client.post(f"/api/v1/co/alerts/{heb['id']}/ack", headers=h(tok["county"])).status_code
        == 409
    )
    r = client.post(
        f"/api/v1/co/alerts/{heb['id']}/resolve",
        headers=h(tok["county"]),
        json={"note": "window opened, family safe"},
    )
    assert (
        r.json()["status"] == "resolved" and r.json()["resolution"] == "window opened, family safe"
    )
    assert ids(tok["county"], status="active") == []
    assert ids(tok["county"], status="resolved") == [("heb-1", "co_alarm")]
    notes = client.get(f"/api/v1/co/alerts/{heb['id']}/notifications", headers=h(tok["county"]))
    # The operators' log line, and the household's SMS: nobody on file for it, shown as such.
    assert [(n["level"], n["channel"], n["status"] == "no_recipient") for n in notes.json()] == [
        ("household", "log", False),
        ("household", "sms", True),
    ]


def test_season_check_json_and_csv(env) -> None:  # type: ignore[no-untyped-def]
    client, tok, store = env
    for dev in ("ok-1", "quiet-1", "weak-1", "old-1"):
        reg(client, tok["nation"], dev, HEBEI_VILLAGE)
    since = T0 - timedelta(days=2)
    store.apply([event("ok-1", 1, "test"), state("ok-1", 2)])
    store.apply([event("weak-1", 1, "test"), state("weak-1", 2, battery_pct=12)])
    store.apply([state("old-1", 1, eol=True)])
    q = {"since": since.isoformat(), "season_start": since.isoformat()}
    r = client.get("/api/v1/co/season-check", headers=h(tok["county"]), params=q)
    assert r.status_code == 200, r.text
    problems = {a["device_id"]: a["problems"] for a in r.json()["alarms"]}
    assert problems == {
        "quiet-1": ["not_heard_since", "not_tested"],
        "weak-1": ["low_battery"],
        "old-1": ["not_tested", "expired"],
    }
    (village,) = r.json()["villages"]
    assert village["village_code"] == HEBEI_VILLAGE
    assert (village["registered"], village["ok"], village["not_tested"]) == (4, 1, 2)
    r = client.get(
        "/api/v1/co/season-check", headers=h(tok["county"]), params={**q, "format": "csv"}
    )
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["device_id"] for row in rows} == set(problems)
    assert all("*" in row["phone"] for row in rows)
    empty = client.get("/api/v1/co/season-check", headers=h(tok["shanxi"]), params=q)
    assert empty.json()["alarms"] == []


def test_unregistered_devices_visible_only_nationally(env) -> None:  # type: ignore[no-untyped-def]
    client, tok, store = env
    store.apply([state("stray-1", 1)])
    assert client.get("/api/v1/co/devices/stray-1", headers=h(tok["county"])).status_code == 404
    d = client.get("/api/v1/co/devices/stray-1", headers=h(tok["nation"])).json()
    assert d["registered"] is False and d["messages"] == 1


def test_old_co_alert_addresses_redirect_to_the_one_alert_list(env) -> None:  # type: ignore[no-untyped-def]
    client, tok, _ = env
    county = h(tok["county"])
    r = client.get(
        "/api/v1/co/alerts",
        params={"status": "open", "source": "checkpoint"},
        headers=county,
        follow_redirects=False,
    )
    assert r.status_code == 307
    assert r.headers["location"] == "/api/v1/alerts?status=open&source=co"
    for old, new in (("12", "co-12"), ("co-12", "co-12")):
        r = client.post(f"/api/v1/co/alerts/{old}/resolve", headers=county, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (308, f"/api/v1/alerts/{new}/resolve")
    assert client.post("/api/v1/co/alerts/cp-12/ack", headers=county).status_code == 422
