"""Stored gateway records -> inspections, verdicts, lab samples, readings, alerts.

Idempotent by record id: ``chk_projected`` remembers every record handled, so
running twice (or two processes racing, or a restart mid-way) never applies
a record twice. Records are read in arrival order from a low-water mark kept
a margin behind the newest handled ``seq``, so a batch whose transaction
committed late is still found. A record that cannot be projected is marked
``error`` with the reason and never blocks the ones after it. A record naming
a checkpoint bound to another gateway is ``refused`` (``binding``); ledger
entries go to the ledger copy (``cloud.ledger.chain``).

Each body is decoded with the record registry (``coalguard.edge.records``)
and dispatched on the model's type. A kind or schema version the registry
does not know, or a body that does not fit its model, is a dead letter with
the reason (outcome ``dead_letter``), never silently skipped. Kinds in
``ARCHIVE_ONLY`` are kept in ``gateway_records`` on purpose and feed no table
(outcome ``archived``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from coalguard.cloud.batch_store import GatewayRecordRow, dead_letter_record
from coalguard.cloud.checks import alerts as cp_alerts
from coalguard.cloud.checks import binding
from coalguard.cloud.checks.chunk import Chunk, PlainInspection
from coalguard.cloud.checks.profile_sets import CloudProfiles
from coalguard.cloud.checks.rejudge import CloudJudgement, rejudge
from coalguard.cloud.checks.tables import (
    AnalyzerReading,
    Checkpoint,
    LabSample,
    ProjectedRecord,
    Transition,
    VerdictRow,
)
from coalguard.cloud.referrals.cases import ReferralPolicy, open_case
from coalguard.edge.clock import Clock
from coalguard.edge.quality import ProfileSet
from coalguard.edge.quality.verdict import Verdict
from coalguard.edge.records import (
    AlertCleared,
    AlertRaised,
    AnalyzerDeadLetter,
    AnalyzerResultRecord,
    Arrived,
    CameraEventRecord,
    CameraPurge,
    CheckpointRecord,
    FastPassChecked,
    FastPassLoaded,
    HeldForSeizure,
    InspectionTransition,
    InspectionTransitionV2,
    InspectionTransitionV3,
    Judged,
    LabDispatched,
    LabOfficeReferral,
    LabReceived,
    LabReported,
    LabSampled,
    LedgerEntryRecord,
    Record,
    Registered,
    Rerun,
    ResultBound,
    ResultUnbound,
    Sampled,
    UndecodableRecord,
    decode,
)
from coalguard.edge.records.inspection import payload_body

log = logging.getLogger("coalguard.cloud.checks")
VERSION_GAP = "profiles.version_gap"
SEIZURE = "checkpoint.seizure"
MARGIN = 20_000  # seq numbers re-scanned behind the newest handled one
LOOK_BEHIND_S = 5.0  # the margin is searched at least this often while new records flow
CHUNK = 1000  # records per projector transaction
_TRANSITION_FIELDS = ("seq", "action", "from_state", "operator", "reason")  # plain fields
_REG_FIELDS = ("driver", "origin", "destination", "coal_type", "weight_t", "waybill_no")
LabStep = LabSampled | LabDispatched | LabReceived | LabReported
# Kept in ``gateway_records`` (the archive) and projected into no table, on purpose:
# camera metadata and purges, fast-pass loads and analyzer dead letters are the
# checkpoint's own housekeeping; an office referral repeats ``lab.reported``,
# from which the cloud raises its own ``lab.failed`` alert and opens the case
# (``cloud/referrals``).
ARCHIVE_ONLY: frozenset[type[Record]] = frozenset(
    {CameraEventRecord, CameraPurge, FastPassLoaded, AnalyzerDeadLetter, LabOfficeReferral}
)

# Kinds whose handlers read no table that ``Chunk`` writes late (transitions, readings).
_CHUNKED: frozenset[type[Record]] = frozenset(
    {InspectionTransition, InspectionTransitionV2, InspectionTransitionV3, AnalyzerResultRecord}
)


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


def backlog(s: Session) -> tuple[int, datetime | None]:
    """Records stored and not yet projected, and when the oldest of them arrived.

    Bounded as the projector reads: only ``MARGIN`` seq numbers behind the newest
    projected record (``/metrics``' projector lag)."""
    t = GatewayRecordRow.__table__
    low = max((s.scalar(select(func.max(ProjectedRecord.seq))) or 0) - MARGIN, 0)
    n, oldest = s.execute(
        select(func.count(), func.min(t.c.received_at))
        .select_from(t)
        .outerjoin(ProjectedRecord, ProjectedRecord.record_id == t.c.id)
        .where(ProjectedRecord.record_id.is_(None), t.c.seq > low)
    ).one()
    return int(n), None if oldest is None else _at(None, oldest)


class Projector:
    """Turns stored gateway records into the checkpoint tables."""

    def __init__(
        self,
        sessions: sessionmaker,
        profiles: ProfileSet,
        clock: Clock,
        claim: Callable[[Session], bool] = lambda s: True,
        referrals: ReferralPolicy | None = None,
    ) -> None:
        self.sessions = sessions
        self.profiles = profiles
        # A failing lab report opens a referral case announced on these channels.
        self.referrals = referrals or ReferralPolicy()
        self.sets = CloudProfiles(profiles)  # the active installed set, and older ones by version
        self.clock = clock  # when a record was refused or dead-lettered here
        # First in each write transaction: False while another replica projects.
        self.claim = claim
        self.low: int | None = None  # pending records are searched past this seq...
        self.high: int | None = None  # ...and new ones past this one (the newest handled)
        self._look_behind_at = 0.0  # monotonic time of the next search from ``low``
        self._current: tuple[ProfileSet, str] | None = None  # the active set, its version

    # -- driving -------------------------------------------------------------

    def run_until_idle(self, chunk: int = CHUNK) -> int:
        total = 0
        while True:
            n = self.run_once(chunk)
            total += n
            if n < chunk:
                return total

    def run_once(self, limit: int = CHUNK) -> int:
        """Project up to ``limit`` pending records; returns how many were handled.

        Records past the newest one handled are read first; the ``MARGIN`` behind it,
        where a late-committed batch may sit, is searched when nothing new is pending
        and at least every ``LOOK_BEHIND_S`` (searching it for every chunk cost about
        a third of the projection at catch-up: 20,000 rows probed per 1,000 read).
        """
        with self.sessions() as s:
            if self.low is None or self.high is None:
                top = s.scalar(select(func.max(ProjectedRecord.seq))) or 0
                self.low, self.high = max(top - MARGIN, 0), top
            behind = time.monotonic() >= self._look_behind_at
            pending = _pending(s, self.low if behind else self.high, limit)
            if not pending and not behind:  # nothing new: a late commit may be behind
                behind = True
                pending = _pending(s, self.low, limit)
            if behind:
                self._look_behind_at = time.monotonic() + LOOK_BEHIND_S
        if not pending:
            return 0
        try:
            with self.sessions.begin() as s:
                if not self.claim(s):
                    return 0
                self._apply(s, pending)
        except Exception:  # one bad record: redo this chunk one record at a time
            log.warning("projection chunk failed; retrying record by record", exc_info=True)
            for rec in pending:
                self._apply_alone(rec)
        top = max(r.seq for r in pending)
        self.low = max(self.low, top - MARGIN)
        self.high = max(self.high, top)
        return len(pending)

    def _apply_alone(self, rec: Any) -> None:
        try:
            with self.sessions.begin() as s:
                if not self.claim(s):
                    return
                self._apply(s, [rec])
        except Exception as exc:
            log.warning("record %s (%s) not projected: %s", rec.id, rec.kind, exc)
            with self.sessions.begin() as s:
                if self.claim(s) and s.get(ProjectedRecord, rec.id) is None:
                    s.add(
                        ProjectedRecord(
                            record_id=rec.id, seq=rec.seq, outcome="error", error=str(exc)[:2000]
                        )
                    )

    def _apply(self, s: Session, records: Sequence[Any]) -> None:
        """Project ``records`` (stored rows, in arrival order) in the caller's transaction."""
        decoded = [_decode(rec) for rec in records]
        chunk = Chunk(s, records, decoded)
        self._current = None  # the active profile set, read once per transaction
        for rec, record in zip(records, decoded, strict=True):
            if rec.id in chunk.projected:
                continue
            chunk.projected.add(rec.id)
            outcome, why = self._project(chunk, rec, record)
            chunk.add(
                ProjectedRecord,
                {"record_id": rec.id, "seq": rec.seq, "outcome": outcome, "error": why},
            )
        chunk.write(self.clock.now())

    def _project(
        self, chunk: Chunk, rec: Any, record: Record | UndecodableRecord
    ) -> tuple[str, str | None]:
        """One record's effect: (outcome, reason when refused or dead-lettered)."""
        s = chunk.s
        if isinstance(record, UndecodableRecord):
            _dead_letter(s, rec, record.reason, self.clock.now())
            return "dead_letter", record.reason
        if isinstance(record, LedgerEntryRecord):
            chunk.ledger.append((rec, record))
            return "applied", None
        if not isinstance(record, CheckpointRecord):  # a new kind that names no checkpoint
            raise TypeError(f"no projection for record kind {record.KIND!r}")
        cp_id = record.checkpoint_id
        known = chunk.checkpoint(cp_id)
        why = binding.refusal(known, rec.gateway_id)
        if known is not None and why is not None:
            binding.refuse(s, rec, known, why, self.clock.now())
            return "refused", why
        cp = self._checkpoint(s, known, cp_id, rec)
        chunk.checkpoints[cp_id] = cp
        if type(record) in ARCHIVE_ONLY:
            return "archived", None
        if type(record) not in _CHUNKED:  # its handler reads other tables: write what is kept
            chunk.write(self.clock.now())
        try:
            self._dispatch(chunk, rec, cp, record)
        except binding.Foreign as exc:  # raised before the handler changed anything
            victim = s.get(Checkpoint, exc.checkpoint_id)
            binding.refuse(s, rec, victim or cp, str(exc), self.clock.now())
            return "refused", str(exc)
        return "applied", None

    def _dispatch(self, chunk: Chunk, rec: Any, cp: Checkpoint, record: Record) -> None:
        s = chunk.s
        match record:
            case InspectionTransition():
                self._transition(chunk, rec, cp, record)
            case AnalyzerResultRecord():
                self._analyzer_result(chunk, rec, cp, record)
            case LabSampled() | LabDispatched() | LabReceived() | LabReported():
                self._lab(chunk, rec, cp, record)
            case AlertRaised():
                self._alert_raised(s, rec, cp, record)
            case AlertCleared():
                self._alert_cleared(s, rec, cp, record)
            case _:  # a kind registered but neither projected nor archive-only
                raise TypeError(f"no projection for record kind {record.KIND!r}")

    def _checkpoint(self, s: Session, cp: Checkpoint | None, cp_id: str, rec: Any) -> Checkpoint:
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

    def _transition(self, chunk: Chunk, rec: Any, cp: Checkpoint, t: InspectionTransition) -> None:
        s = chunk.s
        iid = t.inspection_id
        at = _at(t.at, rec.born_at)
        data = t.data
        insp = chunk.inspection(iid)
        binding.same_checkpoint(insp, cp, "inspection", iid)
        if insp is None:
            insp = PlainInspection(
                id=iid,
                checkpoint_id=cp.checkpoint_id,
                region_code=cp.region_code,
                plate=t.plate,
                state=t.to,
                opened_at=at,
                updated_at=at,
                last_seq=0,
                disagreement=False,
            )
            chunk.add_inspection(insp)
        if t.seq == 1 or isinstance(data, Arrived):
            insp.opened_at = min(insp.opened_at, at)
            insp.source = data.source if isinstance(data, Arrived) else None
        if t.seq >= insp.last_seq:
            insp.state = t.to
            insp.updated_at = at
            insp.last_seq = t.seq
            insp.plate = t.plate or insp.plate
        chunk.add(
            Transition,
            {
                "id": rec.id,
                "inspection_id": iid,
                **{k: getattr(t, k) for k in _TRANSITION_FIELDS},
                "to_state": t.to,
                "at": at,
                "data": payload_body(data),
            },
        )
        match data:
            case Registered():
                for k in _REG_FIELDS:
                    setattr(insp, k, getattr(data, k))
                insp.profile_id = data.profile_id
            case FastPassChecked():
                insp.fast_pass = data.green
                insp.fast_pass_report_id = data.report_id if data.green else None
            case Sampled():
                insp.sample_id = data.sample_id
            case ResultBound():
                insp.result = {
                    "indicators": data.indicators,
                    "uncertainty": data.uncertainty,
                    "analyzer_id": data.analyzer_id,
                    "result_id": data.result_id,
                }
            case Judged():
                self._rapid_verdict(chunk, rec, cp, insp, data.verdict, at)
            case Rerun() | ResultUnbound():
                insp.result = None
            case HeldForSeizure():
                self._seizure(s, cp, insp, data, at)

    def _seizure(
        self, s: Session, cp: Checkpoint, insp: PlainInspection, held: HeldForSeizure, at: datetime
    ) -> None:
        """查扣 (R22): a truck of coal bound for a 禁煤区 village is held at the checkpoint."""
        z = held.zone
        cp_alerts.raise_alert(
            s,
            checkpoint_id=cp.checkpoint_id,
            region_code=cp.region_code,
            kind=SEIZURE,
            subject=insp.id,
            message=f"{insp.plate} held for seizure: bound for {z.name or z.village} ({z.kind})",
            at=at,
            origin="cloud",
            detail={
                "plate": insp.plate,
                "coal_type": insp.coal_type,
                "weight_t": insp.weight_t,
                "village": z.village,
                "village_name": z.name,
                "zone_kind": z.kind,
                "published_on": z.published_on,
                "list_version": z.list_version,
            },
        )

    def _rapid_verdict(
        self,
        chunk: Chunk,
        rec: Any,
        cp: Checkpoint,
        insp: PlainInspection,
        verdict: Verdict,
        at: datetime,
    ) -> None:
        s = chunk.s
        overall = verdict.overall.value
        profile_id = verdict.profile_id or insp.profile_id
        measured = (insp.result or {}).get("indicators") or {}
        row = _verdict_values(rec, cp, verdict, "rapid", at, inspection_id=insp.id)
        row["sample_id"] = verdict.sample_id or insp.sample_id
        row["profile_id"], row["overall"], row["measured"] = profile_id, overall, measured
        insp.overall = overall
        insp.provisional = verdict.provisional
        if measured:
            j = self._rejudge(
                s,
                cp,
                at,
                verdict.profile_set,
                coal_type=insp.coal_type,
                gateway_profile_id=profile_id,
                gateway_overall=overall,
                sample_id=row["sample_id"] or insp.id,
                indicators=measured,
                uncertainty=(insp.result or {}).get("uncertainty"),
            )
            _judged(row, j)
            insp.cloud_overall = j.overall
            insp.disagreement = not j.agree
            if not j.agree:
                self._disagree(s, cp, insp.id, "rapid", j.disagreement or "", at, insp.plate)
        chunk.add(VerdictRow, row)

    def _rejudge(
        self,
        s: Session,
        cp: Checkpoint,
        at: datetime,
        gateway_set: str | None,
        **judging: Any,
    ) -> CloudJudgement:
        """Re-judge like with like: with the set the gateway used when the cloud holds it.

        A gateway on another set than the cloud's active one is a version gap,
        shown once per checkpoint and pair of versions; its verdicts are then
        compared under the gateway's set, or not at all when the cloud never
        had that set (the gap alert says so), never flagged truck by truck.
        """
        if self._current is None:  # read once per transaction: hashing a set is costly
            found = self.sets.current(s)
            self._current = (found, found.version)
        current, version = self._current
        if gateway_set is None or gateway_set == version:
            return rejudge(current, jurisdiction=cp.jurisdiction, version=version, **judging)
        theirs = self.sets.get(s, gateway_set)
        self._version_gap(s, cp, gateway_set, version, theirs is not None, at)
        if theirs is not None:
            return rejudge(theirs, jurisdiction=cp.jurisdiction, **judging)
        j = rejudge(current, jurisdiction=cp.jurisdiction, version=version, **judging)
        return CloudJudgement(
            j.profile_id,
            j.overall,
            j.verdict,
            None,
            version,
            uncompared=f"judged with profile set {gateway_set}, which the cloud does not hold",
        )

    def _version_gap(
        self, s: Session, cp: Checkpoint, theirs: str, ours: str, held: bool, at: datetime
    ) -> None:
        """One alert per checkpoint and version pair, raised at most once (even once resolved)."""
        subject = f"{theirs} -> {ours}"
        if cp_alerts.ever_raised(s, cp.checkpoint_id, VERSION_GAP, subject):
            return
        cp_alerts.raise_alert(
            s,
            checkpoint_id=cp.checkpoint_id,
            region_code=cp.region_code,
            kind=VERSION_GAP,
            subject=subject,
            message=(
                f"checkpoint judges with profile set {theirs}, the cloud with {ours}; "
                + (
                    "its verdicts are re-judged with its own set"
                    if held
                    else "the cloud does not hold that set: its verdicts are not compared"
                )
            ),
            at=at,
            origin="cloud",
            detail={"gateway_set": theirs, "cloud_set": ours, "held": held},
        )

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

    def _analyzer_result(
        self, chunk: Chunk, rec: Any, cp: Checkpoint, r: AnalyzerResultRecord
    ) -> None:
        if rec.id in chunk.readings:
            return
        chunk.readings.add(rec.id)
        chunk.add(
            AnalyzerReading,
            {
                "id": rec.id,
                "checkpoint_id": cp.checkpoint_id,
                "analyzer_id": r.analyzer_id,
                "sample_id": r.sample_id,
                "at": _at(r.at, rec.born_at),
                "indicators": r.indicators,
            },
        )

    # -- lab --------------------------------------------------------------------

    def _lab(self, chunk: Chunk, rec: Any, cp: Checkpoint, step: LabStep) -> None:
        s = chunk.s
        lab_id = step.lab_sample_id
        at = _at(step.at, rec.born_at)
        lab = s.get(LabSample, lab_id)
        binding.same_checkpoint(lab, cp, "lab sample", lab_id)
        inspection_id = step.inspection_id if isinstance(step, LabSampled | LabReported) else None
        if inspection_id:
            linked = chunk.inspection(inspection_id)
            binding.same_checkpoint(linked, cp, "inspection", inspection_id)
        if lab is None:
            lab = LabSample(
                id=lab_id,
                checkpoint_id=cp.checkpoint_id,
                region_code=cp.region_code,
                sample_id=step.sample_id or lab_id,
                dispatch_alerted=False,
                report_alerted=False,
            )
            s.add(lab)
        if inspection_id:
            lab.inspection_id = inspection_id
        match step:
            case LabSampled():
                lab.seal_no = step.seal_no
                lab.profile_id = step.profile_id
                lab.sampled_at = at
                lab.dispatch_due = _at(step.dispatch_due, at)
            case LabDispatched():
                lab.dispatched_at = at
                lab.lab_name = step.lab_name
                cp_alerts.clear_alert(
                    s, cp.checkpoint_id, "lab.dispatch_overdue", lab.sample_id, at
                )
            case LabReceived():
                lab.received_at = _at(step.received_at, at)
                lab.report_due = _at(step.report_due, at)
            case LabReported():
                self._lab_report(chunk, rec, cp, lab, step, at)

    def _lab_report(
        self,
        chunk: Chunk,
        rec: Any,
        cp: Checkpoint,
        lab: LabSample,
        report: LabReported,
        at: datetime,
    ) -> None:
        s = chunk.s
        lab.reported_at = at
        lab.report_no = report.report_no
        lab.indicators = report.indicators
        lab.overall = report.overall
        cp_alerts.clear_alert(s, cp.checkpoint_id, "lab.report_overdue", lab.sample_id, at)
        verdict = report.verdict
        insp = chunk.inspection(lab.inspection_id) if lab.inspection_id else None
        j = self._rejudge(
            s,
            cp,
            at,
            verdict.profile_set,
            coal_type=insp.coal_type if insp else None,
            gateway_profile_id=verdict.profile_id or lab.profile_id,
            gateway_overall=lab.overall,
            sample_id=lab.sample_id,
            indicators=lab.indicators or {},
        )
        lab.cloud_overall = j.overall
        values = _verdict_values(rec, cp, verdict, "lab", at, inspection_id=lab.inspection_id)
        values["lab_sample_id"], values["sample_id"] = lab.id, lab.sample_id
        values["profile_id"] = verdict.profile_id or lab.profile_id
        values["overall"], values["measured"] = lab.overall, lab.indicators or {}
        _judged(values, j)
        row = VerdictRow(**values)
        s.add(row)
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
            open_case(
                s, self.referrals, cp=cp, lab=lab, insp=insp, lab_verdict=row, office=office, at=at
            )

    # -- alerts -----------------------------------------------------------------

    def _alert_raised(self, s: Session, rec: Any, cp: Checkpoint, a: AlertRaised) -> None:
        cp_alerts.raise_alert(
            s,
            checkpoint_id=cp.checkpoint_id,
            region_code=cp.region_code,
            kind=a.kind or "unknown",
            subject=a.subject,
            message=a.message,
            at=_at(a.at, rec.born_at),
            origin="gateway",
            detail={"alert_id": a.alert_id, **a.detail},
        )

    def _alert_cleared(self, s: Session, rec: Any, cp: Checkpoint, a: AlertCleared) -> None:
        cp_alerts.clear_alert(s, cp.checkpoint_id, a.kind, a.subject, _at(a.at, rec.born_at))


_VERDICT_COLUMNS = tuple(c.key for c in VerdictRow.__table__.c)


def _verdict_values(
    rec: Any, cp: Checkpoint, verdict: Verdict, source: str, at: datetime, **more: Any
) -> dict[str, Any]:
    """A gateway's verdict (rapid or lab) placed at its checkpoint, every column named (a
    bulk insert's rows share their keys); the caller fills in the rest."""
    values: dict[str, Any] = dict.fromkeys(_VERDICT_COLUMNS)
    values.update(
        id=rec.id,
        checkpoint_id=cp.checkpoint_id,
        region_code=cp.region_code,
        source=source,
        at=at,
        profile_version=verdict.profile_version,
        profile_set=verdict.profile_set,
        indicators=_indicators(verdict),
        measured={},
        **more,
    )
    return values


def _judged(row: dict[str, Any], j: CloudJudgement) -> None:
    """The cloud's own verdict beside the gateway's (one rule for rapid and lab)."""
    row["cloud_profile_id"], row["cloud_overall"] = j.profile_id, j.overall
    row["cloud_profile_set"] = j.profile_set
    if j.uncompared:
        row["agree"], row["disagreement"] = None, j.uncompared
    else:
        row["agree"], row["disagreement"] = j.agree, j.disagreement


def _indicators(verdict: Verdict) -> list[dict[str, Any]]:
    """Per-indicator verdicts as the gateway sent them (JSON)."""
    return [i.model_dump(mode="json") for i in verdict.indicators]


def _pending(s: Session, after: int, limit: int) -> list[Any]:
    """Stored records past seq ``after`` that no projector has handled, in arrival order."""
    t = GatewayRecordRow.__table__
    q = (
        select(t.c.seq, t.c.id, t.c.gateway_id, t.c.kind, t.c.priority, t.c.born_at, t.c.body)
        .outerjoin(ProjectedRecord, ProjectedRecord.record_id == t.c.id)
        .where(ProjectedRecord.record_id.is_(None), t.c.seq > after)
        .order_by(t.c.seq)
        .limit(limit)
    )
    return list(s.connection().execute(q))  # Core: rows, not ORM results


def _decode(rec: Any) -> Record | UndecodableRecord:
    """The stored record as its model, or the reason it is undecodable."""
    try:
        return decode(rec.kind, rec.body)
    except UndecodableRecord as exc:
        return exc


def _dead_letter(s: Session, rec: Any, reason: str, now: datetime) -> None:
    """Keep a record the registry cannot decode, with the reason (outcome ``undecodable``)."""
    log.warning("record %s (%s) from gateway %s: %s", rec.id, rec.kind, rec.gateway_id, reason)
    dead_letter_record(s, rec, "undecodable", reason, now)
