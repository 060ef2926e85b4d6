"""The board's server-sent events over a real HTTP server: format, latency, resume, scope,
heartbeat, and streams that end when their client leaves."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from coalguard.cloud import alert_lifecycle as lifecycle
from coalguard.cloud.co.receipts import Receipt, apply_receipts
from coalguard.cloud.co.store import MessageStore
from coalguard.cloud.co.tables import CoAlert, CoNotification
from coalguard.cloud.contacts.directory import ContactIn, add_contact
from coalguard.cloud.contacts.rota import ShiftIn, add_shift
from coalguard.edge.clock import SystemClock
from tests.cloud.board.board_support import alarm_start, alarm_store, board_stream, power_cut
from tests.cloud.ops_support import bearer, make_app, users
from tests.support.servers import ThreadServer
from tests.support.waiting import wait_for


@dataclass
class World:
    base: str
    app: FastAPI
    store: MessageStore
    tok: dict[str, str]


@pytest.fixture
def world(tmp_path: Path, cloud_db: str) -> Iterator[World]:
    app = make_app(
        cloud_db, checks_interval_s=0, board_poll_s=0.05, board_heartbeat_s=0.3, board_stream_s=0
    )
    tok = users(app)
    store = alarm_store(app)
    with ThreadServer(app) as srv:
        yield World(srv.url, app, store, tok)


def test_new_alarm_is_streamed_as_an_event_within_a_second(world: World) -> None:
    base = world.base
    store = world.store
    tok = world.tok
    with board_stream(base, tok["county"]) as events:
        hello = events.next()
        assert hello.comment == "coalguard alarm board"
        snap = events.until(lambda e: e.name == "snapshot")[-1]
        assert snap.data == {"ids": []} and re.fullmatch(r"[0-9]+", snap.id or "")
        alarm_start(store, "co-hb-1")
        committed = time.monotonic()
        e = events.until(lambda e: e.name == "alarm")[-1]
    assert e.at - committed < 1.0, f"alarm reached the stream after {e.at - committed:.3f} s"
    assert e.data["id"].startswith("co-") and e.data["status"] == "open" and e.data["new"] is True
    assert int(e.id) > int(snap.id)  # the cursor moved on
    html = e.data["html"]
    assert 'data-alarm="' + e.data["id"] + '"' in html
    assert "王*" in html and "王家" not in html  # a county operator sees the name masked
    assert "138****5678" in html and "1组3号" in html
    assert "<polyline" in html  # the CO ppm history
    # Notified: the household's contact, by SMS (the policy's first step), not sent yet.
    assert "住户 王*" in html and "短信" in html and "待发送" in html
    assert "一氧化碳报警" in e.data["title"] and "180 ppm" in e.data["body"]


def _alert_id(app: FastAPI, dev: str) -> str:
    with app.state.sessions() as s:
        return f"co-{s.query(CoAlert).filter_by(device_id=dev).one().id}"


def test_a_reconnect_with_last_event_id_gets_only_what_changed_meanwhile(world: World) -> None:
    base = world.base
    app = world.app
    store = world.store
    tok = world.tok
    alarm_start(store, "co-hb-2", ago=timedelta(minutes=5))  # an older alarm, unchanged since
    alarm_start(store, "co-hb-1")
    old, first = _alert_id(app, "co-hb-2"), _alert_id(app, "co-hb-1")
    with board_stream(base, tok["county"]) as events:
        got = events.until(lambda e: e.name == "alarm" and e.data["id"] == first)
    assert [e.name for e in got if e.name] == ["snapshot", "alarm", "alarm"]
    assert got[-2].data["id"] == old  # oldest first: each card goes on top of the board
    seen = got[-1].id
    # While the browser is away: the first alarm is acknowledged, a third one opens.
    r = httpx.post(f"{base}/api/v1/alerts/{first}/ack", headers=bearer(tok["county"]))
    assert r.status_code == 200, r.text
    alarm_start(store, "co-hb-3")
    third = _alert_id(app, "co-hb-3")
    with board_stream(base, tok["county"], last_event_id=seen) as events:
        got = events.until(lambda e: e.comment == "heartbeat")
    assert not [e for e in got if e.name == "snapshot"]  # a resume, not a fresh board
    alarms = {e.data["id"]: e.data for e in got if e.name == "alarm"}
    assert set(alarms) == {first, third}  # not the older alarm: the page still has it
    assert (alarms[first]["status"], alarms[first]["new"]) == ("acknowledged", False)
    assert (alarms[third]["status"], alarms[third]["new"]) == ("open", True)
    # Resuming from the newest id: nothing new; the slack may repeat a recent card, never the old.
    last = [e.id for e in got if e.id][-1]
    with board_stream(base, tok["county"], last_event_id=last) as events:
        got = events.until(lambda e: e.comment == "heartbeat")
    again = [e.data for e in got if e.name == "alarm"]
    assert old not in {d["id"] for d in again} and not any(d["new"] for d in again)


def test_a_resolved_alarm_leaves_the_board(world: World) -> None:
    base = world.base
    store = world.store
    tok = world.tok
    alarm_start(store, "co-hb-1")
    with board_stream(base, tok["county"]) as events:
        card = events.until(lambda e: e.name == "alarm")[-1]
        r = httpx.post(
            f"{base}/api/v1/alerts/{card.data['id']}/resolve",
            headers=bearer(tok["county"]),
            json={"note": "开窗通风"},
        )
        assert r.status_code == 200, r.text
        gone = events.until(lambda e: e.name == "gone")[-1]
    assert gone.data == {"id": card.data["id"]}


def test_an_operator_of_another_region_does_not_see_the_alarm(world: World) -> None:
    base = world.base
    store = world.store
    tok = world.tok
    with board_stream(base, tok["shanxi"]) as shanxi, board_stream(base, tok["county"]) as county:
        shanxi.until(lambda e: e.name == "snapshot")
        county.until(lambda e: e.name == "snapshot")
        alarm_start(store, "co-hb-1")
        county.until(lambda e: e.name == "alarm")
        # Two heartbeats after the county saw it: Shanxi's stream polled past it.
        got = shanxi.until(lambda e: e.comment == "heartbeat")
        got += shanxi.until(lambda e: e.comment == "heartbeat")
    assert [e.name for e in got if e.name] == []


def test_an_idle_stream_sends_a_heartbeat_comment(world: World) -> None:
    base = world.base
    tok = world.tok
    with board_stream(base, tok["county"]) as events:
        snap = events.until(lambda e: e.name == "snapshot")[-1]
        beat = events.until(lambda e: e.comment is not None and e.name is None)[-1]
    assert beat.comment == "heartbeat"
    assert 0.2 < beat.at - snap.at < 2.0  # board_heartbeat_s = 0.3


def test_a_stream_ends_when_its_client_leaves(world: World) -> None:
    base = world.base
    app = world.app
    tok = world.tok
    streams = app.state.board_streams
    with board_stream(base, tok["county"]) as events:
        events.until(lambda e: e.name == "snapshot")
        assert streams.now == 1
    wait_for(lambda: streams.now == 0, timeout=5, what="the stream to end after the client left")
    assert streams.total == 1


def test_the_stream_needs_a_credential(world: World) -> None:
    base = world.base
    r = httpx.get(base + "/board/events")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


def test_the_card_lists_who_to_call_in_escalation_order_masked(world: World) -> None:
    """Household, village grid worker, the township officer on duty now, the county desk."""
    now = SystemClock().now()
    people = [
        ("grid_worker", "130102001001", "李网格", "13900000001"),
        ("township_duty", "130102001", "赵值班", "13900000002"),
        ("township_duty", "130102001", "钱休息", "13900000003"),  # not on duty now
        ("county_desk", "130102", "县值班室", "13900000004"),
    ]
    with world.app.state.sessions.begin() as s:
        rows = [
            add_contact(
                s,
                world.app.state.keyring,
                ContactIn(role=role, region_code=region, name=name, phone=phone),
                now,
            )
            for role, region, name, phone in people
        ]
        add_shift(
            s,
            ShiftIn(
                contact_id=rows[1].id,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=7),
            ),
            now,
        )
    alarm_start(world.store, "co-hb-1")
    with board_stream(world.base, world.tok["county"]) as events:
        card = events.until(lambda e: e.name == "alarm")[-1].data["html"]
    contacts = re.findall(r"<li>(.*?)</li>", card.split('class="contacts"')[1])
    assert [re.sub(r"<[^>]+>", "", c) for c in contacts] == [
        "住户：王* 138****5678",
        "网格员：李** 139****0001",
        "乡镇值班：赵** 139****0002",
        "县值班室：县*** 139****0004",
    ]
    assert "钱" not in card and "13900000001" not in card


def test_a_client_not_asking_for_a_stream_gets_one_look(world: World) -> None:
    """EventSource sends ``Accept: text/event-stream``; a plain GET is answered and ends."""
    alarm_start(world.store, "co-hb-1")
    r = httpx.get(world.base + "/board/events", headers=bearer(world.tok["county"]), timeout=5)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert r.text.count("event: snapshot") == 1 and r.text.count("event: alarm") == 1
    wait_for(lambda: world.app.state.board_streams.now == 0, what="the stream ended")


def test_a_server_shutting_down_ends_its_open_streams(tmp_path: Path, cloud_db: str) -> None:
    """uvicorn cancels a stream still open after its graceful-shutdown timeout (``cloud
    serve``: 5 s); the stream's loop ends with it and nothing keeps polling."""
    app = make_app(cloud_db, checks_interval_s=0, board_poll_s=0.05, board_stream_s=0)
    tok = users(app)
    server = ThreadServer(app)  # timeout_graceful_shutdown=1
    with server, board_stream(server.url, tok["county"]) as events:
        events.until(lambda e: e.name == "snapshot")
        assert app.state.board_streams.now == 1
        server.server.should_exit = True
        server.thread.join(10)
        assert not server.thread.is_alive(), "the server waited on the open stream"
        assert app.state.board_streams.now == 0
        polls = app.state.board_streams.polls
        with pytest.raises(httpx.HTTPError):  # the stream was closed, not left hanging
            events.until(lambda e: False, timeout=5)
    assert app.state.board_streams.polls == polls


