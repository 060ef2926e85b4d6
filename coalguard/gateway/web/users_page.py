"""The admin's accounts page: list, add, change role, disable/enable, unlock.

Same rules as the CLI (``coalguard gateway users``); every change needs the
admin role, the CSRF token and this origin. An admin cannot disable or demote
their own account, so the last admin cannot lock everyone out by a click.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from coalguard.errors import WordedValueError, words_of
from coalguard.gateway.errors import GatewayError
from coalguard.gateway.roles import ROLE_NAMES, Role
from coalguard.gateway.service import Gateway
from coalguard.gateway.web.auth import Principal, principal
from coalguard.gateway.web.language import page_lang
from coalguard.gateway.web.login import to_login
from coalguard.gateway.web.posted import Post, read_post
from coalguard.gateway.web.render import chrome, render
from coalguard.gateway.web.views import UserRow, UsersView
from coalguard.i18n import t

ACTION = "users.manage"


def add_users_routes(app: FastAPI, gw: Gateway, default: str) -> None:
    def page(request: Request, who: Principal, error: str = "", status: int = 200) -> HTMLResponse:
        lang = page_lang(gw.store, request, who, default)
        view = UsersView(
            users=tuple(
                UserRow(
                    u.username,
                    u.display_name,
                    u.role.name,
                    u.disabled,
                    u.username == who.user.username,
                )
                for u in gw.accounts.all()
            ),
            roles=tuple(ROLE_NAMES),
        )
        return render("users.html", lang, chrome(gw, "/users", who, error), view, status)

    def message(request: Request, who: Principal, error: str, status: int) -> HTMLResponse:
        """A refusal on its own page (no list the person may not see)."""
        lang = page_lang(gw.store, request, who, default)
        return render("message.html", lang, chrome(gw, "/users", who, error), status=status)

    def forbidden(who: Principal, lang: str) -> str:
        return t("gw_auth.forbidden", lang).format(
            role=t(f"gw_auth.role_{who.user.role.name}", lang),
            action=t("gw_auth.action_users_manage", lang),
            needed=t("gw_auth.role_admin", lang),
        )

    @app.get("/users", response_class=HTMLResponse)
    def users(request: Request) -> Any:
        who = principal(gw, request)
        if who is None:
            return to_login(request, default)
        if who.user.role < Role.admin:
            lang = page_lang(gw.store, request, who, default)
            return message(request, who, forbidden(who, lang), 403)
        return page(request, who)

    async def change(request: Request, fn: Any) -> Any:
        post = await read_post(gw, request, ACTION, default)
        if not isinstance(post, Post):
            return post
        who = post.who
        if post.refused:
            return message(request, who, post.refused, 403)
        try:
            fn(post.form, who)
        except GatewayError as exc:
            return page(request, who, exc.text(post.lang), 409)
        except ValueError as exc:  # an unknown role name
            return page(request, who, words_of(exc, post.lang), 409)
        return RedirectResponse("/users", status_code=303)

    @app.post("/ui/users")
    async def add(request: Request) -> Any:
        def call(f: dict[str, str], who: Principal) -> None:
            gw.accounts.add(
                f.get("username", ""),
                f.get("password", ""),
                Role.parse(f.get("role", "operator")),
                f.get("display_name", ""),
            )

        return await change(request, call)

    @app.post("/ui/users/{username}/{op}")
    async def update(request: Request, username: str, op: str) -> Any:
        def call(f: dict[str, str], who: Principal) -> None:
            if op in ("role", "disable") and username == who.user.username:
                raise WordedValueError("gw_auth.not_self")
            if op == "role":
                gw.accounts.set_role(username, Role.parse(f.get("role", "")))
            elif op in ("disable", "enable"):
                gw.accounts.set_disabled(username, op == "disable")
            elif op == "unlock":
                gw.accounts.unlock(username)
            else:
                raise WordedValueError("gw_unknown_step", value=op)

        return await change(request, call)
