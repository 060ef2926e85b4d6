"""Alerts of both kinds made directly in the cloud database, for the alert tests."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI

from coalguard.cloud.checks import alerts as cp_alerts
from coalguard.cloud.co.tables import CoAlert
from tests.cloud.checks.checkpoint_feed import START


def co_alert(app: FastAPI, region: str = "130102001001", kind: str = "co_alarm") -> int:
    """An open critical CO alert at ``dev-{region}``; its id."""
    with app.state.sessions.begin() as s:
        a = CoAlert(
            device_id=f"dev-{region}",
            region_code=region,
            kind=kind,
            severity="critical",
            status="open",
            opened_at=START,
            updated_at=START,
            occurrences=1,
            detail={"co_ppm": 180},
            escalation_level=0,
        )
        s.add(a)
        s.flush()
        return a.id


def checkpoint_alert(
    app: FastAPI,
    at: datetime = START,
    kind: str = "camera.silent",
    subject: str = "cam-entry",
    origin: str = "gateway",
) -> int:
    """An open alert at checkpoint ``cp-zz`` (county 130102), by default a silent camera."""
    with app.state.sessions.begin() as s:
        return cp_alerts.raise_alert(
            s,
            checkpoint_id="cp-zz",
            region_code="130102",
            kind=kind,
            subject=subject,
            message=f"{kind} {subject}",
            at=at,
            origin=origin,
        ).id
