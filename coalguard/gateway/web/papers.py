"""The papers' routes and view models: ``/inspections/{id}/papers/{paper}`` (HTML) and ``….pdf``.

Signed-in people who may read the operator page may print (``papers.print``).
The HTML is the paper itself (``templates/papers/``: own print stylesheet,
A4, black on white, no navigation); the PDF is that same HTML printed by
headless Chromium (``web/pdf.py``). A paper asked for in the wrong state is
refused with the reason (409); a PDF that cannot be made is a 503 in words.
Every PDF served is recorded in the inspection ledger (``gateway/papers.py``).
The paper's language is the signed-in person's.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from coalguard.edge.clock import local_text
from coalguard.gateway.errors import GatewayError, NotFound
from coalguard.gateway.papers import (
    check_printable,
    custody_steps,
    lab_sample,
    ledger_mark,
    provisional,
    record_print,
    sample_facts,
)
from coalguard.gateway.roles import ACTIONS, may
from coalguard.gateway.service import Gateway
from coalguard.gateway.web.auth import Principal, principal
from coalguard.gateway.web.language import page_lang
from coalguard.gateway.web.login import to_login
from coalguard.gateway.web.page import LABELS, OperatorPage, operator_text, reason_text
from coalguard.gateway.web.pdf import PdfUnavailable, print_pdf
from coalguard.gateway.web.qr import inspection_payload, qr_svg, sample_payload
from coalguard.gateway.web.render import PAGES, chrome, render
from coalguard.gateway.web.seizure_view import zone_text
from coalguard.gateway.web.views import CustodyRow, PaperView
from coalguard.i18n import t

log = logging.getLogger("coalguard.gateway.web")

DAY_TIME = "%Y-%m-%d %H:%M"
WITH_VERDICT = ("notice", "slip")  # a label and a custody form go with the sample, unjudged
TRUCK_PAPERS = ("notice", "seizure", "slip")  # the truck and its load, closed by a step
# custody form: ledger entry kind -> (words key, the lab sample's column with its deadline)
CUSTODY = {
    "lab.sampled": ("custody_sealed", "dispatch_due"),
    "lab.dispatched": ("custody_dispatched", ""),
    "lab.received": ("custody_received", "report_due"),
    "lab.reported": ("custody_reported", ""),
}


class PaperBuilder:
    """Builds one ``PaperView`` for one inspection, in one language."""

    def __init__(self, gw: Gateway, lang: str) -> None:
        self.gw = gw
        self.lang = lang
        self.page = OperatorPage(gw, lang)

    def w(self, key: str) -> str:
        return t(f"gw_papers.{key}", self.lang)

    def build(self, paper: str, insp: dict[str, Any], who: Principal) -> PaperView:
        check_printable(self.gw.store, paper, insp)
        verdict = insp.get("verdict")
        mark = ledger_mark(self.gw.store, insp)
        qr, caption, ledger_hash = "", "", ""
        if paper in TRUCK_PAPERS and mark is not None:
            qr = qr_svg(inspection_payload(insp["id"], mark.seq, mark.hash))
            caption, ledger_hash = self.w("qr_inspection"), mark.hash
        sample = sample_facts(insp)
        if paper == "label" and sample is not None:
            qr = qr_svg(sample_payload(sample.sample_id, sample.seal, insp["id"]), scale=4)
            caption = self.w("qr_sample")
        lab = lab_sample(self.gw.store, insp["id"]) if paper == "custody" else None
        return PaperView(
            paper=paper,
            title=self.w(paper),
            checkpoint=self.gw.config.checkpoint.name,
            number=self.number(paper, insp, lab),
            provisional=self.w("provisional") if provisional(self.gw.profiles, insp) else "",
            facts=self.facts(paper, insp, lab),
            statement=self.statement(paper, insp),
            verdict=self.page.verdict(verdict) if verdict and paper in WITH_VERDICT else None,
            verdict_title=self.w("verdict_title"),
            profile_source=str(verdict.get("profile_source", "")) if verdict else "",
            custody=self.custody(lab) if lab else (),
            qr=qr,
            qr_caption=caption,
            ledger_hash=ledger_hash,
            signatures=tuple(self.w(k) for k in SIGNATURES[paper]),
            printed=self.w("printed").format(
                operator=who.operator, at=local_text(self.gw.clock.now(), DAY_TIME)
            ),
            zone_note=self.w("zone_note"),
        )

    def facts(
        self, paper: str, insp: dict[str, Any], lab: dict[str, Any] | None
    ) -> tuple[tuple[str, str], ...]:
        reg = insp.get("registration") or {}
        sample = sample_facts(insp)
        g = self.page.t
        rows: list[tuple[str, str]] = [(g("gw.plate"), insp["plate"])]
        if paper in TRUCK_PAPERS:
            for k in ("driver", "origin", "destination", "consignor", "waybill_no"):
                rows.append((g(LABELS.get(k, f"gw.{k}")), str(reg.get(k) or "—")))
            if reg:
                coal = g(f"coal_type.{reg['coal_type']}")
                rows.append((g("gw.coal_type"), coal))
                rows.append((g("gw.weight_t"), f"{reg['weight_t']:g}"))
            rows.append((self.w("arrived_at"), local_text(insp["opened_at"], DAY_TIME)))
            zone = insp.get("zone") or {}
            if paper == "seizure" and zone:
                village = f"{zone.get('name') or ''} ({zone['village']})".strip()
                rows.append((t("seizure.destination_village", self.lang), village))
        if sample is not None and paper != "custody":
            rows += [
                (g("gw.sample_id"), sample.sample_id),
                (g("gw.seal_no"), sample.seal or "—"),
                (g("gw.sampler"), sample.sampler or "—"),
                (self.w("sampled_at"), local_text(sample.sampled_at, DAY_TIME)),
            ]
        if paper in TRUCK_PAPERS:
            closing = self.closing_step(insp)
            if closing:
                rows += [
                    (g("gw.operator"), operator_text(closing["operator"], self.lang)),
                    (self.w(f"{paper}_at"), local_text(closing["at"], DAY_TIME)),
                    (g("gw.reason"), reason_text(closing["reason"], self.lang)),
                ]
        if paper == "label":
            rows.append((self.w("checkpoint"), self.gw.config.checkpoint.name))
        if lab is not None:
            rows += [
                (self.w("lab_sample_id"), lab["sample_id"]),
                (self.w("rapid_sample_id"), sample.sample_id if sample else "—"),
                (g("gw.seal_no"), lab["seal_no"] or "—"),
                (self.w("profile"), self.profile_text(lab["profile_id"])),
                (g("gw.lab_name"), lab["lab_name"] or "—"),
            ]
        return tuple(rows)

    def number(self, paper: str, insp: dict[str, Any], lab: dict[str, Any] | None) -> str:
        """What the paper is about: the lab sample, the sample, or the inspection."""
        sample = sample_facts(insp)
        if paper == "custody" and lab is not None:
            return str(lab["sample_id"])
        if paper == "label" and sample is not None:
            return sample.sample_id
        return str(insp["id"])

    def closing_step(self, insp: dict[str, Any]) -> dict[str, Any] | None:
        action = {
            "turned_back": "turn_back",
            "released": "release",
            "held_for_seizure": "hold_for_seizure",
        }.get(insp["state"])
        steps = [s for s in self.gw.workflow.steps(insp["id"]) if s["action"] == action]
        return steps[-1] if steps else None

    def profile_text(self, profile_id: str) -> str:
        try:
            p = self.gw.profiles.get(profile_id)
        except Exception:  # a profile since removed: its id is what is known
            return profile_id
        return f"{p.title_in(self.lang)} ({p.id} v{p.version})"

    def statement(self, paper: str, insp: dict[str, Any]) -> str:
        if paper == "slip" and insp.get("verdict") is None:
            fp = insp.get("fast_pass") or {}
            return self.w("slip_fast_pass").format(company=fp.get("company") or "—")
        text = self.w(f"{paper}_statement")
        if paper == "seizure":
            return f"{zone_text(insp.get('zone'), self.lang)} {text}"
        if paper == "notice":
            j = self.gw.profiles.jurisdictions.get(self.gw.config.checkpoint.jurisdiction)
            return text.format(basis=j.source if j else "—")
        return text

    def custody(self, lab: dict[str, Any]) -> tuple[CustodyRow, ...]:
        """Every hand-over in order; one not made yet is a blank line to fill in by hand."""
        done = {s.kind: s for s in custody_steps(self.gw.store, lab["id"])}
        rows = []
        for kind, (key, due) in CUSTODY.items():
            step = done.get(kind)
            rows.append(
                CustodyRow(
                    self.w(key),
                    local_text(step.at, DAY_TIME) if step else "",
                    operator_text(step.operator, self.lang) if step else "",
                    local_text(lab[due], DAY_TIME) if due and lab[due] else "",
                )
            )
        return tuple(rows)


SIGNATURES = {
    "notice": ("sign_inspector", "sign_driver"),
    "seizure": ("sign_inspector", "sign_driver"),
    "slip": ("sign_inspector", "sign_driver"),
    "label": ("sign_sampler", "sign_witness"),
    "custody": ("sign_sender", "sign_receiver"),
}


def add_paper_routes(app: FastAPI, gw: Gateway, default_lang: str) -> None:
    """``GET /inspections/{id}/papers/{paper}`` and ``….pdf`` (role: ``papers.print``)."""

    @app.get("/inspections/{iid}/papers/{name}", response_class=HTMLResponse)
    def paper(request: Request, iid: str, name: str) -> Any:
        who = principal(gw, request)
        if who is None:
            return to_login(request, default_lang)
        lang = page_lang(gw.store, request, who, default_lang)
        paper_name, pdf = (name[:-4], True) if name.endswith(".pdf") else (name, False)

        def refuse(text: str, status: int) -> HTMLResponse:
            return render("message.html", lang, chrome(gw, "/", who, text), status=status)

        if not may(who.user.role, "papers.print"):
            text = t("gw_auth.forbidden", lang).format(
                role=t(f"gw_auth.role_{who.user.role.name}", lang),
                action=t("gw_papers.papers", lang),
                needed=t(f"gw_auth.role_{ACTIONS['papers.print'].name}", lang),
            )
            return refuse(text, 403)
        try:
            insp = gw.workflow.get(iid)
            view = PaperBuilder(gw, lang).build(paper_name, insp, who)
        except GatewayError as exc:
            return refuse(exc.text(lang), 404 if isinstance(exc, NotFound) else 409)
        html = PAGES.render(f"papers/{paper_name}.html", lang, view=view)
        if not pdf:
            return HTMLResponse(html)
        cfg = gw.config.papers
        try:
            data = print_pdf(html, cfg.chromium, cfg.pdf_timeout_s)
        except PdfUnavailable as exc:
            log.error("paper %s of %s not printed: %s", paper_name, iid, exc)
            return refuse(t(f"gw_papers.{exc.key}", lang), 503)
        record_print(gw.ledger, insp, paper_name, who.operator, "pdf", lang)
        filename = f"{paper_name}-{insp['plate']}-{insp['id'][:8]}.pdf"
        return Response(
            data,
            media_type="application/pdf",
            headers={"Content-Disposition": _inline(filename)},
        )


def _inline(filename: str) -> str:
    """``inline`` with an ASCII fallback name and the UTF-8 one (plates are Chinese)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
