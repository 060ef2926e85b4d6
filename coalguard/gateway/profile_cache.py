"""The profile set the checkpoint judges with: pulled from the cloud, cached, used offline.

The cloud serves its active set (``GET …/gateways/{id}/profiles.json``). A set
is taken only whole and valid: every profile and jurisdiction validates, the
references resolve, the content matches its digest and the set has this
checkpoint's jurisdiction. A bad set is refused, counted and logged; the set
in force stays. A good one is kept in ``meta`` so a restart with the uplink
down judges with it; with nothing cached the shipped (or local) set is used.
"""

from __future__ import annotations

import json
import logging

from coalguard.edge.quality import BadProfileSet, ProfileSet
from coalguard.gateway.cloud_get import cloud_get
from coalguard.gateway.config import GatewayConfig
from coalguard.gateway.store import Store

log = logging.getLogger("coalguard.gateway.profiles")
CACHE_KEY = "profile_set"
REFUSED_KEY = "profile_set_refused"
REFUSED_WHY_KEY = "profile_set_refused_why"


def pull_profiles(config: GatewayConfig, timeout_s: float = 15.0) -> ProfileSet:
    """The cloud's active set, validated; ``CloudUnavailable`` or ``BadProfileSet`` say why not."""
    resp = cloud_get(config, "profiles.json", timeout_s)
    try:
        doc = resp.json()
    except ValueError:
        raise BadProfileSet(f"{resp.url}: not JSON") from None
    return ProfileSet.from_doc(doc, str(resp.url))


class ProfileCache:
    """Swaps the live set (shared by every desk) for a pulled one, and keeps it."""

    def __init__(self, store: Store, live: ProfileSet, jurisdiction: str) -> None:
        self.store = store
        self.live = live
        self.jurisdiction = jurisdiction

    def restore(self) -> None:
        """At start: judge with the cached set when there is a good one."""
        text = self.store.scalar("SELECT value FROM meta WHERE key = ?", (CACHE_KEY,))
        if text is None:
            return
        try:
            ps = self._usable(ProfileSet.from_doc(json.loads(text), "cached profile set"))
        except (BadProfileSet, ValueError) as exc:
            log.error("cached profile set refused (judging with %s): %s", self.live.version, exc)
            return
        self.live.adopt(ps)
        log.info("judging with cached profile set %s", ps.version)

    def install(self, ps: ProfileSet) -> bool:
        """Judge with ``ps`` from the next verdict on; False when it is the set in force."""
        ps = self._usable(ps)
        if ps.version == self.live.version:
            return False
        with self.store.tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                (CACHE_KEY, json.dumps(ps.to_doc(), ensure_ascii=False)),
            )
        self.live.adopt(ps)
        log.info("profile set %s installed from the cloud", ps.version)
        return True

    def refuse(self, why: str) -> None:
        """Count a refused set and keep why; the set in force stays."""
        with self.store.tx() as db:
            db.execute(
                "INSERT INTO meta(key, value) VALUES (?, '1') ON CONFLICT(key) "
                "DO UPDATE SET value = CAST(value AS INTEGER) + 1",
                (REFUSED_KEY,),
            )
            db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (REFUSED_WHY_KEY, why)
            )
        log.error("profile set refused (judging with %s): %s", self.live.version, why)

    def refused(self) -> int:
        return int(self.store.scalar("SELECT value FROM meta WHERE key = ?", (REFUSED_KEY,)) or 0)

    def _usable(self, ps: ProfileSet) -> ProfileSet:
        if self.jurisdiction not in ps.jurisdictions:
            raise BadProfileSet(
                f"profile set {ps.version} has no jurisdiction {self.jurisdiction!r}"
            )
        return ps
