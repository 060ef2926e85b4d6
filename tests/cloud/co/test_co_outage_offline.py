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
from sqlalchemy import select, update

from coalguard.cloud.alert_lifecycle import RESOLVED, alert_ref
from coalguard.cloud.co import CoService, CoSettings
from coalguard.cloud.co.outage import members_of
from coalguard.cloud.co.rules import OUTAGE_KIND
from coalguard.cloud.co.store import MessageStore
from coalguard.cloud.co.sweeper import Sweeper
from coalguard.cloud.co.tables import CoAlert, CoDevice, CoNotification
from coalguard.cloud.leases import Leases
from coalguard.edge.clock import ManualClock
from coalguard.simulators.co_fleet import device_password
from tests.cloud.co.co_support import T0, availability, sessions_at, state, store_for
from tests.support.mosquitto import FLEET_SECRET, Mosquitto
from tests.support.waiting import wait_for

CUT = "130102001001"  # the village whose power is cut
NEXT_DOOR = "130102001002"  # same township, power on
VILLAGE = [f"COA-{CUT}-{i:02}" for i in range(30)]


def _ids(village: str, n: int) -> list[str]:
    return [f"COA-{village}-{i:02}" for i in range(n)]


def _alarms(store: MessageStore, village: str, n: int, at: datetime = T0) -> list[str]:
    """``n`` alarms of ``village`` heard at ``at``."""
    ids = _ids(village, n)
    store.apply([state(d, 1, at=at) for d in ids])
    with store.sessions.begin() as s:
        s.execute(update(CoDevice).where(CoDevice.device_id.in_(ids)).values(region_code=village))
    return ids


def _alerts(store: MessageStore, kind: str) -> list[CoAlert]:
    with store.sessions() as s:
        return list(s.scalars(select(CoAlert).where(CoAlert.kind == kind).order_by(CoAlert.id)))


def _notified(store: MessageStore) -> set[str]:
    """The kinds of alert anyone was told of."""
    with store.sessions() as s:
        q = select(CoAlert.kind).join(CoNotification, CoNotification.alert_id == CoAlert.id)
        return set(s.scalars(q))


def _grace(store: MessageStore) -> timedelta:
    return timedelta(seconds=store.book.rules.outage.offline_grace_s)  # type: ignore[union-attr]


def _sweeper(store: MessageStore, owner: str = "a", **kw: object) -> Sweeper:
    clock = ManualClock(T0)
    return Sweeper(store.sessions, store.book, 1, clock=clock, leases=Leases(clock, owner), **kw)  # type: ignore[arg-type]


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
        _alarms(store, CUT, 30)
        _alarms(store, NEXT_DOOR, 30)
        links = [_linked(broker, d) for d in VILLAGE]
        for c in links:  # the power goes: links drop without a DISCONNECT
            c.loop_stop()
            c.socket().close()  # type: ignore[union-attr]

        def held() -> int:
            with store.sessions() as s:
                q = select(CoDevice).where(CoDevice.offline_at.is_not(None))
                return len(list(s.scalars(q)))

        wait_for(lambda: held() == 30, 20, "the broker's 30 last wills")
        assert _alerts(store, "offline") == []  # held: the village may be out

        clock.advance(_grace(store) + timedelta(seconds=1))
        wait_for(lambda: _alerts(store, OUTAGE_KIND), 20, "the village's incident")
        [incident] = _alerts(store, OUTAGE_KIND)
        assert (incident.region_code, incident.detail["count"]) == (CUT, 30)
        assert _alerts(store, "offline") == []
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
    ids = _alarms(store, CUT, 30)
    _wills(store, ids[:2], T0 + timedelta(seconds=10))
    sweeper = _sweeper(store)
    at = T0 + timedelta(seconds=10) + _grace(store)
    sweeper.sweep(at)
    assert _alerts(store, "offline") == []  # not before the grace is over
    sweeper.sweep(at + timedelta(seconds=1))
    alone = _alerts(store, "offline")
    assert sorted(a.device_id for a in alone) == ids[:2]
    assert {a.detail["cause"] for a in alone} == {"last_will"}
    assert _alerts(store, OUTAGE_KIND) == []
    sweeper.sweep(at + timedelta(seconds=2))  # decided once
    assert len(_alerts(store, "offline")) == 2


def test_alarm_still_offline_after_its_area_recovers_gets_its_own_alert(db_url: str) -> None:
    store = store_for(db_url)
    ids = _alarms(store, CUT, 30)
    cut = T0 + timedelta(seconds=60)
    _wills(store, ids, cut)
    sweeper = _sweeper(store)
    sweeper.sweep(cut + _grace(store) + timedelta(seconds=1))
    [incident] = _alerts(store, OUTAGE_KIND)
    assert incident.detail["count"] == 30

    back = cut + _grace(store) + timedelta(seconds=120)  # all but one reconnect
    dead = ids[0]
    store.apply([availability(d, True, at=back) for d in ids[1:]])
    sweeper.sweep(back + timedelta(seconds=1))
    [incident] = _alerts(store, OUTAGE_KIND)
    assert incident.status == RESOLVED  # "online" is heard
    assert _alerts(store, "offline") == []

    grace = back + timedelta(seconds=1 + store.book.rules.outage.grace_s)  # type: ignore[union-attr]
    store.apply([state(d, 2, at=grace - timedelta(seconds=30)) for d in ids[1:]])
    sweeper.sweep(grace)
    [alone] = _alerts(store, "offline")
    assert (alone.device_id, alone.detail["cause"]) == (dead, "last_will")
    assert alone.detail["outage"] == alert_ref(incident)


def test_will_arriving_while_its_village_is_out_joins_the_incident(db_url: str) -> None:
    store = store_for(db_url)
    ids = _alarms(store, CUT, 30)
    _wills(store, ids[:25], T0 + timedelta(seconds=30))
    sweeper = _sweeper(store)
    first = T0 + timedelta(seconds=31) + _grace(store)
    sweeper.sweep(first)
    _wills(store, ids[25:], first + timedelta(seconds=5))  # a straggler's link times out later
    sweeper.sweep(first + timedelta(seconds=6))
    [incident] = _alerts(store, OUTAGE_KIND)
    assert incident.detail["count"] == 30
    assert _alerts(store, "offline") == []


def test_two_sweepers_at_once_open_one_incident_for_last_wills(db_url: str) -> None:
    store = store_for(db_url)
    ids = _alarms(store, CUT, 30)
    _wills(store, ids, T0 + timedelta(seconds=30))
    later = T0 + timedelta(seconds=31) + _grace(store)
    sweepers = [_sweeper(store, "a", silent_batch=7), _sweeper(store, "b", silent_batch=7)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(sw: Sweeper) -> None:
        start.wait()
        try:
            for i in range(3):
                sw.sweep(later + timedelta(seconds=i))
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(sw,)) for sw in sweepers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    [incident] = _alerts(store, OUTAGE_KIND)
    assert incident.detail["count"] == 30
    assert _alerts(store, "offline") == []
