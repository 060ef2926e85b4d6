"""The history page (every day the gateway holds) and the read-only page of one inspection.

``GET /history`` searches by plate, Asia/Shanghai days, verdict and company
(``gateway/history.py``), a page of 50 at a time; each truck links to
``GET /inspections/{id}``: its registration, sample, verdict, every step, its
camera reads and the ledger entries written for it with their hashes. Both
need a signed-in person, any role (``read``, as the operator and ledger
pages); neither writes anything.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from coalguard.edge.clock import local_text
from coalguard.gateway.errors import NotFound
from coalguard.gateway.history import VERDICTS, BadSearch, HistoryQuery, search
from coalguard.gateway.service import Gateway
from coalguard.gateway.web.auth import Principal, principal
from coalguard.gateway.web.language import page_lang
from coalguard.gateway.web.ledger_page import kind_text
from coalguard.gateway.web.login import to_login
from coalguard.gateway.web.page import OperatorPage
from coalguard.gateway.web.render import chrome, render
from coalguard.gateway.web.views import (
    Field,
    InspectionView,
    LedgerHash,
    SearchRow,
    SearchView,
)
from coalguard.i18n import t

SAMPLE_FIELDS = ("sample_id", "seal_no", "sampler")


def search_view(gw: Gateway, q: HistoryQuery, lang: str) -> SearchView:
    found = search(gw.store, q)
    words = OperatorPage(gw, lang)

    def href(page: int) -> str:
        return "/history?" + urlencode(q.params(page=page))

    return SearchView(
        plate=q.plate,
        day_from=q.day_from.isoformat() if q.day_from else "",
        day_to=q.day_to.isoformat() if q.day_to else "",
        company=q.company,
        verdict=Field(
            "verdict",
            t("gw.verdict", lang),
            q.verdict,
            kind="select",
            required=False,
            options=(
                ("", t("gw_history.any_verdict", lang)),
                *((v, t(f"status.{v}", lang)) for v in VERDICTS),
            ),
        ),
        rows=tuple(
            SearchRow(
                r["id"],
                local_text(r["opened_at"], "%Y-%m-%d %H:%M"),
                r["plate"],
                t(f"state.{r['state']}", lang),
                words.status(r["overall"]),
                r["company"],
            )
            for r in found.rows
        ),
        total=found.total,
        page=found.page,
        pages=found.pages,
        prev_href=href(found.page - 1) if found.page > 1 else "",
        next_href=href(found.page + 1) if found.page < found.pages else "",
    )


def inspection_view(gw: Gateway, iid: str, who: Principal, lang: str) -> InspectionView:
    """Raises ``NotFound`` for an unknown id."""
    insp = gw.workflow.get(iid)
    words = OperatorPage(gw, lang)
    truck = replace(
        words.truck(insp, who),
        steps=(),  # read-only: the steps are taken on the operator page
        camera_reads=words.camera_reads(iid, "%Y-%m-%d %H:%M:%S"),
    )
    sample = insp["sample"] or {}
    return InspectionView(
        truck=truck,
        closed_at=local_text(insp["closed_at"]) if insp["closed_at"] else "",
        sample=tuple((t(f"gw.{k}", lang), str(sample[k])) for k in SAMPLE_FIELDS if k in sample),
        ledger=tuple(
            LedgerHash(
                t(f"gw_book.{e.book}", lang),
                e.seq,
                local_text(e.at, "%Y-%m-%d %H:%M:%S"),
                kind_text(e.book, e.kind, lang),
                e.hash,
                e.prev_hash,
                gw.ledger.entry_intact(e.book, e.seq),
            )
            for e in gw.ledger.for_inspection(iid)
        ),
    )


def add_history_routes(app: FastAPI, gw: Gateway, default: str) -> None:
    def reader(request: Request) -> tuple[Principal | None, str]:
        """Who asks (None: not signed in) and their language; every role may read."""
        who = principal(gw, request)
        return who, page_lang(gw.store, request, who, default) if who else default

    @app.get("/history", response_class=HTMLResponse)
    def history(request: Request) -> Any:
        who, lang = reader(request)
        if who is None:
            return to_login(request, default)
        here = "/history?" + urlencode(dict(request.query_params))
        try:
            q = HistoryQuery.parse(request.query_params)
        except BadSearch as exc:
            view = search_view(gw, HistoryQuery(), lang)
            return render("history.html", lang, chrome(gw, here, who, exc.text(lang)), view, 400)
        return render("history.html", lang, chrome(gw, here, who), search_view(gw, q, lang))

    @app.get("/inspections/{iid}", response_class=HTMLResponse)
    def inspection(request: Request, iid: str) -> Any:
        who, lang = reader(request)
        if who is None:
            return to_login(request, default)
        here = f"/inspections/{quote(iid)}"
        try:
            view = inspection_view(gw, iid, who, lang)
        except NotFound as exc:
            return render("message.html", lang, chrome(gw, here, who, exc.text(lang)), status=404)
        return render("inspection.html", lang, chrome(gw, here, who), view)
