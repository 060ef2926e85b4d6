"""Delivery receipts: the recorder pushes each provider's callback format to the cloud
(real uvicorn), the notification rows record it, failover and the outage view read it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import TypeAdapter
from sqlalchemy import select

from coalguard import __version__
from coalguard.cloud.app import create_app
from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.channels import Outbound, Sent
from coalguard.cloud.co.notifier import Notifier, channel_health
from coalguard.cloud.co.providers import provider_channels
from coalguard.cloud.co.receipts import (
    EARLY_KEEP,
    Receipt,
    TencentBody,
    apply_receipts,
    from_tencent,
    undelivered,
)
from coalguard.cloud.co.rules import load_rules
from coalguard.cloud.co.settings import CoSettings
from coalguard.cloud.co.store import MessageStore
from coalguard.cloud.co.tables import CoAlert, CoEarlyReceipt, CoNotification
from coalguard.cloud.db import create_schema, make_engine, make_sessionmaker
from coalguard.cloud.settings import CloudSettings
from coalguard.edge.clock import SystemClock
from coalguard.simulators.sms_recorder import ProviderRecorder
from tests.cloud.co.co_support import event
from tests.cloud.ops_support import bearer, users
from tests.support.providers import RECEIPT_TOKENS, provider_recorder
from tests.support.servers import ThreadServer
from tests.support.waiting import wait_for

PHONE = "13812345678"
CHANNELS = ("sms", "voice", "sms_aliyun")


@dataclass
class World:
    rec: ProviderRecorder
    server: ThreadServer
    app: object
    store: MessageStore
    notifier: Notifier

    def url(self, provider: str, token: str | None = None) -> str:
        return (
            f"{self.server.url}/api/v1/co/receipts/{provider}/{token or RECEIPT_TOKENS[provider]}"
        )

    def rows(self) -> dict[str, CoNotification]:
        with self.app.state.sessions() as s:  # type: ignore[attr-defined]
            sent = select(CoNotification).where(CoNotification.status != "no_recipient")
            return {n.channel: n for n in s.scalars(sent)}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """One CO alarm sent on SMS, voice and Aliyun SMS through the recorder; a cloud serving."""
    with provider_recorder(tmp_path) as (rec, providers):
        settings = CloudSettings(
            db_url=f"sqlite:///{tmp_path / 'c.sqlite'}",
            co=CoSettings(providers=providers),
            checks_interval_s=0,
        )
        app = create_app(settings, schema="create")
        clock = SystemClock()
        store = MessageStore(app.state.sessions, AlertBook(load_rules(), CHANNELS))
        store.apply([event("COA-9", 1, "alarm_start", co_ppm=250, at=clock.now())])
        notifier = Notifier(
            app.state.sessions,
            provider_channels(providers),
            clock=clock,
            recipient=lambda s, row: PHONE,
        )
        notifier.deliver_due(clock.now())
        assert notifier.sent == 3
        with ThreadServer(app) as server:
            yield World(rec, server, app, store, notifier)


def test_receipts_of_each_provider_settle_their_notification(world: World) -> None:
    (sms,), (voice,), (ali,) = (
        world.rec.sent(p) for p in ("tencent_sms", "tencent_vms", "aliyun_sms")
    )
    r = world.rec.push_receipt(sms, world.url("tencent"), delivered=False)
    assert r.status_code == 200 and r.json()["result"] == 0 and r.json()["applied"] == 1
    assert (
        world.rec.push_receipt(voice, world.url("tencent"), delivered=True).json()["applied"] == 1
    )
    r = world.rec.push_receipt(ali, world.url("aliyun"), delivered=True)
    assert r.json() == {"code": 0, "msg": "接收成功", "applied": 1, "duplicates": 0, "unknown": 0}
    rows = world.rows()
    assert rows["sms"].provider_id == sms.provider_id
    assert rows["sms"].delivery_state == "undelivered" and "UNDELIV" in rows["sms"].delivery_detail
    assert (
        rows["voice"].delivery_state == "delivered" and "answered" in rows["voice"].delivery_detail
    )
    assert rows["sms_aliyun"].delivery_state == "delivered" and rows["sms_aliyun"].delivered_at
    for row in rows.values():
        assert PHONE not in (row.delivery_detail or "")  # receipts carry the number; rows do not


def test_a_repeated_receipt_changes_nothing_and_an_unknown_id_is_counted(world: World) -> None:
    (sms,) = world.rec.sent("tencent_sms")
    world.rec.push_receipt(sms, world.url("tencent"), delivered=True)
    first = world.rows()["sms"].delivered_at
    again = world.rec.push_receipt(sms, world.url("tencent"), delivered=False)
    assert again.json()["duplicates"] == 1 and again.json()["applied"] == 0
    assert world.rows()["sms"].delivery_state == "delivered"
    assert world.rows()["sms"].delivered_at == first
    stray = world.rec.receipt(sms, True)
    stray[0]["sid"] = "2433:no-such-message"
    r = httpx.post(world.url("tencent"), json=stray)
    assert r.status_code == 200 and r.json()["unknown"] == 1


def test_undelivered_lists_what_failover_must_act_on(world: World) -> None:
    since = SystemClock().now() - timedelta(minutes=1)
    (sms,), (voice,) = world.rec.sent("tencent_sms"), world.rec.sent("tencent_vms")
    world.rec.push_receipt(sms, world.url("tencent"), delivered=False)
    world.rec.push_receipt(voice, world.url("tencent"), delivered=True)
    with world.app.state.sessions() as s:  # type: ignore[attr-defined]
        assert [n.channel for n in undelivered(s, since)] == ["sms"]
        assert undelivered(s, SystemClock().now() + timedelta(seconds=1)) == []


def test_wrong_token_is_refused_and_bad_bodies_name_the_field(world: World) -> None:
    (sms,) = world.rec.sent("tencent_sms")
    r = world.rec.push_receipt(sms, world.url("tencent", "guessed"), delivered=True)
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    r = world.rec.push_receipt(sms, world.url("aliyun", RECEIPT_TOKENS["tencent"]), delivered=True)
    assert r.status_code == 401  # one provider's token does not open another's URL
    bad = httpx.post(world.url("tencent"), json=[{"sid": "x", "report_status": "MAYBE"}])
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert "report_status" in bad.text
    bad = httpx.post(
        world.url("aliyun"), content=b"{not json", headers={"content-type": "application/json"}
    )
    assert bad.status_code == 422
    assert world.rows()["sms"].delivery_state == "sent"


def test_an_undelivering_channel_shows_failing_in_health_metrics_and_dashboard(
    world: World,
) -> None:
    (sms,) = world.rec.sent("tencent_sms")
    world.rec.push_receipt(sms, world.url("tencent"), delivered=False)
    httpx.post(world.url("tencent"), json=[{**world.rec.receipt(sms, True)[0], "sid": "nope"}])
    with world.app.state.sessions() as s:  # type: ignore[attr-defined]
        health = {h["channel"]: h for h in channel_health(s)}
    assert health["sms"]["undelivered"] == 1 and health["sms"]["failing"] is True
    assert health["voice"]["failing"] is False and health["voice"]["sent"] == 1
    admin = bearer(users(world.app)["admin"])  # type: ignore[arg-type]
    text = httpx.get(f"{world.server.url}/metrics", headers=admin).text
    assert 'coalguard_channel_failing{channel="sms"} 1.0' in text
    assert 'coalguard_channel_messages{channel="sms",state="undelivered"} 1.0' in text
    assert 'coalguard_receipts_total{outcome="unknown",provider="tencent"} 1.0' in text
    assert f'coalguard_build_info{{component="cloud",version="{__version__}"}} 1.0' in text
    assert httpx.get(f"{world.server.url}/metrics").status_code == 401
    page = httpx.get(f"{world.server.url}/", headers=admin).text
    assert "通知渠道" in page and '<td class="sev-critical">故障</td>' in page


def test_the_recorder_pushes_receipts_by_itself(world: World) -> None:
    # As a provider does, a while after accepting (the notifier has stored the id by then).
    world.rec.auto_receipts("tencent_sms", world.url("tencent"), delivered=True, delay_s=0.5)
    world.rec.auto_receipts("aliyun_sms", world.url("aliyun"), delivered=False, delay_s=0.5)
    clock = SystemClock()
    world.store.apply([event("COA-10", 1, "alarm_start", co_ppm=400, at=clock.now())])
    world.notifier.deliver_due(clock.now())

    def settled() -> dict[str, str | None] | None:
        with world.app.state.sessions() as s:  # type: ignore[attr-defined]
            rows = s.scalars(
                select(CoNotification)
                .join(CoAlert, CoAlert.id == CoNotification.alert_id)
                .where(CoAlert.device_id == "COA-10", CoNotification.status != "no_recipient")
            )
            got = {n.channel: n.delivery_state for n in rows}
        final = got.get("sms") == "delivered" and got.get("sms_aliyun") == "undelivered"
        return got if final else None

    got = wait_for(settled, 15, "the recorder's own receipts to arrive")
    assert got == {"sms": "delivered", "voice": "sent", "sms_aliyun": "undelivered"}


def test_a_receipt_that_beats_the_notifiers_commit_is_not_lost(world: World) -> None:
    """A provider may push the receipt before the notifier stored the id it answered.

    The real SMS channel is wrapped so that its send returns only once the
    cloud has answered that receipt: the order a fast provider can produce.
    It used to be counted "unknown" and dropped, so failover waited for the
    no-receipt timeout and the delivered SMS was never shown delivered.
    """
    world.rec.auto_receipts("tencent_sms", world.url("tencent"), delivered=True, delay_s=0)
    sms = world.notifier.channels["sms"]

    def early_receipts() -> int:
        with world.app.state.sessions() as s:  # type: ignore[attr-defined]
            return len(s.scalars(select(CoEarlyReceipt)).all())

    class ReceiptFirst:
        name, kind = sms.name, sms.kind

        def send(self, out: Outbound) -> Sent:
            sent = sms.send(out)
            wait_for(lambda: early_receipts() == 1, 15, "the receipt before the commit")
            return sent

    world.notifier.channels["sms"] = ReceiptFirst()  # type: ignore[assignment]
    clock = SystemClock()
    world.store.apply([event("COA-11", 1, "alarm_start", co_ppm=400, at=clock.now())])
    world.notifier.deliver_due(clock.now())
    with world.app.state.sessions() as s:  # type: ignore[attr-defined]
        rows = s.scalars(
            select(CoNotification)
            .join(CoAlert, CoAlert.id == CoNotification.alert_id)
            .where(CoAlert.device_id == "COA-11", CoNotification.channel == "sms")
            .where(CoNotification.provider_id.is_not(None))
        ).all()
        assert rows
        assert {(r.delivery_state, r.delivered_at is not None) for r in rows} == {
            ("delivered", True)
        }
    assert early_receipts() == 0  # applied, not kept twice


def test_a_receipt_naming_no_message_is_purged_after_a_week(world: World) -> None:
    stray = Receipt("2433:no-such-message", True, None, "")
    now = SystemClock().now()
    with world.app.state.sessions.begin() as s:  # type: ignore[attr-defined]
        assert apply_receipts(s, [stray], now).unknown == 1
    with world.app.state.sessions.begin() as s:  # type: ignore[attr-defined]
        apply_receipts(s, [], now + EARLY_KEEP + timedelta(seconds=1))
    with world.app.state.sessions() as s:  # type: ignore[attr-defined]
        assert s.scalars(select(CoEarlyReceipt)).all() == []


def test_receipts_health_and_failover_list_on_both_backends(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    create_schema(engine, for_tests_or_demo=True)
    sm = make_sessionmaker(engine)
    clock = SystemClock()
    since = clock.now() - timedelta(seconds=1)
    with provider_recorder(tmp_path) as (rec, providers):
        MessageStore(sm, AlertBook(load_rules(), CHANNELS)).apply(
            [event("COA-3", 1, "alarm_start", co_ppm=250, at=clock.now())]
        )
        notifier = Notifier(
            sm, provider_channels(providers), clock=clock, recipient=lambda s, row: PHONE
        )
        notifier.deliver_due(clock.now())
        (sms,), (voice,) = rec.sent("tencent_sms"), rec.sent("tencent_vms")
        tencent = TypeAdapter(TencentBody)
        receipts = from_tencent(tencent.validate_python(rec.receipt(sms, False)))
        receipts += from_tencent(tencent.validate_python(rec.receipt(voice, True)))
    with sm.begin() as s:
        done = apply_receipts(s, receipts, clock.now())
        assert (done.applied, done.duplicates, done.unknown) == (2, 0, 0)
    with sm.begin() as s:
        assert apply_receipts(s, receipts, clock.now()).duplicates == 2
    with sm() as s:
        health = {h["channel"]: h for h in channel_health(s)}
        assert [n.channel for n in undelivered(s, since)] == ["sms"]
    assert health["sms"]["failing"] is True and health["sms"]["undelivered"] == 1
    assert health["voice"]["delivered"] == 1 and health["voice"]["failing"] is False
    assert health["sms_aliyun"]["sent"] == 1 and health["sms_aliyun"]["last_failure_at"] is None
    engine.dispose()
