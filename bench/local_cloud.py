"""A local ``coalguard cloud serve`` for the benchmarks that send it records."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path
from typing import IO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process, from ``/proc``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_cloud(
    coalguard: str,
    work: Path,
    url: str,
    log: IO[bytes] | int = subprocess.DEVNULL,
    env: dict[str, str] | None = None,
) -> tuple[subprocess.Popen[bytes], int, Path]:
    """Migrate ``url``, register gateway ``gw-bench`` (its token in ``work/token``), serve
    the cloud on a free port (``env``: its environment); returns once it listens:
    (process, port, token file)."""
    token_file = work / "token"
    subprocess.run([coalguard, "cloud", "migrate", "--db", url], check=True, capture_output=True)
    subprocess.run(
        [coalguard, "cloud", "gateway", "add", "gw-bench", "--db", url, "--token-file",
         str(token_file)],
        check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    cloud = subprocess.Popen(
        [coalguard, "cloud", "serve", "--db", url, "--port", str(port), "--demo"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return cloud, port, token_file
        if cloud.poll() is not None or time.monotonic() > deadline:
            cloud.kill()
            raise SystemExit("the cloud did not start")
        time.sleep(0.05)
