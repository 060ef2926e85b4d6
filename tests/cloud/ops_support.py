"""Helpers for the operators' cloud tests: an app on a database, users, headers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from coalguard.cloud.app import create_app
from coalguard.cloud.auth import issue_token
from coalguard.cloud.settings import CloudSettings
from coalguard.edge.clock import Clock, SystemClock


def make_app(db_url: str, clock: Clock | None = None, **settings: Any) -> FastAPI:
    """The cloud app on ``db_url``; ``clock``: the time its routes and background loops read;
    ``settings``: other ``CloudSettings`` fields."""
    return create_app(CloudSettings(db_url=db_url, **settings), clock, schema="create")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def users(app: FastAPI) -> dict[str, str]:
    """Tokens of a national admin, a county operator, another province and an installer."""
    sm = app.state.sessions
    return {
        "admin": issue_token(sm, "nation-admin", "", "admin", now=SystemClock().now()),
        "county": issue_token(sm, "county-130102", "130102", "operator", now=SystemClock().now()),
        "city": issue_token(sm, "city-1301", "1301", "operator", now=SystemClock().now()),
        "shanxi": issue_token(sm, "shanxi-14", "14", "operator", now=SystemClock().now()),
        "installer": issue_token(sm, "inst-1", "130102", "installer", now=SystemClock().now()),
    }


def client(app: FastAPI) -> TestClient:
    return TestClient(app)
