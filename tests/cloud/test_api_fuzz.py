"""Schemathesis against the whole cloud API: generated requests never get a 500."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, settings  # noqa: E402

from coalguard.cloud.auth import issue_token  # noqa: E402
from coalguard.edge.clock import SystemClock  # noqa: E402
from tests.cloud.ops_support import make_app  # noqa: E402

_DIR = Path(tempfile.mkdtemp(prefix="coalguard-fuzz-"))
APP = make_app(f"sqlite:///{_DIR}/fuzz.sqlite")
TOKEN = issue_token(APP.state.sessions, "fuzz-admin", "", "admin", now=SystemClock().now())
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.mark.timeout(120)
@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
    derandomize=True,
    database=None,
)
def test_no_server_errors(case) -> None:  # type: ignore[no-untyped-def]
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    )
