"""One-time acknowledgement links in the SMS and calls of a CO alarm.

A link names one notification row and carries an HMAC of its id: short
(``/a/<id>-<mac>``, ~16 characters after the host), nothing to store, and
unforgeable without the key. It works until ``ttl`` after the row was written
and only while its alarm is open: the first acknowledgement, by whatever way,
uses it up; a second opening says who already took the alarm on. The page's
form carries a second MAC (``form_mac``) that only the page itself shows, so a
cross-site POST that does not know the link cannot acknowledge.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta


def _b32(n: int) -> str:
    """A non-negative integer in lower-case base 32 (digits and letters)."""
    digits = "0123456789abcdefghijklmnopqrstuv"
    out = ""
    while True:
        n, r = divmod(n, 32)
        out = digits[r] + out
        if n == 0:
            return out


@dataclass(frozen=True)
class AckLinks:
    """Signs and reads the links of one deployment (``secret``, ``public_url``)."""

    secret: str
    public_url: str
    ttl: timedelta = timedelta(hours=24)
    MAC_CHARS = 10  # 50 bits: with the page's rate limit, not guessable

    def _mac(self, what: str) -> str:
        mac = hmac.new(self.secret.encode(), what.encode(), hashlib.sha256).digest()
        return base64.b32encode(mac).decode().lower()[: self.MAC_CHARS]

    def token(self, notification_id: int) -> str:
        ref = _b32(notification_id)
        return f"{ref}-{self._mac('ack:' + ref)}"

    def url(self, notification_id: int) -> str:
        return f"{self.public_url.rstrip('/')}/a/{self.token(notification_id)}"

    def notification_id(self, token: str) -> int | None:
        """The row a token names, or None when it is malformed or not ours."""
        ref, _, mac = token.partition("-")
        if not ref or len(ref) > 13 or not mac or not all(c.isalnum() for c in ref):
            return None
        try:
            n = int(ref, 32)
        except ValueError:
            return None
        if ref != _b32(n) or not hmac.compare_digest(mac, self._mac("ack:" + ref)):
            return None
        return n

    def expired(self, written_at: datetime, now: datetime) -> bool:
        return now > written_at + self.ttl

    def form_mac(self, token: str) -> str:
        """What the page's form posts back with the acknowledgement."""
        return self._mac("form:" + token)
