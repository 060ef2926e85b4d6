"""Group commit: many producers, one durable transaction, one fsync.

Leader/follower: a producer that finds no commit in progress becomes the
leader, takes every request waiting at that moment (its own included) and
writes them in one transaction; producers arriving meanwhile wait and form
the next group. Nobody returns before the transaction holding their request
has committed, so the waiting list is not a buffer: a crash loses only
requests whose producers were never told "done".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Request(Generic[T]):
    __slots__ = ("done", "item", "outcome")

    def __init__(self, item: T) -> None:
        self.item = item
        self.done = False
        self.outcome: object = None


class GroupCommitter(Generic[T, R]):
    """Runs ``write(items) -> outcomes`` for groups of concurrent ``submit`` calls.

    ``write`` returns one outcome per item: a result, or an exception that
    ``submit`` raises for that item alone. If ``write`` itself raises, every
    item of the group gets that exception.

    A new leader waits up to ``gather_s`` for as many requests as the last
    group held: the producers just released by that group are busy making
    their next record, and without the wait groups alternate between one
    record and the rest. A lone producer (last group of one) never waits.
    """

    def __init__(
        self,
        write: Callable[[Sequence[T]], Sequence[R | BaseException]],
        *,
        gather_s: float = 0.002,
    ) -> None:
        self._write = write
        self._gather_s = gather_s
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._arrival = threading.Condition(self._lock)
        self._waiting: list[_Request[T]] = []
        self._committing = False
        self._gathering = False
        self._last_group = 1
        self.groups = 0

    def submit(self, item: T) -> R:
        req = _Request(item)
        with self._lock:
            self._waiting.append(req)
            if self._gathering:
                self._arrival.notify()
            while not req.done and self._committing:
                self._done.wait()
            if req.done:
                return self._result(req)
            self._committing = True
            if self._last_group > 1 and self._gather_s > 0:
                self._gathering = True
                deadline = time.monotonic() + self._gather_s
                while len(self._waiting) < self._last_group:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._arrival.wait(left)
                self._gathering = False
            group, self._waiting = self._waiting, []
        try:
            outcomes: Sequence[R | BaseException] = self._write([r.item for r in group])
            if len(outcomes) != len(group):
                raise RuntimeError("group commit: write returned the wrong number of outcomes")
        except BaseException as exc:
            outcomes = [exc] * len(group)
        with self._lock:
            for r, outcome in zip(group, outcomes, strict=True):
                r.outcome = outcome
                r.done = True
            self._committing = False
            self._last_group = len(group)
            self.groups += 1
            self._done.notify_all()
        return self._result(req)

    @staticmethod
    def _result(req: _Request[T]) -> R:
        if isinstance(req.outcome, BaseException):
            raise req.outcome
        return req.outcome  # type: ignore[return-value]
