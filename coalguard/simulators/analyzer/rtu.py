"""Modbus RTU slave on a pseudo-terminal, paced at the baud rate, with faults.

Written here rather than with pymodbus' serial server so that every byte is
under control: wire timing, CRC corruption, garbage, and silence for a unit
id that is not on the line (pymodbus 3.16 answers exception 04 instead).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from pathlib import Path

from coalguard.simulators.analyzer.device import SimAnalyzer
from coalguard.simulators.analyzer.wire import PacedPty


def crc16(data: bytes) -> bytes:
    """Modbus CRC-16 (poly 0xA001, init 0xFFFF), low byte first on the wire."""
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc.to_bytes(2, "little")


def request_length(buf: bytes) -> int | None:
    """Length of the RTU request at the start of ``buf``; None if not known yet."""
    if len(buf) < 2:
        return None
    fc = buf[1]
    if fc in (1, 2, 3, 4, 5, 6):
        return 8
    if fc in (15, 16):
        return 9 + buf[6] if len(buf) >= 7 else None
    return 0  # unknown function: wait for the silence


class RtuSlave:
    """Serves a SimAnalyzer's units on one pty (an RS-485 line)."""

    def __init__(self, sim: SimAnalyzer, *, link: Path | None = None, seed: int | None = None):
        t = sim.map.transport
        self.sim = sim
        self.pty = PacedPty(t.baudrate, t.bytesize, t.parity, t.stopbits, link)
        self.path = self.pty.path
        self.bad_frames = 0
        self.silences: deque[float] = deque(maxlen=256)  # line idle before each request
        self._tx_end = 0.0
        self._rng = random.Random(seed)
        self._buf = bytearray()
        self._first = 0.0
        self._last_rx = 0.0
        self._queue: asyncio.Queue[tuple[bytes, float]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._answering: set[asyncio.Task[None]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._line = asyncio.Lock()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_reader(self.pty.master, self._on_readable)
        self._tasks = [asyncio.create_task(self._serve())]

    async def stop(self) -> None:
        asyncio.get_running_loop().remove_reader(self.pty.master)
        if self._timer is not None:
            self._timer.cancel()
        tasks = [*self._tasks, *self._answering]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.pty.close()

    def _on_readable(self) -> None:
        data = self.pty.read()
        if not data:
            return
        now = time.monotonic()
        if not self._buf:
            self._first = now
            if self._tx_end:
                self.silences.append(now - self._tx_end)
        self._last_rx = now
        self._buf += data
        self._split()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._buf:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self.pty.gap, self._silence)

    def _split(self) -> None:
        while True:
            need = request_length(bytes(self._buf))
            if not need or len(self._buf) < need:
                return
            frame = bytes(self._buf[:need])
            del self._buf[:need]
            if crc16(frame[:-2]) != frame[-2:]:
                self.bad_frames += 1
                self._buf.clear()  # resynchronise on the next silence
                return
            self._queue.put_nowait((frame, self._first))
            self._first = time.monotonic()

    def _silence(self) -> None:
        """A gap of t3.5 ends a frame: drop any incomplete or unknown bytes."""
        self._timer = None
        if self._buf:
            self.bad_frames += 1
            self._buf.clear()

    async def _serve(self) -> None:
        # every device on the line hears each request and works on its own, so a
        # slow unit does not hold up the others; the line itself is shared.
        while True:
            frame, first = await self._queue.get()
            task = asyncio.create_task(self._answer(frame, first))
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)

    async def _answer(self, frame: bytes, first: float) -> None:
        # the request took wire time; the slave sees its end after t3.5 silence
        due = first + len(frame) * self.pty.char_s + self.pty.gap
        wait = due - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        reply = await self._respond(frame)
        if reply:
            async with self._line:
                await self.pty.write(reply)
                self._tx_end = time.monotonic()

    async def _respond(self, frame: bytes) -> bytes | None:
        unit, fc = frame[0], frame[1]
        if unit == 0:
            return None  # broadcast: never answered
        f = self.sim.faults
        hit = unit in self.sim.units and f.hits(unit)
        if hit and f.no_response:
            return None
        if hit and f.slow:
            await asyncio.sleep(f.slow)
        if fc in (3, 4):
            address = int.from_bytes(frame[2:4], "big")
            count = int.from_bytes(frame[4:6], "big")
            res = self.sim.read(unit, fc, address, count)
            echo = None
        elif fc == 6:
            address = int.from_bytes(frame[2:4], "big")
            value = int.from_bytes(frame[4:6], "big")
            res = self.sim.write(unit, address, value)
            echo = frame[:6]
        else:
            res = 1 if unit in self.sim.units else None
            echo = None
        if res is None:
            return None  # no such unit on the line: silence, like real RS-485
        if hit and f.exception:
            res = f.exception
        if isinstance(res, int) and (res or echo is None):
            body = bytes((unit, fc | 0x80, res))
        elif echo is not None:
            body = echo
        else:
            data = b"".join(r.to_bytes(2, "big") for r in res)
            body = bytes((unit, fc, len(data))) + data
        out = body + crc16(body)
        if hit and f.crc:
            i = self._rng.randrange(2, len(out))
            out = out[:i] + bytes((out[i] ^ 0x5A,)) + out[i + 1 :]
        if hit and f.drop:
            out = out[: max(1, len(out) // 2)]  # the line dies mid-frame
        if hit and f.garbage:
            out = bytes(self._rng.randrange(256) for _ in range(len(out)))
        return out
