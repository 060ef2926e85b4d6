"""A real Mosquitto for CO alarm tests: per-device passwords, ACL, optional TLS.

Started on 127.0.0.1 and a free port, with persistence so a restart keeps
the ingest's persistent session (as a production broker is configured).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from coalguard.edge.clock import SystemClock
from coalguard.simulators.co_fleet import device_password
from coalguard.simulators.tls import make_local_tls
from tests.conftest import free_port, require_binary
from tests.support.processes import stop_process, wait_for_port

INGEST_USER = "coalguard-ingest"
INGEST_PASSWORD = "ingest-secret"
FLEET_SECRET = "fleet-secret"


def make_tls(dir_: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1: (ca, cert, key)."""
    return make_local_tls(dir_, SystemClock().now())


# Lines of a shipped mosquitto.conf that name this machine's ports, files and users:
# the fixture sets its own; every other setting is taken as shipped.
_SITE_KEYS = {
    "listener", "port", "bind_address", "cafile", "capath", "certfile", "keyfile",
    "password_file", "acl_file", "allow_anonymous", "persistence_location", "log_dest",
    "user", "pid_file", "include_dir", "require_certificate", "tls_version",
}  # fmt: skip


def broker_settings(conf: Path) -> list[str]:
    """The broker-wide settings of a mosquitto.conf (persistence, queues, logging)."""
    out = []
    for raw in conf.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and line.split()[0] not in _SITE_KEYS:
            out.append(line)
    return out


class Mosquitto:
    def __init__(
        self,
        dir_: Path,
        device_ids: list[str] | None = None,
        tls: bool = False,
        persistence: bool = True,
        settings_from: Path | None = None,
        multiplexers: tuple[str, ...] = (),
    ) -> None:
        """``multiplexers``: bench-only users that publish for any alarm (``Fleet``'s
        ``alarms_per_connection``), with the fleet's derived passwords."""
        self.bin = require_binary("mosquitto")
        self.dir = dir_
        self.port = free_port()
        self.tls = tls
        self.ca: Path | None = None
        self.proc: subprocess.Popen | None = None
        self.secured = device_ids is not None
        lines = [
            f"listener {self.port} 127.0.0.1",
            f"persistence_location {dir_}/",
            f"log_dest file {dir_}/mosquitto.log",
        ]
        if settings_from is None:
            lines += [
                f"persistence {str(persistence).lower()}",
                "max_inflight_messages 1000",
                "max_queued_messages 200000",
                "autosave_interval 1",
                "log_type error",
                "log_type warning",
                "log_type notice",
            ]
        else:
            lines += broker_settings(settings_from)
        if os.geteuid() == 0:
            lines.append("user root")  # else mosquitto drops to 'mosquitto' and cannot read tmp
        if device_ids is not None:
            pw = dir_ / "passwd"
            pw.write_text(
                f"{INGEST_USER}:{INGEST_PASSWORD}\n"
                + "".join(
                    f"{d}:{device_password(FLEET_SECRET, d)}\n"
                    for d in [*device_ids, *multiplexers]
                )
            )
            subprocess.run([require_binary("mosquitto_passwd"), "-U", str(pw)], check=True)
            acl = dir_ / "acl"
            acl.write_text(
                f"user {INGEST_USER}\ntopic read co/v1/#\ntopic write co/v1/+/ack\n\n"
                "pattern write co/v1/%u/availability\n"
                "pattern write co/v1/%u/state\n"
                "pattern write co/v1/%u/event\n"
                "pattern read co/v1/%u/ack\n"
                + "".join(
                    f"\nuser {m}\ntopic write co/v1/+/availability\ntopic write co/v1/+/state\n"
                    "topic write co/v1/+/event\ntopic read co/v1/+/ack\n"
                    for m in multiplexers
                )
            )
            lines += ["allow_anonymous false", f"password_file {pw}", f"acl_file {acl}"]
        else:
            lines.append("allow_anonymous true")
        if tls:
            self.ca, crt, key = make_tls(dir_)
            lines += [f"cafile {self.ca}", f"certfile {crt}", f"keyfile {key}"]
        self.conf = dir_ / "mosquitto.conf"
        self.conf.write_text("\n".join(lines) + "\n")

    def url(self, user: str | None = INGEST_USER, password: str | None = INGEST_PASSWORD) -> str:
        scheme = "mqtts" if self.tls else "mqtt"
        cred = f"{user}:{password}@" if self.secured and user else ""
        return f"{scheme}://{cred}127.0.0.1:{self.port}"

    def start(self) -> Mosquitto:
        self.proc = subprocess.Popen(
            [self.bin, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        wait_for_port(self.proc, self.port, 10, "mosquitto")
        return self

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    def kill(self) -> None:
        """SIGKILL: no shutdown save, like a crash or the OOM killer."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()
