"""Pull the fast-pass list from the cloud (R11), so the green lane works offline.

``GET {cloud}/api/v1/gateways/{gateway_id}/fast-pass.toml`` with the
gateway's bearer token answers the list in the file format of
``coalguard.edge.fastpass``. A failed pull changes nothing: the cached list stays in
force, and the local file (when configured) is the fallback.
"""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit

import httpx

from coalguard.edge import fastpass
from coalguard.edge.uplink.config import is_loopback
from coalguard.errors import CoalguardError
from coalguard.gateway.config import GatewayConfig


class FastPassUnavailable(CoalguardError):
    """The cloud did not give a usable list this time."""


def fast_pass_url(config: GatewayConfig) -> str | None:
    if not config.cloud.url:
        return None
    return f"{config.cloud.url.rstrip('/')}/api/v1/gateways/{config.checkpoint.id}/fast-pass.toml"


def pull_fast_pass(config: GatewayConfig, timeout_s: float = 15.0) -> fastpass.FastPassList:
    url = fast_pass_url(config)
    if url is None:
        raise FastPassUnavailable("no [cloud] url configured")
    parts = urlsplit(url)
    if (
        parts.scheme == "http"
        and not config.cloud.allow_insecure_http
        and not is_loopback(parts.hostname or "")
    ):
        raise FastPassUnavailable(f"{url}: plain http to another machine (set allow_insecure_http)")
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
        raise FastPassUnavailable(f"{url}: {type(exc).__name__}: {exc}") from None
    if resp.status_code != 200:
        raise FastPassUnavailable(f"{url}: HTTP {resp.status_code}: {resp.text[:200]}")
    return fastpass.parse_toml(resp.text, url)
