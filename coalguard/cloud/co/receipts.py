"""Delivery receipts: what the providers say happened to a message after accepting it.

Tencent Cloud posts SMS status reports (a JSON array, ``sid`` = the
``SerialNo`` it answered) and voice-notification callbacks
(``voiceprompt_callback``: ``result`` 0 answered, 1 not answered, 2 call
failed; ``voice_failure_callback``: why a call could not be placed); Aliyun
posts SMS reports (a JSON array, ``biz_id`` = the ``BizId`` it answered).
Each becomes a ``Receipt`` and ``apply_receipts`` records it on the
notification row with that provider id: ``delivery_state`` delivered or
undelivered, ``delivered_at`` (delivered: the provider's time; undelivered:
when the receipt arrived), ``delivery_detail``
(the provider's code and words; never the phone number, which receipts
carry). Repeated receipts change nothing; an id no row has is counted and
kept (``CoEarlyReceipt``): the receipt may have beaten the notifier's commit of
that id, and ``settle_early`` applies it when the id is stored.

Failover reads ``undelivered(s, since)``: the notifications a provider could
not deliver (receipt) or never accepted (attempts ran out). What happens next
(the next channel, the next person) is the escalation's decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from coalguard.cloud.co.tables import CoEarlyReceipt, CoNotification
from coalguard.edge.clock import LOCAL_TZ

FINAL = ("delivered", "undelivered")
PROVIDERS = ("tencent", "aliyun")
# How long a receipt naming no notification is kept for one to appear.
EARLY_KEEP = timedelta(days=7)
_VOICE_RESULT = {"0": "answered", "1": "not answered", "2": "call failed"}


@dataclass(frozen=True)
class Receipt:
    provider_id: str
    delivered: bool
    at: datetime | None
    detail: str


# -- the providers' formats (validated: a bad body is refused naming the field) --------
class _Report(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TencentSmsReport(_Report):
    """One element of Tencent's SMS status callback (mobile and nationcode ignored)."""

    sid: str = Field(min_length=1, max_length=128)
    report_status: Literal["SUCCESS", "FAIL"]
    user_receive_time: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
    errmsg: str = Field("", max_length=200)
    description: str = Field("", max_length=200)


class VoicePrompt(_Report):
    callid: str = Field(min_length=1, max_length=128)
    result: Literal["0", "1", "2"]
    end_calltime: str | None = Field(None, pattern=r"^\d{1,12}$")


class TencentVoiceCallback(_Report):
    voiceprompt_callback: VoicePrompt


class VoiceFailure(_Report):
    callid: str = Field(min_length=1, max_length=128)
    failure_code: int
    failure_reason: str = Field("", max_length=200)


class TencentVoiceFailure(_Report):
    voice_failure_callback: VoiceFailure


class AliyunReport(_Report):
    """One element of Aliyun's SmsReport push (phone_number ignored)."""

    biz_id: str = Field(min_length=1, max_length=128)
    success: bool
    report_time: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
    err_code: str = Field("", max_length=100)
    err_msg: str = Field("", max_length=200)


TencentBody = list[TencentSmsReport] | TencentVoiceCallback | TencentVoiceFailure
AliyunBody = list[AliyunReport]


def _local(text: str | None) -> datetime | None:
    """A provider's ``YYYY-MM-DD HH:MM:SS`` (Beijing time) as an aware datetime."""
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=LOCAL_TZ)


def from_tencent(body: Any) -> list[Receipt]:
    if isinstance(body, TencentVoiceCallback):
        v = body.voiceprompt_callback
        at = datetime.fromtimestamp(int(v.end_calltime), LOCAL_TZ) if v.end_calltime else None
        return [
            Receipt(v.callid, v.result == "0", at, f"voice {v.result}: {_VOICE_RESULT[v.result]}")
        ]
    if isinstance(body, TencentVoiceFailure):
        f = body.voice_failure_callback
        return [
            Receipt(f.callid, False, None, f"voice failure {f.failure_code}: {f.failure_reason}")
        ]
    return [
        Receipt(
            r.sid,
            r.report_status == "SUCCESS",
            _local(r.user_receive_time),
            f"{r.errmsg} {r.description}".strip(),
        )
        for r in body
    ]


def from_aliyun(body: list[AliyunReport]) -> list[Receipt]:
    return [
        Receipt(r.biz_id, r.success, _local(r.report_time), f"{r.err_code} {r.err_msg}".strip())
        for r in body
    ]


# -- recording them -------------------------------------------------------------------
@dataclass
class Applied:
    applied: int = 0
    duplicates: int = 0  # the row already had its final state
    unknown: int = 0  # no notification has this provider id


def apply_receipts(s: Session, receipts: list[Receipt], now: datetime) -> Applied:
    """Record each receipt on its notification (idempotent); counts by outcome.

    A receipt whose id no row has yet is kept for ``settle_early``."""
    out = Applied()
    for r in receipts:
        row = s.scalars(
            select(CoNotification).where(CoNotification.provider_id == r.provider_id).limit(1)
        ).first()
        if row is None:
            out.unknown += 1
            early = s.get(CoEarlyReceipt, r.provider_id) or CoEarlyReceipt(
                provider_id=r.provider_id
            )
            early.delivered, early.at, early.detail = r.delivered, r.at, r.detail[:500]
            early.received_at = now
            s.add(early)
            continue
        if _settle(row, r, now):
            out.applied += 1
        else:
            out.duplicates += 1
    s.execute(delete(CoEarlyReceipt).where(CoEarlyReceipt.received_at < now - EARLY_KEEP))
    return out


def settle_early(s: Session, row: Any, now: datetime) -> bool:
    """Apply the receipt that arrived before ``row``'s provider id was stored, if any."""
    pid = getattr(row, "provider_id", None)
    early = s.get(CoEarlyReceipt, pid) if pid else None
    if early is None:
        return False
    s.delete(early)
    return _settle(row, Receipt(pid, early.delivered, early.at, early.detail), now)


def _settle(row: Any, r: Receipt, now: datetime) -> bool:
    """Write the receipt on the row; False when the row already had its final state."""
    if row.delivery_state in FINAL:
        return False
    row.delivery_state = "delivered" if r.delivered else "undelivered"
    # Delivered: when the provider says the phone got it. Undelivered: when we
    # learned it (what failover and the outage view go by).
    row.delivered_at = (r.at or now) if r.delivered else now
    row.delivery_detail = r.detail[:500]
    return True


def undelivered(s: Session, since: datetime) -> list[CoNotification]:
    """Notifications settled as not delivered since ``since``, oldest first: a receipt
    said undelivered, or the provider never accepted them (``status`` failed)."""
    n = CoNotification
    return list(
        s.scalars(
            select(n)
            .where(
                or_(
                    and_(n.delivery_state == "undelivered", n.delivered_at >= since),
                    and_(n.delivery_state == "failed", n.last_error_at >= since),
                )
            )
            .order_by(n.id)
        )
    )
