"""Last wills in correlated outages (issue 14): a power cut drops a village's MQTT links
and the broker sends each alarm's "offline" will. Held for ``offline_grace_s``, they
join their area's ONE incident instead of an offline alert each.

The power cut runs through a real Mosquitto and the CO service at a ManualClock; the
rest feeds the store directly, on SQLite and on a real PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from coalguard.cloud.alert_lifecycle import RESOLVED, alert_ref
from coalguard.cloud.co import CoService, CoSettings
from coalguard.cloud.co.outage import members_of
from coalguard.cloud.co.rules import OUTAGE_KIND
from coalguard.cloud.co.store import MessageStore
from coalguard.cloud.co.tables import CoAlert, CoDevice, CoNotification
from coalguard.edge.clock import ManualClock
from coalguard.simulators.co_fleet import device_password
from tests.cloud.co.co_support import (
    T0,
    alerts_of,
    availability,
    leased_sweeper,
    sessions_at,
    state,
    store_for,
    sweep_together,
    village_alarms,
)
from tests.support.mosquitto import FLEET_SECRET, Mosquitto
from tests.support.waiting import wait_for

CUT = "130102001001"  # the village whose power is cut
NEXT_DOOR = "130102001002"  # same township, power on
VILLAGE = [f"{CUT}-{i:03}" for i in range(30)]  # as village_alarms names them


def _notified(store: MessageStore) -> set[str]:
    """The kinds of alert anyone was told of."""
    with store.sessions() as s:
        q = select(CoAlert.kind).join(CoNotification, CoNotification.alert_id == CoAlert.id)
        return set(s.scalars(q))


def _grace(store: MessageStore) -> timedelta:
    return timedelta(seconds=store.book.rules.outage.offline_grace_s)  # type: ignore[union-attr]


def _wills(store: MessageStore, ids: list[str], at: datetime) -> None:
    store.apply([availability(d, False, at=at) for d in ids])


# -- through a real Mosquitto ---------------------------------------------------------


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    (tmp_path / "broker").mkdir()
    b = Mosquitto(tmp_path / "broker", VILLAGE).start()
    yield b
    b.stop()


def _linked(b: Mosquitto, dev: str) -> mqtt.Client:
    """An alarm's connection with its last will, as the firmware opens it."""
    c = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=dev)
    c.username_pw_set(dev, device_password(FLEET_SECRET, dev))
    c.will_set(f"co/v1/{dev}/availability", b"offline", qos=1, retain=True)
    up = threading.Event()
    c.on_connect = lambda *a: up.set()
    c.connect("127.0.0.1", b.port)
    c.loop_start()
    wait_for(up.is_set, 10, f"{dev} to connect")
    return c


@pytest.mark.timeout(120)
def test_village_power_cut_last_wills_are_one_incident_not_an_offline_alert_each(
    broker: Mosquitto, tmp_path: Path
) -> None:
    clock = ManualClock(T0)
    settings = CoSettings(broker_url=broker.url(), sweep_s=0.05)
    svc = CoService(settings, sessions_at(tmp_path / "cloud.sqlite"), clock=clock)
    svc.start()
    links = []
    try:
        wait_for(svc.ingest.connected.is_set, 15, "ingest to connect")
        store = svc.store
        village_alarms(store, CUT, 30)
        village_alarms(store, NEXT_DOOR, 30)
        links = [_linked(broker, d) for d in VILLAGE]
        for c in links:  # the power goes: links drop without a DISCONNECT
            c.loop_stop()
            c.socket().close()  # type: ignore[union-attr]

        def held() -> int:
            with store.sessions() as s:
                q = select(CoDevice).where(CoDevice.offline_at.is_not(None))
                return len(list(s.scalars(q)))

        wait_for(lambda: held() == 30, 20, "the broker's 30 last wills")
        assert alerts_of(store, "offline") == []  # held: the village may be out

        clock.advance(_grace(store) + timedelta(seconds=1))
        wait_for(lambda: alerts_of(store, OUTAGE_KIND), 20, "the village's incident")
        [incident] = alerts_of(store, OUTAGE_KIND)
        assert (incident.region_code, incident.detail["count"]) == (CUT, 30)
        assert alerts_of(store, "offline") == []
        assert _notified(store) == {OUTAGE_KIND}  # told once, of the incident only
        with store.sessions() as s:
            assert members_of(s, incident.id) == sorted(VILLAGE)
    finally:
        svc.stop()


