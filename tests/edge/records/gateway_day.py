"""A real gateway driven through every step that sends a record to the cloud.

Used to capture today's record bodies as golden cases and to check that
every record a running gateway makes decodes with the registry.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from coalguard.edge.clock import ManualClock
from coalguard.gateway.analyzers import AnalyzerLink
from coalguard.gateway.config import GatewayConfig
from coalguard.gateway.scenario import fast_pass_list, plan_morning, run_morning
from coalguard.gateway.service import Gateway
from coalguard.gateway.sink import StoreSink
from coalguard.gateway.store import Store
from tests.gateway.conftest import FAILING, config_dict

START = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
SHA = "0" * 64


def _plate_event(clock: ManualClock, n: int, plate: str) -> dict[str, Any]:
    return {
        "v": 1,
        "camera_id": "cam-entry",
        "event_id": f"cam-entry-{n}",
        "type": "plate",
        "ts": clock.now().isoformat(),
        "plate": plate,
        "confidence": 0.95,
        "direction": "in",
        "snapshot": {"ref": f"nvr://cam-entry/{n}.jpg", "sha256": SHA},
    }


def drive(tmp: Path) -> tuple[Gateway, Store]:
    """Every record kind at least once: a morning, lab steps, cameras, duty, dead letters."""
    clock = ManualClock(START)
    config = GatewayConfig.model_validate(config_dict(tmp))
    store = Store(config.db_path)
    gw = Gateway.build(config, store, StoreSink(store, clock), clock)
    gw.duty.duty("值班员", "on_duty")
    gw.fast_pass.replace(fast_pass_list(date(2026, 12, 31)), "file")
    plans = plan_morning(trucks=12, seed=1)
    run_morning(gw, plans)
    clock.advance(timedelta(minutes=3))
    iid = gw.cameras.intake(_plate_event(clock, 1, "冀A77777")).inspection_id
    assert iid
    gw.workflow.cancel(iid, "值班员", "driver left")
    lab_id = gw.store.scalar("SELECT id FROM lab_samples ORDER BY sampled_at LIMIT 1")
    gw.lab.dispatch(lab_id, "值班员", "省煤质检测中心")
    gw.lab.receive(lab_id, "值班员")
    gw.lab.report(lab_id, "值班员", "R-1", FAILING)  # fails: office referral, alert
    gw.alerts.clear("lab.failed", gw.lab.get(lab_id)["sample_id"], "referred")
    AnalyzerLink(gw, [])._dead_letter("an-1", "bad CRC", {"reason": "bad CRC", "frame": "01 03"})
    gw.duty.handover("值班员", "李四", "quiet")
    clock.advance(timedelta(days=200))
    gw.cameras.purge()
    return gw, store


def wire_records(store: Store) -> list[dict[str, Any]]:
    """The records in the shape of a batch (``edge.uplink.wire``), oldest first."""
    rows = store.rows("SELECT id, kind, priority, born_at, body FROM records ORDER BY rowid")
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
