"""A per-client sliding-window limit for login and token endpoints.

In memory, per process: enough to make guessing tokens from one address
slow; a reverse proxy in front limits across processes.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from fastapi import Request

from coalguard.cloud.api.problems import Problem


class SlidingWindow:
    """At most ``limit`` hits per ``window_s`` seconds per key."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> float | None:
        """Count one hit; returns seconds to wait when over the limit, else None."""
        now = time.monotonic() if now is None else now
        with self._lock:
            q = self._hits.setdefault(key, deque())
            while q and now - q[0] >= self.window_s:
                q.popleft()
            if len(q) >= self.limit:
                return max(self.window_s - (now - q[0]), 0.001)
            q.append(now)
            if len(self._hits) > 10_000:  # forget idle clients
                for k in [k for k, v in self._hits.items() if not v]:
                    del self._hits[k]
            return None


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def enforce(window: SlidingWindow, request: Request, what: str) -> None:
    """429 with Retry-After when this client has hit ``what`` too often."""
    wait = window.hit(f"{what}:{client_address(request)}")
    if wait is not None:
        seconds = math.ceil(wait)
        headers = {"Retry-After": str(seconds)}
        raise Problem(429, f"too_many_{what}", headers=headers, seconds=seconds)
