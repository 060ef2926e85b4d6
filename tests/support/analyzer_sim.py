"""`coalguard sim analyzer` as a real process a test talks to on its standard input."""

from __future__ import annotations

import subprocess

from tests.conftest import COALGUARD
from tests.support.processes import stop_process

ENV = {"COALGUARD_LANG": "en", "PATH": "/usr/bin:/bin"}


class Sim:
    """Started with the CLI's arguments; ``command`` types a line (``new``, ``faults …``)."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen(
            [COALGUARD, "sim", "analyzer", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=ENV,
        )
        assert self.proc.stdout is not None
        self.first = self.proc.stdout.readline().strip()
        assert "ready on" in self.first or "listening on" in self.first, self.first

    @property
    def where(self) -> str:
        return self.first.split()[-1]

    def command(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        stop_process(self.proc)