# -- at a ManualClock ------------------------------------------------------------------


def test_two_alarms_offline_in_a_village_each_get_their_own_alert_after_the_grace(
    db_url: str,
) -> None:
    store = store_for(db_url)
    ids = village_alarms(store, CUT, 30)
    _wills(store, ids[:2], T0 + timedelta(seconds=10))
    sweeper = leased_sweeper(store)
    at = T0 + timedelta(seconds=10) + _grace(store)
    sweeper.sweep(at)
    assert alerts_of(store, "offline") == []  # not before the grace is over
    sweeper.sweep(at + timedelta(seconds=1))
    alone = alerts_of(store, "offline")
    assert sorted(a.device_id for a in alone) == ids[:2]
    assert {a.detail["cause"] for a in alone} == {"last_will"}
    assert alerts_of(store, OUTAGE_KIND) == []
    sweeper.sweep(at + timedelta(seconds=2))  # decided once
    assert len(alerts_of(store, "offline")) == 2


def test_alarm_still_offline_after_its_area_recovers_gets_its_own_alert(db_url: str) -> None:
    store = store_for(db_url)
    ids = village_alarms(store, CUT, 30)
    cut = T0 + timedelta(seconds=60)
    _wills(store, ids, cut)
    sweeper = leased_sweeper(store)
    sweeper.sweep(cut + _grace(store) + timedelta(seconds=1))
    [incident] = alerts_of(store, OUTAGE_KIND)
    assert incident.detail["count"] == 30

    back = cut + _grace(store) + timedelta(seconds=120)  # all but one reconnect
    dead = ids[0]
    store.apply([availability(d, True, at=back) for d in ids[1:]])
    sweeper.sweep(back + timedelta(seconds=1))
    [incident] = alerts_of(store, OUTAGE_KIND)
    assert incident.status == RESOLVED  # "online" is heard
    assert alerts_of(store, "offline") == []

    grace = back + timedelta(seconds=1 + store.book.rules.outage.grace_s)  # type: ignore[union-attr]
    store.apply([state(d, 2, at=grace - timedelta(seconds=30)) for d in ids[1:]])
    sweeper.sweep(grace)
    [alone] = alerts_of(store, "offline")
    assert (alone.device_id, alone.detail["cause"]) == (dead, "last_will")
    assert alone.detail["outage"] == alert_ref(incident)


def test_will_arriving_while_its_village_is_out_joins_the_incident(db_url: str) -> None:
    store = store_for(db_url)
    ids = village_alarms(store, CUT, 30)
    _wills(store, ids[:25], T0 + timedelta(seconds=30))
    sweeper = leased_sweeper(store)
    first = T0 + timedelta(seconds=31) + _grace(store)
    sweeper.sweep(first)
    _wills(store, ids[25:], first + timedelta(seconds=5))  # a straggler's link times out later
    sweeper.sweep(first + timedelta(seconds=6))
    [incident] = alerts_of(store, OUTAGE_KIND)
    assert incident.detail["count"] == 30
    assert alerts_of(store, "offline") == []


def test_two_sweepers_at_once_open_one_incident_for_last_wills(db_url: str) -> None:
    store = store_for(db_url)
    ids = village_alarms(store, CUT, 30)
    _wills(store, ids, T0 + timedelta(seconds=30))
    later = T0 + timedelta(seconds=31) + _grace(store)
    sweepers = [
        leased_sweeper(store, "a", silent_batch=7),
        leased_sweeper(store, "b", silent_batch=7),
    ]
    sweep_together(sweepers, later)
    [incident] = alerts_of(store, OUTAGE_KIND)
    assert incident.detail["count"] == 30
    assert alerts_of(store, "offline") == []