def test_a_replica_streams_what_another_replica_and_the_ingest_wrote(world: World) -> None:
    """Nothing travels in-process: a second app on the same database (another replica)
    streams the alarm the ingest stored and the acknowledgement the first replica took."""
    other = make_app(
        world.app.state.settings.db_url, checks_interval_s=0, board_poll_s=0.05, board_stream_s=0
    )
    with ThreadServer(other) as replica, board_stream(replica.url, world.tok["county"]) as events:
        events.until(lambda e: e.name == "snapshot")
        alarm_start(world.store, "co-hb-1")
        card = events.until(lambda e: e.name == "alarm")[-1].data
        r = httpx.post(
            f"{world.base}/api/v1/alerts/{card['id']}/ack", headers=bearer(world.tok["county"])
        )
        assert r.status_code == 200, r.text
        acked = events.until(lambda e: e.name == "alarm" and e.data["status"] == "acknowledged")
    assert acked[-1].data["id"] == card["id"] and "county-130102" in acked[-1].data["html"]


def test_a_garbled_last_event_id_starts_a_fresh_board(world: World) -> None:
    alarm_start(world.store, "co-hb-1")
    for garbled in ("abc", "-5", "9" * 40, "12a"):
        with board_stream(world.base, world.tok["county"], last_event_id=garbled) as events:
            got = events.until(lambda e: e.name == "alarm")
        assert [e.name for e in got if e.name] == ["snapshot", "alarm"], garbled


