"""The cloud API's shape: response models, declared refusals, problem documents, clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
from fastapi.responses import PlainTextResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel

from coalguard.cloud.api.responses import XlsxResponse
from coalguard.cloud.api.routes import ROUTERS
from coalguard.cloud.app import create_app
from coalguard.cloud.auth import issue_token
from coalguard.cloud.co.tables import CoDevice
from coalguard.cloud.settings import CloudSettings
from coalguard.edge.clock import ManualClock, SystemClock
from tests.cloud.ops_support import bearer, make_app
from tests.cloud.test_route_roles import API, CALLERS, _call
from tests.cloud.test_route_roles import world as world  # the role matrix's fixture

PROBLEM = "application/problem+json"


def _api_routes(app) -> list[APIRoute]:  # type: ignore[no-untyped-def]
    routes = [r for router in (*ROUTERS, app.router) for r in router.routes]
    return [r for r in routes if isinstance(r, APIRoute) and r.include_in_schema]


def _is_model(annotation: Any) -> bool:
    """A pydantic model, or a list of them (not a bare dict, ``Any`` or ``None``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        return _is_model(item)
    return False


def test_every_route_has_a_response_model(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'c.sqlite'}")
    missing = [
        f"{sorted(r.methods)} {r.path}: {r.response_model}"
        for r in _api_routes(app)
        if not _is_model(r.response_model)
        and not (r.response_model is str and r.response_class is PlainTextResponse)
        and not (r.deprecated and r.response_class is RedirectResponse)  # moved: no body
        and r.response_class is not XlsxResponse  # a workbook to download
    ]
    assert missing == [], "\n".join(missing)


def test_every_refusal_the_role_matrix_sees_is_declared_in_openapi(world) -> None:  # type: ignore[no-untyped-def]
    client, creds = world
    paths = client.app.openapi()["paths"]
    undeclared: list[str] = []
    for caller in CALLERS:
        for method, path in API:
            r = _call(client, method, path, creds.get(caller))
            declared = paths[path][method.lower()]["responses"]
            if r.status_code >= 400 and str(r.status_code) not in declared:
                undeclared.append(f"{method} {path}: {r.status_code} ({caller})")
            if r.status_code >= 400:
                assert r.headers["content-type"] == PROBLEM, f"{method} {path}"
    assert undeclared == []


def test_retry_after_is_declared_with_429_and_503(tmp_path: Path) -> None:
    doc = make_app(f"sqlite:///{tmp_path / 'c.sqlite'}").openapi()
    login = doc["paths"]["/api/v1/auth/login"]["post"]["responses"]["429"]
    batch = doc["paths"]["/api/v1/gateways/{gateway_id}/batches"]["post"]
    assert (
        "Retry-After" in login["headers"] and "Retry-After" in batch["responses"]["503"]["headers"]
    )
    assert {"413", "415", "401", "422"} <= set(batch["responses"])


def test_batch_request_body_is_in_openapi(tmp_path: Path) -> None:
    doc = make_app(f"sqlite:///{tmp_path / 'c.sqlite'}").openapi()
    body = doc["paths"]["/api/v1/gateways/{gateway_id}/batches"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert schema["required"] == ["records"]
    assert set(schema["properties"]["records"]["items"]["required"]) >= {"id", "kind", "body"}


@pytest.fixture
def app_and_admin(tmp_path: Path):  # type: ignore[no-untyped-def]
    app = make_app(f"sqlite:///{tmp_path / 'c.sqlite'}")
    return app, bearer(
        issue_token(app.state.sessions, "root", "", "admin", now=SystemClock().now())
    )


def test_refusal_is_a_problem_document_in_chinese_by_default(app_and_admin) -> None:  # type: ignore[no-untyped-def]
    app, admin = app_and_admin
    r = TestClient(app).get("/api/v1/co/devices/COA-404", headers=admin)
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    doc = r.json()
    assert doc == {
        "type": "urn:coalguard:problem:no_device",
        "title": "未找到",
        "status": 404,
        "detail": "报警器 COA-404 不存在",
        "instance": "/api/v1/co/devices/COA-404",
    }


def test_refusal_follows_accept_language(app_and_admin) -> None:  # type: ignore[no-untyped-def]
    app, admin = app_and_admin
    headers = {**admin, "Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"}
    doc = TestClient(app).get("/api/v1/co/devices/COA-404", headers=headers).json()
    assert (doc["title"], doc["detail"]) == ("Not found", "no device COA-404")
    doc = TestClient(app).get("/api/v1/auth/me", headers={"Accept-Language": "en"}).json()
    assert doc["status"] == 401 and doc["detail"] == "missing bearer token; sign in first"


def test_validation_refusal_names_each_field(app_and_admin) -> None:  # type: ignore[no-untyped-def]
    app, admin = app_and_admin
    r = TestClient(app).post("/api/v1/co/devices", json={"device_id": "X"}, headers=admin)
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    doc = r.json()
    fields = {e["field"] for e in doc["errors"]}
    assert {"body.installer_id", "body.household"} <= fields
    assert doc["title"] == "输入有误" and "household" in doc["detail"]


def test_alert_state_conflict_is_a_409_problem(app_and_admin) -> None:  # type: ignore[no-untyped-def]
    from tests.cloud.test_route_roles import _alarm

    app, admin = app_and_admin
    alert_id = _alarm(app)
    c = TestClient(app)
    assert c.post(f"/api/v1/co/alerts/{alert_id}/resolve", headers=admin).status_code == 200
    r = c.post(f"/api/v1/co/alerts/{alert_id}/ack", headers=admin)
    assert r.status_code == 409 and r.json()["type"] == "urn:coalguard:problem:conflict"


def test_route_reads_time_from_the_app_clock(tmp_path: Path) -> None:
    """Commissioning at a chosen time: started and deadline come from the ManualClock."""
    at = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    clock = ManualClock(at)
    app = create_app(
        CloudSettings(db_url=f"sqlite:///{tmp_path / 'c.sqlite'}"), clock=clock, schema="create"
    )
    admin = bearer(issue_token(app.state.sessions, "root", "", "admin", now=SystemClock().now()))
    with app.state.sessions.begin() as s:
        s.add(CoDevice(device_id="COA-1", registered=True, region_code="130102001001"))
    c = TestClient(app)
    body = {"installer_id": "i1", "timeout_s": 600}
    started = c.post("/api/v1/co/devices/COA-1/commissioning", json=body, headers=admin).json()
    assert started["started_at"] == at.isoformat()
    assert started["deadline"] == (at + timedelta(seconds=600)).isoformat()
    clock.advance(timedelta(seconds=240))
    (now,) = c.get("/api/v1/co/devices/COA-1/commissioning", headers=admin).json()
    assert now["remaining_s"] == 360


def test_every_problem_key_is_in_both_catalogs() -> None:
    import re

    from coalguard.i18n import _catalog

    package = Path(__file__).resolve().parents[2] / "coalguard" / "cloud"
    source = "\n".join(p.read_text(encoding="utf-8") for p in package.rglob("*.py"))
    keys = set(re.findall(r'Problem\(\s*\d{3},\s*"([a-z_]+)"', source))
    keys |= set(re.findall(r'_error\(\s*request,\s*\d{3},\s*"([a-z_]+)"', source))
    keys |= {"too_many_login", "too_many_token", "http", "fields", "conflict", "invalid"}
    assert len(keys) > 20
    for lang in ("zh", "en"):
        missing = sorted(k for k in keys if f"problem.{k}" not in _catalog(lang))
        assert missing == [], lang
