"""What every cloud process does before it serves: refuse shipped secrets, trust only named proxies.

The shipped values of ``webhook_secret``, ``phone_hash_key`` and
``ack_link_secret`` are public (they are in this repository): a webhook signed
with one proves nothing, a phone hash keyed with one is a lookup table away
from the number, and an acknowledgement link signed with one can be forged. A process
that uses one refuses to start unless it runs in demo mode.

A broker the CO ingest cannot reach at start is one worded line and exit 2
(``require_broker``), like an unreachable database (``migrate.reach``):
systemd restarts the process until both answer.

Behind a TLS-terminating proxy the scheme (Secure cookies) and the client
address (login rate limit, audit log) come from ``X-Forwarded-Proto`` /
``X-Forwarded-For``, but only when the TCP peer is one of the proxies named
by ``forwarded_allow_ips``; otherwise those headers are ignored.
"""

from __future__ import annotations

import gc
import logging
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from coalguard.cloud.co.settings import CoSettings
from coalguard.cloud.sealing import Keyring, add_key_to_file, keyring_of
from coalguard.cloud.settings import CloudSettings
from coalguard.errors import Unreachable, WordedInputError, first_line

log = logging.getLogger("coalguard.cloud.process")

# setting -> (environment variable, shipped value)
SHIPPED_SECRETS = {
    name: (f"COALGUARD_CO_{name.upper()}", CoSettings.model_fields[name].default)
    for name in ("webhook_secret", "phone_hash_key", "ack_link_secret")
}


class DefaultSecretError(WordedInputError):
    """A process would run with a secret everyone knows."""


def refuse_default_secrets(co: CoSettings, *, demo: bool, uses: tuple[str, ...]) -> None:
    """Raise naming the first setting in ``uses`` still at its shipped value (unless demo)."""
    for name in uses:
        env, shipped = SHIPPED_SECRETS[name]
        if getattr(co, name) != shipped:
            continue
        if demo:
            log.warning("demo mode: %s (%s) is the shipped public default", name, env)
            continue
        raise DefaultSecretError("shipped_secret", name=name, env=env, shipped=repr(shipped))


def secrets_used(co: CoSettings, *, serves_api: bool, runs_ingest: bool) -> tuple[str, ...]:
    """Which shipped-default secrets this process would use."""
    used: list[str] = []
    if co.webhook_url:  # ingest sends CO alerts, the API process lab referrals
        used.append("webhook_secret")
    if serves_api:  # the API registers households: phone numbers are hashed with the key
        used.append("phone_hash_key")
        # … and acknowledges CO alarms by one-time link: a known key forges links.
        used.append("ack_link_secret")
    return tuple(used)


def start_keyring(settings: CloudSettings, *, demo: bool) -> Keyring:
    """The sealing keyring a process starts with, checked now (a worded error, not a traceback).

    No key set: refused, except in demo mode, where a generated key is kept in a
    file beside the demo's SQLite database (``serve`` and ``co-ingest`` on one
    database share it), never a key shipped in this repository."""
    configured = settings.sealing_key_file is not None or settings.sealing_keys is not None
    if configured or not demo:
        return keyring_of(settings, generated_ok=False)
    log.warning("demo mode: no sealing key set; using a generated demo key")
    if settings.db_url.startswith("sqlite:///") and ":memory:" not in settings.db_url:
        path = Path(settings.db_url.removeprefix("sqlite:///")).with_suffix(".demo-keys.toml")
        if not path.exists():
            add_key_to_file(path, "demo")
        return keyring_of(
            settings.model_copy(update={"sealing_key_file": path}), generated_ok=False
        )
    return keyring_of(settings, generated_ok=True)


def settle_heap() -> None:
    """Keep the collector off the long-lived heap a served cloud holds after start.

    A catch-up batch allocates a few hundred thousand short-lived objects; at the
    default threshold (700) the collector walked the whole heap (app, SQLAlchemy
    metadata, pydantic schemas) many times per batch: about a fifth of the
    ingest's CPU. What exists at start is frozen (never collected, never walked)
    and the young generation is larger; cycles are still collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def uvicorn_options(
    settings: CloudSettings, ssl_certfile: Path | None = None, ssl_keyfile: Path | None = None
) -> dict[str, Any]:
    """uvicorn keyword arguments shared by every process that serves the cloud over HTTP."""
    trusted = settings.forwarded_allow_ips
    return {
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or "",
        "ssl_certfile": str(ssl_certfile) if ssl_certfile else None,
        "ssl_keyfile": str(ssl_keyfile) if ssl_keyfile else None,
        # Open alarm-board streams are cancelled this long after a shutdown begins.
        "timeout_graceful_shutdown": 5,
    }


def require_broker(broker_url: str, timeout_s: float = 5.0) -> None:
    """Open (and close) a TCP connection to the MQTT broker, or raise ``Unreachable``."""
    parts = urlsplit(broker_url)
    shown = f"{parts.scheme}://{parts.hostname}:{parts.port or ''}".rstrip(":")
    try:
        port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
        with socket.create_connection((parts.hostname or "", port), timeout=timeout_s):
            pass
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else first_line(exc)
        raise Unreachable("broker_unreachable", url=shown, reason=reason) from None
