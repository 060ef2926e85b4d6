"""The casework pages: tips (``/tips``, ``/tips/{id}``: intake, trace, the case it
opened and its rectification, the reward), the issue ledger (``/ledger``) and the
zones' clearance dashboard (``/zones/clearance``). Mobile-friendly templates of
``cloud/templates/dashboard/casework/``; writes go through the API (``market.js``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from coalguard.cloud.access import CASE_OFFICERS, CASE_READERS, CASEWORKERS, allow_page
from coalguard.cloud.api.deps import RowId
from coalguard.cloud.api.routes.casework import tip_out
from coalguard.cloud.api.routes.dashboard import not_found_page, render_page
from coalguard.cloud.api.routes.market_cases import case_out
from coalguard.cloud.auth import Operator
from coalguard.cloud.casework import clearance, ledger, tips
from coalguard.cloud.casework.rules import load_casework_rules
from coalguard.cloud.casework.tables import Tip
from coalguard.cloud.market.sales import local_day
from coalguard.cloud.market.sales_rules import load_sales_rules
from coalguard.cloud.market.sales_tables import Case

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Operator, allow_page(*CASE_READERS)]


@router.get("/tips")
def tips_page(request: Request, op: Viewer) -> Response:
    """The region's tips, newest first, and the intake form."""
    with request.app.state.sessions() as s:
        rows = [tip_out(s, t) for t in tips.tips_in(s, op.region_prefix)]
    return render_page(
        request,
        "casework/tips.html",
        op,
        rows=rows,
        channels=load_casework_rules().channels,
        can_act=op.role in CASEWORKERS,
    )


@router.get("/tips/{tip_id}")
def tip_page(request: Request, op: Viewer, tip_id: RowId) -> Response:
    """One tip: its trace, the regions told, its case and rectification, its reward."""
    with request.app.state.sessions() as s:
        tip = s.get(Tip, tip_id)
        if tip is None or not op.covers(tip.region_code):
            return not_found_page(request, op, "tips.tip_unknown_page", str(tip_id))
        case = s.get(Case, tip.case_id) if tip.case_id is not None else None
        view = tip_out(s, tip)
        case_view = case_out(s, case) if case is not None else None
    rules = load_casework_rules()
    return render_page(
        request,
        "casework/tip.html",
        op,
        tip=view,
        case=case_view,
        violations=load_sales_rules().violation_codes(),
        reward_moves=rules.reward.moves.get(view.reward_status, []),
        can_act=op.role in CASEWORKERS,
        can_open_case=op.role in CASE_OFFICERS,
    )


@router.get("/ledger")
def ledger_page(request: Request, op: Viewer, status: str | None = None) -> Response:
    """The issue ledger of the caller's region: overdue items marked."""
    status = status if status in ("open", "closed") else None
    today = local_day(request.app.state.clock.now())
    with request.app.state.sessions() as s:
        rows = ledger.items_in(s, op.region_prefix, status)
    return render_page(
        request,
        "casework/ledger.html",
        op,
        rows=rows,
        today=today,
        status=status,
        citation=load_casework_rules().escalation.citation,
        can_act=op.role in CASEWORKERS,
    )


@router.get("/zones/clearance")
def clearance_page(request: Request, op: Viewer) -> Response:
    """动态清零: per zone the open loose-coal findings (must reach 0) and the items."""
    with request.app.state.sessions() as s:
        zones = clearance.clearance(s, op.region_prefix)
    return render_page(
        request,
        "casework/clearance.html",
        op,
        zones=zones,
        can_act=op.role in CASEWORKERS,
    )
