"""The one region-scope check, run against every route that takes a ``region``."""

from __future__ import annotations

from pathlib import Path

import pytest

from coalguard.cloud.scope import is_region_code
from tests.cloud.ops_support import bearer, client, make_app, users

REGIONS = {
    "": True,
    "13": True,
    "130102001001": True,
    "1301020010011": False,  # 13 digits
    "13x": False,
    "13 ": False,
    "١٣": False,  # Arabic-Indic digits pass str.isdigit
    "1²": False,
    "-13": False,
}


@pytest.mark.parametrize(("text", "ok"), REGIONS.items())
def test_what_names_a_region(text: str, ok: bool) -> None:
    assert is_region_code(text) is ok


def _region_routes(app) -> list[str]:  # type: ignore[no-untyped-def]
    doc = app.openapi()
    return sorted(
        path
        for path, ops in doc["paths"].items()
        if "{" not in path
        and any(p["name"] == "region" for p in ops.get("get", {}).get("parameters", []))
    )


def test_co_routes_refuse_a_region_that_is_not_digits(tmp_path: Path) -> None:
    """The CO routes had their own scope check, without the digit check of the others."""
    app = make_app(f"sqlite:///{tmp_path / 'c.sqlite'}")
    admin = bearer(users(app)["admin"])
    routes = _region_routes(app)
    assert "/api/v1/co/devices" in routes and "/api/v1/alerts" in routes
    c = client(app)
    params = {"since": "2026-11-01T00:00:00+00:00"}  # the season check needs it
    for bad in ("13x", "١٣", "1²", "1301020010011"):
        for path in routes:
            r = c.get(path, params={**params, "region": bad}, headers=admin)
            assert r.status_code == 422, f"{path}?region={bad}: {r.status_code} {r.text[:200]}"
    assert c.get("/api/v1/co/devices", params={"region": "13"}, headers=admin).status_code == 200
