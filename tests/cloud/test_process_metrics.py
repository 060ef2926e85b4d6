"""``cloud serve`` and ``co-ingest`` metrics move when what they measure happens.

Real processes, scraped and parsed as Prometheus does (``tests/support/metrics.py``):
gateway batches and records by outcome, the records' age at commit, the
projector's backlog draining to 0, each background loop's pass durations and
the database pool's checkouts.
"""

from __future__ import annotations

import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import COALGUARD, free_port
from tests.support.metrics import Key, samples
from tests.support.mosquitto import Mosquitto
from tests.support.processes import stop_process
from tests.support.servers import CLOUD_ENV, CloudProcess, add_gateway, staff_token
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(180)
HOUR = 3600.0


def scrape(url: str, token: str | None = None) -> dict[Key, float]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = httpx.get(f"{url}/metrics", headers=headers, timeout=10)
    r.raise_for_status()
    return samples(r.text)


def loop_passes(got: dict[Key, float], loop: str) -> float:
    return got.get(("coalguard_loop_duration_seconds_count", (("loop", loop),)), 0.0)


def record(born_at: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "kind": "verdict",
        "priority": "critical",
        "born_at": born_at.isoformat(),
        "body": {"sample_id": "S1", "overall": "pass"},
    }


def test_cloud_serve_metrics_move_with_ingest_projection_and_loops(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cloud.sqlite'}"
    gw_token = add_gateway(db, "gw-m", tmp_path / "gw-token")
    token = staff_token(db)
    # First without the background worker: what is stored waits for the projector.
    cloud = CloudProcess(db, env={**CLOUD_ENV, "COALGUARD_CLOUD_CHECKS_INTERVAL_S": "0"}).start()
    try:
        before = scrape(cloud.url, token)
        assert before[("coalguard_projector_backlog", ())] == 0
        assert before[("coalguard_projector_oldest_unprojected_age_seconds", ())] == 0
        assert before[("coalguard_ingest_batches_total", (("outcome", "accepted"),))] == 0
        assert before[("coalguard_db_pool_checkouts_total", ())] > 0  # the token, the scrape
        assert ("coalguard_db_pool_checked_out", ()) in before
        assert ("coalguard_db_pool_size", ()) in before

        post = f"{cloud.url}/api/v1/gateways/gw-m/batches"
        auth = {"Authorization": f"Bearer {gw_token}"}
        born = datetime.now(UTC) - timedelta(hours=1)  # a checkpoint an hour behind
        batch = [record(born) for _ in range(3)]
        assert httpx.post(post, json={"records": batch}, headers=auth).status_code == 200
        again = httpx.post(post, json={"records": batch[:1]}, headers=auth)
        assert again.json()["counts"]["duplicate"] == 1
        assert httpx.post(post, content=b"{nope", headers=auth).status_code == 422
        wrong = {"Authorization": "Bearer not-the-token"}
        assert httpx.post(post, json={"records": []}, headers=wrong).status_code == 401

        got = scrape(cloud.url, token)
        batches = {"accepted": 2, "refused": 1, "unauthorized": 1, "unavailable": 0}
        for outcome, n in batches.items():
            assert got[("coalguard_ingest_batches_total", (("outcome", outcome),))] == n, outcome
        records = {"stored": 3, "duplicate": 1, "rejected": 0, "conflict": 0}
        for outcome, n in records.items():
            assert got[("coalguard_ingest_records_total", (("outcome", outcome),))] == n, outcome
        assert got[("coalguard_ingest_record_age_seconds_count", ())] == 3
        assert got[("coalguard_ingest_record_age_seconds_sum", ())] >= 3 * HOUR
        assert got[("coalguard_ingest_record_age_seconds_bucket", (("le", "900.0"),))] == 0
        assert got[("coalguard_projector_backlog", ())] == 3
        assert got[("coalguard_projector_oldest_unprojected_age_seconds", ())] >= 0
        # Every request above took a connection from the pool.
        checkouts = got[("coalguard_db_pool_checkouts_total", ())]
        assert checkouts >= before[("coalguard_db_pool_checkouts_total", ())] + 4
        assert loop_passes(got, "projector") == 0
    finally:
        cloud.stop()

    # Again with the worker: the projector drains the backlog and its passes are timed.
    cloud.env = {**CLOUD_ENV, "COALGUARD_CLOUD_CHECKS_INTERVAL_S": "0.2"}
    cloud.start()
    try:

        def drained() -> dict[Key, float] | None:
            got = scrape(cloud.url, token)
            done = got[("coalguard_projector_backlog", ())] == 0
            return got if done and loop_passes(got, "checks-sweep") >= 1 else None

        got = wait_for(drained, 60, "projector backlog 0 and a checks sweep")
        assert got[("coalguard_projector_oldest_unprojected_age_seconds", ())] == 0
        assert loop_passes(got, "projector") >= 1
        assert got[("coalguard_loop_duration_seconds_sum", (("loop", "projector"),))] > 0
        wait_for(
            lambda: loop_passes(scrape(cloud.url, token), "referral-notifier") >= 1,
            60,
            "a referral notifier pass",
        )
    finally:
        cloud.stop()


def test_co_ingest_times_its_sweeps_and_shows_its_pool(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    broker = Mosquitto(tmp_path / "b", []).start()
    port = free_port()
    env = {
        **CLOUD_ENV,
        "COALGUARD_CO_SWEEP_S": "0.2",
        "COALGUARD_CO_RETENTION_EVERY_S": "0.2",
    }
    proc = subprocess.Popen(
        [COALGUARD, "cloud", "co-ingest", "--broker", broker.url(), "--migrate",
         "--db", f"sqlite:///{tmp_path / 'cloud.sqlite'}", "--metrics", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        first = wait_for(lambda: scrape(url), 60, "co-ingest metrics", retry_errors=True)
        start = {loop: loop_passes(first, loop) for loop in LOOPS}

        def every_loop_ran_again() -> dict[Key, float] | None:
            got = scrape(url)
            return got if all(loop_passes(got, x) > start[x] for x in LOOPS) else None

        got = wait_for(every_loop_ran_again, 60, "a silence sweep, a retention and a notifier pass")
        assert (
            got[("coalguard_db_pool_checkouts_total", ())]
            > first[("coalguard_db_pool_checkouts_total", ())]
        )  # each sweep took a connection
        assert ("coalguard_db_pool_checked_out", ()) in got
    finally:
        stop_process(proc)
        broker.stop()


LOOPS = ("co-sweeper", "co-retention", "co-notifier")
