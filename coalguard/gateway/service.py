"""The checkpoint's desks wired together: one object the page, CLI and loops use.

Built by the composition root (``gateway/run.py``) from one config, one
store, one record sink and one clock; nothing here starts threads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from coalguard.edge.clock import Clock
from coalguard.edge.fastpass import FastPassList, load_file
from coalguard.edge.quality import BadProfileSet, ProfileSet
from coalguard.errors import CoalguardError
from coalguard.gateway.accounts import Accounts
from coalguard.gateway.alerts import Alerts
from coalguard.gateway.binding import Lanes
from coalguard.gateway.cached_list import CachedList
from coalguard.gateway.cameras import CameraDesk
from coalguard.gateway.config import GatewayConfig
from coalguard.gateway.devices import Devices
from coalguard.gateway.duty import DutyDesk
from coalguard.gateway.errors import GatewayError
from coalguard.gateway.fastpass import FastPassCache
from coalguard.gateway.fastpass_pull import pull_fast_pass, pull_watch_list, pull_zone_list
from coalguard.gateway.lab import LabDesk
from coalguard.gateway.ledger import Ledger
from coalguard.gateway.profile_cache import ProfileCache, pull_profiles
from coalguard.gateway.sessions import Sessions
from coalguard.gateway.sink import RecordSink
from coalguard.gateway.store import Store
from coalguard.gateway.watch import WatchDesk
from coalguard.gateway.workflow import Workflow
from coalguard.gateway.zones import ZoneDesk

log = logging.getLogger("coalguard.gateway")


@dataclass
class Gateway:
    config: GatewayConfig
    store: Store
    sink: RecordSink
    clock: Clock
    profiles: ProfileSet
    alerts: Alerts
    devices: Devices
    ledger: Ledger
    lab: LabDesk
    fast_pass: FastPassCache
    workflow: Workflow
    cameras: CameraDesk
    duty: DutyDesk
    accounts: Accounts
    sessions: Sessions
    watch: WatchDesk
    profile_cache: ProfileCache
    zones: ZoneDesk

    @classmethod
    def build(
        cls,
        config: GatewayConfig,
        store: Store,
        sink: RecordSink,
        clock: Clock,
        profiles: ProfileSet | None = None,
    ) -> Gateway:
        cp = config.checkpoint.id
        profiles = profiles or ProfileSet.load(config.profiles_dirs)
        profile_cache = ProfileCache(store, profiles, config.checkpoint.jurisdiction)
        profile_cache.restore()  # the set last pulled from the cloud, when there is one
        if config.checkpoint.jurisdiction not in profiles.jurisdictions:
            known = ", ".join(sorted(profiles.jurisdictions))
            raise GatewayError(
                "unknown_jurisdiction", jurisdiction=config.checkpoint.jurisdiction, known=known
            )
        alerts = Alerts(store, sink, clock, cp)
        devices = Devices(store, clock)
        ledger = Ledger(store, sink, clock)
        lab = LabDesk(
            store,
            sink,
            ledger,
            alerts,
            clock,
            profiles,
            cp,
            config.lab.dispatch_hours,
            config.lab.report_days,
        )
        fast_pass = FastPassCache(store=store, clock=clock, checkpoint_id=cp, sink=sink)
        zones = ZoneDesk(store=store, clock=clock, checkpoint_id=cp)
        workflow = Workflow(
            store,
            sink,
            ledger,
            lab,
            fast_pass,
            clock,
            profiles,
            cp,
            config.checkpoint.jurisdiction,
            Lanes.from_config(config),
            zones,
        )
        cameras = CameraDesk(
            store,
            sink,
            alerts,
            devices,
            workflow,
            clock,
            config.cameras,
            cp,
            config.retention.camera_days,
            config.retention.purge_batch,
            timedelta(minutes=config.exit.released_within_minutes),
        )
        for a in config.analyzers:
            devices.declare("analyzer", a.id, offline_after_s=a.offline_after_s)
        duty = DutyDesk(ledger, workflow, lab, devices, cp)
        accounts = Accounts(store, clock, config.auth)
        return cls(
            config,
            store,
            sink,
            clock,
            profiles,
            alerts,
            devices,
            ledger,
            lab,
            fast_pass,
            workflow,
            cameras,
            duty,
            accounts,
            Sessions(store, clock, config.auth, accounts),
            profile_cache=profile_cache,
            watch=WatchDesk(store=store, clock=clock, checkpoint_id=cp, rules=config.watch),
            zones=zones,
        )

    def load_fast_pass(self, path: Path | None = None) -> int:
        """(Re)load the fast-pass list from its file into the local cache."""
        path = path or self.config.fast_pass.file
        if path is None:
            return self.fast_pass.count()
        return self._install(load_file(path), str(path))

    def refresh_fast_pass(self) -> int:
        """The cloud's list when it answers; else the local file; else the cache as is."""
        if self.config.cloud.url:
            try:
                return self._install(pull_fast_pass(self.config), "cloud")
            except CoalguardError as exc:
                log.warning("fast-pass list from the cloud: %s (using the cached list)", exc)
        return self.load_fast_pass()

    def refresh_profiles(self) -> str:
        """Judge with the cloud's active profile set when it answers with a good one.

        Returns the version in force: unchanged when the cloud is away or its set is refused.
        """
        if self.config.cloud.url:
            try:
                self.profile_cache.install(pull_profiles(self.config))
            except BadProfileSet as exc:
                self.profile_cache.refuse(str(exc))
            except CoalguardError as exc:
                log.warning(
                    "profile set from the cloud: %s (judging with %s)", exc, self.profiles.version
                )
        return self.profiles.version

    def _install(self, fl: FastPassList, source: str) -> int:
        if fl.version == self.fast_pass.version():
            return self.fast_pass.count()
        n = self.fast_pass.replace(fl, source)
        log.info("fast-pass list %s loaded from %s: %d trucks", fl.version, source, n)
        return n

    def refresh_watch_list(self) -> int:
        """The cloud's watch list when it answers; else the cached one stays in force."""
        install = partial(self.watch.replace, source="cloud")
        return self._refresh("watch list", pull_watch_list, self.watch, install)

    def refresh_zone_list(self) -> int:
        """The cloud's zone list when it answers; else the cached one stays in force."""
        return self._refresh("zone list", pull_zone_list, self.zones, self.zones.replace)

    def _refresh(
        self,
        what: str,
        pull: Callable[[GatewayConfig], Any],
        cache: CachedList,
        install: Callable[[Any], int],
    ) -> int:
        """Pull a list; install it when its version changed. Returns the cached entries."""
        if not self.config.cloud.url:
            return cache.count()
        try:
            pulled = pull(self.config)
        except CoalguardError as exc:
            log.warning("%s from the cloud: %s (using the cached list)", what, exc)
            return cache.count()
        if pulled.version != cache.version():
            n = install(pulled)
            log.info("%s %s loaded: %d entries", what, pulled.version, n)
        return cache.count()

    def tick(self) -> None:
        """Periodic checks: lab deadlines and silent cameras."""
        self.lab.check_deadlines()
        self.cameras.check_silent()
