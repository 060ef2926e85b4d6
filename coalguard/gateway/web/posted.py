"""The first steps of every signed-in form post: its form, who sent it, their language, and
whether they may (CSRF, same origin, role)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from coalguard.gateway.service import Gateway
from coalguard.gateway.web.auth import Principal, principal, refusal
from coalguard.gateway.web.forms import read_form
from coalguard.gateway.web.language import page_lang
from coalguard.gateway.web.login import to_login


@dataclass(frozen=True)
class Post:
    form: dict[str, str]
    who: Principal
    lang: str
    refused: str | None  # why it may not go ahead, in ``lang``; None: it may


async def read_post(gw: Gateway, request: Request, action: str, default: str) -> Post | Any:
    """The post for ``action``, or the sign-in redirect when nobody is signed in."""
    form = await read_form(request)
    who = principal(gw, request)
    if who is None:
        return to_login(request, default)
    lang = page_lang(gw.store, request, who, default)
    return Post(form, who, lang, refusal(request, who, action, form.get("csrf"), lang))
