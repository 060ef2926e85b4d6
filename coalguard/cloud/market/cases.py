"""Illegal-sale cases (R24), the one home of cases: opened from a finding, a failing
sample or a tip (``cloud/casework/tips.py``), on a sales point or on another subject
(a household, a village, a truck: ``CaseSubject``), up the penalty ladder
限期整改 → 查封 → 关停, closed by an accepted rectification or by shutting.

While a case is open its point is under rectification (``points.start_rectification``)
and records no sales; the rectification accepted on its last open case lets it
trade again. Each step has a deadline from ``sales_rules.toml``; an open case past
it raises one overdue alert (``sweep_overdue``). Seized tonnes are handed over to
发改 in the handover ledger; disposal and publication (曝光台) are recorded. Every
change appends a ``CaseEvent``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalguard.cloud.market.alerts import clear_market_alert, raise_market_alert
from coalguard.cloud.market.points import accept_rectification, start_rectification
from coalguard.cloud.market.sales import local_day
from coalguard.cloud.market.sales_rules import SalesRules
from coalguard.cloud.market.sales_tables import Case, CaseEvent, Finding, Handover
from coalguard.cloud.market.tables import BusinessPoint
from coalguard.edge.clock import LOCAL_TZ
from coalguard.errors import WordedValueError

OPEN, CLOSED = "open", "closed"
OVERDUE_KIND = "market.case_overdue"


class CaseError(WordedValueError):
    """What a case refuses, worded from the ``[market_cases]`` catalog table."""

    section = "market_cases"


def _event(s: Session, case: Case, action: str, by: str, at: datetime, **detail: Any) -> None:
    s.add(CaseEvent(case_id=case.id, action=action, by=by, at=at, detail=detail))


def _open_only(case: Case) -> None:
    if case.status != OPEN:
        raise CaseError("case_closed", case=case.id)


SUBJECT_KINDS = ("point", "household", "village", "truck")


@dataclass(frozen=True)
class CaseSubject:
    """What a case concerns: a sales point, or a household, village or truck named by
    ``ref`` (a household reference, a village code, a plate) in ``region_code``."""

    kind: str
    region_code: str
    ref: str | None = None
    point: BusinessPoint | None = None

    @classmethod
    def of_point(cls, point: BusinessPoint) -> CaseSubject:
        return cls("point", point.region_code, point.code, point)


def open_case(
    s: Session,
    point: BusinessPoint,
    rules: SalesRules,
    *,
    violation: str | None,
    by: str,
    now: datetime,
    finding: Finding | None = None,
    sample_ref: str | None = None,
    summary: str = "",
) -> Case:
    """A case on a point at the first rung (限期整改): it stops selling until accepted."""
    if finding is not None and finding.point_id != point.id:
        raise CaseError("finding_other_point", finding=finding.id)
    violation = violation or (rules.violation_for(finding.kind) if finding else None)
    origin = "finding" if finding else "sample" if sample_ref else "office"
    return open_case_on(
        s,
        CaseSubject.of_point(point),
        rules,
        violation=violation,
        by=by,
        now=now,
        origin=origin,
        finding=finding,
        sample_ref=sample_ref,
        summary=summary,
    )


def open_case_on(
    s: Session,
    subject: CaseSubject,
    rules: SalesRules,
    *,
    violation: str | None,
    by: str,
    now: datetime,
    origin: str = "office",
    finding: Finding | None = None,
    sample_ref: str | None = None,
    summary: str = "",
    deadline: date | None = None,
) -> Case:
    """A case at the first rung (限期整改), rectification due by ``deadline`` (default:
    the ladder's days); a point under it stops selling until it is accepted."""
    if violation not in rules.violation_codes():
        raise CaseError("violation", value=violation, known=", ".join(rules.violation_codes()))
    if subject.kind not in SUBJECT_KINDS or (subject.kind == "point") != bool(subject.point):
        raise CaseError("subject", value=subject.kind, known=", ".join(SUBJECT_KINDS))
    today = local_day(now)
    if deadline is not None and deadline < today:
        raise CaseError("deadline_past", deadline=deadline)
    step = "rectify"
    deadline = deadline or rules.deadline(step, today)
    point = subject.point
    case = Case(
        point_id=point.id if point else None,
        subject_kind=subject.kind,
        subject_ref=(subject.ref or "")[:100] or None,
        region_code=subject.region_code,
        violation=violation,
        origin=origin,
        finding_id=finding.id if finding else None,
        sample_ref=sample_ref,
        summary=summary[:2000],
        step=step,
        step_since=today,
        deadline=deadline,
        status=OPEN,
        seized_t=0.0,
        opened_by=by,
        opened_at=now,
    )
    s.add(case)
    s.flush()
    if point is not None:
        start_rectification(s, point, f"case {case.id}: {violation}", deadline or today, now)
    _event(s, case, "opened", by, now, violation=violation, step=step, deadline=str(deadline))
    s.flush()
    return case


def escalate(s: Session, case: Case, rules: SalesRules, by: str, now: datetime) -> Case:
    """Up one rung (整改 → 查封 → 关停); 关停 shuts the point and closes the case."""
    _open_only(case)
    step = rules.next_step(case.step)
    if step is None:
        raise CaseError("ladder_top", case=case.id)
    today = local_day(now)
    case.step, case.step_since = step, today
    case.deadline = rules.deadline(step, today)
    case.overdue_alerted = False
    clear_market_alert(s, OVERDUE_KIND, _subject(case), now)
    point = s.get(BusinessPoint, case.point_id) if case.point_id is not None else None
    _event(s, case, "escalated", by, now, step=step)
    if step == "shut":
        if point is not None:
            point.status, point.updated_at = "shut", now
        _close(s, case, "shut", by, now)
    s.flush()
    return case


def accept(s: Session, case: Case, by: str, now: datetime, note: str = "") -> Case:
    """The rectification is accepted (整改验收): the case closes; the point sells again
    once no other case of it is open."""
    _open_only(case)
    _close(s, case, "rectified", by, now, note=note)
    if case.point_id is None:
        s.flush()
        return case
    point = s.get(BusinessPoint, case.point_id)
    assert point is not None
    still_open = s.scalar(
        select(func.count()).where(Case.point_id == point.id, Case.status == OPEN)
    )
    if not still_open and point.status == "rectifying":
        accept_rectification(s, point, now)
    s.flush()
    return case


def _close(s: Session, case: Case, outcome: str, by: str, now: datetime, **detail: Any) -> None:
    case.status, case.outcome, case.closed_at = CLOSED, outcome, now
    case.deadline = None
    clear_market_alert(s, OVERDUE_KIND, _subject(case), now)
    _event(s, case, "closed", by, now, outcome=outcome, **detail)


def seize(s: Session, case: Case, tonnes: float, by: str, now: datetime) -> Case:
    """Coal seized (查扣) in this case, in tonnes (added up)."""
    if not 0 < tonnes <= 100_000:
        raise CaseError("tonnes", value=tonnes)
    case.seized_t = round(case.seized_t + tonnes, 3)
    _event(s, case, "seized", by, now, tonnes=tonnes)
    s.flush()
    return case


def hand_over(
    s: Session, case: Case, tonnes: float, receiver: str, on: date, by: str, now: datetime
) -> Handover:
    """Seized coal handed to 发改 (the handover ledger); never more than was seized."""
    handed = handed_over(s, case.id)
    if not 0 < tonnes <= case.seized_t - handed + 1e-9:
        raise CaseError("handover_tonnes", tonnes=tonnes, left=round(case.seized_t - handed, 3))
    if not receiver.strip():
        raise CaseError("receiver")
    row = Handover(
        case_id=case.id,
        region_code=case.region_code,
        tonnes=tonnes,
        receiver=receiver.strip()[:200],
        handed_on=on,
        recorded_by=by,
        recorded_at=now,
    )
    s.add(row)
    _event(s, case, "handed_over", by, now, tonnes=tonnes, receiver=row.receiver)
    s.flush()
    return row


def handed_over(s: Session, case_id: int) -> float:
    total = s.scalar(select(func.sum(Handover.tonnes)).where(Handover.case_id == case_id))
    return round(total or 0.0, 3)


def dispose(s: Session, case: Case, disposal: str, by: str, now: datetime) -> Case:
    """How the seized coal was disposed of (处置) and its proceeds."""
    if not disposal.strip():
        raise CaseError("disposal")
    case.disposal = disposal.strip()[:2000]
    _event(s, case, "disposed", by, now, disposal=case.disposal)
    s.flush()
    return case


def publish(s: Session, case: Case, by: str, now: datetime) -> Case:
    """The case published on the 曝光台 (today, local)."""
    case.published_on = local_day(now)
    _event(s, case, "published", by, now)
    s.flush()
    return case


def _subject(case: Case) -> str:
    return f"case-{case.id}"


def sweep_overdue(s: Session, now: datetime) -> int:
    """One alert per open case past its step's deadline (local day); how many were raised."""
    today = local_day(now)
    n = 0
    q = select(Case).where(
        Case.status == OPEN, Case.deadline < today, Case.overdue_alerted.is_(False)
    )
    for case in s.scalars(q):
        raise_market_alert(
            s,
            kind=OVERDUE_KIND,
            subject=_subject(case),
            region_code=case.region_code,
            message=f"case {case.id}: {case.step} overdue since {case.deadline}",
            at=now,
            point_id=case.point_id,
            detail={"case_id": case.id, "step": case.step, "deadline": str(case.deadline)},
        )
        case.overdue_alerted = True
        n += 1
    return n


@dataclass(frozen=True)
class CaseDisposal:
    """Cases of a region opened in a period and how many were disposed of (closed)."""

    opened: int
    disposed: int
    open_cases: list[int] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        """Disposed / opened (None when no case was opened: nothing to dispose of)."""
        return self.disposed / self.opened if self.opened else None


def case_disposal(s: Session, region: str, period: tuple[date, date]) -> CaseDisposal:
    """Cases of ``region`` (prefix) opened on the local days ``period`` (inclusive) and how
    many are closed: the case disposal rate's numbers (R6: 100 % handled)."""
    first, last = period
    start = datetime.combine(first, time(), LOCAL_TZ)
    end = datetime.combine(last + timedelta(days=1), time(), LOCAL_TZ)
    inside = s.execute(
        select(Case.id, Case.status).where(
            Case.region_code.startswith(region), Case.opened_at >= start, Case.opened_at < end
        )
    ).all()
    return CaseDisposal(
        opened=len(inside),
        disposed=sum(1 for _, st in inside if st == CLOSED),
        open_cases=sorted(cid for cid, st in inside if st == OPEN),
    )


def cases_in(s: Session, region: str, status: str | None = None) -> list[Case]:
    q = select(Case).where(Case.region_code.startswith(region))
    if status:
        q = q.where(Case.status == status)
    return list(s.scalars(q.order_by(Case.id.desc())))


def events_of(s: Session, case_id: int) -> list[CaseEvent]:
    return list(
        s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))
    )
