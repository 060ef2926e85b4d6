"""The housekeeping thread's schedule: each job at its own interval, failures contained."""

from __future__ import annotations

from datetime import timedelta

from coalguard.gateway.run import Housekeeping
from tests.gateway.conftest import RETEST, drive_to_judged


def test_jobs_run_at_their_intervals_and_a_failure_does_not_stop_the_others(gw, clock, tmp_path):
    gw.config.fast_pass.file = tmp_path / "missing.toml"  # this job fails every time
    hk = Housekeeping(gw)
    iid = drive_to_judged(gw, RETEST)
    gw.workflow.lab_sample(iid, "op")
    clock.advance(timedelta(hours=25))
    hk.run_due(0.0)  # first pass runs every job
    kinds = {a["kind"] for a in gw.alerts.open()}
    assert "lab.dispatch_overdue" in kinds and "camera.silent" in kinds
    purges = gw.store.scalar("SELECT COUNT(*) FROM purge_runs")
    hk.run_due(30.0)  # nothing due yet (deadlines every 60 s, purge every hour)
    assert gw.store.scalar("SELECT COUNT(*) FROM purge_runs") == purges
    hk.run_due(3600.0)
    assert gw.store.scalar("SELECT COUNT(*) FROM purge_runs") == purges + 1
