"""Notification channels: the protocol, a signed webhook and a log line.

A channel's ``send`` takes an ``Outbound`` (the stored body plus, for SMS and
voice, the phone number decrypted at send time) and returns ``Sent`` (the
provider's message id, which delivery receipts name). It raises
``ChannelError`` on failure; the notifier records the error, retries with
backoff, and marks the notification failed when the attempts run out, so a
broken channel is visible, never silent. SMS and voice providers live in
``co/providers/``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from coalguard.edge.clock import Clock

log = logging.getLogger("coalguard.cloud.co.notify")

SIGNATURE_HEADER = "X-Coalguard-Signature"
TIMESTAMP_HEADER = "X-Coalguard-Timestamp"


class ChannelError(Exception):
    """Delivery failed; the message says why (HTTP status, connection error)."""


@dataclass(frozen=True)
class Outbound:
    """One message to send: ``body`` is what the notification row stores (never a
    plain phone); ``to`` is the phone for SMS/voice, decrypted by the caller at
    send time, never stored or logged."""

    body: dict[str, Any]
    to: str | None = None

    def __repr__(self) -> str:  # a stray log of the object must not show the number
        return f"Outbound(body={self.body!r}, to={'***' if self.to else None})"


@dataclass(frozen=True)
class Sent:
    """What the provider answered: its message id (matches delivery receipts)."""

    provider_id: str | None = None


class Channel(Protocol):
    name: str
    kind: str  # "sms" | "voice" | "webhook" | "log"

    def send(self, out: Outbound) -> Sent: ...


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` HMAC over ``timestamp + "." + body`` (replay-resistant)."""
    mac = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: bytes, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does to check a webhook came from us."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookChannel:
    """HTTP POST of the JSON body, signed with a shared secret (HMAC-SHA256)."""

    kind = "webhook"

    def __init__(
        self, name: str, url: str, secret: str, clock: Clock, timeout_s: float = 5.0
    ) -> None:
        self.clock = clock  # the signed timestamp
        self.name = name
        self.url = url
        self.secret = secret.encode()
        self.client = httpx.Client(timeout=timeout_s)

    def send(self, out: Outbound) -> Sent:
        raw = json.dumps(out.body, ensure_ascii=False, separators=(",", ":")).encode()
        ts = str(int(self.clock.now().timestamp()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: ts,
            SIGNATURE_HEADER: sign(self.secret, ts, raw),
        }
        try:
            resp = self.client.post(self.url, content=raw, headers=headers)
        except httpx.HTTPError as exc:
            raise ChannelError(f"{type(exc).__name__}: {exc}") from None
        if resp.status_code >= 300:
            raise ChannelError(f"HTTP {resp.status_code} from {self.url}")
        return Sent()

    def close(self) -> None:
        self.client.close()


class LogChannel:
    """One structured log line per notification (and the demo's screen)."""

    kind = "log"

    def __init__(self, name: str = "log") -> None:
        self.name = name

    def send(self, out: Outbound) -> Sent:
        body = out.body
        if "summary" in body:  # a message that words itself (an office referral)
            log.warning("%s", body["summary"])
            return Sent()
        log.warning(
            "CO alert %s %s device=%s region=%s level=%s (%s)",
            body.get("alert_id"),
            body.get("kind"),
            body.get("device_id"),
            body.get("region_code") or "-",
            body.get("level"),
            body.get("reason"),
        )
        return Sent()
