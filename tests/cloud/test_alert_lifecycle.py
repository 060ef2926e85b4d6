"""The one alert lifecycle: one table of steps, run against a CO alarm alert and a checkpoint alert.

Each kind once had its own acknowledge and resolve, with different rules; a
step that answers differently for the two kinds fails here.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from coalguard.cloud.checks import alerts as cp_alerts
from coalguard.cloud.co.rules import DEFAULT_RULES, load_rules
from coalguard.errors import DataFileError
from tests.cloud.alert_support import checkpoint_alert, co_alert
from tests.cloud.checks.checkpoint_feed import START
from tests.cloud.ops_support import bearer, client, make_app, users

FIRST, SECOND = "county-130102", "city-1301"  # the two people of ops_support.users

# (steps: who does what; the answers; what the alert says afterwards)
CASES: dict[str, tuple[list[tuple[str, str]], list[int], dict[str, Any]]] = {
    "acknowledge": (
        [(FIRST, "ack")],
        [200],
        {"status": "acknowledged", "acknowledged_by": FIRST, "resolved_by": None},
    ),
    "resolve unacknowledged records the acknowledgement": (
        [(FIRST, "resolve")],
        [200],
        {"status": "resolved", "acknowledged_by": FIRST, "resolved_by": FIRST},
    ),
    "resolve acknowledged keeps who acknowledged": (
        [(FIRST, "ack"), (SECOND, "resolve")],
        [200, 200],
        {"status": "resolved", "acknowledged_by": FIRST, "resolved_by": SECOND},
    ),
    "acknowledge twice": (
        [(FIRST, "ack"), (SECOND, "ack")],
        [200, 409],
        {"status": "acknowledged", "acknowledged_by": FIRST},
    ),
    "acknowledge resolved": (
        [(FIRST, "resolve"), (SECOND, "ack")],
        [200, 409],
        {"status": "resolved", "resolved_by": FIRST},
    ),
    "resolve twice": (
        [(FIRST, "resolve"), (SECOND, "resolve")],
        [200, 409],
        {"status": "resolved", "resolved_by": FIRST},
    ),
}


def _co(app: FastAPI) -> str:
    return f"co-{co_alert(app)}"


def _cp(app: FastAPI) -> str:
    return f"cp-{checkpoint_alert(app)}"


@pytest.mark.parametrize("make", [_co, _cp], ids=["co", "checkpoint"])
@pytest.mark.parametrize("case", CASES, ids=CASES.keys())
def test_one_lifecycle_for_both_kinds(tmp_path: Path, make: Any, case: str) -> None:
    steps, answers, after = CASES[case]
    app = make_app(f"sqlite:///{tmp_path / 'c.sqlite'}")
    tok = users(app)
    who = {FIRST: bearer(tok["county"]), SECOND: bearer(tok["city"])}
    c = client(app)
    ref = make(app)
    got = [
        c.post(f"/api/v1/alerts/{ref}/{action}", headers=who[p]).status_code for p, action in steps
    ]
    assert got == answers
    (row,) = [r for r in c.get("/api/v1/alerts", headers=who[FIRST]).json() if r["id"] == ref]
    assert {k: row[k] for k in after} == after
    if row["status"] == "resolved" and row["resolved_by"] == row["acknowledged_by"] == FIRST:
        assert row["acknowledged_at"] == row["resolved_at"]


def test_resolving_an_unacknowledged_checkpoint_alert_records_the_acknowledgement(
    tmp_path: Path,
) -> None:
    """Checkpoint resolve left ``acknowledged_by`` empty where the CO one filled it."""
    app = make_app(f"sqlite:///{tmp_path / 'c.sqlite'}")
    county = bearer(users(app)["county"])
    ref = _cp(app)
    r = client(app).post(f"/api/v1/alerts/{ref}/resolve", headers=county)
    assert r.status_code == 200 and r.json()["acknowledged_by"] == FIRST


def test_a_checkpoint_alert_keeps_the_time_it_first_cleared(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'c.sqlite'}")
    _cp(app)
    later = START + timedelta(minutes=5)
    with app.state.sessions.begin() as s:
        assert cp_alerts.clear_alert(s, "cp-zz", "camera.silent", "cam-entry", later) == 1
        cp_alerts.clear_alert(s, "cp-zz", "camera.silent", "cam-entry", later + timedelta(hours=1))
    county = bearer(users(app)["county"])
    (row,) = client(app).get("/api/v1/alerts", headers=county).json()
    assert row["status"] == "open" and row["cleared_at"] == later.isoformat()


def test_a_rules_file_cannot_let_a_co_alarm_resolve_itself(tmp_path: Path) -> None:
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    assert 'kind = "co_alarm"' in text.split("auto_resolve = false", 1)[0]
    path = tmp_path / "rules.toml"
    path.write_text(text.replace("auto_resolve = false", "auto_resolve = true", 1), "utf-8")
    with pytest.raises(DataFileError) as exc:
        load_rules(path)
    assert exc.value.field == "rule.0.auto_resolve"
