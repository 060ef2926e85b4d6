"""Reading from the cloud with the gateway's bearer token (fast-pass list, ledger copy).

One place for the rules every such read follows: plain http only to this
machine unless ``allow_insecure_http``, the configured CA, no redirects, and
a failure is one ``CloudUnavailable`` line, never a traceback.
"""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit

import httpx

from coalguard.edge.uplink.config import is_loopback
from coalguard.errors import CoalguardError
from coalguard.gateway.config import GatewayConfig


class CloudUnavailable(CoalguardError):
    """The cloud did not answer this read usefully."""


def gateway_url(config: GatewayConfig, tail: str) -> str | None:
    """``{cloud}/api/v1/gateways/{gateway_id}/{tail}``, or None without a cloud url."""
    if not config.cloud.url:
        return None
    return f"{config.cloud.url.rstrip('/')}/api/v1/gateways/{config.checkpoint.id}/{tail}"


def cloud_get(config: GatewayConfig, tail: str, timeout_s: float = 15.0) -> httpx.Response:
    """GET a gateway resource; a 200 answer, else ``CloudUnavailable`` saying why."""
    url = gateway_url(config, tail)
    if url is None:
        raise CloudUnavailable("no [cloud] url configured")
    parts = urlsplit(url)
    if (
        parts.scheme == "http"
        and not config.cloud.allow_insecure_http
        and not is_loopback(parts.hostname or "")
    ):
        raise CloudUnavailable(f"{url}: plain http to another machine (set allow_insecure_http)")
    verify: ssl.SSLContext | bool = True
    if config.cloud.ca_file:
        verify = ssl.create_default_context(cafile=str(config.cloud.ca_file))
    headers = {
        "Authorization": f"Bearer {config.cloud_token() or ''}",
        "User-Agent": "coalguard-gateway/1",
    }
    try:
        with httpx.Client(verify=verify, timeout=timeout_s, follow_redirects=False) as client:
            resp = client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        raise CloudUnavailable(f"{url}: {type(exc).__name__}: {exc}") from None
    if resp.status_code != 200:
        raise CloudUnavailable(f"{url}: HTTP {resp.status_code}: {resp.text[:200]}")
    return resp
