"""Per-device statistics: requests, responses, errors by kind, latency, last good read.

A plain Python object for now; the gateway publishes ``snapshot()``.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime

from coalguard.edge.model import utcnow

# Error kinds a driver counts (exception responses are "exception_NN").
TIMEOUT = "timeout"
CRC = "crc"
SHORT_FRAME = "short_frame"
GARBAGE = "garbage"
CONNECTION = "connection"
DECODE = "decode"
CHECKSUM = "checksum"
MALFORMED = "malformed"
OVERSIZED = "oversized"
UNTERMINATED = "unterminated"
STUCK_READY = "stuck_ready"


def exception_kind(code: int) -> str:
    return f"exception_{code:02d}"


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


@dataclass
class DeviceStats:
    """Counters of one device (one unit id on a bus, or one ASCII port)."""

    device: str
    requests: int = 0
    responses: int = 0
    results: int = 0
    retries: int = 0
    reconnects: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    last_good: datetime | None = None
    last_error: str | None = None
    last_kind: str | None = None
    _latency: deque[float] = field(default_factory=lambda: deque(maxlen=2048))

    def request(self) -> None:
        self.requests += 1

    def response(self, latency_s: float) -> None:
        self.responses += 1
        self._latency.append(latency_s)
        self.last_good = utcnow()

    def error(self, kind: str, detail: str = "") -> None:
        self.errors[kind] += 1
        self.last_kind = kind
        self.last_error = f"{kind}: {detail}" if detail else kind

    def latency_ms(self, q: float) -> float:
        return _percentile(sorted(self._latency), q) * 1000.0

    def snapshot(self) -> dict[str, object]:
        """A JSON-ready view (the gateway publishes it)."""
        lat = sorted(self._latency)
        return {
            "device": self.device,
            "requests": self.requests,
            "responses": self.responses,
            "results": self.results,
            "retries": self.retries,
            "reconnects": self.reconnects,
            "errors": dict(self.errors),
            "latency_ms": {
                "p50": round(_percentile(lat, 0.5) * 1000, 2) if lat else None,
                "p95": round(_percentile(lat, 0.95) * 1000, 2) if lat else None,
                "p99": round(_percentile(lat, 0.99) * 1000, 2) if lat else None,
            },
            "last_good": self.last_good.isoformat() if self.last_good else None,
            "last_error": self.last_error,
        }
