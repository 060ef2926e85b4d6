"""The escalation policy on the real contact directory: who is reached, when, on which
channel, again until acknowledged; failover; nobody on file shown; acknowledgement by
link, SMS reply and dashboard stops it all."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from coalguard.cloud.auth import issue_token
from coalguard.cloud.co import CoService, CoSettings
from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.channels import LogChannel
from coalguard.cloud.co.directory import ContactDirectory
from coalguard.cloud.co.escalation import load_policy
from coalguard.cloud.co.notifier import Notifier, RetryPolicy, channel_health
from coalguard.cloud.co.providers import provider_channels
from coalguard.cloud.co.rules import load_rules
from coalguard.cloud.co.store import MessageStore
from coalguard.cloud.co.tables import CoAlert, CoNotification
from coalguard.cloud.contacts.directory import ContactIn, add_contact
from coalguard.cloud.settings import CloudSettings
from coalguard.edge.clock import ManualClock
from coalguard.errors import DataFileError
from tests.cloud.co.co_support import T0, event, registered
from tests.cloud.ops_support import bearer, make_app, users
from tests.support.providers import provider_recorder

VILLAGE, TOWNSHIP, COUNTY = "140202001001", "140202001", "140202"  # the default chain
GRID_PHONE, HOUSE_PHONE = "13700000001", "13812345678"
SHIPPED = Path(__file__).parents[3] / "coalguard/cloud/co/escalation.toml"


class World:
    """A cloud app (routes, keyring, directory) and the CO alert book on its database."""

    def __init__(self, tmp_path: Path, grid_worker: bool = True) -> None:
        self.clock = ManualClock(T0)
        self.app: FastAPI = make_app(f"sqlite:///{tmp_path / 'c.sqlite'}", self.clock)
        self.sessions = self.app.state.sessions
        self.directory = ContactDirectory(self.app.state.keyring)
        self.book = AlertBook(load_rules(), ("log",), directory=self.directory)
        self.store = MessageStore(self.sessions, self.book)
        registered(self.store, "COA-1", village=VILLAGE, keyring=self.app.state.keyring)
        with self.sessions.begin() as s:
            if grid_worker:
                c = ContactIn(
                    role="grid_worker", region_code=VILLAGE, name="李网格", phone=GRID_PHONE
                )
                self.grid_id = str(add_contact(s, self.app.state.keyring, c, T0).id)
        self.client = TestClient(self.app)

    def alarm(self) -> int:
        self.store.apply([event("COA-1", 1, "alarm_start", co_ppm=320)])
        with self.sessions() as s:
            return s.scalars(select(CoAlert.id)).one()

    def at(self, minutes: float) -> None:
        self.clock.set(T0 + timedelta(minutes=minutes))
        with self.sessions.begin() as s:
            self.book.escalate_due(s, self.clock.now())

    def people_rows(self) -> list[CoNotification]:
        with self.sessions() as s:
            q = select(CoNotification).where(CoNotification.channel != "log")
            return list(s.scalars(q.order_by(CoNotification.id)))

    def link(self, row: CoNotification) -> str:
        return "/" + self.app.state.ack_links.url(row.id).split("/", 3)[3]


def _rounds(rows: list[CoNotification]) -> list[tuple[str | None, int | None, int, str, str]]:
    return [(r.who, r.step, r.attempt, r.channel, r.reason) for r in rows]


def test_policy_file_refused_naming_the_field(tmp_path: Path) -> None:
    text = SHIPPED.read_text()
    for wrong, right, field in (
        ('who = "grid_worker"', 'who = "gridworker"', "policy.0.step.1.who"),
        ("after_min = 20", "after_min = 2", "policy.0.step.3.after_min"),
        ('channels = ["sms", "voice"]', 'channels = ["sms", "sms"]', "policy.0.step.1.channels"),
        ("repeat_min = 15", "repeat_min = 0", "policy.0.step.3.repeat_min"),
        ('\nregion_prefix = ""', '\nregion_prefix = "13"', "policy"),
    ):
        bad = tmp_path / "escalation.toml"
        bad.write_text(text.replace(wrong, right, 1))
        with pytest.raises(DataFileError) as exc:
            load_policy(bad)
        assert field in str(exc.value) and str(bad) in str(exc.value)
    line = text[: text.index('who = "grid_worker"')].count("\n") + 1
    bad.write_text(text.replace('who = "grid_worker"', 'who = "gridworker"', 1))
    with pytest.raises(DataFileError, match=f"line {line}"):
        load_policy(bad)


def test_longest_region_prefix_wins() -> None:
    policy = load_policy()
    assert [s.who for s in policy.steps_for("140202001001")] == [
        "household", "grid_worker", "township_on_call", "county_desk"
    ]  # fmt: skip
    county = [s.who for s in policy.steps_for("130102001001")]
    assert county[:3] == ["household", "grid_worker", "village_inspector"]
    assert [s.channels for s in policy.steps_for("")][:2] == [["sms"], ["sms", "voice"]]


def test_each_step_reaches_its_people_and_repeats_until_acknowledged(tmp_path: Path) -> None:
    w = World(tmp_path)
    w.alarm()
    # The household at once, by SMS: one row per person, no phone in it.
    (house,) = w.people_rows()
    assert (house.who, house.step, house.attempt, house.channel) == ("household", 0, 0, "sms")
    assert house.contact_id and house.reply_code and re.fullmatch(r"\d{4}", house.reply_code)
    assert HOUSE_PHONE not in str(house.body) and house.body["recipient"]["name"] == "王家"
    w.at(2.9)
    assert len(w.people_rows()) == 1
    w.at(3)  # the grid worker after 3 minutes
    w.at(3.5)  # nothing twice
    assert _rounds(w.people_rows())[1:] == [("grid_worker", 1, 0, "sms", "escalated")]
    assert w.people_rows()[1].contact_id == w.grid_id
    w.at(5)  # the household again: 5 minutes without acknowledgement
    w.at(8)  # the grid worker again
    assert _rounds(w.people_rows())[2:] == [
        ("household", 0, 1, "sms", "repeated"),
        ("grid_worker", 1, 1, "sms", "repeated"),
    ]
    w.at(10)  # the township: nobody on duty on file, shown as such
    (township,) = [r for r in w.people_rows() if r.who == "township_on_call"]
    assert (township.status, township.channel, township.contact_id) == (
        "no_recipient",
        "voice",
        None,
    )
    assert "no township_on_call to reach" in township.last_error
    with w.sessions() as s:
        assert s.get(CoAlert, 1).escalation_level == 2


def test_a_step_with_nobody_on_file_is_shown_worded_on_the_alarm_page(tmp_path: Path) -> None:
    w = World(tmp_path, grid_worker=False)
    w.alarm()
    w.at(3)
    (row,) = [r for r in w.people_rows() if r.who == "grid_worker"]
    assert row.status == "no_recipient"
    admin = bearer(users(w.app)["admin"])
    page = w.client.get("/alarms/COA-1", headers=admin)
    assert page.status_code == 200
    assert "网格员：通讯录中没有可通知的人（区域 示例村），请补充联系人" in page.text
    with w.sessions() as s:  # nobody to text is not a channel outage
        sms = next(h for h in channel_health(s) if h["channel"] == "sms")
        assert not sms["failing"] and sms["last_error"] is None
    notes = w.client.get("/api/v1/co/alerts/co-1/notifications", headers=admin).json()
    assert [(n["who"], n["status"]) for n in notes if n["who"]] == [
        ("household", "pending"),
        ("grid_worker", "no_recipient"),
    ]


def test_failed_or_undelivered_message_fails_over_to_the_next_channel_once(
    tmp_path: Path,
) -> None:
    w = World(tmp_path)
    w.alarm()
    w.at(3)
    grid = next(r for r in w.people_rows() if r.who == "grid_worker")
    with w.sessions.begin() as s:  # the SMS provider refused it, after the retries
        row = s.get(CoNotification, grid.id)
        row.status, row.delivery_state = "failed", "failed"
    w.at(3.1)
    w.at(3.2)
    rows = [r for r in w.people_rows() if r.who == "grid_worker"]
    assert _rounds(rows) == [
        ("grid_worker", 1, 0, "sms", "escalated"),
        ("grid_worker", 1, 0, "voice", "failover"),
    ]
    assert rows[1].failover_of == grid.id and rows[1].contact_id == w.grid_id
    with w.sessions.begin() as s:  # the call was not answered: the last channel of the step
        row = s.get(CoNotification, rows[1].id)
        row.status, row.delivery_state = "sent", "undelivered"
    w.at(3.3)
    assert len([r for r in w.people_rows() if r.who == "grid_worker"]) == 2
    # The household's SMS: sent, but no "delivered" receipt within the wait → next channel
    # (the household's step has none: it is marked, nothing more is written).
    house = w.people_rows()[0]
    with w.sessions.begin() as s:
        row = s.get(CoNotification, house.id)
        row.status, row.delivery_state, row.sent_at = "sent", "sent", w.clock.now()
    w.at(3.3 + w.book.receipt_wait.total_seconds() / 60 + 0.1)
    with w.sessions() as s:
        assert s.get(CoNotification, house.id).failed_over_at is not None


def _deliver_all(w: World) -> Notifier:
    """A notifier whose channels log each message (the policy's names, the log's kind)."""
    n = Notifier(
        w.sessions,
        {name: LogChannel(name) for name in ("sms", "voice", "log")},
        RetryPolicy(max_attempts=1),
        clock=w.clock,
    )
    n.deliver_due(w.clock.now(), limit=100)
    return n


def test_acknowledged_alarm_sends_nothing_more(tmp_path: Path) -> None:
    """Regression: an alarm acknowledged on the dashboard still had its queued messages sent
    and the chain kept going; now what is pending is cancelled and nothing new is written."""
    w = World(tmp_path)
    w.alarm()
    w.at(3)  # household and grid worker queued, not sent yet
    county = bearer(issue_token(w.sessions, "desk-140202", COUNTY, "operator", now=T0))
    r = w.client.post("/api/v1/alerts/co-1/ack", headers=county)
    assert r.status_code == 200, r.text
    assert (r.json()["acknowledged_by"], r.json()["acknowledged_via"]) == (
        "desk-140202",
        "dashboard",
    )
    sent = _deliver_all(w).sent
    for minutes in (5, 10, 20, 60):
        w.at(minutes)
    assert sent == 0 and _deliver_all(w).sent == 0
    assert {r.status for r in w.people_rows()} == {"cancelled"}
    assert len(w.people_rows()) == 2


def test_a_row_acknowledged_after_it_was_queued_is_cancelled_by_the_notifier(
    tmp_path: Path,
) -> None:
    w = World(tmp_path)
    alert_id = w.alarm()
    with w.sessions.begin() as s:  # acknowledged behind the escalation's back
        a = s.get(CoAlert, alert_id)
        a.status, a.acknowledged_at, a.acknowledged_by = "acknowledged", T0, "x"
    assert _deliver_all(w).sent == 0
    assert {r.status for r in w.people_rows()} == {"cancelled"}


def test_link_page_shows_the_alarm_and_acknowledges_once(tmp_path: Path) -> None:
    w = World(tmp_path)
    w.alarm()
    w.at(3)
    grid = next(r for r in w.people_rows() if r.who == "grid_worker")
    url = w.link(grid)
    assert len(url) <= 20, url  # short enough for an SMS
    page = w.client.get(url)
    assert page.status_code == 200 and "no-store" in page.headers["cache-control"]
    for shown in ("王家", "1组3号", "320 ppm", "我已到场", "我已联系住户", "李网格"):
        assert shown in page.text, shown
    en = w.client.get(url + "?lang=en")
    assert "I am on site" in en.text and "Household" in en.text
    mac = re.search(r'name="mac" value="([^"]+)"', page.text)[1]
    # Without the page's form MAC (a cross-site post): refused, nothing acknowledged.
    bad = w.client.post(url, content="action=arrived", headers=_form())
    assert bad.status_code == 400
    with w.sessions() as s:
        assert s.get(CoAlert, 1).status == "open"
    ok = w.client.post(url, content=f"action=arrived&mac={mac}", headers=_form())
    assert ok.status_code == 200 and "已确认" in ok.text
    with w.sessions() as s:
        a = s.get(CoAlert, 1)
        assert (a.status, a.acknowledged_by, a.acknowledged_via) == (
            "acknowledged", "李网格", "link"
        )  # fmt: skip
        assert a.detail["acknowledged_contact"]["action"] == "arrived"
    again = w.client.post(url, content=f"action=contacted&mac={mac}", headers=_form())
    assert again.status_code == 409 and "李网格" in again.text and "短信链接" in again.text
    assert "我已到场" not in w.client.get(url).text  # no more buttons
    house = w.people_rows()[0]
    assert "李网格" in w.client.get(w.link(house)).text  # any link of the alarm says who


def _form() -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded"}


def test_forged_or_expired_links_do_not_acknowledge(tmp_path: Path) -> None:
    w = World(tmp_path)
    w.alarm()
    house = w.people_rows()[0]
    url = w.link(house)
    forged = url[:-1] + ("a" if url[-1] != "a" else "b")
    assert w.client.get(forged).status_code == 404
    assert w.client.get("/a/zz").status_code == 404
    other = make_app(f"sqlite:///{tmp_path / 'other.sqlite'}")
    assert other.state.ack_links.url(house.id) == w.app.state.ack_links.url(house.id)  # dev key
    signed_elsewhere = type(w.app.state.ack_links)("another-key", "http://x")
    assert w.client.get("/a/" + signed_elsewhere.token(house.id)).status_code == 404
    mac = w.app.state.ack_links.form_mac(url.rsplit("/", 1)[1])
    w.clock.advance(w.app.state.ack_links.ttl + timedelta(minutes=1))
    late = w.client.post(url, content=f"action=arrived&mac={mac}", headers=_form())
    assert late.status_code == 410 and "已过期" in late.text
    with w.sessions() as s:
        assert s.get(CoAlert, 1).status == "open"


def test_link_page_is_rate_limited(tmp_path: Path) -> None:
    w = World(tmp_path)
    codes = [w.client.get("/a/0-guessguess").status_code for _ in range(40)]
    assert codes[0] == 404 and codes[-1] == 429


def test_sms_reply_code_acknowledges_as_that_contact(tmp_path: Path) -> None:
    w = World(tmp_path)
    settings: CloudSettings = w.app.state.settings
    key = "reply-key-0123456789"
    w.app.state.settings = settings.model_copy(
        update={"co": settings.co.model_copy(update={"sms_reply_key": key})}
    )
    w.alarm()
    w.at(3)
    grid = next(r for r in w.people_rows() if r.who == "grid_worker")
    reply = {"extend": "", "mobile": GRID_PHONE, "nationcode": "86", "sign": "煤安",
             "text": f"确认 {grid.reply_code}", "time": 1764144000}  # fmt: skip
    assert (
        w.client.post("/api/v1/co/sms-replies/wrong-key-0123456789", json=reply).status_code == 404
    )
    stranger = {**reply, "mobile": "13900009999"}  # the code, from another phone
    assert w.client.post(f"/api/v1/co/sms-replies/{key}", json=stranger).json()["result"] == 0
    with w.sessions() as s:
        assert s.get(CoAlert, 1).status == "open"
    r = w.client.post(f"/api/v1/co/sms-replies/{key}", json={**reply, "mobile": "+86" + GRID_PHONE})
    assert r.status_code == 200 and r.json() == {"result": 0, "errmsg": "OK"}
    with w.sessions() as s:
        a = s.get(CoAlert, 1)
        assert (a.status, a.acknowledged_by, a.acknowledged_via) == (
            "acknowledged", "李网格", "sms_reply"
        )  # fmt: skip
    assert w.client.post(f"/api/v1/co/sms-replies/{key}", json={"text": 1}).status_code == 422


def test_escalation_step_reaches_the_grid_worker_by_phone(tmp_path: Path) -> None:
    """Regression: an escalation produced a webhook body with only a masked phone
    (``172****1299``) and nobody could be called. Now the grid worker's step sends an SMS
    to their number, opened from the directory at send time, with the acknowledgement
    link; a failed SMS fails over to a call to the same person."""
    w = World(tmp_path)
    with provider_recorder(tmp_path) as (rec, providers):
        svc = CoService(
            CoSettings(providers=providers),
            w.sessions,
            channels={"log": LogChannel(), **provider_channels(providers)},
            clock=w.clock,
            keyring=w.app.state.keyring,
            public_url="https://cg.example",
        )
        try:
            svc.store.apply([event("COA-1", 1, "alarm_start", co_ppm=320)])
            svc.notifier.deliver_due(w.clock.now(), limit=100)
            w.clock.set(T0 + timedelta(minutes=3))
            with w.sessions.begin() as s:
                svc.book.escalate_due(s, w.clock.now())
            svc.notifier.deliver_due(w.clock.now(), limit=100)
            sms = rec.sent("tencent_sms")
            assert [r.phone for r in sms] == ["+86" + HOUSE_PHONE, "+86" + GRID_PHONE]
            grid = next(r for r in w.people_rows() if r.who == "grid_worker")
            assert sms[1].params[3] == "320" and sms[1].params[4] == svc.links.url(grid.id)
            assert sms[1].provider_id == grid.provider_id
            assert GRID_PHONE not in str(grid.body) and rec.refused == []
            with w.sessions.begin() as s:  # the provider said: not delivered
                s.get(CoNotification, grid.id).delivery_state = "undelivered"
                svc.book.escalate_due(s, w.clock.now())
            svc.notifier.deliver_due(w.clock.now(), limit=100)
            (call,) = rec.sent("tencent_vms")
            assert call.phone == "+86" + GRID_PHONE
        finally:
            svc.stop()
