"""Sends outbox batches to the cloud over HTTPS with a per-gateway token."""

from coalguard.edge.uplink.backoff import Backoff, parse_retry_after
from coalguard.edge.uplink.config import UplinkConfig, UplinkConfigError, make_config
from coalguard.edge.uplink.uplink import Uplink, UplinkState, make_http_client

__all__ = [
    "Backoff",
    "Uplink",
    "UplinkConfig",
    "UplinkConfigError",
    "UplinkState",
    "make_config",
    "make_http_client",
    "parse_retry_after",
]
