"""FastAPI app of the checkpoint: operator page, camera push intake, health, metrics.

Served on the checkpoint PC itself, so it works with the uplink down. Every
page and read of operator data needs a signed-in user (``web/auth.py``); every
write also needs the user's role to allow the action (``gateway/roles.py``)
and, with a session cookie, the CSRF token and this origin. The step is
recorded under the signed-in person, never a name typed in the form. Forms
are plain ``application/x-www-form-urlencoded`` posts answered with a
redirect (post/redirect/get); a refused step re-renders the page with the
reason in words. Pages render from ``templates/`` in the signed-in person's
language (``web/language.py``, default Chinese); ``/static`` serves the one
stylesheet and script.
"""

from __future__ import annotations

import hmac
import logging
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from coalguard.errors import CoalguardError, words_of
from coalguard.gateway.errors import GatewayError, NotFound
from coalguard.gateway.ledger import BOOKS
from coalguard.gateway.service import Gateway
from coalguard.gateway.uplink_status import StatusFn, store_sink_status
from coalguard.gateway.web.auth import Principal, principal
from coalguard.gateway.web.history_page import add_history_routes
from coalguard.gateway.web.language import add_language_routes, page_lang
from coalguard.gateway.web.ledger_page import ledger_view
from coalguard.gateway.web.login import add_login_routes, to_login
from coalguard.gateway.web.metrics import CONTENT_TYPE, render_metrics
from coalguard.gateway.web.page import INDICATOR_FIELDS, OperatorPage
from coalguard.gateway.web.papers import add_paper_routes
from coalguard.gateway.web.posted import Post, read_post
from coalguard.gateway.web.render import STATIC_DIR, chrome, render
from coalguard.gateway.web.users_page import add_users_routes
from coalguard.i18n import default_lang, t
from coalguard.untrusted_json import Limits, UntrustedJson, loads
from coalguard.validation import FieldReason

log = logging.getLogger("coalguard.gateway.web")
MAX_BODY = 1024 * 1024
_PUSH_LIMITS = Limits(max_bytes=MAX_BODY)  # whole document refused: 413/400/422

Step = Callable[[dict[str, str], str], Any]


