"""A pseudo-terminal paced at a baud rate: what the simulators write takes wire time."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import tty
from pathlib import Path

from coalguard.drivers.analyzer.bus import char_time, frame_gap


class PacedPty:
    """The master side of a pty pair; the slave path is what a user opens.

    The simulator keeps the slave open too, so a client closing and reopening
    the port does not hang the line up.
    """

    def __init__(
        self,
        baudrate: int,
        bytesize: int = 8,
        parity: str = "E",
        stopbits: int = 1,
        link: Path | None = None,
    ):
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self._slave)
        self.char_s = char_time(baudrate, bytesize, parity, stopbits)
        self.gap = frame_gap(baudrate, self.char_s)
        self.link = link
        self.dropped = 0
        if link is not None:
            with contextlib.suppress(FileNotFoundError):
                link.unlink()
            link.symlink_to(self.path)

    async def write(self, data: bytes, chunk_s: float = 0.004) -> None:
        """Write ``data`` so its last byte leaves when it would on a real line."""
        t0 = time.monotonic()
        per = max(1, int(chunk_s / self.char_s))
        for i in range(0, len(data), per):
            part = data[i : i + per]
            due = t0 + (i + len(part)) * self.char_s
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._write_all(part)

    def send(self, data: bytes) -> None:
        """Write now, unpaced: for a simulator that paces whole frames itself."""
        self._write_all(data)

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.master, view)
            except OSError:
                # buffer full or nobody has the port open: the bytes are lost, as on
                # a wire nobody listens to (never block the simulator for a reader)
                self.dropped += len(view)
                return
            view = view[n:]

    def read(self) -> bytes:
        try:
            return os.read(self.master, 4096)
        except (BlockingIOError, OSError):
            return b""

    def close(self) -> None:
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.link is not None:
            with contextlib.suppress(OSError):
                self.link.unlink()
