"""A weighing indicator's continuous output on a serial port (pyserial), read for good.

The port is a pyserial URL (``/dev/ttyUSB0``, a pseudo-terminal, ``socket://…``).
Bad frames are counted by kind and kept as dead letters; they never stop the
reader. A port that fails or goes away is reopened with backoff and reported
``disconnected``; an open port without a good frame for ``silent_after_s`` is
reported ``silent``. ``state()`` is what a station shows and takes a ticket from.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import serial

from coalguard.drivers.analyzer import stats as kinds
from coalguard.drivers.analyzer.stats import DeviceStats
from coalguard.drivers.weighbridge.frameformat import FrameFormat
from coalguard.drivers.weighbridge.frames import Framer, Reading, Reject, parse_frame
from coalguard.drivers.weighbridge.stability import Stability, StabilityRule, load_rule
from coalguard.edge.model import utcnow

Link = Literal["ok", "silent", "disconnected"]


@dataclass(frozen=True)
class ScaleState:
    """What the scale shows now, whether it is stable, and how the line is."""

    scale_id: str
    format: str
    link: Link
    last: Reading | None
    stable: bool
    frames: int
    bad_frames: int
    errors: dict[str, int] = field(default_factory=dict)
    last_error: str | None = None

    @property
    def stable_kg(self) -> Decimal | None:
        """The weight a ticket may take: the latest reading when stable, else None."""
        if self.link != "ok" or not self.stable or self.last is None:
            return None
        return self.last.kg


class ScaleReader:
    """One indicator on one port: frames in, the current state out."""

    def __init__(
        self,
        port: str,
        fmt: FrameFormat,
        *,
        scale_id: str = "scale-1",
        unit: str | None = None,
        rule: StabilityRule | None = None,
        baudrate: int | None = None,
        silent_after_s: float = 2.0,
        read_timeout: float = 0.05,
        backoff_max: float = 5.0,
    ) -> None:
        self.port = port
        self.fmt = fmt
        self.scale_id = scale_id
        self.unit = unit
        self.baudrate = baudrate or fmt.baudrate
        self.silent_after_s = silent_after_s
        self.read_timeout = read_timeout
        self.backoff_max = backoff_max
        self.stats = DeviceStats(port)
        self.frames = 0
        self.bad_frames = 0
        self.dead_letters: deque[dict[str, Any]] = deque(maxlen=100)
        self._stability = Stability(rule or load_rule(), fmt.has_stable_flag)
        self._framer = Framer(fmt)
        self._ser: serial.SerialBase | None = None
        self._delay = 0.0
        self._reopen_at = 0.0
        self._last: Reading | None = None
        self._stable = False
        self._good_at = 0.0
        self._lock = threading.Lock()

    # -- the line ----------------------------------------------------------------
    def _ensure_open(self) -> bool:
        if self._ser is not None:
            return True
        now = time.monotonic()
        if now < self._reopen_at:
            return False
        try:
            self._ser = serial.serial_for_url(
                self.port, baudrate=self.baudrate, timeout=self.read_timeout
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            self._lost(str(exc))
            return False
        if self._delay:
            self.stats.reconnects += 1
        self._delay = 0.0
        self._framer = Framer(self.fmt)
        self._good_at = time.monotonic()  # silence counts from the opening
        return True

    def _lost(self, why: str) -> None:
        self.stats.error(kinds.CONNECTION, why)
        if self._ser is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                self._ser.close()
        self._ser = None
        self._delay = min(self.backoff_max, max(0.2, self._delay * 2))
        self._reopen_at = time.monotonic() + self._delay * (0.5 + random.random())
        with self._lock:
            self._stable = False
            self._stability.reset()

    def close(self) -> None:
        if self._ser is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                self._ser.close()
            self._ser = None

    # -- reading -----------------------------------------------------------------
    def poll(self) -> list[Reading]:
        """Read what the port has (waiting up to the read timeout) and parse it."""
        if not self._ensure_open():
            time.sleep(self.read_timeout)  # backing off a closed port, not a test wait
            return []
        assert self._ser is not None
        try:
            data = self._ser.read(max(1, self._ser.in_waiting))
        except (serial.SerialException, OSError) as exc:
            self._lost(str(exc))
            return []
        return list(self.feed(data)) if data else []

    def feed(self, data: bytes) -> list[Reading]:
        """Turn received bytes into readings; bad frames counted and dead-lettered."""
        out: list[Reading] = []
        for item in self._framer.feed(data):
            parsed = (
                item
                if isinstance(item, Reject)
                else parse_frame(self.fmt, item, utcnow(), self.unit)
            )
            if isinstance(parsed, Reject):
                self._reject(parsed)
                continue
            mono = time.monotonic()
            with self._lock:
                self.frames += 1
                self._good_at = mono
                self._last = parsed
                self._stable = self._stability.observe(parsed, mono)
            self.stats.results += 1
            self.stats.last_good = parsed.at
            out.append(parsed)
        return out

    def _reject(self, r: Reject) -> None:
        self.stats.error(r.kind, r.detail)
        with self._lock:
            self.bad_frames += 1
        self.dead_letters.append(
            {
                "at": utcnow().isoformat(),
                "scale": self.scale_id,
                "format": self.fmt.id,
                "kind": r.kind,
                "reason": r.detail,
                "raw": r.raw[:128].decode("latin-1"),
            }
        )

    def run(self, stop: threading.Event) -> None:
        """Read until ``stop`` is set (a station runs this on its own thread)."""
        while not stop.is_set():
            self.poll()
        self.close()

    def state(self) -> ScaleState:
        """The scale now: last reading, stability, and the line's health."""
        with self._lock:
            if self._ser is None:
                link: Link = "disconnected"
            elif time.monotonic() - self._good_at > self.silent_after_s:
                link = "silent"
            else:
                link = "ok"
            return ScaleState(
                scale_id=self.scale_id,
                format=self.fmt.id,
                link=link,
                last=self._last,
                stable=self._stable and link == "ok",
                frames=self.frames,
                bad_frames=self.bad_frames,
                errors=dict(self.stats.errors),
                last_error=self.stats.last_error,
            )
