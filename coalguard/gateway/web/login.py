"""Sign-in and sign-out pages of the checkpoint (Jinja2 template, words from the catalog).

``POST /login`` (form: username, password, next) starts a server-side session
and answers 303 to ``next``; ``POST /logout`` ends it. ``GET /api/v1/session``
tells a script who it is and the CSRF token to send with its writes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from coalguard.gateway.accounts import LoginRefused
from coalguard.gateway.service import Gateway
from coalguard.gateway.web.auth import (
    COOKIE,
    client_address,
    principal,
    same_origin,
    write_allowed,
)
from coalguard.gateway.web.forms import read_form, safe_next
from coalguard.gateway.web.language import page_lang
from coalguard.gateway.web.render import chrome, render
from coalguard.gateway.web.views import LoginView
from coalguard.i18n import t


def to_login(request: Request, lang: str) -> Any:
    """Where an anonymous or expired request goes: the login page, or 401 for scripts."""
    if "text/html" in request.headers.get("accept", ""):
        path = request.url.path if request.method == "GET" else "/"
        # "expired" only when a session cookie came and is no longer valid
        expired = "&expired=1" if request.cookies.get(COOKIE) else ""
        return RedirectResponse(f"/login?next={quote(path)}{expired}", status_code=303)
    return JSONResponse({"error": t("gw_auth.expired", lang)}, status_code=401)


def add_login_routes(app: FastAPI, gw: Gateway, default: str) -> None:
    def login_page(
        request: Request,
        next_: str = "/",
        error: str = "",
        note: str = "",
        username: str = "",
        status: int = 200,
    ) -> HTMLResponse:
        lang = page_lang(gw.store, request, None, default)
        nxt = safe_next(next_)
        frame = chrome(gw, f"/login?next={quote(nxt)}", None, error)
        return render("login.html", lang, frame, LoginView(nxt, username, note), status)

    @app.get("/login", response_class=HTMLResponse)
    def login_form(
        request: Request, next: str = "/", expired: str = "", out: str = ""
    ) -> HTMLResponse:
        lang = page_lang(gw.store, request, None, default)
        note = t("gw_auth.signed_out", lang) if out else ""
        return login_page(request, next, t("gw_auth.expired", lang) if expired else "", note)

    @app.post("/login")
    async def login(request: Request) -> Any:
        form = await read_form(request)
        lang = page_lang(gw.store, request, None, default)
        username, nxt = form.get("username", ""), safe_next(form.get("next", "/"))
        sent_origin = request.headers.get("origin") or request.headers.get("referer")
        if sent_origin and not same_origin(request):  # a login posted from another site
            return login_page(request, nxt, t("gw_auth.csrf", lang), username=username, status=403)
        try:
            user = gw.accounts.authenticate(
                username, form.get("password", ""), client_address(request)
            )
        except LoginRefused as exc:
            status = 429 if exc.key.startswith("locked") else 401
            return login_page(request, nxt, exc.text(lang), username=username, status=status)
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
        lang = page_lang(gw.store, request, who, default)
        if who is not None and who.via == "session":
            if not write_allowed(request, who, form.get("csrf")):
                return JSONResponse({"error": t("gw_auth.csrf", lang)}, status_code=403)
            gw.sessions.end(request.cookies.get(COOKIE, ""))
        resp = RedirectResponse("/login?out=1", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    @app.get("/api/v1/session")
    def session(request: Request) -> JSONResponse:
        who = principal(gw, request)
        if who is None:
            lang = page_lang(gw.store, request, None, default)
            return JSONResponse({"error": t("gw_auth.expired", lang)}, status_code=401)
        return JSONResponse(
            {
                "username": who.user.username,
                "display_name": who.user.display_name,
                "role": who.user.role.name,
                "operator": who.operator,
                "via": who.via,
                "csrf": who.csrf,
                "lang": page_lang(gw.store, request, who, default),
            }
        )
