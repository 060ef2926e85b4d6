"""Two ``cloud serve`` replicas on one real PostgreSQL receive the same gateway batch at
once: one referral case is opened and the office's webhook is called once."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from coalguard.cloud.batch_store import GatewayRecordRow
from coalguard.cloud.checks.registry import register_checkpoint
from coalguard.cloud.checks.tables import ProjectedRecord
from coalguard.cloud.co.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from coalguard.cloud.db import make_engine, make_sessionmaker
from coalguard.cloud.referrals.tables import ReferralCase, ReferralMessage
from tests.cloud.checks.checkpoint_feed import records
from tests.cloud.co.test_co_mqtt import Hook
from tests.cloud.referrals.referral_feed import CHECKPOINT, PLATE, REGION, failing_lab_case
from tests.support.metrics import samples
from tests.support.servers import CLOUD_ENV, CloudProcess, PostgresServer, add_gateway, staff_token
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(180)
SECRET = "replica-referral-secret"


def test_failing_lab_report_opens_one_referral_case(
    pg_server: PostgresServer, tmp_path: Path
) -> None:
    db_url = pg_server.new_database()
    gw, _, iid, lab_id = failing_lab_case(tmp_path)
    batch = {"records": records(gw)}
    gw.store.close()
    hook = Hook()
    token = add_gateway(db_url, "gw-zz", tmp_path / "token")
    staff = {"Authorization": f"Bearer {staff_token(db_url)}"}
    engine = make_engine(db_url)
    sm = make_sessionmaker(engine)
    with sm.begin() as s:
        register_checkpoint(
            s, CHECKPOINT, name=CHECKPOINT, region_code=REGION, jurisdiction="hebei-2022",
            gateway_id="gw-zz",
        )  # fmt: skip
    env = {
        **CLOUD_ENV,
        "COALGUARD_CLOUD_CHECKS_INTERVAL_S": "0.2",
        "COALGUARD_CLOUD_REFERRAL_REPEAT_S": str(90 * 86400),  # no reminder in this test
        "COALGUARD_CO_WEBHOOK_URL": hook.url,
        "COALGUARD_CO_WEBHOOK_SECRET": SECRET,
    }
    logs = [tmp_path / f"cloud-{k}.log" for k in (1, 2)]
    clouds = [CloudProcess(db_url, env=env, log=log) for log in logs]
    try:
        for c in clouds:
            c.launch()
        for c in clouds:
            c.wait_ready()

        # The gateway resends: the same batch reaches both replicas at the same time.
        answers: list[int] = []

        def post(cloud: CloudProcess) -> None:
            # As the uplink does: a 503 "raced another writer" is sent again (the
            # other replica has committed by the time it answers).
            for _ in range(3):
                r = httpx.post(
                    f"{cloud.url}/api/v1/gateways/gw-zz/batches",
                    json=batch,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=30,
                )
                if r.status_code != 503:
                    break
                assert r.headers.get("Retry-After") == "1", r.text
            answers.append(r.status_code)

        threads = [threading.Thread(target=post, args=(c,)) for c in clouds]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert answers == [200, 200]

        def settled() -> bool:
            with sm() as s:
                stored = s.scalar(select(func.count()).select_from(GatewayRecordRow))
                projected = s.scalar(select(func.count()).select_from(ProjectedRecord))
                messages = list(s.scalars(select(ReferralMessage)))
            return (
                stored == len(batch["records"]) == projected
                and bool(messages)
                and all(m.status == "sent" for m in messages)
            )

        wait_for(settled, 60, "every record projected and every referral message sent")
        scraped = [
            samples(httpx.get(f"{c.url}/metrics", headers=staff, timeout=10).text) for c in clouds
        ]
        with sm() as s:
            cases = list(s.scalars(select(ReferralCase)))
            messages = list(s.scalars(select(ReferralMessage)))
    finally:
        for c in clouds:
            c.stop()
        engine.dispose()
        hook.close()

    (case,) = cases
    assert (case.lab_sample_id, case.inspection_id, case.plate) == (lab_id, iid, PLATE)
    assert sorted((m.channel, m.reason, m.attempts) for m in messages) == [
        ("log", "opened", 1),
        ("webhook", "opened", 1),
    ]
    ((headers, raw),) = hook.received  # one call of the office's webhook, signed
    assert verify(SECRET.encode(), headers[TIMESTAMP_HEADER], raw, headers[SIGNATURE_HEADER])
    body = json.loads(raw)
    assert body["case_id"] == case.id and body["inspection"]["plate"] == PLATE
    # Each send counted once, by the replica that made it; both see the backlog drained.
    for channel in ("log", "webhook"):
        key = ("coalguard_referral_sends_total", (("channel", channel), ("outcome", "sent")))
        assert sum(got.get(key, 0) for got in scraped) == 1, channel
    assert [got[("coalguard_projector_backlog", ())] for got in scraped] == [0, 0]
    outputs = [log.read_text(errors="replace") for log in logs]
    assert sum(o.count(f"lab referral case {case.id}") for o in outputs) == 1  # the log channel
    for text in outputs:
        assert "Traceback" not in text, text[-3000:]
