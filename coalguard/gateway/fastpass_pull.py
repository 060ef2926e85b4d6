"""Pull the fast-pass list from the cloud (R11), so the green lane works offline.

``GET {cloud}/api/v1/gateways/{gateway_id}/fast-pass.toml`` with the
gateway's bearer token answers the list in the file format of
``fastpass.py``. A failed pull changes nothing: the cached list stays in
force, and the local file (when configured) is the fallback (a failure
raises ``CloudUnavailable``).
"""

from __future__ import annotations

from coalguard.gateway.cloud_get import cloud_get
from coalguard.gateway.config import GatewayConfig
from coalguard.gateway.fastpass import FastPassList, parse_fast_pass_toml


def pull_fast_pass(config: GatewayConfig, timeout_s: float = 15.0) -> FastPassList:
    resp = cloud_get(config, "fast-pass.toml", timeout_s)
    return parse_fast_pass_toml(resp.text, str(resp.url))
