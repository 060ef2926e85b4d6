"""The checks a configuration must pass before the gateway starts: one path for all.

``gateway run`` and ``gateway check-config`` both call ``preflight``, so a file
that ``check-config`` accepts is a file ``run`` starts with (the schema alone
cannot see the profiles on disk, the token file, or the uplink's transport
rules).
"""

from __future__ import annotations

from dataclasses import dataclass

from coalguard.edge.quality import ProfileSet
from coalguard.edge.uplink import UplinkConfig, make_config
from coalguard.gateway.config import GatewayConfig
from coalguard.gateway.errors import GatewayError


@dataclass(frozen=True)
class Preflight:
    """What the checks produced, reused by the composition root."""

    profiles: ProfileSet
    uplink: UplinkConfig | None


def uplink_config(config: GatewayConfig) -> UplinkConfig | None:
    """The uplink's settings from ``[cloud]``; None without a url. Refuses plain http."""
    if not config.cloud.url:
        return None
    return make_config(
        cloud_url=config.cloud.url,
        gateway_id=config.checkpoint.id,
        token=config.cloud_token() or "",
        ca_file=str(config.cloud.ca_file) if config.cloud.ca_file else None,
        allow_insecure_http=config.cloud.allow_insecure_http,
        max_records=config.cloud.batch_records,
        backoff_cap_s=config.cloud.backoff_cap_s,
        backoff_base_s=min(1.0, config.cloud.backoff_cap_s),
    )


def preflight(config: GatewayConfig) -> Preflight:
    """Every check beyond the schema; raises a ``CoalguardError`` naming what is wrong."""
    profiles = ProfileSet.load(config.profiles_dirs)
    if config.checkpoint.jurisdiction not in profiles.jurisdictions:
        raise GatewayError(
            "unknown_jurisdiction",
            jurisdiction=config.checkpoint.jurisdiction,
            known=", ".join(sorted(profiles.jurisdictions)),
        )
    return Preflight(profiles, uplink_config(config))
