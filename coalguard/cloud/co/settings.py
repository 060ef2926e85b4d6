"""Configuration of the CO alarm path (one validated object; env ``COALGUARD_CO_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from coalguard.cloud.leases import instance_id


def default_client_id() -> str:
    """Unique per process, so two workers started alike never take each other's
    place at the broker. A fixed id (``--client-id``) keeps the session across restarts."""
    return f"coalguard-co-ingest-{instance_id()}"


class CoSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COALGUARD_CO_", extra="forbid")

    # Broker: mqtt://[user:pass@]host[:port] or mqtts://… (TLS, verified against ca_file).
    broker_url: str | None = None
    ca_file: Path | None = None
    client_id: str = Field(default_factory=default_client_id, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    # Shared subscription group: several ingest workers split the messages.
    shared_group: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    keepalive_s: int = 30
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 30.0
    batch_max: int = Field(500, ge=1, le=10_000)
    rules_file: Path | None = None
    sweep_s: float = Field(1.0, gt=0)
    commission_timeout_s: float = Field(120.0, gt=0)
    # Channels: the log channel is always on; a webhook when its URL is set.
    webhook_url: str | None = None
    webhook_secret: str = "change-me"
    notify_max_attempts: int = Field(6, ge=1)
    notify_first_backoff_s: float = Field(1.0, gt=0)
    # Key of the phone-number hash (HMAC-SHA256); set it per deployment.
    phone_hash_key: str = "coalguard-dev-key"
