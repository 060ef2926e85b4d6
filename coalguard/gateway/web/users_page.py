"""The admin's accounts page: list, add, change role, disable/enable, unlock.

Same rules as the CLI (``coalguard gateway users``); every change needs the
admin role, the CSRF token and this origin. An admin cannot disable or demote
their own account, so the last admin cannot lock everyone out by a click.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from coalguard.gateway.errors import GatewayError
from coalguard.gateway.roles import ROLE_NAMES, Role
from coalguard.gateway.service import Gateway
from coalguard.gateway.web.auth import Principal, principal, refusal
from coalguard.gateway.web.forms import read_form
from coalguard.gateway.web.login import TEMPLATES, to_login
from coalguard.i18n import t

ACTION = "users.manage"


def add_users_routes(app: FastAPI, gw: Gateway, lang: str) -> None:
    tr = partial(t, lang=lang)
    template = TEMPLATES.get_template("users.html")

    def page(who: Principal, error: str = "", status: int = 200) -> HTMLResponse:
        html = template.render(
            t=tr,
            lang=lang,
            checkpoint=gw.config.checkpoint.name,
            who=who,
            csrf=who.csrf or "",
            users=gw.accounts.all(),
            roles=ROLE_NAMES,
            error=error,
        )
        return HTMLResponse(html, status_code=status)

    def forbidden(who: Principal) -> str:
        return tr("gw_auth.forbidden").format(
            role=tr(f"gw_auth.role_{who.user.role.name}"),
            action=tr("gw_auth.action_users_manage"),
            needed=tr("gw_auth.role_admin"),
        )

    @app.get("/users", response_class=HTMLResponse)
    def users(request: Request) -> Any:
        who = principal(gw, request)
        if who is None:
            return to_login(request, lang)
        if who.user.role < Role.admin:
            return HTMLResponse(forbidden(who), status_code=403)
        return page(who)

    async def change(request: Request, fn: Any) -> Any:
        form = await read_form(request)
        who = principal(gw, request)
        if who is None:
            return to_login(request, lang)
        refused = refusal(request, who, ACTION, form.get("csrf"), lang)
        if refused:
            return HTMLResponse(refused, status_code=403)
        try:
            fn(form, who)
        except GatewayError as exc:
            return page(who, exc.text(lang), 409)
        except ValueError as exc:  # an unknown role name
            return page(who, str(exc), 409)
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
                raise ValueError(tr("gw_auth.not_self"))
            if op == "role":
                gw.accounts.set_role(username, Role.parse(f.get("role", "")))
            elif op in ("disable", "enable"):
                gw.accounts.set_disabled(username, op == "disable")
            elif op == "unlock":
                gw.accounts.unlock(username)
            else:
                raise ValueError(op)

        return await change(request, call)
