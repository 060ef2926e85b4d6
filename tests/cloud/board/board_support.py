"""The board tests' alarms (households, alarms through the CO store) and an SSE reader."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from coalguard.cloud.alert_lifecycle import alert_ref
from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.directory import ContactDirectory
from coalguard.cloud.co.registry import Household, Registration, register
from coalguard.cloud.co.rules import OUTAGE_KIND, load_rules
from coalguard.cloud.co.store import MessageStore
from coalguard.cloud.co.sweeper import Sweeper
from coalguard.cloud.co.tables import CoAlert, CoDevice
from coalguard.edge.clock import SystemClock
from tests.cloud.co.co_support import availability, event, state
from tests.cloud.ops_support import bearer

HEBEI_VILLAGE, SHANXI_VILLAGE = "130102001001", "140200001001"


def alarm_store(app: FastAPI) -> MessageStore:
    """The CO store the ingest writes through, on the app's database, with two households."""
    directory = ContactDirectory(app.state.keyring)  # people are reached through it
    store = MessageStore(app.state.sessions, AlertBook(load_rules(), ("log",), directory=directory))
    for dev, village in (
        ("co-hb-1", HEBEI_VILLAGE),
        ("co-hb-2", HEBEI_VILLAGE),
        ("co-hb-3", HEBEI_VILLAGE),
        ("co-sx-1", SHANXI_VILLAGE),
    ):
        household = Household(
            name="王家", address="1组3号", village_code=village, phone="13812345678"
        )
        reg = Registration(device_id=dev, household=household, installer_id="inst-1")
        with app.state.sessions.begin() as s:  # the household's phone sealed with the app's keys
            register(s, reg, app.state.keyring, SystemClock().now() - timedelta(days=1))
    return store


_seq: dict[str, int] = {}


def alarm_start(
    store: MessageStore, dev: str, ppm: int = 180, ago: timedelta = timedelta(0)
) -> datetime:
    """A rise of CO and the alarm's ``alarm_start``, received now (or ``ago``); returns when."""
    now = SystemClock().now() - ago
    seq = _seq.get(dev, 0)
    batch = [
        state(dev, seq + k, now - timedelta(seconds=60 - 10 * k), co_ppm=5 + 30 * k)
        for k in range(5)
    ]
    batch.append(event(dev, seq + 5, "alarm_start", now, co_ppm=ppm))
    _seq[dev] = seq + 6
    store.apply(batch, urgent=True)
    return now


def power_cut(store: MessageStore, village: str = "130102001009", n: int = 30) -> str:
    """``n`` alarms of ``village`` drop their links (last wills), swept once the grace is
    over: ONE area outage incident (``co/outage.py``); returns its public id."""
    grace = timedelta(seconds=store.book.rules.outage.offline_grace_s)  # type: ignore[union-attr]
    now = SystemClock().now()
    ids = [f"co-cut-{village}-{i:02}" for i in range(n)]
    store.apply([state(d, 1, now - grace - timedelta(seconds=60)) for d in ids])
    with store.sessions.begin() as s:
        q = update(CoDevice).where(CoDevice.device_id.in_(ids)).values(region_code=village)
        s.execute(q)
    store.apply([availability(d, False, now - grace - timedelta(seconds=1)) for d in ids])
    Sweeper(store.sessions, store.book, 1, clock=SystemClock()).sweep(now)
    with store.sessions() as s:
        q = select(CoAlert).where(CoAlert.kind == OUTAGE_KIND, CoAlert.region_code == village)
        return alert_ref(s.scalars(q).one())


@dataclass
class Event:
    name: str | None
    data: dict | None
    id: str | None
    comment: str | None
    at: float  # time.monotonic() when it arrived


class Stream:
    """One open ``/board/events``: read its events with a deadline."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.iter_lines()

    def next(self) -> Event:
        name = data = ident = comment = None
        while True:
            line = next(self.lines)
            if line == "":
                if name or data or ident or comment is not None:
                    return Event(
                        name, json.loads(data) if data else None, ident, comment, time.monotonic()
                    )
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "":
                comment = value
            elif field == "event":
                name = value
            elif field == "data":
                data = value
            elif field == "id":
                ident = value

    def until(self, cond, timeout: float = 5.0) -> list[Event]:  # type: ignore[no-untyped-def]
        """Events up to and including the first that ``cond`` accepts (within ``timeout``)."""
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            e = self.next()
            seen.append(e)
            if cond(e):
                return seen
        raise AssertionError(f"no matching event within {timeout} s; saw {seen}")


@contextmanager
def board_stream(base: str, token: str, last_event_id: str | None = None) -> Iterator[Stream]:
    headers = {**bearer(token), "Accept": "text/event-stream"}
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    with (
        httpx.Client(timeout=httpx.Timeout(10.0)) as c,
        c.stream("GET", base + "/board/events", headers=headers) as r,
    ):
        assert r.status_code == 200, r.read()
        yield Stream(r)