def _indicators(form: dict[str, str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for k in INDICATOR_FIELDS:
        if form.get(k):
            try:
                out[k] = float(form[k])
            except ValueError:
                why = FieldReason({"type": "float_parsing", "input": form[k]})
                raise GatewayError("bad_field", field=k, msg=why) from None
            if not math.isfinite(out[k]):  # float() reads "nan" and "1e999" too
                why = FieldReason({"type": "finite_number"})
                raise GatewayError("bad_field", field=k, msg=why)
    if not out:
        raise GatewayError("field_required", field="Mad/Aad/Vad/St_ad")
    return out


def create_app(
    gw: Gateway, uplink_status: StatusFn | None = None, lang: str | None = None
) -> FastAPI:
    status_fn = uplink_status or store_sink_status(gw.store, gw.clock)
    lang = lang or default_lang()  # before a person chooses (login page, scripts)
    app = FastAPI(title="coalguard gateway", version="1", docs_url="/api/docs")
    app.state.gateway = gw
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    add_login_routes(app, gw, lang)
    add_users_routes(app, gw, lang)
    add_language_routes(app, gw, lang)
    add_paper_routes(app, gw, lang)
    add_history_routes(app, gw, lang)

    def page(
        request: Request,
        who: Principal,
        selected: str | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        lang_ = page_lang(gw.store, request, who, lang)
        view = OperatorPage(gw, lang_).build(selected, who, status_fn())
        here = f"/?id={quote(selected)}" if selected else "/"
        frame = chrome(gw, here, who, error or "", refresh=10)
        return render("page.html", lang_, frame, view, status)

    def done(iid: str | None) -> RedirectResponse:
        return RedirectResponse(f"/?id={quote(iid)}" if iid else "/", status_code=303)

    async def run_step(request: Request, iid: str | None, action: str, fn: Step) -> Any:
        post = await read_post(gw, request, action, lang)
        if not isinstance(post, Post):
            return post
        who = post.who
        if post.refused:
            return page(request, who, iid, post.refused, 403)
        try:
            new_id = fn(post.form, who.operator)
        except GatewayError as exc:
            status = 404 if isinstance(exc, NotFound) else 409
            return page(request, who, iid, exc.text(post.lang), status)
        except CoalguardError as exc:
            return page(request, who, iid, words_of(exc, post.lang), 400)
        return done(new_id or iid)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request, id: str | None = None, auto: str = "") -> Any:
        who = principal(gw, request, touch=auto != "1")
        if who is None:
            return to_login(request, lang)
        return page(request, who, id)

    @app.post("/ui/arrive")
    async def arrive(request: Request) -> Any:
        return await run_step(
            request, None, "arrive", lambda f, op: gw.workflow.arrive(f.get("plate", ""), op)
        )

    @app.post("/ui/inspections/{iid}/{action}")
    async def step(request: Request, iid: str, action: str) -> Any:
        wf = gw.workflow

        def call(f: dict[str, str], op: str) -> None:
            reason = f.get("reason", "")
            lab = {"sample_id": f.get("lab_sample_id", ""), "seal_no": f.get("lab_seal_no", "")}
            if action == "register":
                fields = (
                    "plate",
                    "driver",
                    "origin",
                    "destination",
                    "coal_type",
                    "weight_t",
                    "consignor",
                    "waybill_no",
                    "destination_village",
                )
                wf.register(iid, op, {k: f.get(k, "") for k in fields}, reason)
            elif action == "check_fast_pass":
                wf.check_fast_pass(iid, op, reason)
            elif action == "take_sample":
                wf.take_sample(
                    iid,
                    op,
                    {"seal_no": f.get("seal_no", ""), "lane": f.get("lane") or None},
                    reason,
                )
            elif action == "bind_result":
                wf.bind_result(iid, f.get("result_id", ""), op, reason)
            elif action == "unbind_result":
                wf.unbind_result(iid, op, reason)
            elif action == "judge":
                wf.judge(iid, op, reason)
            elif action == "rerun":
                wf.rerun(iid, op, reason)
            elif action == "release":
                wf.release(iid, op, reason)
            elif action == "turn_back":
                wf.turn_back(iid, op, reason, lab if lab["sample_id"] else None)
            elif action == "lab_sample":
                wf.lab_sample(iid, op, lab, reason)
            elif action == "hold_for_seizure":
                wf.hold_for_seizure(iid, op, reason)
            elif action == "cancel":
                wf.cancel(iid, op, reason)
            elif action == "close_case":
                wf.close_case(iid, op, reason)
            else:
                raise GatewayError("refusal.gw_unknown_step", value=action)

        return await run_step(request, iid, action, call)

    @app.post("/ui/results")
    async def manual_result(request: Request) -> Any:
        def call(f: dict[str, str], op: str) -> str | None:
            gw.workflow.record_result(
                "manual", _indicators(f), sample_id=f.get("sample_id") or None, entered_by=op
            )
            cur = gw.workflow.current()
            return cur["id"] if cur else None

        return await run_step(request, None, "manual_result", call)

    @app.post("/ui/lab/{lab_id}/{step}")
    async def lab_step(request: Request, lab_id: str, step: str) -> Any:
        def call(f: dict[str, str], op: str) -> None:
            if step == "dispatch":
                gw.lab.dispatch(lab_id, op, f.get("lab_name", ""))
            elif step == "receive":
                gw.lab.receive(lab_id, op)
            elif step == "report":
                gw.lab.report(lab_id, op, f.get("report_no", ""), _indicators(f))
            else:
                raise GatewayError("refusal.gw_unknown_step", value=step)

        return await run_step(request, None, f"lab.{step}", call)

    @app.post("/ui/duty")
    async def duty(request: Request) -> Any:
        return await run_step(
            request,
            None,
            "duty",
            lambda f, op: gw.duty.duty(op, f.get("action", ""), f.get("note", "")) and None,
        )

    @app.post("/ui/handover")
    async def handover(request: Request) -> Any:
        return await run_step(
            request,
            None,
            "handover",
            lambda f, op: (
                gw.duty.handover(op, f.get("to_operator", ""), f.get("note", "")) and None
            ),
        )

    @app.get("/ledger", response_class=HTMLResponse)
    def ledger(request: Request, book: str = "duty") -> Any:
        who = principal(gw, request)
        if who is None:
            return to_login(request, lang)
        if book not in BOOKS:
            book = "duty"
        lang_ = page_lang(gw.store, request, who, lang)
        frame = chrome(gw, f"/ledger?book={book}", who)
        return render("ledger.html", lang_, frame, ledger_view(gw, book, who, lang_))

    @app.post("/ui/ledger/{entry_id}/correct")
    async def correct(request: Request, entry_id: str) -> Any:
        post = await read_post(gw, request, "ledger.correct", lang)
        if not isinstance(post, Post):
            return post
        who, form = post.who, post.form
        if post.refused:
            return page(request, who, None, post.refused, 403)
        try:
            entry = gw.ledger.correct(
                entry_id, who.operator, form.get("reason", ""), {"note": form.get("note", "")}
            )
        except GatewayError as exc:
            return page(request, who, None, exc.text(post.lang), 409)
        except CoalguardError as exc:
            return page(request, who, None, words_of(exc, post.lang), 400)
        return RedirectResponse(f"/ledger?book={entry.book}", status_code=303)

    # -- machine API ------------------------------------------------------------------

    @app.post("/api/v1/camera-events")
    async def camera_events(request: Request) -> JSONResponse:
        """Camera push (docs/camera-events.md): one event object or a list of them."""
        token = gw.config.http.camera_token
        if (token or gw.config.http.camera_token_required) and not hmac.compare_digest(
            request.headers.get("authorization", "").encode(), f"Bearer {token}".encode()
        ):
            gw.cameras.counters.rejected += 1
            return JSONResponse({"error": "camera token missing or wrong"}, status_code=401)
        body = await request.body()
        try:
            data = loads(body, _PUSH_LIMITS)
        except UntrustedJson as exc:
            gw.cameras.reject_body(body, exc.reason)
            return JSONResponse(
                {"status": "rejected", "error": exc.reason, "reason": exc.reason},
                status_code=exc.status,
            )
        items = data if isinstance(data, list) else [data]
        results = [gw.cameras.intake(item) for item in items]
        out = [
            {
                "status": r.status,
                "id": r.event_id,
                "inspection_id": r.inspection_id,
                "reason": r.reason,
            }
            for r in results
        ]
        if not isinstance(data, list):
            code = {"accepted": 201, "duplicate": 200, "rejected": 422}[results[0].status]
            return JSONResponse(out[0], status_code=code)
        return JSONResponse({"results": out}, status_code=200)

    @app.get("/api/v1/inspections/{iid}")
    def inspection(request: Request, iid: str) -> JSONResponse:
        who = principal(gw, request)
        if who is None:
            return JSONResponse({"error": t("gw_auth.expired", lang)}, status_code=401)
        try:
            insp = gw.workflow.get(iid)
        except NotFound as exc:
            lang_ = page_lang(gw.store, request, who, lang)
            return JSONResponse({"error": exc.text(lang_)}, status_code=404)
        return JSONResponse(
            insp
            | {"steps": gw.workflow.steps(iid), "camera_events": gw.cameras.for_inspection(iid)}
        )

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        try:
            gw.store.scalar("SELECT 1")
            db = "ok"
        except Exception as exc:  # the page must still answer
            db = f"error: {exc}"
        up = status_fn()
        ok = db == "ok"
        return JSONResponse(
            {
                "status": "ok" if ok else "degraded",
                "checkpoint": gw.config.checkpoint.id,
                "database": db,
                "uplink": up.state,
                "outbox_depth": up.outbox_depth,
            },
            status_code=200 if ok else 503,
        )

    @app.get("/metrics")
    def metrics() -> PlainTextResponse:
        return PlainTextResponse(render_metrics(gw, status_fn()), media_type=CONTENT_TYPE)

    return app
