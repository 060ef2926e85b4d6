"""The one seam between the rates and the illegal-sale cases (R24; issue 15's cases part).

The rates ask only this: how many cases a region opened in a period and how many
were handled (处置), with the points of those still open. Until the cases' table
exists this answers honestly that there are none (``source`` None), and the
case-disposal rate reads "no cases"; the cases package replaces the body of
``case_counts`` with a count from its table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class CaseCounts:
    total: int = 0
    handled: int = 0
    open_points: list[str] = field(default_factory=list)  # names of points with an open case
    source: str | None = None  # the table counted, None: no case register yet


def case_counts(s: Session, region: str, since: date, until: date) -> CaseCounts:
    """Cases opened in ``region`` from ``since`` to ``until`` (local days, inclusive)."""
    return CaseCounts()
