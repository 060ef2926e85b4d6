"""The cloud process's one configuration object (pydantic-settings).

Values come from arguments, then environment variables: ``COALGUARD_CLOUD_*``
for the process, ``COALGUARD_CO_*`` for its CO alarm section (``co``). Every
cloud process (``serve``, ``co-ingest``) validates one ``CloudSettings`` at
start and hands it down; nothing reads the environment again later.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from coalguard.cloud.co.settings import CoSettings
from coalguard.cloud.influx_write import InfluxApi


class CloudSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COALGUARD_CLOUD_", extra="forbid")

    db_url: str = "sqlite:///var/cloud.sqlite"
    # Where people reach this service from outside (the acknowledgement links in SMS
    # and calls): scheme, host and port, no trailing slash.
    public_url: str = Field("http://127.0.0.1:8080", pattern=r"^https?://[^/\s]+$")
    # The CO alarm path: broker, rules, channels, phone-hash key (env COALGUARD_CO_*).
    co: CoSettings = Field(default_factory=CoSettings)
    # Upper bound of one gateway batch, in records and bytes.
    max_batch_records: int = 5000
    max_batch_bytes: int = 8 * 1024 * 1024
    # The cloud's own copy of the quality profiles (re-judging): shipped ones plus this dir.
    profiles_dir: Path | None = None
    # Background projection of gateway records and deadline sweeps (0: off).
    checks_interval_s: float = 5.0
    # A failing lab report's referral is announced again this often until the office
    # acknowledges it (channels: the CO section's webhook and the log).
    referral_repeat_s: float = Field(4 * 3600, gt=0)
    # Optional export of readings to InfluxDB (off while influx_url is None):
    # "v2" (org, bucket, token) or "v1" (the /write endpoint: db, rp, user, password).
    influx_url: str | None = None
    influx_api: InfluxApi = "v2"
    influx_org: str = "coalguard"
    influx_bucket: str = "coalguard"
    influx_token: str | None = None
    influx_db: str = "coalguard"
    influx_rp: str | None = None
    influx_username: str | None = None
    influx_password: str | None = None
    influx_batch_size: int = 500
    influx_interval_s: float = 5.0
    # Dashboard sessions end after this long without a request, and this long after login.
    session_idle_s: float = Field(30 * 60, gt=0)
    session_max_s: float = Field(12 * 3600, gt=0)
    # Proxies trusted for X-Forwarded-For/-Proto (uvicorn's --forwarded-allow-ips);
    # None: trust no proxy, the client address is the TCP peer.
    forwarded_allow_ips: str | None = None
    # The live alarm board (``cloud/board/``): how often each stream reads the database,
    # the heartbeat comment of an idle stream, and how long one stream lasts before the
    # browser reconnects (with ``Last-Event-ID``), so a replica's restart never waits long.
    board_poll_s: float = Field(0.25, gt=0)
    board_heartbeat_s: float = Field(15.0, gt=0)
    board_stream_s: float = Field(300.0, ge=0)
    # Keys sealing personal data at rest (cloud/sealing.py, docs/contacts.md): a TOML key
    # file, and/or ``id:base64,…`` (env COALGUARD_CLOUD_SEALING_KEYS); the last key seals.
    sealing_key_file: Path | None = None
    sealing_keys: SecretStr | None = None
    # Demo mode: the shipped (public) secrets are allowed. Never in production.
    demo: bool = False
