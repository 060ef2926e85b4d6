"""``co-ingest --metrics``: a real process and broker, the exposition parsed as Prometheus does."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from coalguard import __version__
from tests.cloud.co.co_support import state
from tests.cloud.co.test_co_mqtt import device_client
from tests.conftest import free_port
from tests.support.metrics import Key, samples
from tests.support.mosquitto import Mosquitto
from tests.support.servers import TEST_SEALING_KEYS
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(120)


def _samples(url: str) -> dict[Key, float]:
    return samples(httpx.get(url, timeout=5).text)


def test_co_ingest_has_metrics(coalguard_cmd: str, tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    broker = Mosquitto(tmp_path / "b", ["COA-00001"]).start()
    db = f"sqlite:///{tmp_path / 'cloud.sqlite'}"
    env = {
        "PATH": "/usr/bin:/bin",
        "COALGUARD_CO_PHONE_HASH_KEY": "test-key-77",
        "COALGUARD_CO_ACK_LINK_SECRET": "test-ack-key-77",
        "COALGUARD_CLOUD_SEALING_KEYS": TEST_SEALING_KEYS,
    }
    port = free_port()
    proc = subprocess.Popen(
        [coalguard_cmd, "cloud", "co-ingest", "--broker", broker.url(), "--db", db,
         "--migrate", "--metrics", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/metrics"
    try:

        def connected() -> bool:
            try:
                got = _samples(url)
            except httpx.HTTPError:
                return False
            lanes = [v for (n, _), v in got.items() if n == "coalguard_co_broker_connected"]
            return len(lanes) == 2 and all(lanes)

        wait_for(connected, 60, "co-ingest connected, with metrics")
        c = device_client(broker, "COA-00001")
        for seq in (1, 2, 3):
            r = state("COA-00001", seq)
            c.publish(r.topic, r.payload, qos=1).wait_for_publish(5)
        c.publish("co/v1/COA-00001/state", b"not json", qos=1).wait_for_publish(5)
        c.disconnect()
        c.loop_stop()

        def counted() -> dict | None:
            got = _samples(url)
            dead = got.get(("coalguard_co_ingest_messages_total", (("outcome", "dead_letter"),)))
            return got if dead == 1 else None

        got = wait_for(counted, 30, "4 messages counted")
        assert got[("coalguard_co_ingest_messages_total", (("outcome", "stored"),))] == 3
        assert got[("coalguard_co_ingest_messages_total", (("outcome", "duplicate"),))] == 0
        reasons = {
            dict(labels)["reason"]: v
            for (n, labels), v in got.items()
            if n == "coalguard_co_ingest_dead_letters_total"
        }
        assert sum(reasons.values()) == 1, reasons
        assert got[("coalguard_co_ingest_received_total", ())] == 4
        assert got[("coalguard_co_ingest_batch_size_count", (("lane", "states"),))] >= 1
        assert got[("coalguard_co_ingest_batch_size_sum", (("lane", "states"),))] == 4
        assert got[("coalguard_co_ingest_backlog", (("lane", "states"),))] == 0
        # each stored message's wait from arrival to commit: the ingest's lag
        assert got[("coalguard_co_ingest_wait_seconds_count", (("lane", "states"),))] == 4
        assert got[("coalguard_co_ingest_wait_seconds_sum", (("lane", "states"),))] >= 0
        info = (("component", "co-ingest"), ("version", __version__))
        assert got[("coalguard_build_info", info)] == 1
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        broker.stop()
    assert "Traceback" not in err, err[-2000:]
