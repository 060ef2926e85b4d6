"""A real gateway (workflow, lab desk, alerts) driven through a day, and its records.

The records are exactly what the gateway's outbox would send: read from the
gateway's own record sink and posted to the cloud's batch endpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from coalguard.cloud.gateways import register_gateway
from coalguard.edge.clock import ManualClock, SystemClock
from coalguard.gateway.config import GatewayConfig
from coalguard.gateway.service import Gateway
from coalguard.gateway.sink import StoreSink
from coalguard.gateway.store import Store
from tests.gateway.conftest import FAILING, PASSING, RETEST, config_dict, registration

START = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)


@dataclass
class Day:
    """What was done at the checkpoint, to compare the cloud's tables against."""

    passed: list[str] = field(default_factory=list)
    turned_back: list[str] = field(default_factory=list)
    lab: list[str] = field(default_factory=list)
    lab_sample_ids: list[str] = field(default_factory=list)


def build_gateway(tmp: Path, checkpoint_id: str, region: str, clock: ManualClock) -> Gateway:
    cfg = config_dict(tmp / checkpoint_id)
    cfg["checkpoint"].update(id=checkpoint_id, region_code=region)
    config = GatewayConfig.model_validate(cfg)
    store = Store(config.db_path)
    return Gateway.build(config, store, StoreSink(store, clock), clock)


def _truck(gw: Gateway, plate: str, sample: str, indicators: dict, origin: str) -> str:
    wf = gw.workflow
    iid = wf.arrive(plate, "王五")
    wf.register(iid, "王五", {**registration(plate), "origin": origin})
    wf.check_fast_pass(iid, "王五")
    sample = wf.take_sample(iid, "王五", {"seal_no": f"F-{sample}"})
    wf.record_result("an-1", indicators, sample_id=sample)
    return iid


def run_day(gw: Gateway, clock: ManualClock, prefix: str = "A") -> Day:
    """Two passing trucks, one failing (turned back), one retest sent to the lab."""
    day = Day()
    for n in range(2):
        iid = _truck(gw, f"冀{prefix}1000{n}", f"{prefix}P{n}", PASSING, "山西大同")
        gw.workflow.release(iid, "王五")
        day.passed.append(iid)
        clock.advance(timedelta(minutes=7))
    iid = _truck(gw, f"冀{prefix}20000", f"{prefix}F0", FAILING, "内蒙古鄂尔多斯")
    gw.workflow.turn_back(iid, "王五")
    day.turned_back.append(iid)
    clock.advance(timedelta(minutes=5))
    iid = _truck(gw, f"冀{prefix}30000", f"{prefix}R0", RETEST, "山西大同")
    lab_id = gw.workflow.lab_sample(iid, "王五")
    day.lab.append(iid)
    day.lab_sample_ids.append(lab_id)
    return day


def records(gw: Gateway) -> list[dict[str, Any]]:
    """The gateway's records in the wire shape of a batch."""
    rows = gw.store.rows("SELECT id, kind, priority, born_at, body FROM records ORDER BY rowid")
    return [
        {
            "id": r["id"],
            "kind": r["kind"],
            "priority": r["priority"],
            "born_at": r["born_at"],
            "body": json.loads(r["body"]),
        }
        for r in rows
    ]


def send(client: TestClient, gateway_id: str, token: str, recs: list[dict[str, Any]]) -> dict:
    r = client.post(
        f"/api/v1/gateways/{gateway_id}/batches",
        json={"records": recs},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.text
    return r.json()["counts"]


def gateway_token(app: Any, gateway_id: str) -> str:
    return register_gateway(app.state.engine, gateway_id, now=SystemClock().now())
