"""Real processes for gateway end-to-end tests: ``coalguard gateway run`` and, linked
to it, ``coalguard cloud serve`` on SQLite (one home for both, used by every
process test)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx

from tests.conftest import COALGUARD, free_port
from tests.support.processes import stop_process
from tests.support.servers import CloudProcess, add_gateway
from tests.support.waiting import wait_for

CONFIG = """
[checkpoint]
id = "cp-e2e"
name = "端到端检查站"
region_code = "130100"
jurisdiction = "hebei-2022"

[http]
host = "127.0.0.1"
port = {port}
camera_token = "cam-token-e2e"

[storage]
data_dir = "data"

[fast_pass]
file = "fastpass.toml"

[[camera]]
id = "cam-entry"
name = "入口"
role = "entry"
creates_arrival = true
min_confidence = 0.85

[[camera]]
id = "cam-sampling"
name = "采样区"
role = "sampling"

[[camera]]
id = "cam-exit"
name = "出口"
role = "exit"
"""

FASTPASS = """
version = "fp-1"
[[truck]]
plate = "冀E00001"
company = "某热电厂"
report_id = "QR-2026-001"
expires = 2099-12-31
"""

GATEWAY_ID = "cp-e2e"
CAMERA_TOKEN = "cam-token-e2e"


class GatewayProcess:
    """``coalguard gateway run`` in ``directory``; ``kill()`` is a power cut, and
    ``start()`` again keeps the port, the config and the data."""

    def __init__(
        self,
        directory: Path,
        *,
        cloud_url: str | None = None,
        fast_pass: str = FASTPASS,
        extra_config: str = "",
    ) -> None:
        self.dir = directory
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.cfg = directory / "gateway.toml"
        self.db_path = directory / "data" / "gateway.sqlite"
        text = CONFIG.format(port=self.port)
        if cloud_url:
            text += f'\n[cloud]\nurl = "{cloud_url}"\ntoken_file = "token"\nbackoff_cap_s = 0.5\n'
        text += extra_config  # more tables: [[analyzer]], [papers] …
        self.cfg.write_text(text, encoding="utf-8")
        (directory / "fastpass.toml").write_text(fast_pass, encoding="utf-8")
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> GatewayProcess:
        with open(self.dir / "gateway.log", "ab") as log:
            self.proc = subprocess.Popen(
                [COALGUARD, "gateway", "run", "--config", str(self.cfg)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "COALGUARD_LANG": "zh"},
            )
        self.starts += 1
        wait_for(self.healthy, 30, what="gateway /healthz", retry_errors=True)
        return self

    def healthy(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, "gateway exited"
        return httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as when the PC loses power."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        stop_process(self.proc, timeout=15)
        self.proc = None

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``coalguard gateway ARGS --config <this gateway's config>``, in English."""
        return subprocess.run(
            [COALGUARD, "gateway", *args, "--config", str(self.cfg)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COALGUARD_LANG": "en"},
        )

    def metric(self, name: str) -> float:
        for line in httpx.get(f"{self.base}/metrics", timeout=5).text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
        raise AssertionError(f"{name} not in /metrics")


def linked_cloud(directory: Path) -> tuple[CloudProcess, GatewayProcess]:
    """A cloud (SQLite in ``directory``, not started) that knows the gateway, and the
    gateway configured to send to it (not started)."""
    db_url = f"sqlite:///{directory / 'cloud.sqlite'}"
    add_gateway(db_url, GATEWAY_ID, directory / "token")
    cloud = CloudProcess(db_url)
    return cloud, GatewayProcess(directory, cloud_url=cloud.url)
