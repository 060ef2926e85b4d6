"""The one seam between the rates and the illegal-sale cases (R24, ``cases.py``).

The rates ask only this: how many cases a region opened in a period and how many
were handled (closed: rectification accepted, or shut), with the names of the
points whose cases are still open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.market.cases import case_disposal
from coalguard.cloud.market.sales_tables import Case
from coalguard.cloud.market.tables import BusinessPoint


@dataclass(frozen=True)
class CaseCounts:
    total: int = 0
    handled: int = 0
    open_points: list[str] = field(default_factory=list)  # names of points with an open case
    source: str | None = None  # the table counted


def case_counts(s: Session, region: str, since: date, until: date) -> CaseCounts:
    """Cases opened in ``region`` from ``since`` to ``until`` (local days, inclusive)."""
    d = case_disposal(s, region, (since, until))
    names: list[str] = []
    if d.open_cases:
        q = (
            select(BusinessPoint.name)
            .join(Case, Case.point_id == BusinessPoint.id)
            .where(Case.id.in_(d.open_cases))
            .distinct()
        )
        names = sorted(s.scalars(q))
    return CaseCounts(d.opened, d.disposed, names, Case.__tablename__)
