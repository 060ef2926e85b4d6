"""CO alarm alerts: opened and cleared by the rules, escalated, notified.

The lifecycle itself (acknowledge, resolve, repeat, clear) is the one of
``cloud/alert_lifecycle.py``.

Works inside the caller's session/transaction so an alert and the message that
caused it commit together. Notifications are rows (``CoNotification``) written
in the same transaction and sent afterwards by the notifier: nothing is lost
between "alert opened" and "someone was told".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud import alert_lifecycle as lifecycle
from coalguard.cloud.alert_lifecycle import ACTIVE, OPEN
from coalguard.cloud.co.rules import AlertRules, Rule
from coalguard.cloud.co.tables import CoAlert, CoDevice, CoNotification

ActiveCache = dict[tuple[str, str], CoAlert]


@dataclass
class AlertBook:
    """Opens, updates, clears and escalates alerts according to the rules."""

    rules: AlertRules
    channels: tuple[str, ...] = ("log",)
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
        alert = CoAlert(
            device_id=dev.device_id,
            region_code=dev.region_code or "",
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
        if cache is not None:
            cache[(dev.device_id, rule.kind)] = alert
        first = self.rules.levels_for(alert.region_code)[0].level
        self._notify(s, alert, dev, first, "opened", at)
        return alert

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
        """Move unacknowledged escalating alerts up their region's chain; returns steps."""
        kinds = [r.kind for r in self.rules.rule if r.escalate]
        steps = 0
        for alert in s.scalars(
            select(CoAlert).where(CoAlert.status == OPEN, CoAlert.kind.in_(kinds))
        ):
            levels = self.rules.levels_for(alert.region_code)
            elapsed_min = (now - alert.opened_at).total_seconds() / 60
            due = max((i for i, lv in enumerate(levels) if lv.after_min <= elapsed_min), default=0)
            if due <= alert.escalation_level:
                continue
            dev = s.get(CoDevice, alert.device_id)
            for i in range(alert.escalation_level + 1, due + 1):
                self._notify(s, alert, dev, levels[i].level, "escalated", now)
                steps += 1
            alert.escalation_level = due
            alert.updated_at = now
        return steps

    def _notify(
        self,
        s: Session,
        alert: CoAlert,
        dev: CoDevice | None,
        level: str,
        reason: str,
        at: datetime,
    ) -> None:
        body = notification_body(alert, dev, level, reason)
        for ch in self.channels:
            self.created += 1
            s.add(
                CoNotification.queued(ch, body, at, alert_id=alert.id, level=level, reason=reason)
            )


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
