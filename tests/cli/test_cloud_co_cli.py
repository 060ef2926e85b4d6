"""``coalguard cloud token`` and ``coalguard cloud co-ingest --http`` as an operator runs them."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.cloud.co.co_support import event
from tests.cloud.co.test_co_mqtt import device_client
from tests.conftest import free_port
from tests.support.mosquitto import Mosquitto
from tests.support.servers import TEST_SEALING_KEYS
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(120)


def test_co_ingest_process_stores_alarm_and_serves_scoped_api(
    coalguard_cmd: str, tmp_path: Path
) -> None:
    (tmp_path / "b").mkdir()
    broker = Mosquitto(tmp_path / "b", ["COA-00001"]).start()
    db = f"sqlite:///{tmp_path / 'cloud.sqlite'}"
    env = {
        "PATH": "/usr/bin:/bin",
        "COLUMNS": "200",
        "COALGUARD_CO_PHONE_HASH_KEY": "test-key-77",
        "COALGUARD_CO_ACK_LINK_SECRET": "test-ack-key-77",
        "COALGUARD_CLOUD_SEALING_KEYS": TEST_SEALING_KEYS,
    }
    subprocess.run([coalguard_cmd, "cloud", "migrate", "--db", db], env=env, check=True, timeout=60)
    token = subprocess.run(
        [coalguard_cmd, "cloud", "token", "--name", "desk", "--region", "13", "--db", db],
        capture_output=True, text=True, timeout=30, env=env, check=True,
    ).stdout.strip()  # fmt: skip
    assert token.startswith("cgt_")
    bad = subprocess.run(
        [coalguard_cmd, "cloud", "token", "--name", "x", "--role", "king", "--db", db],
        capture_output=True, text=True, timeout=30, env=env,
    )  # fmt: skip
    assert bad.returncode == 2 and "未知角色" in bad.stderr
    port = free_port()
    proc = subprocess.Popen(
        [coalguard_cmd, "cloud", "co-ingest", "--broker", broker.url(), "--db", db,
         "--http", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        api = f"http://127.0.0.1:{port}/api/v1/co"
        alerts_api = f"http://127.0.0.1:{port}/api/v1/alerts"  # the one alert list
        auth = {"Authorization": f"Bearer {token}"}

        def up() -> bool:
            try:
                return httpx.get(alerts_api, headers=auth).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, 30, "co-ingest API")
        body = {"device_id": "COA-00001", "installer_id": "i1",
                "household": {"name": "孙家", "address": "1组", "village_code": "130102001001",
                              "phone": "13500001234"}}  # fmt: skip
        assert httpx.post(f"{api}/devices", headers=auth, json=body).status_code == 201
        c = device_client(broker, "COA-00001")
        r = event("COA-00001", 1, "alarm_start")
        c.publish(r.topic, r.payload, qos=1).wait_for_publish(5)
        alerts = wait_for(
            lambda: httpx.get(
                alerts_api, headers=auth, params={"status": "open", "source": "co"}
            ).json(),
            20,
            "alert over the API",
        )
        assert alerts[0]["kind"] == "co_alarm" and alerts[0]["region_code"] == "130102001001"
        c.disconnect()
        c.loop_stop()
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        broker.stop()
    assert "Traceback" not in err, err[-2000:]
