"""Sends outbox batches to the cloud over HTTPS with a per-gateway token."""

from coalguard.edge.uplink.backoff import Backoff, parse_retry_after
from coalguard.edge.uplink.config import InsecureUplink, UplinkConfig
from coalguard.edge.uplink.uplink import Uplink, UplinkState, make_http_client

__all__ = [
    "Backoff",
    "InsecureUplink",
    "Uplink",
    "UplinkConfig",
    "UplinkState",
    "make_http_client",
    "parse_retry_after",
]
