"""One way to stop a test's subprocess and to wait for the port it listens on."""

from __future__ import annotations

import socket
import subprocess

from tests.support.waiting import wait_for


def port_open(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:``port``."""
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for_port(proc: subprocess.Popen, port: int, timeout: float, what: str) -> None:
    """Wait until ``proc`` listens on ``port``; fail at once, with its stderr if piped,
    when it exits first (a bad configuration should not cost the whole time-out)."""
    wait_for(lambda: port_open(port) or proc.poll() is not None, timeout, what)
    if proc.poll() is not None:
        err = proc.stderr.read() if proc.stderr else b""
        text = err.decode() if isinstance(err, bytes) else err
        raise AssertionError(f"{what} exited: {text}")


def stop_process(proc: subprocess.Popen | None, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL after ``timeout`` seconds; a process already gone is fine."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
