"""FastAPI app of the checkpoint: operator page, camera push intake, health, metrics.

Served on the checkpoint PC itself, so it works with the uplink down. Forms
are plain ``application/x-www-form-urlencoded`` posts answered with a
redirect (post/redirect/get); a refused step re-renders the page with the
reason in Chinese.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse

from coalguard.errors import CoalguardError
from coalguard.gateway.errors import GatewayError, NotFound
from coalguard.gateway.ledger import BOOKS
from coalguard.gateway.service import Gateway
from coalguard.gateway.uplink_status import StatusFn, store_sink_status
from coalguard.gateway.web.metrics import render_metrics
from coalguard.gateway.web.page import INDICATOR_FIELDS, PageRenderer, render_ledger
from coalguard.i18n import default_lang

log = logging.getLogger("coalguard.gateway.web")
COOKIE = "cg_operator"
MAX_BODY = 1024 * 1024


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    return {
        k: v.strip() for k, v in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    }


def _indicators(form: dict[str, str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for k in INDICATOR_FIELDS:
        if form.get(k):
            try:
                out[k] = float(form[k])
            except ValueError:
                raise GatewayError("bad_field", field=k, msg="not a number") from None
            if not math.isfinite(out[k]):  # float() reads "nan" and "1e999" too
                raise GatewayError("bad_field", field=k, msg="not a finite number")
    if not out:
        raise GatewayError("field_required", field="Mad/Aad/Vad/St_ad")
    return out


def create_app(
    gw: Gateway, uplink_status: StatusFn | None = None, lang: str | None = None
) -> FastAPI:
    status_fn = uplink_status or store_sink_status(gw.store, gw.clock)
    renderer = PageRenderer(gw, lang or default_lang())
    app = FastAPI(title="coalguard gateway", version="1", docs_url="/api/docs")
    app.state.gateway = gw

    def page(
        request: Request, selected: str | None = None, error: str | None = None, status: int = 200
    ) -> HTMLResponse:
        operator = unquote(request.cookies.get(COOKIE, ""))
        html = renderer.render(selected, operator, status_fn(), error)
        return HTMLResponse(html, status_code=status)

    def done(iid: str | None, operator: str) -> RedirectResponse:
        resp = RedirectResponse(f"/?id={quote(iid)}" if iid else "/", status_code=303)
        if operator:
            resp.set_cookie(COOKIE, quote(operator), max_age=86400 * 30, samesite="strict")
        return resp

    async def run_step(request: Request, iid: str | None, fn: Any) -> Any:
        form = await _form(request)
        operator = form.get("operator", "")
        try:
            new_id = fn(form, operator)
        except GatewayError as exc:
            status = 404 if isinstance(exc, NotFound) else 409
            return page(request, iid, exc.text(renderer.lang), status)
        except CoalguardError as exc:
            return page(request, iid, str(exc), 400)
        return done(new_id or iid, operator)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request, id: str | None = None) -> HTMLResponse:
        return page(request, id)

    @app.post("/ui/operator")
    async def set_operator(request: Request) -> Any:
        form = await _form(request)
        return done(None, form.get("operator", ""))

    @app.post("/ui/arrive")
    async def arrive(request: Request) -> Any:
        return await run_step(
            request, None, lambda f, op: gw.workflow.arrive(f.get("plate", ""), op)
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
                    "waybill_no",
                )
                wf.register(iid, op, {k: f.get(k, "") for k in fields}, reason)
            elif action == "check_fast_pass":
                wf.check_fast_pass(iid, op, reason)
            elif action == "take_sample":
                wf.take_sample(
                    iid, op, {k: f.get(k, "") for k in ("sample_id", "seal_no", "sampler")}, reason
                )
            elif action == "bind_result":
                wf.bind_result(iid, f.get("result_id", ""), op, reason)
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
            elif action == "cancel":
                wf.cancel(iid, op, reason)
            elif action == "close_case":
                wf.close_case(iid, op, reason)
            else:
                raise GatewayError("bad_field", field="action", msg=action)

        return await run_step(request, iid, call)

    @app.post("/ui/results")
    async def manual_result(request: Request) -> Any:
        def call(f: dict[str, str], op: str) -> str | None:
            if not op:
                raise GatewayError("field_required", field="operator")
            gw.workflow.record_result(
                "manual", _indicators(f), sample_id=f.get("sample_id") or None
            )
            cur = gw.workflow.current()
            return cur["id"] if cur else None

        return await run_step(request, None, call)

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
                raise GatewayError("bad_field", field="step", msg=step)

        return await run_step(request, None, call)

    @app.post("/ui/duty")
    async def duty(request: Request) -> Any:
        return await run_step(
            request,
            None,
            lambda f, op: gw.duty.duty(op, f.get("action", ""), f.get("note", "")) and None,
        )

    @app.post("/ui/handover")
    async def handover(request: Request) -> Any:
        return await run_step(
            request,
            None,
            lambda f, op: (
                gw.duty.handover(op, f.get("to_operator", ""), f.get("note", "")) and None
            ),
        )

    @app.get("/ledger", response_class=HTMLResponse)
    def ledger(request: Request, book: str = "duty") -> HTMLResponse:
        if book not in BOOKS:
            book = "duty"
        operator = unquote(request.cookies.get(COOKIE, ""))
        return HTMLResponse(render_ledger(gw, book, operator, renderer.lang))

    @app.post("/ui/ledger/{entry_id}/correct")
    async def correct(request: Request, entry_id: str) -> Any:
        form = await _form(request)
        operator = form.get("operator", "")
        try:
            if not operator:
                raise GatewayError("field_required", field="operator")
            entry = gw.ledger.correct(
                entry_id, operator, form.get("reason", ""), {"note": form.get("note", "")}
            )
        except GatewayError as exc:
            return page(request, None, exc.text(renderer.lang), 409)
        except CoalguardError as exc:
            return page(request, None, str(exc), 400)
        return RedirectResponse(f"/ledger?book={entry.book}", status_code=303)

    # -- machine API ------------------------------------------------------------------

    @app.post("/api/v1/camera-events")
    async def camera_events(request: Request) -> JSONResponse:
        """Camera push (docs/camera-events.md): one event object or a list of them."""
        token = gw.config.http.camera_token
        if token and not hmac.compare_digest(
            request.headers.get("authorization", ""), f"Bearer {token}"
        ):
            gw.cameras.counters.rejected += 1
            return JSONResponse({"error": "camera token missing or wrong"}, status_code=401)
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "body too large"}, status_code=413)
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            gw.cameras.intake({"_unparsed": body[:2000].decode("utf-8", "replace")})
            return JSONResponse({"error": f"not JSON: {exc}"}, status_code=400)
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
    def inspection(iid: str) -> JSONResponse:
        try:
            insp = gw.workflow.get(iid)
        except NotFound as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
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
        return PlainTextResponse(
            render_metrics(gw, status_fn()), media_type="text/plain; version=0.0.4"
        )

    return app
