"""A truck scale's indicator on a pseudo-terminal, in any frame format of the driver.

The weight follows trucks: ``drive_on(kg)`` ramps up, settles (a damped swing),
then stands; ``drive_off()`` ramps back to zero. The display is rounded to the
division ``d``. Faults: ``noise`` (garbage bytes between frames and now and then a
corrupt frame), ``unstable`` (the platform keeps swinging beyond ± d, never
settles), ``silent`` (stops sending, the port stays open), ``close`` (the port
goes away). Frames go out ``hz`` times a second on a real tty (``PacedPty``).
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from coalguard.drivers.weighbridge.frameformat import KG_PER, FrameFormat
from coalguard.drivers.weighbridge.frames import xor_hex
from coalguard.simulators.analyzer.wire import PacedPty

FAULTS = ("noise", "unstable", "silent", "close")


def _key(words: dict[str, str], meaning: str, fallback: str = "") -> str:
    return next((k for k, v in words.items() if v == meaning), fallback)


def encode(fmt: FrameFormat, kg: float, *, stable: bool, unit: str, decimals: int) -> bytes:
    """One frame of ``fmt`` showing ``kg`` (in ``unit`` with ``decimals``)."""
    shown = Decimal(str(kg)) / KG_PER[unit]
    places = Decimal(1).scaleb(-decimals)
    shown = shown.quantize(places)
    width = fmt.encode.width
    body = fmt.encode.template.format(
        sign=_key(fmt.words.sign, "-" if shown < 0 else "+"),
        value=f"{abs(shown):0{width}.{decimals}f}"[-width:],
        digits=str(int(abs(shown).scaleb(decimals))).zfill(width)[-width:],
        decimals=decimals,
        status=_key(fmt.words.status, "stable" if stable else "unstable"),
        mode=_key(fmt.words.mode, "gross"),
        unit=_key(fmt.words.unit, unit, unit),
    ).encode("ascii")
    if fmt.frame.checksum == "xor-hex":
        body += xor_hex(body)
    if fmt.frame.reversed:
        body = body[::-1]
    return fmt.frame.start.encode("latin-1") + body + fmt.frame.end.encode("latin-1")


@dataclass
class Motion:
    """Where the platform's weight is going: a ramp, then a damped swing, then still."""

    start_kg: float = 0.0
    target_kg: float = 0.0
    since: float = 0.0
    ramp_s: float = 2.0
    settle_s: float = 2.0

    def weight(self, now: float, swing_kg: float) -> tuple[float, bool]:
        """The weight at ``now`` and whether the platform stands still."""
        t = now - self.since
        if t < self.ramp_s:
            return self.start_kg + (self.target_kg - self.start_kg) * t / self.ramp_s, False
        t -= self.ramp_s
        if t < self.settle_s and self.target_kg:
            amp = swing_kg * math.exp(-3 * t / self.settle_s)
            return self.target_kg + amp * math.sin(2 * math.pi * 1.5 * t), False
        return self.target_kg, True


class WeighbridgeSim:
    """The indicator: a weight model, a format, faults, and a pty to write to."""

    def __init__(
        self,
        fmt: FrameFormat,
        *,
        unit: str | None = None,
        decimals: int | None = None,
        division_kg: float = 20.0,
        hz: float = 10.0,
        ramp_s: float = 2.0,
        settle_s: float = 2.0,
        link: Path | None = None,
        seed: int | None = None,
    ) -> None:
        self.fmt = fmt
        self.unit = unit or fmt.default_unit
        self.decimals = decimals if decimals is not None else (3 if self.unit == "t" else 0)
        self.division_kg = division_kg
        self.hz = hz
        self.motion = Motion(since=time.monotonic(), ramp_s=ramp_s, settle_s=settle_s)
        self.faults: set[str] = set()
        self.rng = random.Random(seed)
        self.pty = PacedPty(fmt.baudrate, parity="N", link=link)
        self.path = str(link) if link else self.pty.path
        self.sent = 0
        self.corrupted = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="weighbridge-sim", daemon=True)

    # -- the trucks --------------------------------------------------------------
    def drive_on(self, kg: float) -> None:
        self._move(kg)

    def drive_off(self) -> None:
        self._move(0.0)

    def _move(self, kg: float) -> None:
        now = time.monotonic()
        with self._lock:
            current, _ = self.motion.weight(now, 0.0)
            self.motion.start_kg, self.motion.target_kg, self.motion.since = current, kg, now

    def set_faults(self, faults: set[str]) -> None:
        unknown = faults - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown fault {sorted(unknown)} (known: {', '.join(FAULTS)})")
        with self._lock:
            self.faults = set(faults)
        if "close" in faults:
            self.pty.close()

    # -- the line ----------------------------------------------------------------
    def frame(self, now: float) -> bytes:
        """The next frame's bytes (noise included), or b"" while silent."""
        with self._lock:
            faults = set(self.faults)
            kg, still = self.motion.weight(now, swing_kg=0.04 * abs(self.motion.target_kg))
        if faults & {"silent", "close"}:
            return b""
        if "unstable" in faults and self.motion.target_kg:
            kg += 3 * self.division_kg * math.sin(2 * math.pi * 0.7 * now)
            still = False
        kg = round(kg / self.division_kg) * self.division_kg
        out = encode(self.fmt, kg, stable=still, unit=self.unit, decimals=self.decimals)
        if "noise" in faults:
            if self.rng.random() < 0.3:
                out = bytes(self.rng.choice(b"#*?~\xff\x7f@") for _ in range(3)) + out
            if self.rng.random() < 0.15:
                i = len(self.fmt.frame.start) + 2
                out = out[:i] + b"x" + out[i + 1 :]
                self.corrupted += 1
        return out

    def _run(self) -> None:
        period = 1.0 / self.hz
        while not self._stop.wait(period):  # pacing the indicator's output rate
            data = self.frame(time.monotonic())
            if data:
                self.pty.send(data)
                self.sent += 1

    def start(self) -> WeighbridgeSim:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.pty.close()
