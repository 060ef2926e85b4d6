"""What changed on one user's alarm board since the last look: read from the database.

Every replica serves boards, and an alarm can be written by any ingest worker,
so nothing here listens to in-process events: each stream polls. A poll is two
indexed queries: the alerts changed since the stream's cursor (``co_alert``
by ``updated_at``, index ``ix_co_alert_updated_at``, minus a slack for replicas'
clocks and transactions committing out of order) and the messages of the
alarms on the board (``co_notification`` by ``alert_id``). What the stream
already sent is remembered per alarm as a version, so the slack's re-reads and
a message's later receipt cost nothing or one card.

The cursor (the SSE event id) is the newest ``updated_at`` seen, in
microseconds. A browser that reconnects sends it back as ``Last-Event-ID``
and gets what changed after it: the alarms opened, changed, acknowledged or
resolved meanwhile, and those whose messages moved on.

The area outages above the alarms (``outages.py``) come with a poll whenever
they differ from what the stream last sent (opened, recounted, acknowledged,
resolved): one more indexed query (``ix_co_alert_kind_status``) per poll.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalguard.cloud.alert_lifecycle import ACTIVE, OPEN, alert_ref
from coalguard.cloud.auth import Operator
from coalguard.cloud.board.cards import ALARM, AlarmCard, cards, notices_of
from coalguard.cloud.board.outages import OutageBanner, active_outages
from coalguard.cloud.co.tables import CoAlert
from coalguard.cloud.dashboard.pages import NotifiedRow
from coalguard.edge.clock import Clock

SLACK = timedelta(seconds=10)
BOARD_LIMIT = 200  # cards on one board; the oldest beyond it stay on the alert list
SCAN_LIMIT = 2000  # changed rows read per poll


def to_cursor(at: datetime) -> int:
    return round(at.timestamp() * 1_000_000)


def from_cursor(cursor: int) -> datetime:
    return datetime.fromtimestamp(cursor / 1_000_000, UTC)


def parse_cursor(text: str | None) -> int | None:
    """A cursor a client sent back; anything else (absent, garbled) starts afresh."""
    if not text or not text.isascii() or not text.isdigit() or len(text) > 20:
        return None
    return int(text)


@dataclass(frozen=True)
class Change:
    """One thing to tell the browser: an alarm's card (new or changed), or that it left."""

    alert_id: str
    card: AlarmCard | None  # None: resolved (or out of the board), remove it
    new: bool = False  # an alarm this board has not shown before: ring


@dataclass(frozen=True)
class Poll:
    changes: list[Change]
    snapshot: list[str] | None  # a fresh stream: every alarm on the board, in order
    cursor: int
    outages: list[OutageBanner] | None = None  # the banners, when they changed (or first)


Version = tuple[Any, ...]


def _version(a: CoAlert, notices: tuple[NotifiedRow, ...]) -> Version:
    return (a.updated_at, a.status, a.occurrences, a.escalation_level, notices)


def _latest(notices: tuple[NotifiedRow, ...]) -> datetime | None:
    return max((n.at for n in notices), default=None)


