"""Gateway tests wait on servers that refuse connections while they start."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from tests.waiting import wait_for as _wait_for

T = TypeVar("T")


def wait_for(
    cond: Callable[[], T], timeout: float = 10.0, interval: float = 0.05, what: str = "condition"
) -> T:
    """``tests.waiting.wait_for`` that treats an exception as "not ready yet"."""
    return _wait_for(cond, timeout, what, interval=interval, retry_errors=True)
