"""Wait on a condition with a deadline: the suite never sleeps to wait for things."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    cond: Callable[[], T],
    timeout: float = 10.0,
    what: str = "condition",
    *,
    interval: float = 0.02,
    retry_errors: bool = False,
) -> T:
    """Return ``cond()``'s first truthy value; fail after ``timeout`` seconds.

    ``retry_errors``: an exception from ``cond`` means "not ready yet" (a server
    still starting refuses connections) and is reported only on time-out.
    """
    deadline = time.monotonic() + timeout
    last_exc: Exception | None = None
    while True:
        try:
            value = cond()
            if value:
                return value
        except Exception as exc:
            if not retry_errors:
                raise
            last_exc = exc
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout:g} s waiting for {what}"
                + (f" (last error: {last_exc})" if last_exc else "")
            )
        time.sleep(interval)


async def async_wait_for(
    cond: Callable[[], Awaitable[T]], timeout: float = 5.0, interval: float = 0.0
) -> T:
    """Await ``cond()`` repeatedly until truthy; fail after ``timeout``."""
    import asyncio

    deadline = time.monotonic() + timeout
    while True:
        value = await cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)
