"""Delivery receipts posted by the SMS/voice providers, and the cloud's metrics.

``POST /api/v1/co/receipts/tencent/{token}`` (SMS status reports and voice
callbacks) and ``…/aliyun/{token}`` (SmsReport pushes). Providers do not sign
their callbacks, so each one is configured with a URL carrying a secret
token (``COALGUARD_PROVIDER_TENCENT_RECEIPT_TOKEN`` / ``…_ALIYUN_…``); a
wrong token is 401, a body not in the provider's format is 422 naming the
field. The answer is the provider's expected acknowledgement plus counts.
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from coalguard.cloud.access import PROVIDER_TOKEN
from coalguard.cloud.api.deps import ClockDep, SettingsDep, Staff
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.co.receipts import (
    AliyunBody,
    Applied,
    Receipt,
    TencentBody,
    apply_receipts,
    from_aliyun,
    from_tencent,
)
from coalguard.cloud.settings import CloudSettings

log = logging.getLogger("coalguard.cloud.co.receipts")
router = APIRouter(tags=["co-alarms"])
Token = Annotated[str, Path(min_length=1, max_length=200)]


class ReceiptCounts(BaseModel):
    applied: int
    duplicates: int
    unknown: int


class TencentAck(ReceiptCounts):
    result: int  # Tencent's callback answer: 0 received
    errmsg: str


class AliyunAck(ReceiptCounts):
    code: int  # Aliyun's callback answer: 0 received
    msg: str


def _token_of(settings: CloudSettings, provider: str) -> str | None:
    return getattr(settings.co.providers, f"{provider}_receipt_token")


def _check(provider: str) -> Any:
    def check(request: Request, token: Token, settings: SettingsDep) -> None:
        want = _token_of(settings, provider)
        if not want or not hmac.compare_digest(want.encode(), token.encode()):
            request.app.state.metrics.receipts.labels(provider, "refused").inc()
            raise Problem(401, "receipts.token_refused", provider=provider)

    return Depends(check)


def _record(request: Request, provider: str, receipts: list[Receipt], clock: Any) -> Applied:
    with request.app.state.sessions.begin() as s:
        done = apply_receipts(s, receipts, clock.now())
    counter = request.app.state.metrics.receipts
    counter.labels(provider, "applied").inc(done.applied)
    counter.labels(provider, "duplicate").inc(done.duplicates)
    counter.labels(provider, "unknown").inc(done.unknown)
    if done.unknown:
        log.warning("%s receipts: %d name no notification", provider, done.unknown)
    return done


@router.post(
    "/api/v1/co/receipts/tencent/{token}",
    dependencies=[PROVIDER_TOKEN, _check("tencent")],
    response_model=TencentAck,
)
def tencent_receipts(
    request: Request, token: Token, clock: ClockDep, body: Annotated[TencentBody, Body()]
) -> dict[str, Any]:
    """Tencent Cloud SMS status reports and voice-notification callbacks."""
    done = _record(request, "tencent", from_tencent(body), clock)
    return {"result": 0, "errmsg": "OK", **vars(done)}


@router.post(
    "/api/v1/co/receipts/aliyun/{token}",
    dependencies=[PROVIDER_TOKEN, _check("aliyun")],
    response_model=AliyunAck,
)
def aliyun_receipts(
    request: Request, token: Token, clock: ClockDep, body: Annotated[AliyunBody, Body()]
) -> dict[str, Any]:
    """Aliyun SMS delivery reports (SmsReport, HTTP batch push)."""
    done = _record(request, "aliyun", from_aliyun(body), clock)
    return {"code": 0, "msg": "接收成功", **vars(done)}


@router.get("/metrics", response_model=str, response_class=PlainTextResponse)
def metrics(request: Request, op: Staff) -> PlainTextResponse:
    """Prometheus metrics (text format 0.0.4): channel delivery health and receipt counters."""
    body = request.app.state.metrics.render()
    return PlainTextResponse(body, media_type="text/plain; version=0.0.4; charset=utf-8")
