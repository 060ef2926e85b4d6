"""Two ``co-ingest --shared-group`` workers and two ``cloud serve`` replicas on one real
PostgreSQL, a real Mosquitto and a webhook receiver: every notification is sent
once, every escalation step taken once, every lab-overdue alert raised once, and
no process logs a traceback (issue 10, item 4)."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from coalguard.cloud.checks.registry import register_checkpoint
from coalguard.cloud.checks.tables import CheckpointAlert, LabSample
from coalguard.cloud.co.tables import CoAlert, CoNotification
from coalguard.cloud.db import make_engine, make_sessionmaker
from coalguard.cloud.gateways import register_gateway
from coalguard.edge.clock import SystemClock
from coalguard.edge.model import utcnow
from tests.cloud.co.test_co_mqtt import Hook
from tests.support.mosquitto import Mosquitto
from tests.support.servers import CLOUD_ENV, CloudProcess, CoIngestProcess, PostgresServer
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(180)
ALARMS = 45
LAB_SAMPLES = 2 * 20
SHIPPED_RULES = Path(__file__).parents[2] / "coalguard/cloud/co/alert_rules.toml"
STEPS = 4  # of the fast policy


def fast_policy(path: Path) -> Path:
    """The default chain with its steps 0.6 s apart and no repeat within the test."""
    steps = ("household", "grid_worker", "township_on_call", "county_desk")
    path.write_text(
        'version = 1\n[[policy]]\nregion_prefix = ""\n'
        + "".join(
            f'[[policy.step]]\nwho = "{who}"\nafter_min = {i * 0.01}\n'
            'channels = ["sms"]\nrepeat_min = 60\n'
            for i, who in enumerate(steps)
        )
    )
    return path


def co_ingest(
    broker: Mosquitto, db_url: str, hook: Hook, policy: Path, log: Path
) -> CoIngestProcess:
    """A worker started as the README shows: no --client-id."""
    return CoIngestProcess(
        broker.url(), db_url,
        ("--shared-group", "cloud", "--webhook-url", hook.url, "--migrate",
         "--webhook-secret", "replica-test-secret", "--rules", str(SHIPPED_RULES)),
        env={**CLOUD_ENV, "COALGUARD_CO_SWEEP_S": "0.2",
             "COALGUARD_CO_ESCALATION_FILE": str(policy)},
        log=log,
    ).start()  # fmt: skip


def lab_batch(gateway_id: str, checkpoint_id: str, n: int) -> list[dict]:
    """``n`` lab samples taken two days ago and never sent to the lab (overdue)."""
    born = utcnow() - timedelta(days=2)
    return [
        {
            "id": str(uuid.uuid4()),
            "kind": "lab.sampled",
            "priority": "critical",
            "born_at": born.isoformat(),
            "body": {
                "checkpoint_id": checkpoint_id,
                "lab_sample_id": f"{gateway_id}-L{k}",
                "sample_id": f"{gateway_id}-S{k}",
                "seal_no": f"F{k}",
                "inspection_id": f"{gateway_id}-I{k}",
                "profile_id": "gb34169-2017/anthracite-1",
                "operator": "值班员",
                "at": born.isoformat(),
                "dispatch_due": (born + timedelta(days=1)).isoformat(),
            },
        }
        for k in range(n)
    ]


def test_two_replicas_send_each_notification_once(
    pg_server: PostgresServer, tmp_path: Path
) -> None:
    db_url = pg_server.new_database()
    (tmp_path / "broker").mkdir()
    broker = Mosquitto(tmp_path / "broker")
    broker.conf.write_text(broker.conf.read_text() + "log_type subscribe\n")
    broker.start()
    hook = Hook()
    policy = fast_policy(tmp_path / "escalation.toml")
    logs = [tmp_path / f"{name}.log" for name in ("ingest-1", "ingest-2", "cloud-1", "cloud-2")]
    env = {**CLOUD_ENV, "COALGUARD_CLOUD_CHECKS_INTERVAL_S": "0.2"}
    clouds = [CloudProcess(db_url, env=env, log=log) for log in logs[2:]]
    workers: list[CoIngestProcess] = []
    engine = make_engine(db_url)
    try:
        # All four start together on an empty database (each creates the schema).
        workers = [co_ingest(broker, db_url, hook, policy, log) for log in logs[:2]]
        for c in clouds:
            c.launch()
        for c in clouds:
            c.wait_ready()
        mosquitto_log = broker.dir / "mosquitto.log"
        wait_for(
            lambda: mosquitto_log.read_text().count(" $share/cloud/co/v1/") >= 6,
            60,
            "both workers subscribed to the shared group",
        )

        # 45 alarms: each one's event and state reach either worker.
        pub = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="fleet")
        pub.connect("127.0.0.1", broker.port)
        pub.loop_start()
        ts = int(utcnow().timestamp() * 1000)
        for i in range(ALARMS):
            dev = f"COA-{i:05d}"
            ev = {"ts": ts, "seq": 1, "type": "alarm_start", "co_ppm": 180}
            st = {"ts": ts, "seq": 2, "co_ppm": 180, "battery_pct": 90, "alarm": "alarm",
                  "tamper": False, "fault": None, "eol": False}  # fmt: skip
            pub.publish(f"co/v1/{dev}/event", json.dumps(ev), qos=1)
            pub.publish(f"co/v1/{dev}/state", json.dumps(st), qos=1).wait_for_publish(5)

        # 40 overdue lab samples from two checkpoints, one batch to each replica.
        sm = make_sessionmaker(engine)
        for k, cloud in enumerate(clouds):
            gw, cp = f"gw-{k}", f"cp-{k}"
            token = register_gateway(engine, gw, now=SystemClock().now())
            with sm.begin() as s:
                register_checkpoint(
                    s, cp, name=cp, region_code="130102", jurisdiction=None, gateway_id=gw
                )
            r = httpx.post(
                f"{cloud.url}/api/v1/gateways/{gw}/batches",
                json={"records": lab_batch(gw, cp, LAB_SAMPLES // 2)},
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            assert r.status_code == 200 and r.json()["counts"]["stored"] == LAB_SAMPLES // 2

        def escalated_and_sent() -> bool:
            with sm() as s:
                top = s.scalar(select(func.count()).where(CoAlert.escalation_level == STEPS - 1))
                pending = s.scalar(select(func.count()).where(CoNotification.status == "pending"))
            return top == ALARMS and pending == 0

        wait_for(escalated_and_sent, 60, "every alarm escalated to the county and all sent")

        def lab_alerts_raised() -> bool:
            with sm() as s:
                return s.scalar(select(func.count()).select_from(CheckpointAlert)) >= LAB_SAMPLES

        wait_for(lab_alerts_raised, 30, "lab-overdue alerts")
        with sm() as s:
            alerts = list(s.scalars(select(CoAlert)))
            notes = list(s.scalars(select(CoNotification)))
            lab_alerts = list(s.scalars(select(CheckpointAlert)))
            lab_rows = s.scalar(select(func.count()).select_from(LabSample))
        deliveries = [b["notification_id"] for b in hook.bodies()]
        webhook_rows = [n for n in notes if n.channel == "webhook"]
        print(
            f"webhook deliveries {len(deliveries)} for {len(webhook_rows)} webhook notifications "
            f"({len(notes)} rows with the log channel), {len(alerts)} CO alerts, "
            f"{len(lab_alerts)} lab-overdue alerts for {lab_rows} samples"
        )
        # One alert per alarm, each escalation step notified once per channel.
        assert len(alerts) == ALARMS and {a.kind for a in alerts} == {"co_alarm"}
        feed = [n for n in notes if n.channel in ("webhook", "log")]
        steps = Counter((n.alert_id, n.level, n.channel) for n in feed)
        assert len(steps) == ALARMS * STEPS * 2 and set(steps.values()) == {1}
        # Each step's people (none on file for these alarms: shown as such) once per step.
        people = Counter((n.alert_id, n.step, n.attempt) for n in notes if n not in feed)
        assert len(people) == ALARMS * STEPS and set(people.values()) == {1}
        assert {n.status for n in notes if n not in feed} == {"no_recipient"}
        # Each webhook notification delivered exactly once.
        assert len(deliveries) == len(webhook_rows) == ALARMS * STEPS
        assert sorted(deliveries) == sorted(n.id for n in webhook_rows)
        # Each lab-overdue alert raised once, counted once.
        assert lab_rows == LAB_SAMPLES
        assert len(lab_alerts) == LAB_SAMPLES
        assert {a.kind for a in lab_alerts} == {"lab.dispatch_overdue"}
        assert {a.occurrences for a in lab_alerts} == {1}
    finally:
        for w in workers:
            w.stop()
        for c in clouds:
            c.stop()
        engine.dispose()
        hook.close()
        broker.stop()
    outputs = {log.name: log.read_text(errors="replace") for log in logs}
    # The log channel too: one line per log notification, over both workers.
    sent_by = [outputs[log.name].count(" CO alert ") for log in logs[:2]]
    print(f"log-channel notifications written by each worker: {sent_by}")
    assert sum(sent_by) == ALARMS * STEPS
    for name, text in outputs.items():
        assert "Traceback" not in text, f"{name}:\n{text[-3000:]}"
        assert "UniqueViolation" not in text, f"{name}:\n{text[-3000:]}"
    # Default client ids are unique: no worker took another's place at the broker.
    assert "already connected" not in mosquitto_log.read_text()
