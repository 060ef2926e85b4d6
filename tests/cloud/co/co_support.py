"""Helpers for CO cloud tests: a fresh SQLite store and message builders."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from coalguard.cloud import auth  # noqa: F401  (token table)
from coalguard.cloud.co import tables  # noqa: F401
from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.registry import Household, Registration, register
from coalguard.cloud.co.rules import AlertRules, load_rules
from coalguard.cloud.co.store import MessageStore, Received
from coalguard.cloud.db import create_schema, make_engine, make_sessionmaker
from coalguard.cloud.sealing import Keyring

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
