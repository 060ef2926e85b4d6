"""Issue 13's "done when": a CO alarm through a real Mosquitto into a real PostgreSQL
reaches the household by SMS (the real SDK, signature checked by the provider recorder),
then, unanswered, the grid worker; the grid worker's SMS is not delivered (the
provider's receipt) and a call goes to the same person; the acknowledgement link stops
everything. The clock is the process's one clock, advanced by the test (no sleeps).
With two ingest workers (shared subscription) and their sweepers and notifiers on the
same database, each step is still one request."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from coalguard.cloud.app import create_app
from coalguard.cloud.co import CoService, CoSettings
from coalguard.cloud.co.tables import CoAlert, CoNotification
from coalguard.cloud.contacts.directory import ContactIn, add_contact
from coalguard.cloud.settings import CloudSettings
from coalguard.edge.clock import ManualClock
from coalguard.edge.model import utcnow
from coalguard.simulators.sms_recorder import ProviderRecorder
from tests.cloud.co.co_support import event, registered
from tests.cloud.co.test_co_mqtt import device_client
from tests.conftest import free_port
from tests.support.mosquitto import Mosquitto
from tests.support.providers import RECEIPT_TOKENS, provider_recorder
from tests.support.servers import PostgresServer, ThreadServer
from tests.support.waiting import wait_for

pytestmark = pytest.mark.timeout(150)
DEVICE, VILLAGE = "COA-00001", "140202001001"
HOUSE, GRID = "+8613812345678", "+8613700000001"


@dataclass
class Chain:
    rec: ProviderRecorder
    clock: ManualClock
    services: list[CoService]
    server: ThreadServer
    broker: Mosquitto
    app: object

    def requests(self) -> list[tuple[str, str]]:
        return [(r.provider, r.phone) for r in self.rec.sent()]

    def advance(self, minutes: float) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        for svc in self.services:
            svc.notifier.wake()

    def settled(self) -> bool:
        """Nothing left to send or to write: every sweeper and notifier caught up."""
        with self.app.state.sessions() as s:  # type: ignore[attr-defined]
            return not s.scalars(
                select(CoNotification.id).where(CoNotification.status == "pending")
            ).first()


@contextmanager
def chain(tmp_path: Path, pg: PostgresServer, workers: int) -> Iterator[Chain]:
    clock = ManualClock(utcnow())
    port = free_port()
    with ExitStack() as stack:
        (tmp_path / "broker").mkdir()
        broker = Mosquitto(tmp_path / "broker", [DEVICE]).start()
        stack.callback(broker.stop)
        rec, providers = stack.enter_context(provider_recorder(tmp_path))
        co = CoSettings(
            broker_url=broker.url(),
            ca_file=broker.ca,
            sweep_s=0.05,
            providers=providers,
            shared_group="cloud" if workers > 1 else None,
        )
        settings = CloudSettings(
            db_url=pg.new_database(),
            co=co,
            public_url=f"http://127.0.0.1:{port}",
            checks_interval_s=0,
        )
        app = create_app(settings, clock, schema="create")
        keyring = app.state.keyring
        services = [
            CoService(
                co.model_copy(update={"client_id": f"ingest-{i}"}),
                app.state.sessions,
                clock=clock,
                keyring=keyring,
                public_url=settings.public_url,
                owner=f"worker-{i}",
            )
            for i in range(workers)
        ]
        registered(services[0].store, DEVICE, village=VILLAGE, at=clock.now(), keyring=keyring)
        with app.state.sessions.begin() as s:
            grid = ContactIn(role="grid_worker", region_code=VILLAGE, name="李网格", phone=GRID[3:])
            add_contact(s, keyring, grid, clock.now())
        for svc in services:
            svc.start()
            stack.callback(svc.stop)
            wait_for(svc.ingest.connected.is_set, 15, "ingest to connect")
        server = stack.enter_context(ThreadServer(app, port=port))
        yield Chain(rec, clock, services, server, broker, app)


def _walk_the_chain(c: Chain) -> None:
    alarm = device_client(c.broker, DEVICE)
    msg = event(DEVICE, 1, "alarm_start", co_ppm=320)
    alarm.publish(msg.topic, msg.payload, qos=1).wait_for_publish(5)
    # The household, by SMS, at once.
    wait_for(lambda: c.requests() == [("tencent_sms", HOUSE)], 20, "the household's SMS")
    wait_for(c.settled, 10, "the SMS settled")
    # Nobody answers: after 3 minutes the grid worker, by SMS.
    c.advance(3)
    wait_for(lambda: len(c.requests()) == 2, 20, "the grid worker's SMS")
    assert c.requests()[1] == ("tencent_sms", GRID)
    grid_sms = c.rec.sent("tencent_sms")[1]
    # The provider's receipt: not delivered. The same person is called.
    receipts = f"{c.server.url}/api/v1/co/receipts/tencent/{RECEIPT_TOKENS['tencent']}"
    assert c.rec.push_receipt(grid_sms, receipts, delivered=False).json()["applied"] == 1
    wait_for(lambda: len(c.requests()) == 3, 20, "the call to the grid worker")
    assert c.requests()[2] == ("tencent_vms", GRID)
    wait_for(c.settled, 10, "the call settled")
    # The grid worker opens the link of their SMS and says they are on site.
    link, code = grid_sms.params[4:6]
    assert code.isdigit() and len(code) == 4  # or the grid worker texts it back
    assert link.startswith(c.server.url + "/a/")
    page = httpx.get(link)
    assert page.status_code == 200 and "王家" in page.text and "320 ppm" in page.text
    mac = re.search(r'name="mac" value="([^"]+)"', page.text)[1]  # type: ignore[index]
    done = httpx.post(link, data={"action": "arrived", "mac": mac})
    assert done.status_code == 200 and "已确认" in done.text
    with c.app.state.sessions() as s:  # type: ignore[attr-defined]
        a = s.scalars(select(CoAlert).where(CoAlert.kind == "co_alarm")).one()
        assert (a.status, a.acknowledged_by, a.acknowledged_via) == (
            "acknowledged", "李网格", "link"
        )  # fmt: skip
    # Nothing more: no repeat, no township, no county, however long.
    for _ in range(4):
        c.advance(10)
        wait_for(c.settled, 10, "the sweepers' pass")
    assert len(c.requests()) == 3
    assert c.rec.refused == []  # every request signed as the provider checks


def test_alarm_reaches_household_then_grid_worker_by_sms_and_call_until_acknowledged(
    pg_server: PostgresServer, tmp_path: Path
) -> None:
    with chain(tmp_path, pg_server, workers=1) as c:
        _walk_the_chain(c)


def test_two_ingest_workers_send_one_request_per_step(
    pg_server: PostgresServer, tmp_path: Path
) -> None:
    with chain(tmp_path, pg_server, workers=2) as c:
        _walk_the_chain(c)
        with c.app.state.sessions() as s:  # type: ignore[attr-defined]
            rows = s.scalars(select(CoNotification).where(CoNotification.contact_id.is_not(None)))
            sent = sorted((r.who, r.step, r.attempt, r.channel, r.status) for r in rows)
        assert sent == [
            ("grid_worker", 1, 0, "sms", "sent"),
            ("grid_worker", 1, 0, "voice", "sent"),
            ("household", 0, 0, "sms", "sent"),
        ]
