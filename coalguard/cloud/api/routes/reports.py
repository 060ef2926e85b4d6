"""``GET /api/v1/reports/{daily|weekly}``: the region's dispatch or bulletin."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import BaseModel

from coalguard.cloud.api.deps import ClockDep, Reader
from coalguard.cloud.reports import figures, render
from coalguard.cloud.scope import scoped_region
from coalguard.i18n import DEFAULT_LANG

router = APIRouter(prefix="/api/v1", tags=["reports"])


class ReportDoc(BaseModel):
    """Every figure of a daily dispatch or weekly bulletin (``reports.figures.build``)."""

    kind: str
    region: str
    first_day: str
    last_day: str
    generated_at: str
    checkpoint_count: int
    inspections_total: int | None
    checkpoints: dict[str, Any]
    series: list[dict[str, Any]]
    lab: dict[str, Any]
    alarms: dict[str, Any]
    checkpoint_alerts: dict[str, Any]
    sales_points: dict[str, Any] | None


# Report days a period can be built for: date(1, 1, 1) at Shanghai midnight is before
# datetime.min in UTC (the API fuzzer's OverflowError, a 500).
FIRST_REPORT_DAY = date(2000, 1, 1)
LAST_REPORT_DAY = date(2999, 12, 31)


@router.get(
    "/reports/{kind}",
    response_model=ReportDoc,
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
            }
        }
    },
)
def report(
    request: Request,
    op: Reader,
    clock: ClockDep,
    kind: Literal["daily", "weekly"],
    day: Annotated[
        date,
        Query(
            alias="date",
            description="local date (Asia/Shanghai) it ends on",
            ge=FIRST_REPORT_DAY,
            le=LAST_REPORT_DAY,
        ),
    ],
    region: str | None = None,
    format: Literal["json", "csv", "html"] = "json",
    lang: Annotated[
        Literal["zh", "en"] | None,
        Query(description="language of the HTML report (default: the user's, else Chinese)"),
    ] = None,
) -> Any:
    """Daily dispatch or weekly bulletin (the week ending ``day``), as JSON, CSV or HTML."""
    region = scoped_region(op, region)
    p = figures.period(kind, region, day)
    with request.app.state.sessions() as s:
        doc = figures.build(s, p, clock.now())
    name = f"{kind}-{region or 'all'}-{day.isoformat()}"
    if format == "csv":
        return PlainTextResponse(
            render.to_csv(doc),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if format == "html":
        return HTMLResponse(render.to_html(doc, lang or op.lang or DEFAULT_LANG))
    return doc