def test_a_delivery_receipt_updates_the_card_on_an_open_board(world: World) -> None:
    """The alarm itself does not change: its message is sent, then the provider's receipt
    says delivered; the board shows each step without a reload."""
    alarm_start(world.store, "co-hb-1")
    with board_stream(world.base, world.tok["county"]) as events:
        card = events.until(lambda e: e.name == "alarm")[-1].data
        assert "待发送" in card["html"]
        now = SystemClock().now()
        with world.app.state.sessions.begin() as s:  # what the notifier writes once it sent
            (row,) = s.query(CoNotification).filter(CoNotification.contact_id.is_not(None))
            row.status, row.sent_at, row.provider_id = "sent", now, "tencent-serial-1"
        sent = events.until(lambda e: e.name == "alarm")[-1].data
        assert sent["id"] == card["id"] and "已发出" in sent["html"] and sent["new"] is False
        with world.app.state.sessions.begin() as s:  # the provider's receipt
            apply_receipts(s, [Receipt("tencent-serial-1", True, now, "DELIVRD")], now)
        done = events.until(lambda e: e.name == "alarm")[-1].data
    assert done["id"] == card["id"] and "已送达" in done["html"]


def test_an_area_outage_banner_is_pushed_to_an_open_board_without_reload(world: World) -> None:
    base, tok = world.base, world.tok
    with board_stream(base, tok["county"]) as events, board_stream(base, tok["shanxi"]) as other:
        other.until(lambda e: e.name == "snapshot")
        events.until(lambda e: e.name == "snapshot")
        ref = power_cut(world.store)
        e = events.until(lambda e: e.name == "outages")[-1]
        assert e.data["ids"] == [ref]
        html = e.data["html"]
        assert f'data-alert="{ref}"' in html and "村 130102001009：30 台报警器" in html
        with world.app.state.sessions.begin() as s:  # the area heard again: the banner leaves
            incident = s.get(CoAlert, int(ref.removeprefix("co-")))
            lifecycle.clear(incident, SystemClock().now(), auto_resolve=True, cause="test")
        assert events.until(lambda e: e.name == "outages")[-1].data == {"ids": [], "html": ""}
        # Not of Shanxi's region: two heartbeats after, its stream said nothing of it.
        got = other.until(lambda e: e.comment == "heartbeat")
        got += other.until(lambda e: e.comment == "heartbeat")
    assert [e.name for e in got if e.name] == []
    with board_stream(base, tok["county"], last_event_id=e.id) as back:  # a board coming back
        assert back.until(lambda e: e.name == "outages")[-1].data["ids"] == []
