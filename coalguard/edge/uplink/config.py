"""Where and how the uplink talks to the cloud.

TLS certificates are verified by default. Plain ``http://`` is refused unless
the host is this machine (loopback: local demo, tests) or the configuration
says ``allow_insecure_http`` (a development network), so a typo cannot
send a checkpoint's records unencrypted over the internet.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from coalguard.edge.uplink.wire import GATEWAY_ID_RE
from coalguard.errors import InputError


class UplinkConfigError(InputError):
    """The uplink configuration is invalid (e.g. plain http to another machine)."""


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class UplinkConfig(BaseModel):
    """The uplink's settings (part of the gateway's one configuration schema)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cloud_url: str = Field(description="Base URL of the cloud, e.g. https://cloud.example.cn")
    gateway_id: str
    token: str = Field(min_length=1, repr=False)
    # TLS: verify against the system's CAs, or a CA bundle file when set.
    ca_file: str | None = None
    verify_tls: bool = True
    allow_insecure_http: bool = False
    timeout_s: float = Field(default=30.0, gt=0)
    max_records: int = Field(default=2000, ge=1)
    max_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    backoff_base_s: float = Field(default=1.0, gt=0)
    backoff_cap_s: float = Field(default=300.0, gt=0)
    # Longest wait honoured from a Retry-After header.
    retry_after_cap_s: float = Field(default=3600.0, gt=0)
    # How long an idle uplink sleeps before looking at the outbox again
    # (a put in the same process wakes it at once).
    idle_wait_s: float = Field(default=1.0, gt=0)

    @field_validator("gateway_id")
    @classmethod
    def _gateway_id(cls, v: str) -> str:
        if not GATEWAY_ID_RE.match(v):
            raise ValueError("gateway_id must be 3-64 characters of A-Z, a-z, 0-9, '_' or '-'")
        return v

    @model_validator(mode="after")
    def _transport(self) -> UplinkConfig:
        parts = urlsplit(self.cloud_url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"cloud_url {self.cloud_url!r} must be an https:// URL")
        if (
            parts.scheme == "http"
            and not self.allow_insecure_http
            and not is_loopback(parts.hostname)
        ):
            raise ValueError(
                f"cloud_url {self.cloud_url!r} is plain http to another machine: records "
                "would travel unencrypted. Use https://, or set allow_insecure_http on a "
                "development network."
            )
        if self.backoff_cap_s < self.backoff_base_s:
            raise ValueError("backoff_cap_s must not be below backoff_base_s")
        return self


def make_config(**values: object) -> UplinkConfig:
    """``UplinkConfig(**values)``; a bad value is an ``InputError`` naming the field."""
    try:
        return UplinkConfig(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        parts = []
        for err in exc.errors(include_url=False):
            msg = str(err["msg"]).removeprefix("Value error, ")
            where = ".".join(str(p) for p in err["loc"])
            parts.append(f"{where}: {msg}" if where else msg)
        raise UplinkConfigError("uplink configuration: " + "; ".join(parts)) from None
