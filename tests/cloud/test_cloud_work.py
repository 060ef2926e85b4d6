"""``coalguard cloud work``: the projector, the checks sweep and the referral notifier in a
process of their own, beside a ``cloud serve`` whose own background work is off, so that
projection gets a core of its own at catch-up (issue 14). Real processes, one SQLite file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from coalguard.cloud.checks.registry import register_checkpoint
from coalguard.cloud.checks.tables import CheckpointAlert, LabSample
from coalguard.cloud.db import make_engine, make_sessionmaker
from tests.cloud.test_replicas import lab_batch
from tests.conftest import COALGUARD
from tests.support.processes import stop_process
from tests.support.servers import CLOUD_ENV, CloudProcess, add_gateway
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(180)
SAMPLES = 6


def test_a_work_process_projects_and_sweeps_what_a_serve_without_background_stored(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path}/cloud.sqlite"
    token = add_gateway(db, "gw-1", tmp_path / "token")
    sm = make_sessionmaker(make_engine(db))
    with sm.begin() as s:
        register_checkpoint(s, "cp-1", name="cp-1", region_code="130102", jurisdiction=None,
                            gateway_id="gw-1")  # fmt: skip
    serve = CloudProcess(
        db, env={**CLOUD_ENV, "COALGUARD_CLOUD_CHECKS_INTERVAL_S": "0"}, log=tmp_path / "serve.log"
    ).start()
    log = tmp_path / "work.log"
    work: subprocess.Popen[bytes] | None = None
    try:
        r = httpx.post(
            f"{serve.url}/api/v1/gateways/gw-1/batches",
            json={"records": lab_batch("gw-1", "cp-1", SAMPLES)},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert r.status_code == 200 and r.json()["counts"]["stored"] == SAMPLES
        with sm() as s:  # stored, and nobody projects it: serve's own projector is off
            assert s.scalar(select(func.count()).select_from(LabSample)) == 0

        with open(log, "wb") as out:
            work = subprocess.Popen(
                [COALGUARD, "cloud", "work", "--db", db, "--interval", "0.2"],
                stdout=out, stderr=out, env=CLOUD_ENV,
            )  # fmt: skip

        def projected_and_swept() -> bool:
            with sm() as s:
                samples = s.scalar(select(func.count()).select_from(LabSample))
                overdue = s.scalar(
                    select(func.count()).where(CheckpointAlert.kind == "lab.dispatch_overdue")
                )
            return samples == SAMPLES and overdue == SAMPLES

        wait_for(projected_and_swept, 90, "the work process projecting and sweeping")
        assert work.poll() is None
        work.terminate()
        assert work.wait(20) == 0  # SIGTERM: the loops stop and the process exits cleanly
        text = log.read_text(encoding="utf-8")
        assert "Traceback" not in text and "coalguard cloud work" in text
    finally:
        stop_process(work)
        serve.stop()
