"""Helpers for CO cloud tests: a fresh SQLite store and message builders."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from coalguard.cloud import auth  # noqa: F401  (token table)
from coalguard.cloud.co import tables  # noqa: F401
from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.registry import Household, Registration, register
from coalguard.cloud.co.rules import AlertRules, load_rules
from coalguard.cloud.co.store import MessageStore, Received
from coalguard.cloud.co.sweeper import Sweeper
from coalguard.cloud.co.tables import CoAlert, CoDevice
from coalguard.cloud.db import create_schema, make_engine, make_sessionmaker
from coalguard.cloud.leases import Leases
from coalguard.cloud.sealing import Keyring
from coalguard.edge.clock import ManualClock

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def sessions_at(path: Path) -> sessionmaker:
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine, for_tests_or_demo=True)
    return make_sessionmaker(engine)


def store_for(db_url: str, rules: AlertRules | None = None) -> MessageStore:
    """A store on any backend URL (the ``db_url`` fixture: SQLite and PostgreSQL)."""
    engine = make_engine(db_url)
    create_schema(engine, for_tests_or_demo=True)
    return MessageStore(make_sessionmaker(engine), AlertBook(rules or load_rules(), ("log",)))


def store_at(path: Path, rules: AlertRules | None = None) -> MessageStore:
    sm = sessions_at(path)
    return MessageStore(sm, AlertBook(rules or load_rules(), ("log",)))


def state(dev: str, seq: int, at: datetime = T0, **kw: object) -> Received:
    doc = {
        "ts": int(at.timestamp() * 1000),
        "seq": seq,
        "co_ppm": 2,
        "battery_pct": 80,
        "alarm": "none",
        "tamper": False,
        "fault": None,
        "eol": False,
        **kw,
    }
    return Received(f"co/v1/{dev}/state", json.dumps(doc).encode(), at)


def event(dev: str, seq: int, kind: str, at: datetime = T0, **kw: object) -> Received:
    doc = {"ts": int(at.timestamp() * 1000), "seq": seq, "type": kind, **kw}
    return Received(f"co/v1/{dev}/event", json.dumps(doc).encode(), at)


def availability(dev: str, online: bool, at: datetime = T0) -> Received:
    return Received(f"co/v1/{dev}/availability", b"online" if online else b"offline", at)


def registered(
    store: MessageStore,
    dev: str,
    village: str = "130102001001",
    at: datetime | None = None,
    keyring: Keyring | None = None,
) -> None:
    """``dev`` registered to 王家 (phone 13812345678, sealed with ``keyring``)."""
    reg = Registration(
        device_id=dev,
        household=Household(
            name="王家", address="1组3号", village_code=village, phone="13812345678"
        ),
        installer_id="inst-1",
    )
    with store.sessions.begin() as s:
        ring = keyring or Keyring.generate(hash_key="k")
        register(s, reg, ring, at or T0 - timedelta(days=1))


# -- correlated outages (co/outage.py) -----------------------------------------------


def village_alarms(store: MessageStore, village: str, n: int, at: datetime = T0) -> list[str]:
    """``n`` alarms of ``village`` (ids ``<village>-000``...) heard at ``at``."""
    ids = [f"{village}-{i:03}" for i in range(n)]
    store.apply([state(d, 1, at=at) for d in ids])
    with store.sessions.begin() as s:
        s.execute(update(CoDevice).where(CoDevice.device_id.in_(ids)).values(region_code=village))
    return ids


def alerts_of(store: MessageStore, kind: str) -> list[CoAlert]:
    with store.sessions() as s:
        return list(s.scalars(select(CoAlert).where(CoAlert.kind == kind).order_by(CoAlert.id)))


def leased_sweeper(store: MessageStore, owner: str = "a", **kw: object) -> Sweeper:
    """A sweeper of the worker ``owner`` (its own lease holder), at a ManualClock."""
    clock = ManualClock(T0)
    return Sweeper(store.sessions, store.book, 1, clock=clock, leases=Leases(clock, owner), **kw)  # type: ignore[arg-type]


def sweep_together(sweepers: list[Sweeper], at: datetime, rounds: int = 3) -> None:
    """The sweepers (two replicas) sweep at once, ``rounds`` times each; raises what they raised."""
    start = threading.Barrier(len(sweepers))
    errors: list[BaseException] = []

    def run(sw: Sweeper) -> None:
        start.wait()
        try:
            for i in range(rounds):
                sw.sweep(at + timedelta(seconds=i))
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(sw,)) for sw in sweepers]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert errors == []
