"""Pull the fast-pass list (R11) and the watch list from the cloud, so both work offline.

``GET {cloud}/api/v1/gateways/{gateway_id}/fast-pass.toml`` with the
gateway's bearer token answers the list in the file format of
``coalguard.edge.fastpass``. A failed pull changes nothing: the cached list stays in
force, and the local file (when configured) is the fallback (a failure
raises ``CloudUnavailable``). ``GET .../watch.toml`` answers the watch list
(``coalguard.edge.watchlist``) the same way, and ``.../zones.toml`` the zone
list (``coalguard.edge.zonelist``).
"""

from __future__ import annotations

from coalguard.edge import fastpass, watchlist, zonelist
from coalguard.gateway.cloud_get import cloud_get
from coalguard.gateway.config import GatewayConfig


def pull_fast_pass(config: GatewayConfig, timeout_s: float = 15.0) -> fastpass.FastPassList:
    resp = cloud_get(config, "fast-pass.toml", timeout_s)
    return fastpass.parse_toml(resp.text, str(resp.url))


def pull_watch_list(config: GatewayConfig, timeout_s: float = 15.0) -> watchlist.WatchList:
    resp = cloud_get(config, "watch.toml", timeout_s)
    return watchlist.parse_toml(resp.text, str(resp.url))


def pull_zone_list(config: GatewayConfig, timeout_s: float = 15.0) -> zonelist.ZoneList:
    resp = cloud_get(config, "zones.toml", timeout_s)
    return zonelist.parse_toml(resp.text, str(resp.url))
