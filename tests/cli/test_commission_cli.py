"""``coalguard commission`` against a real cloud API, ingest and Mosquitto."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from coalguard.cloud.app import create_app
from coalguard.cloud.auth import issue_token
from coalguard.cloud.co import CoService, CoSettings
from coalguard.cloud.settings import CloudSettings
from coalguard.edge.clock import SystemClock
from tests.cloud.co.test_co_mqtt import device_client
from tests.conftest import free_port
from tests.support.mosquitto import Mosquitto
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(120)
DEV = "COA-00009"


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[tuple[str, str, Mosquitto]]:
    (tmp_path / "b").mkdir()
    broker = Mosquitto(tmp_path / "b", [DEV]).start()
    app = create_app(CloudSettings(db_url=f"sqlite:///{tmp_path / 'c.sqlite'}"), schema="create")
    svc = CoService(CoSettings(broker_url=broker.url(), sweep_s=0.2), app.state.sessions)
    svc.start()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    wait_for(lambda: server.started, 10, "API server")
    token = issue_token(
        app.state.sessions, "inst-7", "130102", role="installer", now=SystemClock().now()
    )
    yield f"http://127.0.0.1:{port}", token, broker
    server.should_exit = True
    th.join(10)
    svc.stop()
    broker.stop()


def run(
    coalguard_cmd: str, url: str, token: str, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [coalguard_cmd, "commission", *args, "--cloud", url, "--lang", "en"],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"COALGUARD_TOKEN": token, "COALGUARD_INSTALLER": "inst-7", "PATH": "/usr/bin:/bin"},
    )


def test_register_test_status_pass(coalguard_cmd: str, cloud) -> None:  # type: ignore[no-untyped-def]
    url, token, broker = cloud
    r = run(coalguard_cmd, url, token, "register", DEV, "--name", "赵家", "--address", "3组1号",
            "--village", "130102001002", "--phone", "13700001111")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "137****1111" in r.stdout and "13700001111" not in r.stdout

    proc = subprocess.Popen(
        [
            coalguard_cmd,
            "commission",
            "test",
            DEV,
            "--cloud",
            url,
            "--lang",
            "en",
            "--timeout",
            "30",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"COALGUARD_TOKEN": token, "COALGUARD_INSTALLER": "inst-7", "PATH": "/usr/bin:/bin"},
    )
    # The installer presses the button once the test has started.
    import httpx

    wait_for(
        lambda: httpx.get(
            f"{url}/api/v1/co/devices/{DEV}/commissioning",
            headers={"Authorization": f"Bearer {token}"},
        ).json(),
        20,
        "test to start",
    )
    c = device_client(broker, DEV)
    from coalguard.edge.model import utcnow
    from tests.cloud.co.co_support import event, state

    now = utcnow()
    for r_ in (event(DEV, 1, "test", at=now), state(DEV, 2, at=now)):
        c.publish(r_.topic, r_.payload, qos=1).wait_for_publish(5)
    out, err = proc.communicate(timeout=40)
    c.disconnect()
    c.loop_stop()
    assert proc.returncode == 0, out + err
    assert "Commissioning passed" in out
    assert "+00:00" not in out  # times in Asia/Shanghai wall time, not raw UTC ISO text

    r = run(coalguard_cmd, url, token, "status", DEV)
    assert r.returncode == 0, r.stderr
    assert "Commissioning passed" in r.stdout
    assert "赵*" in r.stdout and "赵家" not in r.stdout  # an installer sees names masked


def test_test_fails_naming_what_is_missing(coalguard_cmd: str, cloud) -> None:  # type: ignore[no-untyped-def]
    url, token, _ = cloud
    run(coalguard_cmd, url, token, "register", DEV, "--name", "钱家", "--address", "1组",
        "--village", "130102001002", "--phone", "13700002222")  # fmt: skip
    t0 = time.monotonic()
    r = run(coalguard_cmd, url, token, "test", DEV, "--timeout", "1.5")
    assert r.returncode == 1
    assert (
        "Commissioning failed" in r.stdout
        and "test event" in r.stdout
        and "state report" in r.stdout
    )
    assert time.monotonic() - t0 < 30


def test_unreachable_cloud_is_one_clear_line(coalguard_cmd: str) -> None:
    r = subprocess.run(
        [coalguard_cmd, "commission", "status", DEV, "--cloud", f"http://127.0.0.1:{free_port()}",
         "--token", "x"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert r.returncode == 2
    assert r.stderr.startswith("coalguard：错误：无法连接云端") and "Traceback" not in r.stderr