class BoardFeed:
    """The changes one stream still has to send; ``after``: the cursor a browser came back with."""

    def __init__(self, op: Operator, after: int | None, clock: Clock) -> None:
        self.op = op
        self.clock = clock
        self.after = after
        self.cursor = after or 0
        self.sent: dict[int, Version] = {}  # alert id -> what the browser was shown
        self.started = False
        # The banners the browser shows: a fresh board's page shows none unless sent; one
        # coming back may show any (sent on its first poll).
        self.outages: list[OutageBanner] | None = [] if after is None else None

    def _on_board(self, a: CoAlert) -> bool:
        return a.kind == ALARM and a.status in ACTIVE and self.op.covers(a.region_code)

    def _active(self, s: Session) -> list[CoAlert]:
        q = (
            select(CoAlert)
            .where(
                CoAlert.region_code.startswith(self.op.region_prefix),
                CoAlert.status.in_(ACTIVE),
                CoAlert.kind == ALARM,
            )
            .order_by(CoAlert.opened_at.desc())
            .limit(BOARD_LIMIT)
        )
        return list(s.scalars(q))

    def _changed_since(self, s: Session, cursor: int) -> list[CoAlert]:
        q = (
            select(CoAlert)
            .where(CoAlert.updated_at > from_cursor(cursor) - SLACK)
            .order_by(CoAlert.updated_at)
            .limit(SCAN_LIMIT)
        )
        return list(s.scalars(q))

    def poll(self, s: Session) -> Poll:
        """Read what changed and remember it as sent."""
        if not self.started:
            self.started = True
            poll = self._first(s)
        else:
            poll = self._next(s)
        banners = active_outages(s, self.op)
        if banners != self.outages:
            self.outages = banners
            poll = replace(poll, outages=banners)
        return poll

    def _next(self, s: Session) -> Poll:
        changed = self._changed_since(s, self.cursor)
        self._advance(changed)
        gone = [a for a in changed if a.id in self.sent and not self._on_board(a)]
        for a in gone:
            del self.sent[a.id]
        fresh = {a.id: a for a in changed if self._on_board(a)}
        waiting = [i for i in self.sent if i not in fresh]
        if waiting:  # alarms unchanged themselves: only their messages may have moved on
            for a in s.scalars(select(CoAlert).where(CoAlert.id.in_(waiting))):
                if self._on_board(a):
                    fresh[a.id] = a
                else:  # cannot happen without a newer updated_at, but never show a stale card
                    gone.append(a)
                    del self.sent[a.id]
        notices = notices_of(s, {a.id: a.region_code for a in fresh.values()}, self.op)
        todo = [a for a in fresh.values() if self.sent.get(a.id) != _version(a, notices[a.id])]
        todo.sort(key=lambda a: a.opened_at)
        changes = [Change(alert_ref(a), None) for a in gone]
        changes += self._cards(
            s, todo, notices, ring=lambda a: a.id not in self.sent and a.status == OPEN
        )
        return Poll(changes, None, self.cursor)

    def _first(self, s: Session) -> Poll:
        top = s.scalar(select(func.max(CoAlert.updated_at)))
        active = self._active(s)
        notices = notices_of(s, {a.id: a.region_code for a in active}, self.op)
        if self.after is None:  # a fresh board: every alarm, none of them news
            self.cursor = to_cursor(top) if top else 0
            changes = self._cards(s, active[::-1], notices, ring=lambda a: False)
            return Poll(changes, [alert_ref(a) for a in active], self.cursor)
        since = from_cursor(self.after) - SLACK
        gone = [
            Change(alert_ref(a), None)
            for a in self._changed_since(s, self.after)
            if a.kind == ALARM and self.op.covers(a.region_code) and a.status not in ACTIVE
        ]
        todo = []
        for a in active:
            latest = _latest(notices[a.id])
            if a.updated_at > since or (latest is not None and latest > since):
                todo.append(a)
            else:
                self.sent[a.id] = _version(a, notices[a.id])
        if top:
            self.cursor = max(self.cursor, to_cursor(top))
        opened_after = from_cursor(self.after)
        changes = self._cards(
            s, todo[::-1], notices, ring=lambda a: a.opened_at > opened_after and a.status == OPEN
        )
        return Poll(gone + changes, None, self.cursor)

    def _advance(self, changed: list[CoAlert]) -> None:
        if changed:
            self.cursor = max(self.cursor, to_cursor(changed[-1].updated_at))

    def _cards(
        self,
        s: Session,
        alerts: list[CoAlert],
        notices: dict[int, tuple[NotifiedRow, ...]],
        ring: Any,
    ) -> list[Change]:
        out = []
        for a, card in zip(
            alerts, cards(s, alerts, self.op, self.clock.now(), notices), strict=True
        ):
            out.append(Change(card.id, card, new=bool(ring(a))))
            self.sent[a.id] = _version(a, notices[a.id])
        return out
