"""The ``coalguard_build_info`` metric every process exposes (its version as a label).

One home so the gateway, ``cloud serve`` and ``co-ingest`` report it alike: a
dashboard can tell which version each scraped process runs.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Info

from coalguard import __version__


def register_build_info(registry: CollectorRegistry, component: str) -> None:
    """Add ``coalguard_build_info{version, component} 1`` to ``registry``."""
    info = Info("coalguard_build", "The running coalguard version", registry=registry)
    info.info({"version": __version__, "component": component})
