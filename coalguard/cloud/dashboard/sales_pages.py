"""View models of a sales point's books page (the clerk's forms, mobile-friendly; stock,
findings and recent forms) and of the cases page. Buyers are masked as the API masks
them; the reveal button (clerk of the point, market supervision, admins) asks the API,
which audits it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalguard.cloud.access import BUYER_REVEALERS, SALES_RECORDERS
from coalguard.cloud.auth import Operator
from coalguard.cloud.market import cases
from coalguard.cloud.market.books import books_view
from coalguard.cloud.market.points import may_record_sales
from coalguard.cloud.market.tables import BusinessPoint
from coalguard.cloud.privacy import for_caller
from coalguard.edge.quality.profiles import COAL_TYPES


@dataclass(frozen=True)
class BooksPage:
    point: BusinessPoint
    may_sell: bool
    not_selling_reason: str | None  # a ``[market]`` key
    can_record: bool
    can_reveal: bool
    coal_types: tuple[str, ...]
    books: dict[str, Any]


def books_page(s: Session, op: Operator, p: BusinessPoint) -> BooksPage:
    allowed = may_record_sales(p)
    return BooksPage(
        point=p,
        may_sell=bool(allowed),
        not_selling_reason=allowed.reason,
        can_record=op.role in SALES_RECORDERS,
        can_reveal=op.role in BUYER_REVEALERS,
        coal_types=COAL_TYPES,
        books=for_caller(books_view(s, p), op.sees_personal_data),
    )


@dataclass(frozen=True)
class CaseRow:
    id: int
    point_id: int
    point_code: str
    violation: str
    step: str
    deadline: date | None
    overdue: bool
    seized_t: float
    handed_over_t: float
    status: str
    outcome: str | None
    published_on: date | None


def case_rows(s: Session, region: str, status: str | None, today: date) -> list[CaseRow]:
    """The cases of a region, newest first, with their point's code and what was handed over."""
    rows = cases.cases_in(s, region, status)
    codes = dict(
        s.execute(
            select(BusinessPoint.id, BusinessPoint.code).where(
                BusinessPoint.id.in_({c.point_id for c in rows})
            )
        ).all()
    )
    return [
        CaseRow(
            id=c.id,
            point_id=c.point_id,
            point_code=codes.get(c.point_id, str(c.point_id)),
            violation=c.violation,
            step=c.step,
            deadline=c.deadline,
            overdue=c.status == cases.OPEN and c.deadline is not None and c.deadline < today,
            seized_t=c.seized_t,
            handed_over_t=cases.handed_over(s, c.id),
            status=c.status,
            outcome=c.outcome,
            published_on=c.published_on,
        )
        for c in rows
    ]
