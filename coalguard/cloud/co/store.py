"""Apply a batch of received MQTT messages to the database in one transaction.

Per message: parse (or dead-letter), drop duplicates by (device_id, seq),
count gaps, update the device's last seen/state/battery/availability, feed the
alert rules and any waiting commissioning test. The caller acknowledges the
MQTT messages only after ``apply`` committed: durable before ack. Each
event (stored, duplicate or dead-lettered with a device id and seq) yields an
``EventAck`` for the alarm, handed out only after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from coalguard.cloud.co.alerts import ActiveCache, AlertBook
from coalguard.cloud.co.gate import WriteGate
from coalguard.cloud.co.rules import AlertRules, Rule
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
from coalguard.drivers.co_alarm.ack import AckStatus, EventAck
from coalguard.untrusted_json import storable_text

_STATE_FIELDS = ("alarm", "co_ppm", "battery_pct", "tamper", "fault", "eol")
# Counters that ``apply`` moves inside its transaction (restored when it rolls back).
_APPLY_COUNTERS = ("received", "stored", "duplicates", "dead_letters", "unregistered", "gaps")
PROCESSING_FAILED = "processing failed"


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
    # Messages whose processing raised, isolated and dead-lettered (a bug or a bad row).
    failed: int = 0
    # Reconnects that found no session although one was kept (queued messages lost).
    sessions_lost: int = 0
    # Event acks published to alarms (co/v1/{id}/ack) after their commit.
    acks: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (*_APPLY_COUNTERS, "failed", "sessions_lost")}


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


_READ = ("device_id", "registered", "region_code", "household_name", "address", "phone_masked")
_MUTABLE = (
    "last_seen",
    "last_state_at",
    "last_state",
    "battery_pct",
    "online",
    "eol",
    "last_test_at",
    "max_seq",
    "messages",
    "duplicates",
    "gaps",
    "silent_alerted",
    "last_heard_at",
    "offline_at",
)


class _Dev:
    """A device row as plain attributes for one batch, written back in one executemany.

    The hot path touches a dozen fields per message; ORM instrumentation per
    attribute would cost more than the rest of the ingest together.
    """

    __slots__ = _READ + _MUTABLE

    def __init__(self, row: Any) -> None:
        for name in _READ + _MUTABLE:
            setattr(self, name, getattr(row, name))


class MessageStore:
    """Turns received messages into rows, alerts and commissioning progress."""

    def __init__(
        self, sessions: sessionmaker, book: AlertBook, write_lock: WriteGate | None = None
    ) -> None:
        self.sessions = sessions
        self.book = book
        self.stats = IngestStats()
        self._tally = IngestStats()  # counts of the batch being applied
        self.write_lock = write_lock or WriteGate()
        self._tally_acks: list[EventAck] = []  # acks of the batch being applied
        self._verdict_rules: AlertRules | None = None
        self._verdict_memo: dict[tuple[Any, ...], tuple[tuple[Rule, bool], ...]] = {}

    def apply(
        self, batch: Sequence[Received], urgent: bool = False, acks: list[EventAck] | None = None
    ) -> int:
        """Store a batch in one transaction; returns the number of new notifications.

        ``urgent`` (alarm events) goes ahead of heartbeat batches waiting to write.
        ``acks`` gets the batch's event acks once the transaction committed.
        """
        parsed = [(r, parse(r.topic, r.payload)) for r in batch]
        ids = {m.device_id for _, m in parsed if not isinstance(m, Rejection)}
        with self.write_lock.hold(urgent):
            # Counts go to a tally and reach ``stats`` only after the commit, so a
            # reader never sees a message counted as stored before it is (and a
            # failed batch counts nothing).
            self._tally = IngestStats(by_reason=dict(self.stats.by_reason))
            self._tally_acks = []
            n = self._apply(parsed, ids)
            for k in (*_APPLY_COUNTERS, "batches"):
                setattr(self.stats, k, getattr(self.stats, k) + getattr(self._tally, k))
            self.stats.by_reason = self._tally.by_reason
            if acks is not None:
                acks.extend(self._tally_acks)
            return n

    def quarantine(self, r: Received, exc: BaseException, urgent: bool = False) -> EventAck | None:
        """Dead-letter a message whose processing raised, with the exception as the reason.

        Its own small transaction, so one poison message cannot hold the queue
        (issue 10). Raises only when the database cannot take even this row.
        Returns the dead-letter ack when the message is an event.
        """
        m = parse(r.topic, r.payload)
        reason = storable_text(f"{PROCESSING_FAILED}: {type(exc).__name__}: {exc}")[:2000]
        with self.write_lock.hold(urgent), self.sessions.begin() as s:
            s.add(
                CoDeadLetter(
                    received_at=r.received_at,
                    topic=storable_text(r.topic)[:1000],
                    device_id=m.device_id,
                    payload=r.payload,
                    reason=reason,
                )
            )
        self.stats.dead_letters += 1
        self.stats.failed += 1
        self.stats.by_reason[PROCESSING_FAILED] = self.stats.by_reason.get(PROCESSING_FAILED, 0) + 1
        return _dead_letter_ack(r, m)

    def _apply(self, parsed: list[tuple[Received, CoMessage | Rejection]], ids: set[str]) -> int:
        with self.sessions.begin() as s:
            devices = self._devices(s, ids, parsed)
            created = self.book.created
            new, docs = self._insert_messages(s, devices, parsed)
            cache = self.book.load_active(s, ids)
            waiting: dict[str, list[CoCommissioning]] = {}
            for c in s.scalars(
                select(CoCommissioning).where(
                    CoCommissioning.device_id.in_(ids), CoCommissioning.status == "waiting"
                )
            ):
                waiting.setdefault(c.device_id, []).append(c)
            for i, (r, m) in enumerate(parsed):
                self._tally.received += 1
                if isinstance(m, Rejection):
                    self._dead_letter(s, r, m)
                    self._ack(_dead_letter_ack(r, m))
                    continue
                dev = devices[m.device_id]
                if isinstance(m, CoEvent):
                    status = AckStatus.STORED if i in new else AckStatus.DUPLICATE
                    self._ack(EventAck(m.device_id, m.seq, status))
                if isinstance(m, Availability):
                    self._availability(s, dev, m, r.received_at, cache)
                elif self._count(dev, m, r.received_at, i in new):
                    w = waiting.get(dev.device_id, ())
                    if isinstance(m, CoState):
                        self._state(s, dev, m, r.received_at, cache, w, docs[i])
                    else:
                        self._event(s, dev, m, r.received_at, cache, w)
            self._write_devices(s, devices)
        self._tally.batches += 1
        return self.book.created - created

    def _insert_messages(
        self,
        s: Session,
        devices: dict[str, _Dev],
        parsed: list[tuple[Received, CoMessage | Rejection]],
    ) -> tuple[set[int], dict[int, dict[str, Any]]]:
        """Insert every state/event once per (device_id, seq).

        Returns the new ones' indexes, and each inserted message's document by index.
        """
        rows: list[dict[str, Any]] = []
        index: dict[tuple[str, int], int] = {}
        docs: dict[int, dict[str, Any]] = {}
        for i, (r, m) in enumerate(parsed):
            if not isinstance(m, CoState | CoEvent) or (m.device_id, m.seq) in index:
                continue
            index[(m.device_id, m.seq)] = i
            docs[i] = state_doc(m) if isinstance(m, CoState) else event_doc(m)
            rows.append(
                {
                    "device_id": m.device_id,
                    "seq": m.seq,
                    "kind": m.kind,
                    "event_type": m.type.value if isinstance(m, CoEvent) else None,
                    "ts": m.ts,
                    "received_at": r.received_at,
                    "unregistered": not devices[m.device_id].registered,
                    "payload": docs[i],
                }
            )
        new: set[int] = set()
        seen = self._stored_before(s, devices, rows)
        rows = [r for r in rows if (r["device_id"], r["seq"]) not in seen]
        if rows:
            table = CoMessageRow.__table__
            # No conflict target: on PostgreSQL each partition has its own unique
            # (device_id, seq), which a target on the partitioned parent cannot name.
            stmt = (
                dialect_insert(s, table)
                .on_conflict_do_nothing()
                .returning(table.c.device_id, table.c.seq)
            )
            # executemany with RETURNING: SQLAlchemy batches it ("insertmanyvalues").
            new.update(index[(d, q)] for d, q in s.connection().execute(stmt, rows))
        return new, docs

    @staticmethod
    def _stored_before(
        s: Session, devices: dict[str, _Dev], rows: list[dict[str, Any]]
    ) -> set[tuple[str, int]]:
        """The batch's (device, seq) pairs already stored, in any partition.

        Only a seq at or below the device's ``max_seq`` can have been stored
        (a resend, a late message): the usual next heartbeat costs no lookup.
        The device rows are locked (``_devices``), so no other worker stores
        one of these pairs before this transaction commits.
        """
        maybe = [
            (r["device_id"], r["seq"])
            for r in rows
            if (top := devices[r["device_id"]].max_seq) is None or r["seq"] <= top
        ]
        table = CoMessageRow.__table__
        found: set[tuple[str, int]] = set()
        for i in range(0, len(maybe), 500):
            pairs = tuple_(table.c.device_id, table.c.seq).in_(maybe[i : i + 500])
            found.update(
                (d, q) for d, q in s.execute(select(table.c.device_id, table.c.seq).where(pairs))
            )
        return found

    @staticmethod
    def _devices(
        s: Session, ids: set[str], parsed: list[tuple[Received, CoMessage | Rejection]]
    ) -> dict[str, _Dev]:
        """The batch's devices, locked until commit; unknown ones are created.

        Locked in key order (no deadlock): two workers given one alarm's event
        and state never both open its alert, nor overwrite each other's counters.
        """
        table = CoDevice.__table__
        cols = [table.c[n] for n in _READ + _MUTABLE]
        conn = s.connection()

        def locked(keys: set[str]) -> Any:
            q = select(*cols).where(table.c.device_id.in_(keys)).order_by(table.c.device_id)
            return conn.execute(q.with_for_update())

        devices = {r.device_id: _Dev(r) for r in locked(ids)}
        missing = ids - devices.keys()
        if missing:
            first = {}
            for r, m in parsed:
                if not isinstance(m, Rejection) and m.device_id in missing:
                    first.setdefault(m.device_id, r.received_at)
            ins = dialect_insert(s, table).values(
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
                    for d, at in sorted(first.items())  # key order, as above
                ]
            )
            conn.execute(ins.on_conflict_do_nothing(index_elements=["device_id"]))
            devices.update((r.device_id, _Dev(r)) for r in locked(missing))
        return devices

    @staticmethod
    def _write_devices(s: Session, devices: dict[str, _Dev]) -> None:
        table = CoDevice.__table__
        stmt = (
            update(table)
            .where(table.c.device_id == bindparam("v_device_id"))
            .values({n: bindparam(f"v_{n}") for n in _MUTABLE})
        )
        rows = [
            {"v_device_id": d.device_id, **{f"v_{n}": getattr(d, n) for n in _MUTABLE}}
            for d in devices.values()
        ]
        if rows:
            s.connection().execute(stmt, rows)

    # -- steps -------------------------------------------------------------

    def _ack(self, ack: EventAck | None) -> None:
        if ack is not None:
            self._tally_acks.append(ack)

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
        self._tally.dead_letters += 1
        key = m.reason.split(":")[0][:60]
        self._tally.by_reason[key] = self._tally.by_reason.get(key, 0) + 1

    def _count(self, dev: _Dev, m: CoState | CoEvent, at: datetime, is_new: bool) -> bool:
        """Update the device's counters for a stored or duplicate message; count gaps."""
        dev.last_seen = at
        if not is_new:
            dev.duplicates += 1
            self._tally.duplicates += 1
            return False
        dev.messages += 1
        self._tally.stored += 1
        if not dev.registered:
            self._tally.unregistered += 1
        if dev.max_seq is None:
            dev.max_seq = m.seq
        elif m.seq > dev.max_seq:
            missing = m.seq - dev.max_seq - 1
            dev.gaps += missing
            self._tally.gaps += missing
            dev.max_seq = m.seq
        elif dev.gaps > 0:  # a late message fills one hole
            dev.gaps -= 1
            self._tally.gaps -= 1
        return True

    def _availability(
        self, s: Session, dev: _Dev, m: Availability, at: datetime, cache: ActiveCache
    ) -> None:
        """A last will ("offline") or "online". Where ``[outage]`` holds last wills, an
        alarm without an offline alert yet is only marked ``offline_at``: the sweep
        decides after the grace window whether its area is out (``co/outage.py``).
        Online is heard: it counts for an outage's recovery and restarts the silence watch."""
        dev.online = m.online
        dev.last_seen = at
        if m.online:
            dev.offline_at = None
            if dev.last_heard_at is not None:  # watched (registered or heard): heard now
                dev.last_heard_at = at
                dev.silent_alerted = False
        outage = self.book.rules.outage
        for rule in self.book.rules.rule:
            if not m.online and rule.availability == "offline":
                if (
                    outage
                    and outage.offline_grace_s
                    and not self.book.active(s, dev.device_id, rule.kind, cache)
                ):
                    # Already decided (an incident's member) or already held: nothing new.
                    if not dev.silent_alerted and dev.offline_at is None:
                        dev.offline_at = at
                    continue
                self.book.raise_(s, dev, rule, at, {"cause": "last_will"}, cache)
            elif m.online and rule.clear_availability == "online":
                self.book.clear(s, dev, rule, at, "online", cache)

    def _state(
        self,
        s: Session,
        dev: _Dev,
        st: CoState,
        at: datetime,
        cache: ActiveCache,
        waiting: Sequence[CoCommissioning],
        stored: dict[str, Any],
    ) -> None:
        """``stored``: the state's document as inserted (also the device's last state)."""
        if dev.last_state is None or st.seq >= dev.last_state.get("seq", -1):
            dev.last_state = stored
            dev.battery_pct = st.battery_pct
            dev.eol = st.eol
        dev.last_state_at = at
        dev.last_heard_at = at
        dev.online = True
        dev.silent_alerted = False
        dev.offline_at = None
        key = (st.alarm.value, st.co_ppm, st.battery_pct, st.tamper, st.fault, st.eol)
        doc = dict(zip(_STATE_FIELDS, key, strict=True))
        for rule, opens in self._verdicts(key, doc):
            if opens:
                self.book.raise_(s, dev, rule, at, _detail(doc, rule.kind, st.ts), cache)
            else:
                self.book.clear(s, dev, rule, at, "state", cache)
        for c in waiting:
            if at >= c.started_at and c.state_at is None:
                c.state_at = at
                _maybe_pass(c, at)

    def _verdicts(self, key: tuple[Any, ...], doc: dict[str, Any]) -> tuple[tuple[Rule, bool], ...]:
        """The rules a state opens (True) or clears (False), remembered per distinct state.

        Heartbeats repeat a handful of readings; judging each against every rule
        cost as much as the rest of storing it.
        """
        if self._verdict_rules is not self.book.rules or len(self._verdict_memo) > 4096:
            self._verdict_rules, self._verdict_memo = self.book.rules, {}
        got = self._verdict_memo.get(key)
        if got is None:
            out: list[tuple[Rule, bool]] = []
            for rule in self.book.rules.rule:
                if rule.opened_by_state(doc):
                    out.append((rule, True))
                elif rule.cleared_by_state(doc):
                    out.append((rule, False))
            got = self._verdict_memo[key] = tuple(out)
        return got

    def _event(
        self,
        s: Session,
        dev: _Dev,
        ev: CoEvent,
        at: datetime,
        cache: ActiveCache,
        waiting: Sequence[CoCommissioning],
    ) -> None:
        detail = {"event": ev.type.value, "event_ts": ev.ts.isoformat()}
        if ev.co_ppm is not None:
            detail["co_ppm"] = ev.co_ppm
        for rule in self.book.rules.rule:
            if ev.type in rule.events:
                self.book.raise_(s, dev, rule, at, detail, cache)
            elif ev.type in rule.clear_events:
                self.book.clear(s, dev, rule, at, ev.type.value, cache)
        if ev.type is EventType.TEST:
            dev.last_test_at = at
            for c in waiting:
                if at >= c.started_at and c.test_event_at is None:
                    c.test_event_at = at
                    _maybe_pass(c, at)


def _dead_letter_ack(r: Received, m: CoMessage | Rejection) -> EventAck | None:
    """A dead-lettered event is acked (the alarm stops resending) when it names device and seq."""
    if isinstance(m, CoEvent):
        return EventAck(m.device_id, m.seq, AckStatus.DEAD_LETTER)
    if not isinstance(m, Rejection) or m.device_id is None or m.seq is None:
        return None
    if r.topic.endswith("/event"):
        return EventAck(m.device_id, m.seq, AckStatus.DEAD_LETTER)
    return None


def dialect_insert(s: Session, table: type) -> Any:
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
