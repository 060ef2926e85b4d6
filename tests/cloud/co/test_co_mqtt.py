"""CO alarms through a real Mosquitto: ACL, TLS, end to end, restarts, bad input, shared subs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from coalguard.cloud.co import CoService, CoSettings
from coalguard.cloud.co.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from coalguard.cloud.co.escalation import load_policy
from coalguard.cloud.co.tables import CoAlert, CoDeadLetter, CoDevice, CoMessageRow
from coalguard.edge.model import utcnow
from coalguard.simulators.co_fleet import Fleet, device_password, load_scenario
from tests.cloud.co.co_support import registered, sessions_at, state
from tests.support.mosquitto import FLEET_SECRET, Mosquitto
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(120)
IDS = [f"COA-{i:05d}" for i in range(40)]
WEBHOOK_SECRET = "hook-secret"


class Hook:
    """A test HTTP server that records webhook POSTs."""

    def __init__(self, fail: bool = False) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        hook = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append((dict(self.headers), body))
                self.send_response(500 if fail else 204)
                self.end_headers()

            def log_message(self, *a: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/co-alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self) -> list[dict]:
        return [json.loads(b) for _, b in self.received]

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    (tmp_path / "broker").mkdir()
    b = Mosquitto(tmp_path / "broker", IDS).start()
    yield b
    b.stop()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.close()


def service(b: Mosquitto, tmp_path: Path, **kw: object) -> CoService:
    sm = sessions_at(tmp_path / "cloud.sqlite")
    settings = CoSettings(broker_url=b.url(), sweep_s=0.2, ca_file=b.ca, **kw)
    svc = CoService(settings, sm, rules=kw.pop("rules", None) if "rules" in kw else None)
    svc.start()
    wait_for(svc.ingest.connected.is_set, 15, "ingest to connect")
    return svc


def device_client(b: Mosquitto, dev: str, password: str | None = None) -> mqtt.Client:
    c = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=dev)
    c.username_pw_set(dev, password or device_password(FLEET_SECRET, dev))
    if b.ca:
        c.tls_set(ca_certs=str(b.ca))
    rc = []
    c.on_connect = lambda *a: rc.append(a[3])
    c.connect("127.0.0.1", b.port)
    c.loop_start()
    wait_for(lambda: rc, 10, "device connect")
    assert not rc[0].is_failure, rc[0]
    return c


def count(svc: CoService, table) -> int:  # type: ignore[no-untyped-def]
    with svc.sessions() as s:
        return s.scalar(select(func.count()).select_from(table))


def test_acl_device_publishes_only_under_its_own_id(broker: Mosquitto, tmp_path: Path) -> None:
    svc = service(broker, tmp_path)
    try:
        c = device_client(broker, "COA-00001")
        r = state("COA-00002", 1)  # impersonation attempt
        c.publish(r.topic, r.payload, qos=1).wait_for_publish(5)
        own = state("COA-00001", 1)
        c.publish(own.topic, own.payload, qos=1).wait_for_publish(5)
        wait_for(lambda: count(svc, CoMessageRow) >= 1, 10, "own message stored")
        with svc.sessions() as s:
            assert [m.device_id for m in s.scalars(select(CoMessageRow))] == ["COA-00001"]
        c.disconnect()
        c.loop_stop()
        bad = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="x")
        bad.username_pw_set("COA-00003", "wrong")
        rc: list = []
        bad.on_connect = lambda *a: rc.append(a[3])
        bad.connect("127.0.0.1", broker.port)
        bad.loop_start()
        wait_for(lambda: rc, 10, "CONNACK")
        assert rc[0].is_failure
        bad.loop_stop()
    finally:
        svc.stop()


def test_end_to_end_poisoning_reaches_webhook_signed_and_escalates(
    broker: Mosquitto, tmp_path: Path, hook: Hook
) -> None:
    fast = load_policy().scaled(200)  # 130102: steps at 0, 0.9, 1.5, 2.4 and 6 s
    sm = sessions_at(tmp_path / "cloud.sqlite")
    svc = CoService(
        CoSettings(
            broker_url=broker.url(),
            sweep_s=0.2,
            webhook_url=hook.url,
            webhook_secret=WEBHOOK_SECRET,
        ),
        sm,
        policy=fast,
    )
    svc.start()
    try:
        wait_for(svc.ingest.connected.is_set, 15, "ingest to connect")
        fleet = Fleet(
            load_scenario("poisoning"),
            "127.0.0.1",
            broker.port,
            count=20,
            time_scale=900,
            duration_min=45,
            password_secret=FLEET_SECRET,
        )
        registered(svc.store, "COA-00007", at=utcnow())
        stats = fleet.run()
        assert [a[0] for a in stats.alarm_starts] == ["COA-00007"]
        wait_for(
            lambda: "county_desk" in {b["level"] for b in hook.bodies()},
            30,
            "webhook notifications up to the county desk",
        )
        headers, raw = hook.received[0]
        assert verify(
            WEBHOOK_SECRET.encode(), headers[TIMESTAMP_HEADER], raw, headers[SIGNATURE_HEADER]
        )
        assert not verify(b"other", headers[TIMESTAMP_HEADER], raw, headers[SIGNATURE_HEADER])
        first = next(b for b in hook.bodies() if b["kind"] == "co_alarm")
        steps = [b["level"] for b in hook.bodies() if b["kind"] == "co_alarm"]
        assert steps == [
            "household", "grid_worker", "village_inspector", "township_on_call", "county_desk"
        ]  # fmt: skip
        assert first["kind"] == "co_alarm" and first["device_id"] == "COA-00007"
        assert first["household"]["phone_masked"] == "138****5678"
        assert first["region_code"] == "130102001001"
        with svc.sessions() as s:
            alert = s.scalars(select(CoAlert).where(CoAlert.kind == "co_alarm")).one()
            assert alert.escalation_level == 4
            assert s.get(CoDevice, "COA-00007").registered
    finally:
        svc.stop()


def test_broker_restart_mid_stream_loses_no_alarm_start(broker: Mosquitto, tmp_path: Path) -> None:
    svc = service(broker, tmp_path)
    try:
        fleet = Fleet(
            load_scenario("broker-restart"),
            "127.0.0.1",
            broker.port,
            count=30,
            time_scale=240,
            duration_min=24,
            password_secret=FLEET_SECRET,
            on_broker_restart=broker.restart,
        )
        # Households start to alarm before, during and after the restart (at 10 min).
        from coalguard.simulators.co_fleet.scenario import Incident

        for dev in range(5, 17):
            fleet._pending.append(
                Incident(kind="smolder", at_min=dev - 5, device=dev, ppm=3000, ramp_min=1)
            )
        fleet._pending.sort(key=lambda i: i.at_min)
        stats = fleet.run()
        assert "broker_restart" in " ".join(stats.incidents)
        assert stats.disconnects >= 30  # every device saw the restart
        sent = {(d, s) for d, s, _ in stats.alarm_starts}
        assert len(sent) >= 8
        times = sorted(t for *_, t in stats.alarm_starts)
        assert times[0] < 10 < times[-1], times

        def stored() -> set[tuple[str, int]]:
            with svc.sessions() as s:
                return set(
                    s.execute(
                        select(CoMessageRow.device_id, CoMessageRow.seq).where(
                            CoMessageRow.event_type == "alarm_start"
                        )
                    ).all()
                )

        wait_for(lambda: stored() >= sent, 30, f"all alarm_start stored ({sent})")
        assert svc.ingest.connects >= 2  # the ingest reconnected too
    finally:
        svc.stop()


def test_malformed_payloads_dead_lettered_ingest_keeps_going(
    broker: Mosquitto, tmp_path: Path
) -> None:
    svc = service(broker, tmp_path)
    c = device_client(broker, "COA-00001")
    published: list[bytes] = []
    try:

        @settings(
            max_examples=60,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        )
        @given(
            st.sampled_from(["state", "event"]),
            st.one_of(
                st.binary(max_size=200),
                st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=5)).map(
                    lambda d: json.dumps(d).encode()
                ),
            ),
        )
        def publish(sub: str, payload: bytes) -> None:
            c.publish(f"co/v1/COA-00001/{sub}", payload, qos=1).wait_for_publish(5)
            published.append(payload)

        publish()
        good = state("COA-00001", 1)
        c.publish(good.topic, good.payload, qos=1).wait_for_publish(5)
        wait_for(lambda: count(svc, CoMessageRow) == 1, 20, "the valid message after the junk")
        wait_for(
            lambda: count(svc, CoDeadLetter) == len(published), 20, "every bad one dead-lettered"
        )
        with svc.sessions() as s:
            assert all(d.reason for d in s.scalars(select(CoDeadLetter)))
        assert svc.store.stats.dead_letters == len(published)
    finally:
        c.disconnect()
        c.loop_stop()
        svc.stop()


def test_tls_with_verified_server_certificate(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    b = Mosquitto(tmp_path / "b", IDS, tls=True).start()
    try:
        svc = service(b, tmp_path)
        try:
            c = device_client(b, "COA-00002")
            r = state("COA-00002", 1)
            c.publish(r.topic, r.payload, qos=1).wait_for_publish(5)
            wait_for(lambda: count(svc, CoMessageRow) == 1, 10, "message over TLS")
            c.disconnect()
            c.loop_stop()
        finally:
            svc.stop()
        # Without our CA the server certificate is refused: no silent downgrade.
        plain = CoService(
            CoSettings(broker_url=b.url(), client_id="no-ca"), sessions_at(tmp_path / "x.sqlite")
        )
        plain.ingest.client.connect_async  # noqa: B018
        with pytest.raises(Exception, match="certificate verify failed"):
            plain.ingest.client.connect("127.0.0.1", b.port)
    finally:
        b.stop()


def test_shared_subscription_splits_load_without_duplicates(
    broker: Mosquitto, tmp_path: Path
) -> None:
    sm = sessions_at(tmp_path / "cloud.sqlite")
    workers = [
        CoService(
            CoSettings(broker_url=broker.url(), client_id=f"ingest-{i}", shared_group="cloud"), sm
        )
        for i in range(2)
    ]
    for w in workers:
        w.start()
    try:
        for w in workers:
            wait_for(w.ingest.connected.is_set, 10, "worker connect")
        c = device_client(broker, "COA-00003")
        for seq in range(1, 201):
            r = state("COA-00003", seq)
            c.publish(r.topic, r.payload, qos=1)
        wait_for(lambda: sum(w.store.stats.stored for w in workers) == 200, 60, "200 stored")
        stored = [w.store.stats.stored for w in workers]
        assert all(n > 0 for n in stored), stored  # both workers took a share
        with sm() as s:
            assert s.scalar(select(func.count()).select_from(CoMessageRow)) == 200
        c.disconnect()
        c.loop_stop()
    finally:
        for w in workers:
            w.stop()
