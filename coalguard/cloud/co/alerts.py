"""CO alarm alerts: opened and cleared by the rules, escalated, notified.

The lifecycle itself (acknowledge, resolve, repeat, clear) is the one of
``cloud/alert_lifecycle.py``.

Works inside the caller's session/transaction so an alert and the message that
caused it commit together. Notifications are rows (``CoNotification``) written
in the same transaction and sent afterwards by the notifier: nothing is lost
between "alert opened" and "someone was told". A CO alarm walks the region's
escalation policy (``escalation.py``): one row per person of each step, on the
step's channels in failover order, repeated until someone acknowledges
(``acknowledge``), which cancels what is still pending.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from coalguard.cloud import alert_lifecycle as lifecycle
from coalguard.cloud.alert_lifecycle import ACTIVE, OPEN
from coalguard.cloud.co.directory import Directory
from coalguard.cloud.co.escalation import EscalationPolicy, load_policy
from coalguard.cloud.co.rules import AlertRules, Rule
from coalguard.cloud.co.tables import CoAlert, CoDevice, CoNotification

ActiveCache = dict[tuple[str, str], CoAlert]


NO_RECIPIENT, CANCELLED = "no_recipient", "cancelled"  # statuses besides pending/sent/failed
NOT_DELIVERED = ("undelivered", "failed")  # what a provider's receipt may say


@dataclass
class AlertBook:
    """Opens, updates, clears and escalates alerts according to the rules and the policy.

    ``channels``: the broadcast channels (signed webhook, log), told of every
    alert and every escalation step; people are reached on the policy's
    channels, found in ``directory``.
    """

    rules: AlertRules
    channels: tuple[str, ...] = ("log",)
    policy: EscalationPolicy = field(default_factory=load_policy)
    directory: Directory | None = None
    # An SMS on one of these channels with no "delivered" receipt after receipt_wait
    # fails over (a voice call's receipt says answered or not; the webhook has none).
    sms_channels: frozenset[str] = frozenset({"sms"})
    receipt_wait: timedelta = timedelta(minutes=2)
    created: int = 0  # notifications written since start (wakes the notifier)

    def active(
        self, s: Session, device_id: str, kind: str, cache: ActiveCache | None = None
    ) -> CoAlert | None:
        """The open or acknowledged alert of ``kind`` at the device (``cache``: batch lookup)."""
        if cache is not None:
            return cache.get((device_id, kind))
        return s.scalars(
            select(CoAlert).where(
                CoAlert.device_id == device_id,
                CoAlert.kind == kind,
                CoAlert.status.in_(ACTIVE),
            )
        ).first()

    def raise_(
        self,
        s: Session,
        dev: CoDevice,
        rule: Rule,
        at: datetime,
        detail: dict[str, Any],
        cache: ActiveCache | None = None,
    ) -> CoAlert:
        """Open an alert, or update the active one of the same kind at the same alarm."""
        alert = self.active(s, dev.device_id, rule.kind, cache)
        if alert is not None:
            lifecycle.recur(alert, at, detail)
            return alert
        alert = _opened(s, dev.device_id, dev.region_code or "", rule, at, detail)
        if cache is not None:
            cache[(dev.device_id, rule.kind)] = alert
        if rule.escalate:
            self._start(s, alert, dev, at)
        else:
            self._notify(
                s, alert, dev, self.policy.steps_for(alert.region_code)[0].who, "opened", at
            )
        return alert

    def open_incident(
        self,
        s: Session,
        rule: Rule,
        region_code: str,
        at: datetime,
        detail: dict[str, Any],
        notify: list[str],
    ) -> CoAlert:
        """An incident of an area, not of one alarm (``co/outage.py``): told once to the
        operators' feed and to the people of the region's escalation steps named in
        ``notify`` (their step's first channel, failover as any step; never repeated)."""
        alert = _opened(s, "", region_code, rule, at, detail)
        steps = self.policy.steps_for(region_code)
        self._notify(s, alert, None, "operators", "opened", at)
        for i, step in enumerate(steps):
            if step.who in notify:
                self._notify_step(s, alert, None, i, 0, "opened", at, feed=False)
        return alert

    def _start(self, s: Session, alert: CoAlert, dev: CoDevice, at: datetime) -> None:
        """The steps due at once (``after_min = 0``) go out with the alert's own transaction."""
        for i, step in enumerate(self.policy.steps_for(alert.region_code)):
            if step.round_due(alert.opened_at, at) is not None:
                self._notify_step(s, alert, dev, i, 0, "opened", at)
                alert.escalation_level = i

    def clear(
        self,
        s: Session,
        dev: CoDevice,
        rule: Rule,
        at: datetime,
        by: str,
        cache: ActiveCache | None = None,
    ) -> None:
        """The condition went away: resolve automatically where the rule says it is safe."""
        alert = self.active(s, dev.device_id, rule.kind, cache)
        if alert is None:
            return
        resolved = lifecycle.clear(alert, at, auto_resolve=rule.auto_resolve, cause=by)
        if resolved and cache is not None:
            cache.pop((dev.device_id, rule.kind), None)

    def load_active(self, s: Session, device_ids: set[str]) -> ActiveCache:
        """Active alerts of these devices, keyed by (device_id, kind): one query per batch."""
        q = select(CoAlert).where(CoAlert.device_id.in_(device_ids), CoAlert.status.in_(ACTIVE))
        return {(a.device_id, a.kind): a for a in s.scalars(q)}

    def escalate_due(self, s: Session, now: datetime) -> int:
        """Walk unacknowledged escalating alerts along their region's chain; returns rows written.

        Each step starts ``after_min`` after the alarm opened and repeats every
        ``repeat_min`` until someone acknowledges; a message that failed, was
        not delivered, or (SMS) got no delivery receipt in ``receipt_wait``
        fails over to the step's next channel. Runs under the sweep lease, so
        with several workers each round is written once.
        """
        before = self.created
        kinds = [r.kind for r in self.rules.rule if r.escalate]
        alerts = list(
            s.scalars(select(CoAlert).where(CoAlert.status == OPEN, CoAlert.kind.in_(kinds)))
        )
        if not alerts:
            return 0
        done: dict[tuple[int, int], int] = {
            (a, st): n
            for a, st, n in s.execute(
                select(
                    CoNotification.alert_id, CoNotification.step, func.max(CoNotification.attempt)
                )
                .where(
                    CoNotification.alert_id.in_([a.id for a in alerts]),
                    CoNotification.step.is_not(None),
                )
                .group_by(CoNotification.alert_id, CoNotification.step)
            )
        }
        for alert in alerts:
            steps = self.policy.steps_for(alert.region_code)
            dev: CoDevice | None = None
            for i, step in enumerate(steps):
                due = step.round_due(alert.opened_at, now)
                last = done.get((alert.id, i))
                if due is None or (last is not None and due <= last):
                    continue
                dev = dev or s.get(CoDevice, alert.device_id)
                reason = "escalated" if last is None else "repeated"
                self._notify_step(s, alert, dev, i, due, reason, now)
                if i > alert.escalation_level:
                    alert.escalation_level = i
                alert.updated_at = now
        self._fail_over(s, now)
        return self.created - before

    def _fail_over(self, s: Session, now: datetime) -> None:
        """A person's message that did not reach them goes out on the step's next channel."""
        q = (
            select(CoNotification, CoAlert)
            .join(CoAlert, CoAlert.id == CoNotification.alert_id)
            .where(
                CoAlert.status == OPEN,
                CoNotification.contact_id.is_not(None),
                CoNotification.failed_over_at.is_(None),
                or_(
                    CoNotification.status == "failed",
                    CoNotification.delivery_state.in_(NOT_DELIVERED),
                    and_(
                        CoNotification.channel.in_(self.sms_channels),
                        CoNotification.status == "sent",
                        CoNotification.delivery_state == "sent",  # no receipt yet
                        CoNotification.sent_at <= now - self.receipt_wait,
                    ),
                ),
            )
        )
        for row, alert in s.execute(q).all():
            row.failed_over_at = now
            steps = self.policy.steps_for(alert.region_code)
            if row.step is None or row.step >= len(steps):
                continue
            nxt = steps[row.step].next_channel(row.channel)
            if nxt is None:
                continue  # every channel of the step tried: the next repeat starts over
            self._add(
                s,
                CoNotification.queued(
                    nxt,
                    {**row.body, "reason": "failover"},
                    now,
                    alert_id=row.alert_id,
                    level=row.level,
                    reason="failover",
                    who=row.who,
                    contact_id=row.contact_id,
                    step=row.step,
                    attempt=row.attempt,
                    failover_of=row.id,
                    reply_code=reply_code(),
                ),
            )

    def _notify(
        self,
        s: Session,
        alert: CoAlert,
        dev: CoDevice | None,
        level: str,
        reason: str,
        at: datetime,
        step: int | None = None,
    ) -> None:
        """One row per broadcast channel (the signed webhook, the log): the operators' feed."""
        body = notification_body(alert, dev, level, reason)
        for ch in self.channels:
            self._add(
                s,
                CoNotification.queued(
                    ch, body, at, alert_id=alert.id, level=level, reason=reason, step=step
                ),
            )

    def _notify_step(
        self,
        s: Session,
        alert: CoAlert,
        dev: CoDevice | None,
        i: int,
        attempt: int,
        reason: str,
        at: datetime,
        feed: bool = True,
    ) -> None:
        """Round ``attempt`` of step ``i``: a row per person on the step's first channel."""
        step = self.policy.steps_for(alert.region_code)[i]
        if feed and reason != "repeated":  # the step starts: the operators' feed hears of it once
            self._notify(s, alert, dev, step.who, reason, at, step=i)
        people = (
            []
            if self.directory is None
            else self.directory.recipients(
                s, who=step.who, device_id=alert.device_id, region_code=alert.region_code, at=at
            )
        )
        body = notification_body(alert, dev, step.who, reason)
        about = {"alert_id": alert.id, "level": step.who, "who": step.who, "step": i}
        if not people:  # shown on the dashboard with its reason; never silent
            why = "no contact directory" if self.directory is None else "nobody on file"
            row = CoNotification.queued(step.channels[0], body, at, reason=reason, **about)
            row.status = NO_RECIPIENT
            row.attempt = attempt
            row.last_error = f"no {step.who} to reach for region {alert.region_code or '-'} ({why})"
            s.add(row)
            return
        for p in people:
            person = {"contact_id": str(p.contact_id), "who": p.who, "name": p.name}
            self._add(
                s,
                CoNotification.queued(
                    step.channels[0],
                    {
                        **body,
                        "contact_id": str(p.contact_id),  # the notifier finds the phone by it
                        "recipient": {**person, "phone_masked": p.phone_masked},
                    },
                    at,
                    reason=reason,
                    contact_id=str(p.contact_id),
                    attempt=attempt,
                    reply_code=reply_code(),
                    **about,
                ),
            )

    def _add(self, s: Session, row: CoNotification) -> None:
        self.created += 1
        s.add(row)


def _opened(
    s: Session, device_id: str, region_code: str, rule: Rule, at: datetime, detail: dict[str, Any]
) -> CoAlert:
    """A new open alert of ``rule``, flushed (its id is needed by the notifications)."""
    alert = CoAlert(
        device_id=device_id,
        region_code=region_code,
        kind=rule.kind,
        severity=rule.severity,
        status=OPEN,
        opened_at=at,
        updated_at=at,
        occurrences=1,
        detail=detail,
        escalation_level=0,
    )
    s.add(alert)
    s.flush()
    return alert


def reply_code() -> str:
    """The number a person texts back to acknowledge (matched with their phone number)."""
    return str(1000 + secrets.randbelow(9000))


def stop_escalation(s: Session, alert: CoAlert) -> int:
    """Someone took the alarm on: what is still waiting to go out is cancelled."""
    done = s.execute(
        update(CoNotification)
        .where(CoNotification.alert_id == alert.id, CoNotification.status == "pending")
        .values(status=CANCELLED)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount or 0


def acknowledge(s: Session, alert: Any, who: str, via: str, at: datetime) -> None:
    """Acknowledge any alert (the one lifecycle); a CO alarm's escalation stops there."""
    lifecycle.acknowledge(alert, who, at, via)
    if isinstance(alert, CoAlert):
        stop_escalation(s, alert)


def notification_body(alert: CoAlert, dev: CoDevice | None, level: str, reason: str) -> dict:
    """What a channel delivers: enough for a person (or an SMS gateway) to act."""
    return {
        "alert_id": alert.id,
        "reason": reason,
        "level": level,
        "kind": alert.kind,
        "severity": alert.severity,
        "device_id": alert.device_id,
        "region_code": alert.region_code,
        "opened_at": alert.opened_at.isoformat(),
        "detail": alert.detail,
        "household": None
        if dev is None or not dev.registered
        else {
            "name": dev.household_name,
            "address": dev.address,
            "phone_masked": dev.phone_masked,
        },
    }
