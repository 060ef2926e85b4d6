"""Any JSON in any field of a batch record: a typed outcome or a clear 413/422, never a 500.

Schemathesis cannot reach the batch endpoint (it reads the raw body with a
gateway's token), so this property test does, over a real server: values of
every JSON type, lone surrogates, NUL, integers over 4,300 digits, nesting
past any limit, NaN and times beyond UTC's range, in every field.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coalguard.cloud.app import create_app
from coalguard.cloud.gateways import register_gateway
from coalguard.cloud.settings import CloudSettings
from coalguard.edge.clock import SystemClock
from coalguard.edge.uplink.wire import OUTCOMES
from tests.support.hostile_json import HOSTILE_FRAGMENTS, json_values
from tests.support.servers import ThreadServer

_DIR = Path(tempfile.mkdtemp(prefix="coalguard-batch-fuzz-"))
APP = create_app(
    CloudSettings(db_url=f"sqlite:///{_DIR}/fuzz.sqlite", checks_interval_s=0), schema="create"
)
TOKEN = register_gateway(APP.state.engine, "gw-fuzz", now=SystemClock().now())

_values = json_values()
_RAW = [
    *HOSTILE_FRAGMENTS,
    '"0001-01-01T00:00:00+08:00"',
    '"9999-12-31T23:59:59-08:00"',
]
_fragment = st.one_of(
    _values.map(lambda v: json.dumps(v)),  # ensure_ascii: surrogates travel as \\uXXXX
    st.sampled_from(_RAW),
)


def _good() -> dict[str, str]:
    return {
        "id": json.dumps(str(uuid.uuid4())),
        "kind": '"verdict"',
        "priority": '"critical"',
        "born_at": '"2026-01-15T08:30:00+08:00"',
        "body": '{"ok": 1}',
    }


@st.composite
def _record(draw: st.DrawFn) -> str:
    fields = _good()
    for name in draw(st.sets(st.sampled_from([*fields, "body.x", "extra"]), max_size=3)):
        value = draw(_fragment)
        if name == "body.x":
            fields["body"] = '{"x": ' + value + "}"
        else:
            fields[name] = value
    return "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}"


@pytest.fixture(scope="module")
def http():  # type: ignore[no-untyped-def]
    with ThreadServer(APP) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.mark.timeout(300)
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(recs=st.lists(_record(), min_size=1, max_size=4))
def test_any_json_in_any_field_gets_an_outcome_or_a_clear_4xx_never_500(http, recs) -> None:  # type: ignore[no-untyped-def]
    raw = ('{"records": [' + ", ".join(recs) + "]}").encode()
    resp = http.post(
        "/api/v1/gateways/gw-fuzz/batches",
        content=raw,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert resp.status_code in (200, 413, 422), (resp.status_code, resp.text[:300], raw[:300])
    doc = resp.json()
    if resp.status_code != 200:
        assert doc["detail"]
        return
    assert len(doc["results"]) == len(recs)
    for r in doc["results"]:
        assert r["outcome"] in OUTCOMES
        assert (r["reason"] is not None) == (r["outcome"] in ("rejected", "conflict"))
