"""An alarm's events the cloud has not acknowledged yet (contract v1, ``co/v1/{id}/ack``).

The broker's PUBACK is no proof of storage (a broker crash can lose an
acknowledged message), so an alarm keeps every event until the cloud's ack
for its ``seq`` arrives, and publishes the unacknowledged ones again after
every reconnect and whenever one waited ``timeout_s`` (doubling up to
``max_backoff_s``). The cloud stores each (device_id, seq) once.
Thread-safe: paho's network thread acks while the alarm's loop publishes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

ACK_TIMEOUT_S = 30.0
MAX_BACKOFF_S = 300.0


@dataclass
class _Pending:
    topic: str
    payload: bytes
    due: float
    wait: float


class Unacked:
    def __init__(self, timeout_s: float = ACK_TIMEOUT_S, max_backoff_s: float = MAX_BACKOFF_S):
        self.timeout_s = timeout_s
        self.max_backoff_s = max_backoff_s
        self._by_seq: dict[int, _Pending] = {}
        self._lock = threading.Lock()

    def add(self, seq: int, topic: str, payload: bytes, now: float) -> None:
        """An event was just published: keep it until its ack."""
        with self._lock:
            self._by_seq[seq] = _Pending(topic, payload, now + self.timeout_s, self.timeout_s)

    def ack(self, seq: int) -> bool:
        """The cloud acknowledged ``seq``; False when it was not pending (a repeated ack)."""
        with self._lock:
            return self._by_seq.pop(seq, None) is not None

    def all(self, now: float) -> list[tuple[str, bytes]]:
        """Every pending event, oldest first, to publish after a reconnect (timers restart)."""
        with self._lock:
            for p in self._by_seq.values():
                p.due = now + p.wait
            return [(p.topic, p.payload) for _, p in sorted(self._by_seq.items())]

    def due(self, now: float) -> list[tuple[str, bytes]]:
        """Events whose ack is overdue, to publish again; their next wait doubles."""
        out = []
        with self._lock:
            for _, p in sorted(self._by_seq.items()):
                if p.due <= now:
                    p.wait = min(p.wait * 2, self.max_backoff_s)
                    p.due = now + p.wait
                    out.append((p.topic, p.payload))
        return out

    def seqs(self) -> list[int]:
        with self._lock:
            return sorted(self._by_seq)

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_seq)
