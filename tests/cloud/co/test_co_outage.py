"""Correlated outages (issue 14): many alarms of one area silent at once are ONE incident.

Each test runs on SQLite and on a real PostgreSQL, at ManualClock times.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from coalguard.cloud.alert_lifecycle import RESOLVED, SYSTEM, alert_ref
from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.outage import BLIND, BROKER_DISCONNECTED, NO_MESSAGES, members_of
from coalguard.cloud.co.rules import OUTAGE_KIND, load_rules
from coalguard.cloud.co.store import MessageStore
from coalguard.cloud.co.tables import CoNotification
from coalguard.edge.clock import ManualClock
from tests.cloud.co.co_support import (
    T0,
    alerts_of,
    leased_sweeper,
    state,
    store_for,
    sweep_together,
    village_alarms,
)
from tests.cloud.ops_support import bearer, make_app, users

CUT = "130102001001"  # the village whose power is cut
NEXT_DOOR = "130102001002"  # same township, power on
SILENCE = timedelta(seconds=900)  # alert_rules.toml: 3 x 300 s


def _heard(store: MessageStore, ids: list[str], at: datetime) -> None:
    seq = int((at - T0).total_seconds())
    store.apply([state(d, seq, at=at) for d in ids])


def _power_cut(store: MessageStore) -> tuple[list[str], list[str], datetime]:
    """60 alarms of CUT last heard at T0, 60 next door still talking; the time the
    first silence falls due."""
    cut = village_alarms(store, CUT, 60)
    talking = village_alarms(store, NEXT_DOOR, 60)
    later = T0 + SILENCE + timedelta(seconds=1)
    _heard(store, talking, later - timedelta(seconds=60))
    return cut, talking, later


def test_village_power_cut_is_one_incident_with_its_count_not_an_alert_per_alarm(
    db_url: str,
) -> None:
    store = store_for(db_url)
    cut, _talking, later = _power_cut(store)
    assert leased_sweeper(store).sweep(later)

    [incident] = alerts_of(store, OUTAGE_KIND)
    assert (incident.region_code, incident.detail["count"]) == (CUT, 60)
    assert incident.detail["level"] == "village"
    assert alerts_of(store, "offline") == []  # neither village gets an alert per alarm
    with store.sessions() as s:
        assert members_of(s, incident.id) == sorted(cut)
        told = list(s.scalars(select(CoNotification).where(CoNotification.alert_id == incident.id)))
    # Once: the operators' feed and the village's people (nobody on file here: shown as such).
    village = store.book.rules.outage.area[1]  # type: ignore[union-attr]
    steps = store.book.policy.steps_for(CUT)
    people = {("opened", i) for i, st in enumerate(steps) if st.who in village.notify}
    assert len(people) == 2
    assert {(n.reason, n.step) for n in told} == {("opened", None), *people}
    assert leased_sweeper(store).sweep(later + timedelta(seconds=5))
    assert len(alerts_of(store, OUTAGE_KIND)) == 1


def test_power_back_closes_the_incident_and_alarms_still_silent_get_their_ownalerts_of(
    db_url: str,
) -> None:
    store = store_for(db_url)
    cut, talking, later = _power_cut(store)
    sweeper = leased_sweeper(store)
    sweeper.sweep(later)

    back = later + timedelta(seconds=120)  # power is back: all but three speak again
    dead = cut[:3]
    _heard(store, cut[3:] + talking, back)
    sweeper.sweep(back + timedelta(seconds=1))
    [incident] = alerts_of(store, OUTAGE_KIND)
    assert incident.status == RESOLVED
    assert (incident.resolved_by, incident.resolved_at) == (SYSTEM, back + timedelta(seconds=1))
    assert alerts_of(store, "offline") == []  # the grace period first

    grace = back + timedelta(seconds=1 + store.book.rules.outage.grace_s)  # type: ignore[union-attr]
    _heard(store, cut[3:] + talking, grace - timedelta(seconds=30))  # heartbeats go on
    sweeper.sweep(grace - timedelta(seconds=1))
    assert alerts_of(store, "offline") == []
    sweeper.sweep(grace)
    alone = alerts_of(store, "offline")
    assert sorted(a.device_id for a in alone) == sorted(dead)
    assert {a.detail["outage"] for a in alone} == {alert_ref(incident)}
    [incident] = alerts_of(store, OUTAGE_KIND)
    assert incident.detail["still_silent"] == 3
    sweeper.sweep(grace + timedelta(seconds=1))  # released once
    assert len(alerts_of(store, "offline")) == 3


def test_nothing_heard_from_anyone_is_one_incident_of_our_side(db_url: str) -> None:
    """A broker outage silences every alarm: one incident naming the cause, no alert each."""
    store = store_for(db_url)
    ids = village_alarms(store, CUT, 15) + village_alarms(store, "130102002001", 15)
    later = T0 + SILENCE + timedelta(seconds=1)
    sweeper = leased_sweeper(store)
    sweeper.sweep(later)
    [incident] = alerts_of(store, OUTAGE_KIND)
    assert (incident.region_code, incident.detail["cause"]) == (BLIND, NO_MESSAGES)
    assert incident.detail["count"] == len(ids)
    assert alerts_of(store, "offline") == []

    _heard(store, ids[:1], later + timedelta(seconds=10))  # messages flow again
    sweeper.sweep(later + timedelta(seconds=11))
    [incident] = alerts_of(store, OUTAGE_KIND)
    assert incident.status == RESOLVED


def test_lost_broker_connection_is_one_incident_even_while_others_still_talk(
    db_url: str,
) -> None:
    store = store_for(db_url)
    quiet = village_alarms(store, CUT, 20)
    later = T0 + SILENCE + timedelta(seconds=1)
    village_alarms(store, NEXT_DOOR, 5, at=later - timedelta(seconds=30))
    connected = threading.Event()

    def probe() -> str | None:
        return None if connected.is_set() else BROKER_DISCONNECTED

    sweeper = leased_sweeper(store, probe=probe)
    sweeper.sweep(later)
    [incident] = alerts_of(store, OUTAGE_KIND)
    assert (incident.region_code, incident.detail["cause"]) == (BLIND, BROKER_DISCONNECTED)
    assert incident.detail["count"] == len(quiet)
    assert alerts_of(store, "offline") == []
    connected.set()
    sweeper.sweep(later + timedelta(seconds=1))
    assert alerts_of(store, OUTAGE_KIND)[0].status == RESOLVED


def test_one_alarm_falling_silent_alone_still_gets_its_own_alert(db_url: str) -> None:
    store = store_for(db_url)
    ids = village_alarms(store, CUT, 30)
    later = T0 + SILENCE + timedelta(seconds=1)
    _heard(store, ids[1:], later - timedelta(seconds=60))
    leased_sweeper(store).sweep(later)
    assert [a.device_id for a in alerts_of(store, "offline")] == [ids[0]]
    assert alerts_of(store, OUTAGE_KIND) == []


def test_two_sweepers_at_once_open_one_incident(db_url: str) -> None:
    store = store_for(db_url)
    _cut, _talking, later = _power_cut(store)
    sweepers = [
        leased_sweeper(store, "a", silent_batch=7),
        leased_sweeper(store, "b", silent_batch=7),
    ]
    sweep_together(sweepers, later)
    [incident] = alerts_of(store, OUTAGE_KIND)
    assert incident.detail["count"] == 60
    assert alerts_of(store, "offline") == []


def test_area_outage_is_shown_on_the_board_and_the_alert_list_with_itsvillage_alarms(
    cloud_db: str,
) -> None:
    clock = ManualClock(T0)
    app = make_app(cloud_db, clock, checks_interval_s=0)
    tok = users(app)
    store = MessageStore(app.state.sessions, AlertBook(load_rules(), ("log",)))
    cut, _talking, later = _power_cut(store)
    leased_sweeper(store).sweep(later)
    [incident] = alerts_of(store, OUTAGE_KIND)
    ref = alert_ref(incident)
    c = TestClient(app)
    county = bearer(tok["county"])

    board = c.get("/board", headers=county).text
    assert f'data-alert="{ref}"' in board
    for words in ("片区集体失联", "村 示例一村：60 台报警器", "片区停电或断网", "自 11-20 22:15"):
        assert words in board, words
    listed = c.get("/alerts?source=co", headers=county).text
    assert "片区集体失联（停电或断网）" in listed and "村 示例一村：60 台报警器" in listed
    c.cookies.set("cg_lang", "en")
    board = c.get("/board", headers=county).text
    assert "village Example Village 1: 60 alarms" in board and "power or network cut" in board
    assert ref not in c.get("/board", headers=bearer(tok["shanxi"])).text

    r = c.get(f"/api/v1/co/alerts/{ref}/alarms", headers=county)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["area"], body["count"]) == (CUT, 60)
    assert [a["device_id"] for a in body["alarms"]] == sorted(cut)
    assert (
        c.get(f"/api/v1/co/alerts/{ref}/alarms", headers=bearer(tok["shanxi"])).status_code == 404
    )
    [alert] = [a for a in c.get("/api/v1/alerts?kind=area_outage", headers=county).json()]
    assert alert["detail"]["count"] == 60
