"""Acknowledgement by the people a CO alarm reached: the one-time link's page, SMS replies.

Both are public (the person has no account): the link is checked by its
signature, its expiry and its alarm's state, and rate-limited per client; the
page's form carries a MAC only the page shows (a cross-site POST cannot
acknowledge). The SMS provider posts replies to a URL with a secret path part
(``sms_reply_key``), in Tencent Cloud SMS's reply-callback format.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from coalguard.cloud import templating
from coalguard.cloud.access import PUBLIC
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.api.responses import problems
from coalguard.cloud.co.acknowledgement import ACTIONS, ack_by_link, ack_by_reply, link_view
from coalguard.cloud.ratelimit import SlidingWindow, enforce

log = logging.getLogger("coalguard.cloud.co.ack")
router = APIRouter()
# A person opens a link a few times; a guesser hits the limit long before a MAC.
LINK_HITS = SlidingWindow(limit=30, window_s=60)
LANG_COOKIE = "cg_lang"


def _lang(request: Request) -> str:
    return templating.pick_lang(
        request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    )


def _page(request: Request, token: str, outcome: str | None, status: int = 200) -> HTMLResponse:
    app = request.app.state
    with app.sessions() as s:
        view = link_view(s, app.ack_links, token, app.clock.now())
    if view is None:
        status, outcome = 404, "unknown"
    html = templating.render(
        "co_ack/page.html",
        _lang(request),
        view=view,
        outcome=outcome,
        actions=ACTIONS,
        mac=app.ack_links.form_mac(token) if view else "",
        here=request.url.path,
    )
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return HTMLResponse(html, status_code=status, headers=headers)


@router.get("/a/{token}", dependencies=[PUBLIC], include_in_schema=False)
def ack_page(request: Request, token: str) -> HTMLResponse:
    """The link in an SMS or call: the alarm, the household, and the two answers."""
    enforce(LINK_HITS, request, "link_opens")
    return _page(request, token, None)


@router.post("/a/{token}", dependencies=[PUBLIC], include_in_schema=False)
async def ack_post(request: Request, token: str) -> HTMLResponse:
    """我已到场 / 我已联系住户: acknowledges the alarm as the link's person, once."""
    enforce(LINK_HITS, request, "link_opens")
    body = (await request.body())[:4096].decode("utf-8", "replace")
    form = dict(parse_qsl(body, keep_blank_values=True))
    app = request.app.state
    if form.get("mac") != app.ack_links.form_mac(token):
        return _page(request, token, "stale_form", status=400)
    with app.sessions.begin() as s:
        outcome = ack_by_link(s, app.ack_links, token, form.get("action", ""), app.clock.now())
    log.info("acknowledgement link %s: %s", token.partition("-")[0], outcome)
    status = {"acknowledged": 200, "already": 409, "expired": 410}.get(outcome, 404)
    return _page(request, token, outcome, status=status)


class SmsReply(BaseModel):
    """One reply as Tencent Cloud SMS posts it (reply callback)."""

    mobile: str = Field(max_length=32)
    text: str = Field(max_length=1000)
    nationcode: str | None = Field(None, max_length=8)
    sign: str | None = Field(None, max_length=64)
    extend: str | None = Field(None, max_length=32)
    time: int | None = None


class SmsReplyAnswer(BaseModel):
    """What the provider expects back: result 0 means received."""

    result: int
    errmsg: str


@router.post(
    "/api/v1/co/sms-replies/{key}",
    dependencies=[PUBLIC],
    response_model=SmsReplyAnswer,
    responses=problems(404),
    tags=["co-alarms"],
)
def sms_reply(request: Request, key: str, reply: SmsReply) -> dict[str, Any]:
    """A person texted back a message's reply code: acknowledged as that contact."""
    app = request.app.state
    if not app.settings.co.sms_reply_key or key != app.settings.co.sms_reply_key:
        raise Problem(404, "escalation.no_reply_callback")
    with app.sessions.begin() as s:
        outcome = ack_by_reply(s, app.directory, reply.mobile, reply.text, app.clock.now())
    log.info("SMS reply: %s", outcome)
    return {"result": 0, "errmsg": "OK"}
