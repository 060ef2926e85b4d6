"""Liveness and readiness, apart: ``/healthz`` says the process answers (no I/O),
``/readyz`` says it can do its work (the database answers ``SELECT 1`` in time).

A load balancer restarts on a failing ``/healthz`` and only stops routing on a
failing ``/readyz``, so a database outage must never fail the liveness probe.
"""

from __future__ import annotations

import threading

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import Engine, text

from coalguard.cloud.access import PUBLIC
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.api.responses import problems
from coalguard.errors import first_line

router = APIRouter(tags=["ops"])

READY_TIMEOUT_S = 2.0  # a probe that waits longer than this is an answer too


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str


def database_down(engine: Engine, timeout_s: float = READY_TIMEOUT_S) -> str | None:
    """Why the database cannot answer ``SELECT 1`` within ``timeout_s``; ``None`` if it did.

    The query runs on its own daemon thread so a hung connection costs the probe
    ``timeout_s``, never a worker thread of the server.
    """
    outcome: list[str | None] = []

    def ping() -> None:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            outcome.append(None)
        except Exception as exc:  # any failure means "not ready"; the reason is reported
            outcome.append(first_line(exc))

    worker = threading.Thread(target=ping, name="readyz-ping", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if not outcome:
        return f"no answer within {timeout_s:g} s"
    return outcome[0]


@router.get("/healthz", dependencies=[PUBLIC], response_model=Health)
def healthz() -> Health:
    """The process is alive and serving HTTP; touches nothing else."""
    return Health(status="ok")


@router.get("/readyz", dependencies=[PUBLIC], response_model=Readiness, responses=problems(503))
def readyz(request: Request) -> Readiness:
    """Ready when the database answers; else 503 naming what is down."""
    reason = database_down(request.app.state.engine)
    if reason is not None:
        raise Problem(
            503, "health.not_ready", headers={"Retry-After": "5"}, part="database", reason=reason
        )
    return Readiness(status="ok", database="ok")
