"""Notifications: durable rows, signed webhook with retries, failures visible."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from coalguard.cloud.co.alerts import AlertBook
from coalguard.cloud.co.channels import LogChannel, WebhookChannel
from coalguard.cloud.co.notifier import Notifier, RetryPolicy, channel_health
from coalguard.cloud.co.rules import load_rules
from coalguard.cloud.co.store import MessageStore
from coalguard.cloud.co.tables import CoNotification
from coalguard.edge.clock import SystemClock
from coalguard.edge.model import utcnow
from tests.cloud.co.co_support import event, sessions_at
from tests.cloud.co.test_co_mqtt import Hook
from tests.conftest import free_port
from tests.support.waiting import wait_for


def _setup(tmp_path: Path, url: str, attempts: int = 3) -> tuple[MessageStore, Notifier]:
    sm = sessions_at(tmp_path / "db.sqlite")
    store = MessageStore(sm, AlertBook(load_rules(), ("webhook", "log")))
    clock = SystemClock()
    hook = WebhookChannel("webhook", url, "s3cret", clock, timeout_s=2)
    notifier = Notifier(
        sm,
        {"webhook": hook, "log": LogChannel()},
        RetryPolicy(max_attempts=attempts, first_backoff_s=0.05, max_backoff_s=0.2),
        clock=clock,
    )
    return store, notifier


def test_failing_webhook_is_retried_then_marked_failed_and_visible(tmp_path: Path) -> None:
    hook = Hook(fail=True)
    store, notifier = _setup(tmp_path, hook.url)
    notifier.start()
    try:
        store.apply([event("dev-1", 1, "alarm_start", at=utcnow())])
        notifier.wake()
        wait_for(lambda: notifier.failed == 1, 20, "webhook notification to fail for good")
        assert len(hook.received) == 3  # retried with backoff, then given up
        # counted for /metrics by channel and outcome
        assert notifier.outcomes[("webhook", "retry")] == 2
        assert notifier.outcomes[("webhook", "failed")] == 1
        wait_for(lambda: notifier.outcomes[("log", "sent")] == 1, 10, "log sent counted")
        with store.sessions() as s:
            rows = {n.channel: n for n in s.scalars(select(CoNotification))}
            assert rows["webhook"].status == "failed" and "HTTP 500" in rows["webhook"].last_error
            assert rows["log"].status == "sent"  # one channel's failure does not block another
            assert rows["webhook"].delivery_state == "failed"
            assert rows["log"].delivery_state == "sent" and rows["log"].provider_id is None
            health = {h["channel"]: h for h in channel_health(s)}
        assert health["webhook"]["failed"] == 1 and "HTTP 500" in health["webhook"]["last_error"]
        assert health["log"]["sent"] == 1 and health["log"]["last_error"] is None
    finally:
        notifier.stop()
        hook.close()


def test_unreachable_webhook_recorded_with_connection_error(tmp_path: Path) -> None:
    store, notifier = _setup(tmp_path, f"http://127.0.0.1:{free_port()}/hook", attempts=2)
    notifier.start()
    try:
        store.apply([event("dev-1", 1, "alarm_start", at=utcnow())])
        notifier.wake()
        wait_for(lambda: notifier.failed == 1, 20, "notification to fail")
        with store.sessions() as s:
            n = s.scalars(select(CoNotification).where(CoNotification.channel == "webhook")).one()
            assert n.attempts == 2 and "ConnectError" in n.last_error
    finally:
        notifier.stop()
