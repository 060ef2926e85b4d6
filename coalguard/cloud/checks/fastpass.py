"""The fast-pass registry (R11): companies' quality reports and their trucks.

A report counts only when the cloud's own judgement of its values passes the
profile the region's jurisdiction enforces, and only until it expires. A
checkpoint's list holds the trucks registered for its region or any region
containing it, as the one model the gateway reads (``coalguard.edge.fastpass``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalguard.cloud.checks.tables import FastPassReport, FastPassTruck, Inspection
from coalguard.edge import fastpass, listfile
from coalguard.edge.clock import LOCAL_TZ
from coalguard.edge.model import Sample
from coalguard.edge.plates import normalize_plate
from coalguard.edge.quality import Jurisdiction, ProfileSet, UnknownProfile, judge
from coalguard.errors import CoalguardError, WordedValueError


class FastPassError(WordedValueError):
    """A report or truck the registry refuses, with the reason (a ``[refusal]`` key)."""


def jurisdiction_for(profiles: ProfileSet, region_code: str) -> Jurisdiction | None:
    """The jurisdiction whose region code is the longest prefix of ``region_code``."""
    best: Jurisdiction | None = None
    for j in profiles.jurisdictions.values():
        rc = j.region_code or ""
        if (
            rc
            and region_code.startswith(rc)
            and (best is None or len(rc) > len(best.region_code or ""))
        ):
            best = j
    return best


def judge_report(
    profiles: ProfileSet, region_code: str, coal_type: str, report_id: str, values: dict
) -> tuple[str, str]:
    """(profile id, overall) of a company's report under the region's rules."""
    j = jurisdiction_for(profiles, region_code)
    if j is None:
        raise FastPassError("fp_region", region=region_code)
    try:
        profile = profiles.for_coal(j.id, coal_type)
    except UnknownProfile as exc:
        raise FastPassError("fp_coal_type", coal_type=coal_type, detail=str(exc)) from None
    try:
        v = judge(Sample(sample_id=report_id, indicators=values), profile)
    except (ValueError, CoalguardError) as exc:
        raise FastPassError("fp_indicators", why=exc, detail=str(exc)) from None
    return profile.id, v.overall.value


def report_view(s: Session, r: FastPassReport) -> dict[str, Any]:
    return {
        "report_id": r.report_id,
        "company": r.company,
        "region_code": r.region_code,
        "coal_type": r.coal_type,
        "lab": r.lab,
        "issued_on": r.issued_on.isoformat(),
        "expires": r.expires.isoformat(),
        "quantity_t": r.quantity_t,
        "remaining_t": remaining(s, r),
        "indicators": r.indicators,
        "profile_id": r.profile_id,
        "overall": r.overall,
        "accepted": r.overall == "pass",
        "uploaded_by": r.uploaded_by,
        "uploaded_at": r.uploaded_at.isoformat(),
    }


def add_truck(
    s: Session, plate: str, region_code: str, report_id: str, who: str, at: datetime
) -> FastPassTruck:
    report = s.get(FastPassReport, report_id)
    if report is None or not region_code.startswith(report.region_code):
        raise FastPassError("fp_no_report", report_id=report_id, region=region_code)
    if report.overall != "pass":
        raise FastPassError("fp_report_fails", report_id=report_id, overall=report.overall)
    p = normalize_plate(plate)
    if len(p) < 2:
        raise FastPassError("fp_plate_short")
    truck = s.scalars(
        select(FastPassTruck).where(
            FastPassTruck.plate == p, FastPassTruck.region_code == region_code
        )
    ).first()
    if truck is None:
        truck = FastPassTruck(plate=p, region_code=region_code)
        s.add(truck)
    truck.company = report.company
    truck.report_id = report_id
    truck.registered_by = who
    truck.registered_at = at
    truck.active = True
    s.flush()
    return truck


def listed(s: Session, checkpoint_region: str, today: date) -> fastpass.FastPassList:
    """Trucks valid at a checkpoint of ``checkpoint_region`` today, one per plate."""
    prefixes = [checkpoint_region[:k] for k in range(1, len(checkpoint_region) + 1)]
    rows = s.execute(
        select(FastPassTruck, FastPassReport)
        .join(FastPassReport, FastPassReport.report_id == FastPassTruck.report_id)
        .where(
            FastPassTruck.active.is_(True),
            FastPassTruck.region_code.in_(prefixes),
            FastPassReport.overall == "pass",
            FastPassReport.expires >= today,
        )
        .order_by(FastPassTruck.plate, FastPassReport.expires.desc())
    )
    out: dict[str, fastpass.FastPassTruck] = {}
    left: dict[str, float] = {}
    for truck, report in rows:
        if truck.plate not in out:
            if report.report_id not in left:
                left[report.report_id] = remaining(s, report)
            out[truck.plate] = fastpass.FastPassTruck(
                plate=truck.plate,
                company=report.company,
                report_id=report.report_id,
                expires=report.expires,
                coal_type=report.coal_type,
                valid_from=report.issued_on,
                quantity_t=left[report.report_id],
            )
    trucks = list(out.values())
    return fastpass.FastPassList(
        format=fastpass.FORMAT, version=listfile.version_of(trucks, today), trucks=trucks
    )


def remaining(s: Session, report: FastPassReport) -> float:
    """Tonnes the report still covers: its quantity less the green lanes drawn on it."""
    used = s.scalar(
        select(func.coalesce(func.sum(Inspection.weight_t), 0.0)).where(
            Inspection.fast_pass_report_id == report.report_id,
            Inspection.state != "cancelled",
        )
    )
    return max(float(report.quantity_t or 0.0) - float(used or 0.0), 0.0)


def today_local(now: datetime) -> date:
    return now.astimezone(LOCAL_TZ).date()
