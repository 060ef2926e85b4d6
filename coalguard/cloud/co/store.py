"""Apply a batch of received MQTT messages to the database in one transaction.

Per message: parse (or dead-letter), drop duplicates by (device_id, seq),
count gaps, update the device's last seen/state/battery/availability, feed the
alert rules and any waiting commissioning test. The caller acknowledges the
MQTT messages only after ``apply`` committed: durable before ack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.tables import (
    CoCommissioning,
    CoDeadLetter,
    CoDevice,
    CoMessageRow,
)
from coalguard.drivers.co_alarm import (
    Availability,
    CoEvent,
    CoMessage,
    CoState,
    EventType,
    Rejection,
    parse,
)


@dataclass(frozen=True, slots=True)
class Received:
    """One MQTT message as it came off the wire."""

    topic: str
    payload: bytes
    received_at: datetime


@dataclass
class IngestStats:
    """Counters since start (visible on the API and in the demo)."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    unregistered: int = 0
    gaps: int = 0
    batches: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            k: getattr(self, k)
            for k in ("received", "stored", "duplicates", "dead_letters", "unregistered", "gaps")
        }


def state_doc(st: CoState) -> dict[str, Any]:
    return {
        "ts": st.ts.isoformat(),
        "seq": st.seq,
        "co_ppm": st.co_ppm,
        "battery_pct": st.battery_pct,
        "alarm": st.alarm.value,
        "tamper": st.tamper,
        "fault": st.fault,
        "eol": st.eol,
        **({"extra": st.extra} if st.extra else {}),
    }


def event_doc(ev: CoEvent) -> dict[str, Any]:
    d: dict[str, Any] = {"ts": ev.ts.isoformat(), "seq": ev.seq, "type": ev.type.value}
    if ev.co_ppm is not None:
        d["co_ppm"] = ev.co_ppm
    if ev.extra:
        d["extra"] = ev.extra
    return d


