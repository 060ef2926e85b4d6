"""Stored gateway records -> inspections, verdicts, lab samples, readings, alerts.

Idempotent by record id: ``chk_projected`` remembers every record handled, so
running twice (or two processes racing, or a restart mid-way) never applies
a record twice. Records are read in arrival order from a low-water mark kept
a margin behind the newest handled ``seq``, so a batch whose transaction
committed late is still found. A record that cannot be projected is marked
``error`` with the reason and never blocks the ones after it. A record naming
a checkpoint bound to another gateway is ``refused`` (``binding``); ledger
entries go to the ledger copy (``cloud.ledger.chain``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from coalguard.cloud.batch_store import GatewayRecordRow
from coalguard.cloud.checks import alerts as cp_alerts
from coalguard.cloud.checks import binding
from coalguard.cloud.checks.rejudge import rejudge
from coalguard.cloud.checks.tables import (
    AnalyzerReading,
    Checkpoint,
    Inspection,
    LabSample,
    ProjectedRecord,
    Transition,
    VerdictRow,
)
from coalguard.cloud.ledger import chain as ledger_chain
from coalguard.edge.quality import ProfileSet

log = logging.getLogger("coalguard.cloud.checks")
MARGIN = 20_000  # seq numbers re-scanned behind the newest handled one
_REG_FIELDS = ("driver", "origin", "destination", "coal_type", "weight_t", "waybill_no")


def _at(value: Any, fallback: datetime) -> datetime:
    """The body's ISO time, else ``fallback`` (SQLite hands back naive UTC: made aware)."""
    fallback = fallback if fallback.tzinfo else fallback.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            return fallback
        return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)
    return fallback


