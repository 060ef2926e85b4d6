"""Which language a page is in: the signed-in user's own setting, default Chinese.

The setting is stored per account (``meta`` key ``lang:<username>``), so it
follows the person to any browser and survives sign-out. Before sign-in the
login page uses a ``cg_lang`` cookie set by the same switch (``POST /lang``,
on every page; a signed-in switch needs the CSRF token like any write).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse

from coalguard.gateway.service import Gateway
from coalguard.gateway.store import Store
from coalguard.gateway.web.auth import Principal, principal, same_origin, write_allowed
from coalguard.gateway.web.forms import read_form, safe_next
from coalguard.gateway.web.render import chrome, render
from coalguard.i18n import LANGS, t

LANG_COOKIE = "cg_lang"


def _key(username: str) -> str:
    return f"lang:{username}"


def user_lang(store: Store, username: str) -> str | None:
    """The language this account chose, or None when it never chose one."""
    lang = store.scalar("SELECT value FROM meta WHERE key = ?", (_key(username),))
    return lang if lang in LANGS else None


def set_user_lang(store: Store, username: str, lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r} (known: {', '.join(LANGS)})")
    with store.tx() as db:
        db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (_key(username), lang),
        )


def page_lang(store: Store, request: Request, who: Principal | None, default: str) -> str:
    """The account's setting, else the browser's cookie, else the gateway's default."""
    if who is not None:
        chosen = user_lang(store, who.user.username)
        if chosen:
            return chosen
    cookie = request.cookies.get(LANG_COOKIE, "")
    return cookie if cookie in LANGS else default


def add_language_routes(app: FastAPI, gw: Gateway, default: str) -> None:
    @app.post("/lang")
    async def switch(request: Request) -> Any:
        form = await read_form(request)
        who = principal(gw, request, touch=False)
        lang = form.get("lang", "")
        current = page_lang(gw.store, request, who, default)
        if who is not None:  # a write like any other: CSRF + origin, or an API token
            allowed = write_allowed(request, who, form.get("csrf"))
        else:  # anonymous (login page): only a cookie, but not from another site
            allowed = same_origin(request)
        if not allowed:
            frame = chrome(gw, "/", who, t("gw_auth.csrf", current))
            return render("message.html", current, frame, status=403)
        if lang not in LANGS:
            error = t("gw_page.bad_lang", current).format(lang=lang, known=", ".join(LANGS))
            return render("message.html", current, chrome(gw, "/", who, error), status=422)
        if who is not None:
            set_user_lang(gw.store, who.user.username, lang)
        resp = RedirectResponse(safe_next(form.get("next", "/")), status_code=303)
        resp.set_cookie(LANG_COOKIE, lang, samesite="strict", path="/", max_age=365 * 86400)
        return resp
