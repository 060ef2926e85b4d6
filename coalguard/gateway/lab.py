"""Lab chain of custody (R5): dispatch within 24 h, report within 2 days of receipt.

A lab sample is opened by the inspection workflow (same transaction). Each
step is a sampling-ledger entry and a record for the cloud. ``check_deadlines``
raises one alert per overdue step; a failing lab report, judged against the
same profile as the rapid test, is referred to the air-pollution office (大气办).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime, timedelta
from typing import Any

from coalguard.edge.clock import Clock
from coalguard.edge.model import Sample
from coalguard.edge.quality import Overall, Profile, ProfileSet, Verdict, judge
from coalguard.edge.records import (
    LabDispatched,
    LabOfficeReferral,
    LabReceived,
    LabReported,
    LabSampled,
    Record,
)
from coalguard.gateway.alerts import Alerts
from coalguard.gateway.errors import GatewayError, IllegalTransition, NotFound
from coalguard.gateway.ledger import Ledger
from coalguard.gateway.sink import RecordSink, dumps
from coalguard.gateway.store import Store
from coalguard.gateway.stored_time import iso, parse_iso


def profile_snapshot(profile: Profile) -> str:
    """The profile as judged (limits and version), kept so a later judgement reuses it."""
    return profile.model_dump_json(by_alias=True)


class LabDesk:
    def __init__(
        self,
        store: Store,
        sink: RecordSink,
        ledger: Ledger,
        alerts: Alerts,
        clock: Clock,
        profiles: ProfileSet,
        checkpoint_id: str,
        dispatch_hours: float = 24.0,
        report_days: float = 2.0,
    ) -> None:
        self.store = store
        self.sink = sink
        self.ledger = ledger
        self.alerts = alerts
        self.clock = clock
        self.profiles = profiles
        self.checkpoint_id = checkpoint_id
        self.dispatch_window = timedelta(hours=dispatch_hours)
        self.report_window = timedelta(days=report_days)

    # -- steps ---------------------------------------------------------------

    def open(
        self,
        db: sqlite3.Connection,
        inspection_id: str,
        sample_id: str,
        seal_no: str | None,
        judged_profile: str,
        operator: str,
    ) -> str:
        """Create the lab sample inside the caller's transaction.

        ``judged_profile`` is the rapid verdict's profile (``profile_snapshot``): the
        lab report is judged by it, whatever version the gateway loads by then.
        """
        profile_id = Profile.model_validate_json(judged_profile).id
        if db.execute("SELECT 1 FROM lab_samples WHERE sample_id = ?", (sample_id,)).fetchone():
            raise GatewayError("lab_sample_exists", sample_id=sample_id)
        lab_id = str(uuid.uuid4())
        now = self.clock.now()
        due = now + self.dispatch_window
        db.execute(
            "INSERT INTO lab_samples(id, inspection_id, sample_id, seal_no, profile_id, "
            "judged_profile, sampled_at, dispatch_due) VALUES (?,?,?,?,?,?,?,?)",
            (
                lab_id,
                inspection_id,
                sample_id,
                seal_no,
                profile_id,
                judged_profile,
                iso(now),
                iso(due),
            ),
        )
        body = {
            "lab_sample_id": lab_id,
            "inspection_id": inspection_id,
            "sample_id": sample_id,
            "seal_no": seal_no,
            "profile_id": profile_id,
            "dispatch_due": iso(due),
        }
        self._record(LabSampled, operator, body)
        return lab_id

    def dispatch(self, lab_id: str, operator: str, lab_name: str) -> None:
        if not lab_name.strip():
            raise GatewayError("field_required", field="lab_name")
        with self.store.tx() as db:
            row = self._get(db, lab_id)
            lab_id = row["id"]
            if row["dispatched_at"]:
                raise IllegalTransition("lab_step_done", step="dispatch", id=row["sample_id"])
            now = self.clock.now()
            late = now > parse_iso(row["dispatch_due"])
            db.execute(
                "UPDATE lab_samples SET dispatched_at = ?, lab_name = ? WHERE id = ?",
                (iso(now), lab_name, lab_id),
            )
            self._record(
                LabDispatched,
                operator,
                {
                    "lab_sample_id": lab_id,
                    "sample_id": row["sample_id"],
                    "lab_name": lab_name,
                    "late": late,
                },
            )
        if not late:
            self.alerts.clear("lab.dispatch_overdue", row["sample_id"], "dispatched")

    def receive(self, lab_id: str, operator: str, received_at: datetime | None = None) -> None:
        with self.store.tx() as db:
            row = self._get(db, lab_id)
            lab_id = row["id"]
            if not row["dispatched_at"]:
                raise IllegalTransition("lab_not_dispatched", id=row["sample_id"])
            if row["received_at"]:
                raise IllegalTransition("lab_step_done", step="receive", id=row["sample_id"])
            at = received_at or self.clock.now()
            due = at + self.report_window
            db.execute(
                "UPDATE lab_samples SET received_at = ?, report_due = ? WHERE id = ?",
                (iso(at), iso(due), lab_id),
            )
            self._record(
                LabReceived,
                operator,
                {
                    "lab_sample_id": lab_id,
                    "sample_id": row["sample_id"],
                    "received_at": iso(at),
                    "report_due": iso(due),
                },
            )

    def report(
        self,
        lab_id: str,
        operator: str,
        report_no: str,
        indicators: dict[str, float],
        uncertainty: dict[str, float] | None = None,
    ) -> Verdict:
        """Record the lab's values, judged against the rapid test's profile."""
        if not report_no.strip():
            raise GatewayError("field_required", field="report_no")
        with self.store.tx() as db:
            row = self._get(db, lab_id)
            lab_id = row["id"]
            if not row["received_at"]:
                raise IllegalTransition("lab_not_received", id=row["sample_id"])
            if row["reported_at"]:
                raise IllegalTransition("lab_step_done", step="report", id=row["sample_id"])
            profile = self._judged_profile(row)
            verdict = judge(
                Sample(
                    sample_id=row["sample_id"], indicators=indicators, uncertainty=uncertainty or {}
                ),
                profile,
                self.profiles.version,
            )
            now = self.clock.now()
            late = now > parse_iso(row["report_due"])
            failed = verdict.overall is Overall.FAIL
            report = {
                "report_no": report_no,
                "indicators": indicators,
                "verdict": verdict.model_dump(mode="json"),
            }
            db.execute(
                "UPDATE lab_samples SET reported_at = ?, report_no = ?, report = ?, overall = ?, "
                "office_flagged = ? WHERE id = ?",
                (iso(now), report_no, dumps(report), verdict.overall.value, int(failed), lab_id),
            )
            body = {
                "lab_sample_id": lab_id,
                "inspection_id": row["inspection_id"],
                "sample_id": row["sample_id"],
                "report_no": report_no,
                "indicators": indicators,
                "overall": verdict.overall.value,
                "verdict": verdict.model_dump(mode="json"),
                "late": late,
            }
            self._record(LabReported, operator, body)
            if failed:
                self.sink.put(
                    LabOfficeReferral(
                        checkpoint_id=self.checkpoint_id, to="air_pollution_office", **body
                    )
                )
                self.alerts.raise_(
                    "lab.failed",
                    row["sample_id"],
                    f"lab report {report_no} fails {profile.id}: refer to the air-pollution office",
                    inspection_id=row["inspection_id"],
                )
        self.alerts.clear("lab.report_overdue", row["sample_id"], "reported")
        return verdict

    # -- deadlines -------------------------------------------------------------

    def check_deadlines(self) -> list[str]:
        """Raise an alert for each step past its deadline; returns the sample ids."""
        now = iso(self.clock.now())
        overdue: list[str] = []
        for r in self.store.rows(
            "SELECT * FROM lab_samples WHERE dispatched_at IS NULL AND dispatch_due < ? "
            "AND dispatch_alerted = 0",
            (now,),
        ):
            with self.store.tx() as db:
                db.execute("UPDATE lab_samples SET dispatch_alerted = 1 WHERE id = ?", (r["id"],))
                self.alerts.raise_(
                    "lab.dispatch_overdue",
                    r["sample_id"],
                    f"lab sample {r['sample_id']} not sent to the lab by {r['dispatch_due']}",
                    inspection_id=r["inspection_id"],
                    due=r["dispatch_due"],
                )
            overdue.append(r["sample_id"])
        for r in self.store.rows(
            "SELECT * FROM lab_samples WHERE received_at IS NOT NULL AND reported_at IS NULL "
            "AND report_due < ? AND report_alerted = 0",
            (now,),
        ):
            with self.store.tx() as db:
                db.execute("UPDATE lab_samples SET report_alerted = 1 WHERE id = ?", (r["id"],))
                self.alerts.raise_(
                    "lab.report_overdue",
                    r["sample_id"],
                    f"lab report for {r['sample_id']} not received by {r['report_due']}",
                    inspection_id=r["inspection_id"],
                    due=r["report_due"],
                )
            overdue.append(r["sample_id"])
        return overdue

    # -- reading ---------------------------------------------------------------

    def pending(self) -> list[dict[str, Any]]:
        """Lab samples without a report, oldest first, with their next deadline."""
        out = []
        now = self.clock.now()
        for r in self.store.rows(
            "SELECT l.*, i.plate FROM lab_samples l JOIN inspections i ON i.id = l.inspection_id "
            "WHERE l.reported_at IS NULL ORDER BY l.sampled_at"
        ):
            d = dict(r)
            if not r["dispatched_at"]:
                d["step"], d["due"] = "dispatch", r["dispatch_due"]
            elif not r["received_at"]:
                d["step"], d["due"] = "receive", None
            else:
                d["step"], d["due"] = "report", r["report_due"]
            d["overdue"] = bool(d["due"] and parse_iso(d["due"]) < now)
            out.append(d)
        return out

    def get(self, lab_id: str) -> dict[str, Any]:
        row = self.store.row("SELECT * FROM lab_samples WHERE id = ?", (lab_id,))
        if row is None:
            raise NotFound("no_lab_sample", id=lab_id)
        d = dict(row)
        d["report"] = json.loads(row["report"]) if row["report"] else None
        return d

    def for_inspection(self, inspection_id: str) -> list[dict[str, Any]]:
        """The inspection's lab samples, oldest first (reports decoded)."""
        rows = self.store.rows(
            "SELECT id FROM lab_samples WHERE inspection_id = ? ORDER BY sampled_at",
            (inspection_id,),
        )
        return [self.get(r["id"]) for r in rows]

    def _judged_profile(self, row: sqlite3.Row) -> Profile:
        """The rapid verdict's profile kept at opening; samples opened before it was kept
        (older databases) are judged by the loaded profile of the same id."""
        if row["judged_profile"]:
            return Profile.model_validate_json(row["judged_profile"])
        return self.profiles.get(row["profile_id"])

    def _get(self, db: sqlite3.Connection, lab_id: str) -> sqlite3.Row:
        row = db.execute(
            "SELECT * FROM lab_samples WHERE id = ? OR sample_id = ?", (lab_id, lab_id)
        ).fetchone()
        if row is None:
            raise NotFound("no_lab_sample", id=lab_id)
        return row

    def _record(self, model: type[Record], operator: str, body: dict[str, Any]) -> None:
        full = {"checkpoint_id": self.checkpoint_id, **body}
        self.sink.put(model(**full, operator=operator, at=iso(self.clock.now())))
        self.ledger.append("sampling", model.KIND, operator, full)
