"""Region queries shared by the API, the reports and the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from coalguard.cloud.checks.tables import (
    Checkpoint,
    CheckpointAlert,
    Inspection,
    LabSample,
    Transition,
    VerdictRow,
)
from coalguard.cloud.scope import aware
from coalguard.edge.plain import iso_or_none, plain
from coalguard.edge.quality import IndicatorVerdict
from coalguard.edge.quality.compare import side_by_side

RESULTS = ("pass", "fail", "retest", "incomplete", "no_limits")


INSPECTION_COLUMNS = [
    "id",
    "checkpoint_id",
    "region_code",
    "plate",
    "state",
    "opened_at",
    "updated_at",
    "source",
    "driver",
    "origin",
    "destination",
    "coal_type",
    "weight_t",
    "waybill_no",
    "profile_id",
    "fast_pass",
    "sample_id",
    "overall",
    "cloud_overall",
    "disagreement",
]


def inspection_view(i: Inspection) -> dict[str, Any]:
    return plain(i, INSPECTION_COLUMNS, iso=("opened_at", "updated_at"))


VERDICT_FIELDS = (
    "id",
    "source",
    "inspection_id",
    "lab_sample_id",
    "checkpoint_id",
    "at",
    "sample_id",
    "profile_id",
    "overall",
    "cloud_profile_id",
    "cloud_overall",
    "agree",
    "disagreement",
    "measured",
    "indicators",
)


def verdict_view(v: VerdictRow) -> dict[str, Any]:
    return plain(v, VERDICT_FIELDS, iso=("at",))


LAB_FIELDS = (
    "id",
    "inspection_id",
    "checkpoint_id",
    "sample_id",
    "seal_no",
    "profile_id",
    "sampled_at",
    "dispatch_due",
    "dispatched_at",
    "lab_name",
    "received_at",
    "report_due",
    "reported_at",
    "report_no",
    "overall",
    "cloud_overall",
    "referred_to",
)
LAB_TIMES = (
    "sampled_at",
    "dispatch_due",
    "dispatched_at",
    "received_at",
    "report_due",
    "reported_at",
)


def lab_view(lab: LabSample, now: datetime) -> dict[str, Any]:
    return {**plain(lab, LAB_FIELDS, iso=LAB_TIMES), "overdue": lab_overdue(lab, now)}


def lab_overdue(lab: LabSample, now: datetime) -> str | None:
    if lab.dispatched_at is None and lab.dispatch_due and lab.dispatch_due < now:
        return "dispatch"
    if lab.reported_at is None and lab.report_due and lab.report_due < now:
        return "report"
    return None


def overdue_clause(now: datetime):  # type: ignore[no-untyped-def]
    return or_(
        and_(LabSample.dispatched_at.is_(None), LabSample.dispatch_due < now),
        and_(LabSample.reported_at.is_(None), LabSample.report_due < now),
    )


class InspectionFilter(BaseModel):
    """What inspections may be narrowed by (the query of ``GET /inspections``).

    A time without a zone is UTC.
    """

    checkpoint: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    plate: str | None = Field(None, max_length=16)
    origin: str | None = Field(None, max_length=100)
    coal_type: str | None = Field(None, max_length=32)
    result: Literal["pass", "fail", "retest", "incomplete", "no_limits"] | None = None
    state: str | None = Field(None, max_length=20)
    disagreement: bool | None = None

    _utc = field_validator("since", "until")(aware)


def where_given(
    q: Select[Any], given: BaseModel, table: Any, at: Any, **special: Callable[[Any], Any]
) -> Select[Any]:
    """``q`` narrowed by each field of ``given`` that was given (not None, not empty).

    ``since``/``until`` bound the time column ``at``, ``checkpoint`` is the
    ``checkpoint_id``, a bool matches with IS, any other field equals the
    column of its name; ``special`` builds the clause of a field that differs.
    ``region`` and ``limit`` are not filters (the caller scopes and pages).
    """
    usual = {"since": at.__ge__, "until": at.__lt__, "checkpoint": table.checkpoint_id.__eq__}
    for name, value in given:
        if value is None or value == "" or name in ("region", "limit"):
            continue
        clause = special.get(name) or usual.get(name)
        if clause is None:
            column = getattr(table, name)
            clause = column.is_ if isinstance(value, bool) else column.__eq__
        q = q.where(clause(value))
    return q


def find_inspections(region: str, f: InspectionFilter) -> Select[tuple[Inspection]]:
    return where_given(
        select(Inspection).where(Inspection.region_code.startswith(region)),
        f,
        Inspection,
        Inspection.opened_at,
        plate=lambda v: Inspection.plate.contains(v.upper().replace(" ", "")),
        origin=Inspection.origin.contains,
        result=Inspection.overall.__eq__,
    )


def _sum(cond) -> Any:  # type: ignore[no-untyped-def]
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def summary(
    s: Session,
    region: str,
    since: datetime,
    until: datetime,
    now: datetime,
    by: str | None = None,
) -> list[dict[str, Any]]:
    """Checks, results, turned back, fast pass, disagreements and lab overdue per group.

    ``by`` is ``checkpoint``, ``origin`` or None (one row for the region).
    """
    key = {
        "checkpoint": Inspection.checkpoint_id,
        "origin": Inspection.origin,
        None: None,
    }[by]
    cols = [
        func.count().label("checked"),
        *(_sum(Inspection.overall == r).label(r) for r in RESULTS),
        _sum(Inspection.state == "turned_back").label("turned_back"),
        _sum(Inspection.state == "released").label("released"),
        _sum(Inspection.state == "lab_sample").label("lab_sampled"),
        _sum(Inspection.fast_pass.is_(True)).label("fast_pass"),
        _sum(Inspection.disagreement.is_(True)).label("disagreements"),
    ]
    q = select(*(([key.label("key")] if key is not None else []) + cols)).where(
        Inspection.region_code.startswith(region),
        Inspection.opened_at >= since,
        Inspection.opened_at < until,
    )
    if key is not None:
        q = q.group_by(key).order_by(key)
    rows = [dict(r._mapping) for r in s.execute(q)]
    overdue = _lab_overdue_counts(s, region, now, by)
    out = []
    for r in rows:
        k = r.pop("key", None)
        judged = sum(int(r[x]) for x in RESULTS)
        d = {k2: int(v) for k2, v in r.items()}
        d["judged"] = judged
        for x in ("pass", "fail", "retest"):
            d[f"{x}_rate"] = round(d[x] / judged, 4) if judged else None
        d["lab_overdue"] = overdue.get(k, 0) if by else sum(overdue.values())
        if by:
            d[by] = k
        out.append(d)
    if by:  # groups with overdue lab samples but no checks in the range
        seen = {d[by] for d in out}
        for k, n in overdue.items():
            if k not in seen:
                out.append({by: k, "checked": 0, "judged": 0, "lab_overdue": n})
    return out


def _lab_overdue_counts(s: Session, region: str, now: datetime, by: str | None) -> dict:
    where = (LabSample.region_code.startswith(region), overdue_clause(now))
    if by == "origin":
        q = (
            select(Inspection.origin, func.count())
            .select_from(LabSample)
            .join(Inspection, Inspection.id == LabSample.inspection_id)
            .where(*where)
            .group_by(Inspection.origin)
        )
    elif by == "checkpoint":
        q = (
            select(LabSample.checkpoint_id, func.count())
            .where(*where)
            .group_by(LabSample.checkpoint_id)
        )
    else:
        return {None: int(s.scalar(select(func.count()).select_from(LabSample).where(*where)))}
    return {k: int(v) for k, v in s.execute(q)}


def inspection_detail(s: Session, i: Inspection, now: datetime) -> dict[str, Any]:
    steps = s.scalars(
        select(Transition).where(Transition.inspection_id == i.id).order_by(Transition.seq)
    )
    verdicts = list(
        s.scalars(
            select(VerdictRow).where(VerdictRow.inspection_id == i.id).order_by(VerdictRow.at)
        )
    )
    labs = list(s.scalars(select(LabSample).where(LabSample.inspection_id == i.id)))
    return {
        **inspection_view(i),
        "result": i.result,
        "transitions": [
            {
                "seq": t.seq,
                "action": t.action,
                "from": t.from_state,
                "to": t.to_state,
                "at": iso_or_none(t.at),
                "operator": t.operator,
                "reason": t.reason,
            }
            for t in steps
        ],
        "verdicts": [verdict_view(v) for v in verdicts],
        "lab_samples": [lab_view(lab, now) for lab in labs],
        "lab_results": lab_beside_rapid(verdicts, {lab.id: lab for lab in labs}),
    }


def lab_beside_rapid(
    verdicts: list[VerdictRow], labs: dict[str, LabSample]
) -> list[dict[str, Any]]:
    """Each lab verdict with the latest rapid one beside it, indicator by indicator."""
    rapid = next((v for v in reversed(verdicts) if v.source == "rapid"), None)
    rapid_inds = indicator_verdicts(rapid)
    out = []
    for v in verdicts:
        if v.source != "lab":
            continue
        lab = labs.get(v.lab_sample_id or "")
        same = rapid is not None and (rapid.profile_id, rapid.profile_version) == (
            v.profile_id,
            v.profile_version,
        )
        out.append(
            {
                "lab_sample_id": v.lab_sample_id,
                "sample_id": v.sample_id,
                "report_no": lab.report_no if lab else None,
                "at": iso_or_none(v.at),
                "profile_id": v.profile_id,
                "profile_version": v.profile_version,
                "overall": v.overall,
                "cloud_overall": v.cloud_overall,
                "rapid_profile_id": rapid.profile_id if rapid else None,
                "rapid_profile_version": rapid.profile_version if rapid else None,
                "rapid_overall": rapid.overall if rapid else None,
                "same_profile": same,
                "indicators": [
                    p.model_dump(mode="json")
                    for p in side_by_side(rapid_inds, indicator_verdicts(v))
                ],
            }
        )
    return out


def indicator_verdicts(v: VerdictRow | None) -> list[IndicatorVerdict]:
    """A stored verdict's per-indicator outcomes (none for no verdict)."""
    return [IndicatorVerdict.model_validate(i) for i in (v.indicators if v else [])]


def checkpoints_in(s: Session, region: str) -> list[Checkpoint]:
    return list(
        s.scalars(
            select(Checkpoint)
            .where(Checkpoint.region_code.startswith(region))
            .order_by(Checkpoint.checkpoint_id)
        )
    )


def open_checkpoint_alerts(s: Session, region: str) -> dict[str, int]:
    rows = s.execute(
        select(CheckpointAlert.severity, func.count())
        .where(
            CheckpointAlert.region_code.startswith(region),
            CheckpointAlert.status.in_(("open", "acknowledged")),
        )
        .group_by(CheckpointAlert.severity)
    )
    return {k: int(v) for k, v in rows}
