"""Overdue patrols (issue 16 done-when): a grid not patrolled by its jurisdiction's rhythm
raises one alert to its leader under a controllable clock; a second sweeper does not
double it; the next patrol clears it."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from coalguard.cloud.alert_list import AlertFilter, unified_alerts
from coalguard.cloud.auth import issue_token
from coalguard.cloud.checks.worker import sweep
from coalguard.cloud.leases import Leases
from coalguard.cloud.patrols.frequency import load_frequency, shipped_frequency
from coalguard.cloud.patrols.overdue import sweep_overdue
from coalguard.cloud.patrols.tables import PatrolAlert
from coalguard.edge.clock import ManualClock
from tests.cloud.ops_support import bearer, make_app
from tests.cloud.patrols.patrol_support import (
    JIAOZUO_VILLAGE,
    NOW,
    VILLAGE,
    households,
    village_grid,
)

MINUTE = timedelta(minutes=1)
WEEK = timedelta(days=7)


def _alerts(app) -> list[PatrolAlert]:  # type: ignore[no-untyped-def]
    with app.state.sessions() as s:
        return list(s.scalars(select(PatrolAlert).order_by(PatrolAlert.id)))


def test_patrol_overdue_by_the_rhythm_raises_its_alert_to_the_grid_leader(db_url: str) -> None:
    clock = ManualClock(NOW)
    app = make_app(db_url, clock)
    grid_id, leader_id = village_grid(app)
    token = issue_token(app.state.sessions, "grid-1", VILLAGE, "grid", now=NOW)
    replica_a, replica_b = Leases(clock, owner="replica-a"), Leases(clock, owner="replica-b")
    client = TestClient(app)

    # The worker patrols on Monday; Hebei's village rhythm is weekly (video cover here).
    r = client.post(
        "/api/v1/patrols",
        json={"region_code": VILLAGE, "household_ids": households(app), "findings": "无散煤"},
        headers=bearer(token),
    )
    assert r.status_code == 201, r.text
    due = NOW + WEEK

    clock.set(due - MINUTE)
    sweep(app.state.sessions, clock.now(), replica_a)
    assert _alerts(app) == [], "no alert a minute before the rhythm's due time"

    clock.set(due + MINUTE)
    sweep(app.state.sessions, clock.now(), replica_a)
    sweep(app.state.sessions, clock.now(), replica_b)  # the second replica's pass
    (alert,) = _alerts(app)
    assert alert.kind == "patrol.overdue" and alert.status == "open"
    assert alert.occurrences == 1, "a second sweeper does not double the alert"
    assert alert.leader_contact_id == leader_id, "the alert goes to the grid leader"
    assert alert.detail["due_at"] == due.isoformat()
    assert alert.region_code == VILLAGE and alert.grid_id == grid_id

    # It is in the one alert list (id pt-N), in the grid's region.
    with app.state.sessions() as s:
        listed = unified_alerts(s, "130102", AlertFilter(source="patrol"))
    assert [a["id"] for a in listed] == [f"pt-{alert.id}"]
    assert listed[0]["leader_contact_id"] == leader_id

    # The next patrol clears it; the sweep right after raises nothing new.
    clock.set(due + timedelta(hours=2))
    r = client.post("/api/v1/patrols", json={"region_code": VILLAGE}, headers=bearer(token))
    assert r.status_code == 201, r.text
    sweep(app.state.sessions, clock.now(), replica_b)
    (cleared,) = _alerts(app)
    assert cleared.status == "resolved" and cleared.cleared_at == clock.now()
    assert cleared.resolution == "condition cleared (patrolled)"


def test_a_village_without_video_cover_is_due_every_three_days(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path}/cloud.sqlite", ManualClock(NOW))
    village_grid(app, video_cover=False)
    with app.state.sessions.begin() as s:
        assert sweep_overdue(s, NOW + timedelta(days=3) - MINUTE, shipped_frequency()) == 0
        assert sweep_overdue(s, NOW + timedelta(days=3) + MINUTE, shipped_frequency()) == 1
        (alert,) = s.scalars(select(PatrolAlert))
        assert alert.detail["every_days"] == 3


def test_jiaozuo_counts_only_the_village_committee_members_patrols(tmp_path: Path) -> None:
    clock = ManualClock(NOW)
    app = make_app(f"sqlite:///{tmp_path}/cloud.sqlite", clock)
    village_grid(app, JIAOZUO_VILLAGE)
    token = issue_token(app.state.sessions, "grid-1", JIAOZUO_VILLAGE, "grid", now=NOW)
    client = TestClient(app)
    body = {"region_code": JIAOZUO_VILLAGE, "grid_role": "worker"}
    assert client.post("/api/v1/patrols", json=body, headers=bearer(token)).status_code == 201
    with app.state.sessions.begin() as s:  # a worker's patrol does not keep the committee's rhythm
        assert sweep_overdue(s, NOW + WEEK + MINUTE, shipped_frequency()) == 1
        (alert,) = s.scalars(select(PatrolAlert))
        assert alert.detail["role"] == "committee"
    clock.set(NOW + WEEK + 2 * MINUTE)
    body["grid_role"] = "committee"
    assert client.post("/api/v1/patrols", json=body, headers=bearer(token)).status_code == 201
    assert [a.status for a in _alerts(app)] == ["resolved"]


def test_the_longest_region_prefix_picks_the_jurisdiction() -> None:
    policy = load_frequency()
    assert policy.jurisdiction_of("410802001001").name == "焦作市"
    assert policy.jurisdiction_of("130102001001").name == "河北省"
    assert policy.jurisdiction_of("622901001001").region_prefix == ""
    county = policy.rules_for("130102", "county", True)
    assert [r.every_days for r in county] == [15]
    for j in policy.jurisdiction:
        assert j.source.startswith("seeds/"), "every rhythm cites its seed"


def test_two_replicas_sweeping_at_once_raise_one_alert(db_url: str) -> None:
    clock = ManualClock(NOW + WEEK + MINUTE)
    app = make_app(db_url, clock)
    for n in range(1, 6):  # several grids, so the two passes overlap
        village_grid(app, f"130102001{n:03d}", user=f"grid-{n}")
    start = threading.Barrier(2)

    def replica(owner: str) -> None:
        start.wait(timeout=10)
        sweep(app.state.sessions, clock.now(), Leases(clock, owner=owner))

    threads = [threading.Thread(target=replica, args=(o,)) for o in ("replica-a", "replica-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    alerts = _alerts(app)
    assert len(alerts) == 5 and {a.occurrences for a in alerts} == {1}
    assert len({a.subject for a in alerts}) == 5
