"""Configuration of the CO alarm path (one validated object; env ``COALGUARD_CO_*``)."""

from __future__ import annotations

import fcntl
import os
import re
import socket
import tempfile
from functools import cache
from pathlib import Path
from typing import IO

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from coalguard.cloud.co.providers.settings import ProviderSettings

_held_slot: list[IO[bytes]] = []  # the open, locked slot file: held until the process ends


@cache
def default_client_id() -> str:
    """``coalguard-co-ingest-<host>-<n>``: the lowest slot ``n`` no live worker on this host holds.

    Unique per live process, so two workers started alike never take each other's
    place at the broker; stable across a restart (the dead worker's lock is
    released, its successor takes the same slot), so the broker's persistent
    session and the alarms queued in it while the worker was down are resumed.
    Slots are ``flock``s in ``$COALGUARD_RUN_DIR`` (default: the temp dir).
    """
    host = re.sub(r"[^A-Za-z0-9_.-]", "-", socket.gethostname())[:24] or "host"
    run_dir = Path(os.environ.get("COALGUARD_RUN_DIR") or tempfile.gettempdir()) / "coalguard"
    run_dir.mkdir(parents=True, exist_ok=True)
    for n in range(1024):
        f = open(run_dir / f"co-ingest-slot-{n}.lock", "ab")  # noqa: SIM115 - held for life
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            continue
        _held_slot.append(f)
        return f"coalguard-co-ingest-{host}-{n}"
    raise RuntimeError(f"no free CO ingest slot in {run_dir}")


class CoSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COALGUARD_CO_", extra="forbid")

    # Broker: mqtt://[user:pass@]host[:port] or mqtts://… (TLS, verified against ca_file).
    broker_url: str | None = None
    ca_file: Path | None = None
    # Unset: a per-host slot taken when the ingest connects (``mqtt_client_id``), not
    # when settings are built: every cloud process builds them, only ingests connect.
    client_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    # Shared subscription group: several ingest workers split the messages.
    shared_group: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    keepalive_s: int = 30
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 30.0
    batch_max: int = Field(500, ge=1, le=10_000)
    rules_file: Path | None = None
    # Who is reached about a CO alarm, when and how (docs/co-escalation.md); None: shipped.
    escalation_file: Path | None = None
    # An SMS to a person with no "delivered" receipt after this long fails over to the
    # step's next channel (a receipt usually arrives within seconds).
    sms_receipt_wait_s: float = Field(120.0, gt=0)
    # The one-time acknowledgement links in SMS and calls: signing key and lifetime.
    ack_link_secret: str = "coalguard-dev-ack-link-key"
    ack_link_ttl_s: float = Field(24 * 3600, gt=0)
    # The secret path part of the SMS reply callback URL given to the provider
    # (``/api/v1/co/sms-replies/{key}``); None: replies are not accepted.
    sms_reply_key: str | None = Field(None, min_length=16)
    sweep_s: float = Field(1.0, gt=0)
    # Silent alarms raised per sweep transaction: the ingest writes between batches.
    silent_batch: int = Field(200, gt=0)
    # Raw heartbeats kept this many days, then summarised per alarm per hour
    # (``co/retention.py``), in batches of ``retention_batch`` rows, every ``retention_every_s``.
    retention_days: float = Field(14.0, gt=0)
    retention_batch: int = Field(5000, ge=1, le=100_000)
    retention_every_s: float = Field(3600.0, gt=0)
    commission_timeout_s: float = Field(120.0, gt=0)
    # Channels: the log channel is always on; a webhook when its URL is set.
    webhook_url: str | None = None
    webhook_secret: str = "change-me"
    # SMS and voice providers (env COALGUARD_PROVIDER_*): a channel each when configured.
    providers: ProviderSettings = Field(default_factory=ProviderSettings)
    notify_max_attempts: int = Field(6, ge=1)
    notify_first_backoff_s: float = Field(1.0, gt=0)
    # Key of the phone-number hash (HMAC-SHA256); set it per deployment.
    phone_hash_key: str = "coalguard-dev-key"

    def mqtt_client_id(self) -> str:
        """The id this ingest connects with: ``client_id``, else this host's free slot."""
        return self.client_id or default_client_id()
