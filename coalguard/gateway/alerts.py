"""Alert records raised by the gateway (overdue lab step, silent camera, …).

An alert is a row here for the operator page and a ``critical`` record for
the cloud. Raising the same open alert twice is a no-op.
"""

from __future__ import annotations

import uuid
from typing import Any

from coalguard.edge.clock import Clock
from coalguard.edge.records import AlertCleared, AlertRaised
from coalguard.gateway.sink import RecordSink
from coalguard.gateway.store import Store
from coalguard.gateway.stored_time import iso


class Alerts:
    def __init__(self, store: Store, sink: RecordSink, clock: Clock, checkpoint_id: str) -> None:
        self.store = store
        self.sink = sink
        self.clock = clock
        self.checkpoint_id = checkpoint_id

    def raise_(self, kind: str, subject: str, message: str, **data: Any) -> str | None:
        """Open an alert unless the same (kind, subject) is already open."""
        with self.store.tx() as db:
            open_ = db.execute(
                "SELECT id FROM alerts WHERE kind = ? AND subject = ? AND cleared_at IS NULL",
                (kind, subject),
            ).fetchone()
            if open_:
                return None
            now = self.clock.now()
            raised = AlertRaised(
                checkpoint_id=self.checkpoint_id,
                alert_id=str(uuid.uuid4()),
                kind=kind,
                subject=subject,
                message=message,
                at=iso(now),
                detail=data,
            )
            db.execute(
                "INSERT INTO alerts(id, at, kind, subject, message) VALUES (?,?,?,?,?)",
                (raised.alert_id, raised.at, kind, subject, message),
            )
            self.sink.put(raised, record_id=raised.alert_id, born_at=now)
            return raised.alert_id

    def clear(self, kind: str, subject: str, reason: str) -> int:
        with self.store.tx() as db:
            rows = db.execute(
                "SELECT id FROM alerts WHERE kind = ? AND subject = ? AND cleared_at IS NULL",
                (kind, subject),
            ).fetchall()
            now = iso(self.clock.now())
            for r in rows:
                db.execute("UPDATE alerts SET cleared_at = ? WHERE id = ?", (now, r[0]))
                self.sink.put(
                    AlertCleared(
                        checkpoint_id=self.checkpoint_id,
                        alert_id=r[0],
                        kind=kind,
                        subject=subject,
                        reason=reason,
                        at=now,
                    )
                )
            return len(rows)

    def open(self) -> list[dict[str, Any]]:
        rows = self.store.rows(
            "SELECT * FROM alerts WHERE cleared_at IS NULL ORDER BY at DESC LIMIT 100"
        )
        return [dict(r) for r in rows]
