"""ASCII line-protocol analyzer on a pseudo-terminal, paced at the baud rate.

Sends a ``$CGR`` line each time a sample is finished, answers ``$CGQ`` with
the last result and announces itself with ``$CGI`` on start. Faults: silence,
delay, a corrupted checksum, line noise, a line cut short (no terminator).
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from coalguard.drivers.analyzer.ascii_protocol import (
    IDENT,
    QUERY,
    RESULT,
    Line,
    LineFramer,
    frame,
    parse_line,
)
from coalguard.simulators.analyzer.device import SimAnalyzer, SimResult
from coalguard.simulators.analyzer.wire import PacedPty

UNIT = 0  # faults with units=… do not apply: an ASCII line has one instrument


def result_line(r: SimResult, serial: str, model: str, status: list[str] | None = None) -> bytes:
    fields: dict[str, object] = {
        "SEQ": r.sequence,
        "ID": r.sample_id or f"S{r.sequence:06d}",
        "TS": r.measured_at.isoformat(),
        "MDL": model.replace(",", " "),
        "SN": serial,
    }
    fields.update({k: f"{v:.3f}" for k, v in r.indicators.items()})
    fields["ST"] = ";".join(status) if status else "OK"
    return frame(RESULT, fields)


class AsciiSim:
    """Serves one SimAnalyzer unit as an ASCII-line instrument on a pty."""

    def __init__(
        self,
        sim: SimAnalyzer,
        *,
        baudrate: int | None = None,
        link: Path | None = None,
        seed: int | None = None,
    ):
        self.sim = sim
        self.unit = next(iter(sim.units))
        self.pty = PacedPty(baudrate or sim.map.transport.baudrate, 8, "N", 1, link)
        self.path = self.pty.path
        self.status: list[str] = []
        self._rng = random.Random(seed)
        self._framer = LineFramer()
        self._out: asyncio.Queue[bytes] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self.queries = 0
        # Lines queued, and lines the writer has taken with the faults of that
        # moment applied (sent, corrupted, or withheld): faults act per line.
        self.lines_queued = 0
        self.lines_handled = 0

    @property
    def serial(self) -> str:
        return self.sim.units[self.unit].serial

    async def start(self) -> None:
        asyncio.get_running_loop().add_reader(self.pty.master, self._on_readable)
        self._tasks = [asyncio.create_task(self._writer())]
        m = self.sim.map.device
        self._queue(frame(IDENT, {"MFR": m.manufacturer, "MDL": m.model, "SN": self.serial}))

    async def stop(self) -> None:
        asyncio.get_running_loop().remove_reader(self.pty.master)
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.pty.close()

    def publish(self) -> SimResult:
        """Finish a sample and send its line."""
        r = self.sim.new_result(self.unit)
        self._send_last()
        return r

    def _send_last(self) -> None:
        r = self.sim.units[self.unit].last
        if r is not None:
            self._queue(result_line(r, self.serial, self.sim.map.device.model, self.status))

    def _queue(self, line: bytes) -> None:
        self.lines_queued += 1
        self._out.put_nowait(line)

    def _on_readable(self) -> None:
        for item in self._framer.feed(self.pty.read()):
            if isinstance(item, bytes):
                line = parse_line(item)
                if isinstance(line, Line) and line.sentence == QUERY:
                    self.queries += 1
                    self._send_last()

    async def _writer(self) -> None:
        while True:
            line = await self._out.get()
            try:
                await self._emit(line)
            finally:
                self.lines_handled += 1

    async def _emit(self, line: bytes) -> None:
        """Send one line with the faults active now."""
        f = self.sim.faults
        if f.no_response:
            return
        if f.slow:
            await asyncio.sleep(f.slow)
        if f.crc:
            star = line.rindex(b"*")
            bad = b"%02X" % (int(line[star + 1 : star + 3], 16) ^ 0x21)
            line = line[: star + 1] + bad + b"\r\n"
        if f.drop:
            line = line[: len(line) // 2]  # cut: no terminator
        if f.garbage:
            noise = bytes(
                self._rng.choice(b"#@!%&0123456789ABCDEF=,\r\n\x00\xff") for _ in range(24)
            )
            line = noise + line
        await self.pty.write(line)