class Projector:
    """Turns stored gateway records into the checkpoint tables."""

    def __init__(
        self,
        sessions: sessionmaker,
        profiles: ProfileSet,
        claim: Callable[[Session], bool] = lambda s: True,
    ) -> None:
        self.sessions = sessions
        self.profiles = profiles
        # First in each write transaction: False while another replica projects.
        self.claim = claim
        self.low: int | None = None
        self.handlers: dict[str, Callable[[Session, GatewayRecordRow, Checkpoint], str]] = {
            "inspection.transition": self._transition,
            "analyzer.result": self._analyzer_result,
            "lab.sampled": self._lab,
            "lab.dispatched": self._lab,
            "lab.received": self._lab,
            "lab.reported": self._lab,
            "alert.raised": self._alert_raised,
            "alert.cleared": self._alert_cleared,
        }

    # -- driving -------------------------------------------------------------

    def run_until_idle(self, chunk: int = 500) -> int:
        total = 0
        while True:
            n = self.run_once(chunk)
            total += n
            if n < chunk:
                return total

    def run_once(self, limit: int = 500) -> int:
        """Project up to ``limit`` pending records; returns how many were handled."""
        with self.sessions() as s:
            if self.low is None:
                top = s.scalar(select(func.max(ProjectedRecord.seq))) or 0
                self.low = max(top - MARGIN, 0)
            pending = list(
                s.scalars(
                    select(GatewayRecordRow)
                    .outerjoin(ProjectedRecord, ProjectedRecord.record_id == GatewayRecordRow.id)
                    .where(ProjectedRecord.record_id.is_(None), GatewayRecordRow.seq > self.low)
                    .order_by(GatewayRecordRow.seq)
                    .limit(limit)
                )
            )
        if not pending:
            return 0
        try:
            with self.sessions.begin() as s:
                if not self.claim(s):
                    return 0
                for rec in pending:
                    self._apply(s, rec, strict=True)
        except Exception:  # one bad record: redo this chunk one record at a time
            log.warning("projection chunk failed; retrying record by record", exc_info=True)
            for rec in pending:
                self._apply_alone(rec)
        top = max(r.seq for r in pending)
        self.low = max(self.low, top - MARGIN)
        return len(pending)

    def _apply_alone(self, rec: GatewayRecordRow) -> None:
        try:
            with self.sessions.begin() as s:
                if not self.claim(s):
                    return
                self._apply(s, rec, strict=True)
        except Exception as exc:
            log.warning("record %s (%s) not projected: %s", rec.id, rec.kind, exc)
            with self.sessions.begin() as s:
                if self.claim(s) and s.get(ProjectedRecord, rec.id) is None:
                    s.add(
                        ProjectedRecord(
                            record_id=rec.id, seq=rec.seq, outcome="error", error=str(exc)[:2000]
                        )
                    )

    def _apply(self, s: Session, rec: GatewayRecordRow, strict: bool) -> None:
        if s.get(ProjectedRecord, rec.id) is not None:
            return
        outcome, why = self._project(s, rec)
        s.add(ProjectedRecord(record_id=rec.id, seq=rec.seq, outcome=outcome, error=why))
        s.flush()

    def _project(self, s: Session, rec: GatewayRecordRow) -> tuple[str, str | None]:
        """One record's effect: (outcome, reason when refused)."""
        if rec.kind == ledger_chain.KIND:
            return ledger_chain.keep_entry(s, rec), None
        cp_id = rec.body.get("checkpoint_id") if isinstance(rec.body, dict) else None
        if not isinstance(cp_id, str) or not cp_id:
            return "ignored", None
        known = s.get(Checkpoint, cp_id)
        why = binding.refusal(known, rec.gateway_id)
        if known is not None and why is not None:
            binding.refuse(s, rec, known, why)
            return "refused", why
        cp = self._checkpoint(s, cp_id, rec)
        handler = self.handlers.get(rec.kind)
        try:
            return (handler(s, rec, cp) if handler is not None else "ignored"), None
        except binding.Foreign as exc:  # raised before the handler changed anything
            victim = s.get(Checkpoint, exc.checkpoint_id)
            binding.refuse(s, rec, victim or cp, str(exc))
            return "refused", str(exc)

    def _checkpoint(self, s: Session, cp_id: str, rec: GatewayRecordRow) -> Checkpoint:
        cp = s.get(Checkpoint, cp_id)
        born = rec.born_at if rec.born_at.tzinfo else rec.born_at.replace(tzinfo=UTC)
        if cp is not None and not cp.gateway_id:
            binding.claim(s, cp, rec.gateway_id)
        if cp is None:
            cp = Checkpoint(
                checkpoint_id=cp_id,
                name=cp_id,
                region_code="",
                gateway_id=rec.gateway_id,
                registered=False,
                first_seen=born,
                last_seen=born,
            )
            s.add(cp)
            s.flush()
        elif cp.last_seen is None or born > cp.last_seen:
            cp.last_seen = born
        return cp

    # -- inspections -----------------------------------------------------------

    def _transition(self, s: Session, rec: GatewayRecordRow, cp: Checkpoint) -> str:
        b = rec.body
        iid = str(b["inspection_id"])
        at = _at(b.get("at"), rec.born_at)
        seq = int(b.get("seq") or 0)
        data = b.get("data") or {}
        insp = s.get(Inspection, iid)
        binding.same_checkpoint(insp, cp, "inspection", iid)
        if insp is None:
            insp = Inspection(
                id=iid,
                checkpoint_id=cp.checkpoint_id,
                region_code=cp.region_code,
                plate=str(b.get("plate") or ""),
                state=str(b.get("to")),
                opened_at=at,
                updated_at=at,
                last_seq=0,
                disagreement=False,
            )
            s.add(insp)
        if seq == 1 or b.get("action") == "arrive":
            insp.opened_at = min(insp.opened_at, at)
            insp.source = data.get("source")
        if seq >= insp.last_seq:
            insp.state = str(b.get("to"))
            insp.updated_at = at
            insp.last_seq = seq
            insp.plate = str(b.get("plate") or insp.plate)
        s.add(
            Transition(
                id=rec.id,
                inspection_id=iid,
                seq=seq,
                action=str(b.get("action")),
                from_state=b.get("from"),
                to_state=str(b.get("to")),
                at=at,
                operator=str(b.get("operator") or ""),
                reason=str(b.get("reason") or ""),
                data=data,
            )
        )
        action = b.get("action")
        if action == "register":
            for k in _REG_FIELDS:
                if k in data:
                    setattr(insp, k, data[k])
            insp.profile_id = data.get("profile_id", insp.profile_id)
        elif action == "check_fast_pass":
            insp.fast_pass = bool(data.get("green"))
        elif action == "take_sample":
            insp.sample_id = data.get("sample_id")
        elif action == "bind_result":
            insp.result = {
                "indicators": data.get("indicators") or {},
                "uncertainty": data.get("uncertainty") or {},
                "analyzer_id": data.get("analyzer_id"),
                "result_id": data.get("result_id"),
            }
        elif action == "judge":
            self._rapid_verdict(s, rec, cp, insp, data.get("verdict") or {}, at)
        elif action == "rerun":
            insp.result = None
        return "applied"

    def _rapid_verdict(
        self,
        s: Session,
        rec: GatewayRecordRow,
        cp: Checkpoint,
        insp: Inspection,
        verdict: dict[str, Any],
        at: datetime,
    ) -> None:
        overall = verdict.get("overall")
        profile_id = verdict.get("profile_id") or insp.profile_id
        measured = (insp.result or {}).get("indicators") or {}
        row = VerdictRow(
            id=rec.id,
            inspection_id=insp.id,
            checkpoint_id=cp.checkpoint_id,
            region_code=cp.region_code,
            source="rapid",
            at=at,
            sample_id=verdict.get("sample_id") or insp.sample_id,
            profile_id=profile_id,
            overall=overall,
            indicators=verdict.get("indicators") or [],
            measured=measured,
        )
        insp.overall = overall
        if measured:
            j = rejudge(
                self.profiles,
                jurisdiction=cp.jurisdiction,
                coal_type=insp.coal_type,
                gateway_profile_id=profile_id,
                gateway_overall=overall,
                sample_id=row.sample_id or insp.id,
                indicators=measured,
                uncertainty=(insp.result or {}).get("uncertainty"),
            )
            row.cloud_profile_id, row.cloud_overall = j.profile_id, j.overall
            row.agree, row.disagreement = j.agree, j.disagreement
            insp.cloud_overall = j.overall
            insp.disagreement = not j.agree
            if not j.agree:
                self._disagree(s, cp, insp.id, "rapid", j.disagreement or "", at, insp.plate)
        s.add(row)

    def _disagree(
        self, s: Session, cp: Checkpoint, subject: str, source: str, why: str, at: datetime, plate
    ) -> None:  # type: ignore[no-untyped-def]
        cp_alerts.raise_alert(
            s,
            checkpoint_id=cp.checkpoint_id,
            region_code=cp.region_code,
            kind="verdict.disagreement",
            subject=subject,
            message=f"{source} verdict of {plate or subject} disagrees with the cloud: {why}",
            at=at,
            origin="cloud",
            detail={"source": source, "why": why, "plate": plate},
        )

    def _analyzer_result(self, s: Session, rec: GatewayRecordRow, cp: Checkpoint) -> str:
        b = rec.body
        if s.get(AnalyzerReading, rec.id) is None:
            s.add(
                AnalyzerReading(
                    id=rec.id,
                    checkpoint_id=cp.checkpoint_id,
                    analyzer_id=str(b.get("analyzer_id") or ""),
                    sample_id=b.get("sample_id"),
                    at=_at(b.get("at"), rec.born_at),
                    indicators=b.get("indicators") or {},
                )
            )
        return "applied"

    # -- lab --------------------------------------------------------------------

    def _lab(self, s: Session, rec: GatewayRecordRow, cp: Checkpoint) -> str:
        b = rec.body
        lab_id = str(b["lab_sample_id"])
        at = _at(b.get("at"), rec.born_at)
        lab = s.get(LabSample, lab_id)
        binding.same_checkpoint(lab, cp, "lab sample", lab_id)
        if b.get("inspection_id"):
            linked = s.get(Inspection, str(b["inspection_id"]))
            binding.same_checkpoint(linked, cp, "inspection", str(b["inspection_id"]))
        if lab is None:
            lab = LabSample(
                id=lab_id,
                checkpoint_id=cp.checkpoint_id,
                region_code=cp.region_code,
                sample_id=str(b.get("sample_id") or lab_id),
                dispatch_alerted=False,
                report_alerted=False,
            )
            s.add(lab)
        if b.get("inspection_id"):
            lab.inspection_id = b["inspection_id"]
        if rec.kind == "lab.sampled":
            lab.seal_no = b.get("seal_no")
            lab.profile_id = b.get("profile_id")
            lab.sampled_at = at
            lab.dispatch_due = _at(b.get("dispatch_due"), at)
        elif rec.kind == "lab.dispatched":
            lab.dispatched_at = at
            lab.lab_name = b.get("lab_name")
            cp_alerts.clear_alert(s, cp.checkpoint_id, "lab.dispatch_overdue", lab.sample_id, at)
        elif rec.kind == "lab.received":
            lab.received_at = _at(b.get("received_at"), at)
            lab.report_due = _at(b.get("report_due"), at)
        elif rec.kind == "lab.reported":
            self._lab_report(s, rec, cp, lab, at)
        return "applied"

    def _lab_report(
        self, s: Session, rec: GatewayRecordRow, cp: Checkpoint, lab: LabSample, at: datetime
    ) -> None:
        b = rec.body
        lab.reported_at = at
        lab.report_no = b.get("report_no")
        lab.indicators = b.get("indicators") or {}
        lab.overall = b.get("overall")
        cp_alerts.clear_alert(s, cp.checkpoint_id, "lab.report_overdue", lab.sample_id, at)
        verdict = b.get("verdict") or {}
        insp = s.get(Inspection, lab.inspection_id) if lab.inspection_id else None
        j = rejudge(
            self.profiles,
            jurisdiction=cp.jurisdiction,
            coal_type=insp.coal_type if insp else None,
            gateway_profile_id=verdict.get("profile_id") or lab.profile_id,
            gateway_overall=lab.overall,
            sample_id=lab.sample_id,
            indicators=lab.indicators or {},
        )
        lab.cloud_overall = j.overall
        s.add(
            VerdictRow(
                id=rec.id,
                inspection_id=lab.inspection_id,
                lab_sample_id=lab.id,
                checkpoint_id=cp.checkpoint_id,
                region_code=cp.region_code,
                source="lab",
                at=at,
                sample_id=lab.sample_id,
                profile_id=verdict.get("profile_id") or lab.profile_id,
                overall=lab.overall,
                indicators=verdict.get("indicators") or [],
                measured=lab.indicators or {},
                cloud_profile_id=j.profile_id,
                cloud_overall=j.overall,
                agree=j.agree,
                disagreement=j.disagreement,
            )
        )
        plate = insp.plate if insp else None
        if not j.agree:
            self._disagree(s, cp, lab.sample_id, "lab", j.disagreement or "", at, plate)
        if "fail" in (lab.overall, j.overall):
            office = cp_alerts.office_for(s, cp.region_code)
            lab.referred_to = f"{office.name} {office.contact}" if office else None
            cp_alerts.raise_alert(
                s,
                checkpoint_id=cp.checkpoint_id,
                region_code=cp.region_code,
                kind="lab.failed",
                subject=lab.sample_id,
                message=f"lab report {lab.report_no} of {plate or lab.sample_id} fails",
                at=at,
                origin="cloud",
                detail={
                    "report_no": lab.report_no,
                    "plate": plate,
                    "routed_to": lab.referred_to or "(no air-pollution office registered)",
                },
            )

    # -- alerts -----------------------------------------------------------------

    def _alert_raised(self, s: Session, rec: GatewayRecordRow, cp: Checkpoint) -> str:
        b = rec.body
        extra = {
            k: v
            for k, v in b.items()
            if k not in ("checkpoint_id", "kind", "subject", "message", "at")
        }
        cp_alerts.raise_alert(
            s,
            checkpoint_id=cp.checkpoint_id,
            region_code=cp.region_code,
            kind=str(b.get("kind") or "unknown"),
            subject=str(b.get("subject") or ""),
            message=str(b.get("message") or ""),
            at=_at(b.get("at"), rec.born_at),
            origin="gateway",
            detail=extra,
        )
        return "applied"

    def _alert_cleared(self, s: Session, rec: GatewayRecordRow, cp: Checkpoint) -> str:
        b = rec.body
        cp_alerts.clear_alert(
            s,
            cp.checkpoint_id,
            str(b.get("kind") or ""),
            str(b.get("subject") or ""),
            _at(b.get("at"), rec.born_at),
        )
        return "applied"
