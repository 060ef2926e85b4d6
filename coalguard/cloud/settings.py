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


class CloudSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COALGUARD_CLOUD_", extra="forbid")

    db_url: str = "sqlite:///var/cloud.sqlite"
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
    # Optional export of readings to InfluxDB 2.x (off while influx_url is None).
    influx_url: str | None = None
    influx_org: str = "coalguard"
    influx_bucket: str = "coalguard"
    influx_token: str | None = None
    influx_batch_size: int = 500
    influx_interval_s: float = 5.0
    # Dashboard sessions end after this long without a request, and this long after login.
    session_idle_s: float = Field(30 * 60, gt=0)
    session_max_s: float = Field(12 * 3600, gt=0)
    # Proxies trusted for X-Forwarded-For/-Proto (uvicorn's --forwarded-allow-ips);
    # None: trust no proxy, the client address is the TCP peer.
    forwarded_allow_ips: str | None = None
    # Keys sealing personal data at rest (cloud/sealing.py, docs/contacts.md): a TOML key
    # file, and/or ``id:base64,…`` (env COALGUARD_CLOUD_SEALING_KEYS); the last key seals.
    sealing_key_file: Path | None = None
    sealing_keys: SecretStr | None = None
    # Demo mode: the shipped (public) secrets are allowed. Never in production.
    demo: bool = False
