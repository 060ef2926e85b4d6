"""Sign-in and sign-out pages of the checkpoint (Jinja2 template, words from the catalog).

``POST /login`` (form: username, password, next) starts a server-side session
and answers 303 to ``next``; ``POST /logout`` ends it. ``GET /api/v1/session``
tells a script who it is and the CSRF token to send with its writes.
"""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from coalguard.gateway.accounts import LoginRefused
from coalguard.gateway.service import Gateway
from coalguard.gateway.web.auth import (
    COOKIE,
    client_address,
    principal,
    same_origin,
    write_allowed,
)
from coalguard.gateway.web.forms import read_form
from coalguard.i18n import t

TEMPLATES = Environment(
    loader=PackageLoader("coalguard.gateway.web", "templates"),
    autoescape=select_autoescape(["html"]),
)


def _safe_next(target: str) -> str:
    """Only a path on this site (never ``//evil`` or a full URL)."""
    ok = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if ok else "/"


def to_login(request: Request, lang: str) -> Any:
    """Where an anonymous or expired request goes: the login page, or 401 for scripts."""
    if "text/html" in request.headers.get("accept", ""):
        path = request.url.path if request.method == "GET" else "/"
        # "expired" only when a session cookie came and is no longer valid
        expired = "&expired=1" if request.cookies.get(COOKIE) else ""
        return RedirectResponse(f"/login?next={quote(path)}{expired}", status_code=303)
    return JSONResponse({"error": t("gw_auth.expired", lang)}, status_code=401)


def add_login_routes(app: FastAPI, gw: Gateway, lang: str) -> None:
    tr = partial(t, lang=lang)
    template = TEMPLATES.get_template("login.html")

    def login_page(
        next_: str = "/", error: str = "", note: str = "", username: str = "", status: int = 200
    ) -> HTMLResponse:
        html = template.render(
            t=tr,
            lang=lang,
            checkpoint=gw.config.checkpoint.name,
            next=_safe_next(next_),
            error=error,
            note=note,
            username=username,
        )
        return HTMLResponse(html, status_code=status)

    @app.get("/login", response_class=HTMLResponse)
    def login_form(next: str = "/", expired: str = "", out: str = "") -> HTMLResponse:
        note = tr("gw_auth.signed_out") if out else ""
        return login_page(next, tr("gw_auth.expired") if expired else "", note)

    @app.post("/login")
    async def login(request: Request) -> Any:
        form = await read_form(request)
        username, nxt = form.get("username", ""), _safe_next(form.get("next", "/"))
        sent_origin = request.headers.get("origin") or request.headers.get("referer")
        if sent_origin and not same_origin(request):  # a login posted from another site
            return login_page(nxt, tr("gw_auth.csrf"), username=username, status=403)
        try:
            user = gw.accounts.authenticate(
                username, form.get("password", ""), client_address(request)
            )
        except LoginRefused as exc:
            status = 429 if exc.key.startswith("locked") else 401
            return login_page(nxt, exc.text(lang), username=username, status=status)
        sid, _ = gw.sessions.start(user)
        resp = RedirectResponse(nxt, status_code=303)
        resp.set_cookie(
            COOKIE,
            sid,
            httponly=True,
            samesite="strict",
            secure=gw.config.auth.cookie_secure,
            path="/",
        )
        return resp

    @app.post("/logout")
    async def logout(request: Request) -> Any:
        form = await read_form(request)
        who = principal(gw, request, touch=False)
        if who is not None and who.via == "session":
            if not write_allowed(request, who, form.get("csrf")):
                return JSONResponse({"error": tr("gw_auth.csrf")}, status_code=403)
            gw.sessions.end(request.cookies.get(COOKIE, ""))
        resp = RedirectResponse("/login?out=1", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    @app.get("/api/v1/session")
    def session(request: Request) -> JSONResponse:
        who = principal(gw, request)
        if who is None:
            return JSONResponse({"error": tr("gw_auth.expired")}, status_code=401)
        return JSONResponse(
            {
                "username": who.user.username,
                "display_name": who.user.display_name,
                "role": who.user.role.name,
                "operator": who.operator,
                "via": who.via,
                "csrf": who.csrf,
            }
        )