class MessageStore:
    """Turns received messages into rows, alerts and commissioning progress."""

    def __init__(self, sessions: sessionmaker, book: AlertBook) -> None:
        self.sessions = sessions
        self.book = book
        self.stats = IngestStats()

    def apply(self, batch: Sequence[Received]) -> int:
        """Store a batch in one transaction; returns the number of new notifications."""
        parsed = [(r, parse(r.topic, r.payload)) for r in batch]
        ids = {m.device_id for _, m in parsed if not isinstance(m, Rejection)}
        snapshot = replace(self.stats, by_reason=dict(self.stats.by_reason))
        try:
            return self._apply(parsed, ids)
        except Exception:
            self.stats = snapshot  # nothing was stored: count nothing
            raise

    def _apply(self, parsed: list[tuple[Received, CoMessage | Rejection]], ids: set[str]) -> int:
        with self.sessions.begin() as s:
            devices = self._devices(s, ids, parsed)
            created = self.book.created
            for r, m in parsed:
                self.stats.received += 1
                if isinstance(m, Rejection):
                    self._dead_letter(s, r, m)
                    continue
                dev = devices[m.device_id]
                if isinstance(m, Availability):
                    self._availability(s, dev, m, r.received_at)
                elif self._store_once(s, dev, m, r.received_at):
                    if isinstance(m, CoState):
                        self._state(s, dev, m, r.received_at)
                    else:
                        self._event(s, dev, m, r.received_at)
        self.stats.batches += 1
        return self.book.created - created

    @staticmethod
    def _devices(
        s: Session, ids: set[str], parsed: list[tuple[Received, CoMessage | Rejection]]
    ) -> dict[str, CoDevice]:
        """The batch's devices; unknown ones are created (race-free across workers)."""
        devices = {
            d.device_id: d for d in s.scalars(select(CoDevice).where(CoDevice.device_id.in_(ids)))
        }
        missing = ids - devices.keys()
        if missing:
            first = {}
            for r, m in parsed:
                if not isinstance(m, Rejection) and m.device_id in missing:
                    first.setdefault(m.device_id, r.received_at)
            ins = _insert(s, CoDevice).values(
                [
                    {
                        "device_id": d,
                        "registered": False,
                        "region_code": "",
                        "first_seen": at,
                        "messages": 0,
                        "duplicates": 0,
                        "gaps": 0,
                        "eol": False,
                        "silent_alerted": False,
                    }
                    for d, at in first.items()
                ]
            )
            s.execute(ins.on_conflict_do_nothing(index_elements=["device_id"]))
            devices.update(
                (d.device_id, d)
                for d in s.scalars(select(CoDevice).where(CoDevice.device_id.in_(missing)))
            )
        return devices

    # -- steps -------------------------------------------------------------

    def _dead_letter(self, s: Session, r: Received, m: Rejection) -> None:
        s.add(
            CoDeadLetter(
                received_at=r.received_at,
                topic=r.topic[:1000],
                device_id=m.device_id,
                payload=r.payload,
                reason=m.reason,
            )
        )
        self.stats.dead_letters += 1
        key = m.reason.split(":")[0][:60]
        self.stats.by_reason[key] = self.stats.by_reason.get(key, 0) + 1

    def _store_once(self, s: Session, dev: CoDevice, m: CoState | CoEvent, at: datetime) -> bool:
        """Insert the message unless (device_id, seq) is already stored; count gaps."""
        values = {
            "device_id": m.device_id,
            "seq": m.seq,
            "kind": m.kind,
            "event_type": m.type.value if isinstance(m, CoEvent) else None,
            "ts": m.ts,
            "received_at": at,
            "unregistered": not dev.registered,
            "payload": state_doc(m) if isinstance(m, CoState) else event_doc(m),
        }
        ins = _insert(s, CoMessageRow)
        res = s.execute(
            ins.values(**values).on_conflict_do_nothing(index_elements=["device_id", "seq"])
        )
        dev.last_seen = at
        if res.rowcount == 0:
            dev.duplicates += 1
            self.stats.duplicates += 1
            return False
        dev.messages += 1
        self.stats.stored += 1
        if not dev.registered:
            self.stats.unregistered += 1
        if dev.max_seq is None:
            dev.max_seq = m.seq
        elif m.seq > dev.max_seq:
            missing = m.seq - dev.max_seq - 1
            dev.gaps += missing
            self.stats.gaps += missing
            dev.max_seq = m.seq
        elif dev.gaps > 0:  # a late message fills one hole
            dev.gaps -= 1
            self.stats.gaps -= 1
        return True

    def _availability(self, s: Session, dev: CoDevice, m: Availability, at: datetime) -> None:
        dev.online = m.online
        dev.last_seen = at
        for rule in self.book.rules.rule:
            if not m.online and rule.availability == "offline":
                self.book.raise_(s, dev, rule, at, {"cause": "last_will"})
            elif m.online and rule.clear_availability == "online":
                self.book.clear(s, dev, rule, at, "online")

    def _state(self, s: Session, dev: CoDevice, st: CoState, at: datetime) -> None:
        if dev.last_state is None or st.seq >= dev.last_state.get("seq", -1):
            dev.last_state = state_doc(st)
            dev.battery_pct = st.battery_pct
            dev.eol = st.eol
        dev.last_state_at = at
        dev.online = True
        dev.silent_alerted = False
        doc = {
            "alarm": st.alarm.value,
            "co_ppm": st.co_ppm,
            "battery_pct": st.battery_pct,
            "tamper": st.tamper,
            "fault": st.fault,
            "eol": st.eol,
        }
        for rule in self.book.rules.rule:
            if rule.opened_by_state(doc):
                self.book.raise_(s, dev, rule, at, _detail(doc, rule.kind, st.ts))
            elif rule.cleared_by_state(doc):
                self.book.clear(s, dev, rule, at, "state")
        for c in self._waiting(s, dev.device_id):
            if at >= c.started_at and c.state_at is None:
                c.state_at = at
                _maybe_pass(c, at)

    def _event(self, s: Session, dev: CoDevice, ev: CoEvent, at: datetime) -> None:
        detail = {"event": ev.type.value, "event_ts": ev.ts.isoformat()}
        if ev.co_ppm is not None:
            detail["co_ppm"] = ev.co_ppm
        for rule in self.book.rules.rule:
            if ev.type in rule.events:
                self.book.raise_(s, dev, rule, at, detail)
            elif ev.type in rule.clear_events:
                self.book.clear(s, dev, rule, at, ev.type.value)
        if ev.type is EventType.TEST:
            dev.last_test_at = at
            for c in self._waiting(s, dev.device_id):
                if at >= c.started_at and c.test_event_at is None:
                    c.test_event_at = at
                    _maybe_pass(c, at)

    @staticmethod
    def _waiting(s: Session, device_id: str) -> list[CoCommissioning]:
        return list(
            s.scalars(
                select(CoCommissioning).where(
                    CoCommissioning.device_id == device_id,
                    CoCommissioning.status == "waiting",
                )
            )
        )


def _insert(s: Session, table: type) -> Any:
    """INSERT that supports ON CONFLICT DO NOTHING on SQLite and PostgreSQL."""
    dialect = s.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def _detail(doc: dict[str, Any], kind: str, ts: datetime) -> dict[str, Any]:
    keep = {
        "co_alarm": ("alarm", "co_ppm"),
        "low_battery": ("battery_pct",),
        "fault": ("fault",),
    }.get(kind, ())
    return {"state_ts": ts.isoformat(), **{k: doc[k] for k in keep}}


def _maybe_pass(c: CoCommissioning, at: datetime) -> None:
    if c.test_event_at is not None and c.state_at is not None:
        c.status = "passed"
        c.finished_at = at
        c.missing = []
