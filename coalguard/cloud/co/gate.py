"""One database writer at a time in this process, alarms first.

SQLite has one writer anyway; waiting here is cheaper than a busy retry. A
plain lock is unfair: the heartbeat writer, behind on a backlog, would take it
again and again while an alarm event waits. Urgent holders go first; the
others in the order they came (a ticket each), so a sweep working in batches
lets a heartbeat batch that waits for the gate in between its batches instead of
taking the gate straight back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class WriteGate:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = False
        self._urgent = 0
        self._issued = 0  # tickets given to non-urgent holders
        self._serving = 0  # the ticket whose turn it is
        self._gone: set[int] = set()  # tickets whose holder stopped waiting

    def acquire(self, urgent: bool = False) -> None:
        with self._cond:
            if urgent:
                self._urgent += 1
                try:
                    while self._busy:
                        self._cond.wait()
                finally:
                    self._urgent -= 1
                self._busy = True
                return
            ticket = self._issued
            self._issued += 1
            try:
                while self._busy or self._urgent or ticket != self._serving:
                    self._cond.wait()
            except BaseException:
                self._gone.add(ticket)
                self._advance()
                raise
            self._busy = True
            self._serving += 1
            self._advance()

    def _advance(self) -> None:
        """Skip the tickets of holders that stopped waiting."""
        while self._serving in self._gone:
            self._gone.discard(self._serving)
            self._serving += 1
        self._cond.notify_all()

    def release(self) -> None:
        with self._cond:
            self._busy = False
            self._cond.notify_all()

    @contextmanager
    def hold(self, urgent: bool = False) -> Iterator[None]:
        self.acquire(urgent)
        try:
            yield
        finally:
            self.release()

    def __enter__(self) -> None:
        self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
