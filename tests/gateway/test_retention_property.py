"""Retention as a property: whatever the ages, holds and window, nothing younger
than the window (never under 90 days) is purged, and nothing held is purged."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coalguard.edge.clock import ManualClock
from coalguard.edge.quality import ProfileSet
from coalguard.gateway.config import GatewayConfig
from coalguard.gateway.service import Gateway
from coalguard.gateway.sink import StoreSink
from coalguard.gateway.store import Store
from coalguard.gateway.stored_time import iso
from tests.gateway.conftest import START, config_dict

PROFILES = ProfileSet.load()

events = st.lists(
    st.tuples(
        st.integers(0, 200 * 24),  # capture age, hours
        st.integers(-48, 48),  # camera clock error, hours
        st.sampled_from(["none", "open_case", "closed_case", "open_inspection"]),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=events, days=st.integers(90, 120), batch=st.integers(1, 7))
def test_purge_never_takes_young_or_held_metadata(tmp_path_factory, events, days, batch):
    clock = ManualClock(START)
    cfg = GatewayConfig.model_validate(config_dict(tmp_path_factory.mktemp("d")))
    cfg.retention.camera_days = days
    store = Store(":memory:")
    gw = Gateway.build(cfg, store, StoreSink(store, clock), clock, PROFILES)
    gw.cameras.purge_batch, gw.cameras.purge_pause_s = batch, 0.0
    now = START + timedelta(days=400)
    expect_kept = set()
    with store.tx() as db:
        for n, (age_h, skew_h, hold) in enumerate(events):
            received = now - timedelta(hours=age_h)
            at = received + timedelta(hours=skew_h)
            iid = None
            if hold != "none":
                iid = f"i{n}"
                state = "arrived" if hold == "open_inspection" else "turned_back"
                db.execute(
                    "INSERT INTO inspections(id, plate, state, opened_at, updated_at, source, "
                    "case_open) VALUES (?, 'P', ?, ?, ?, 'manual', ?)",
                    (iid, state, iso(at), iso(at), int(hold == "open_case")),
                )
            db.execute(
                "INSERT INTO camera_events(id, camera_id, event_id, type, at, received_at, "
                "inspection_id, body) VALUES (?, 'cam-exit', ?, 'plate', ?, ?, ?, '{}')",
                (f"e{n}", f"e{n}", iso(at), iso(received), iid),
            )
            young = max(at, received) >= now - timedelta(days=days)
            if young or hold in ("open_case", "open_inspection"):
                expect_kept.add(f"e{n}")
    clock.set(now)
    run = gw.cameras.purge()
    left = {r[0] for r in store.rows("SELECT id FROM camera_events")}
    assert expect_kept <= left  # never early, never held
    assert run.purged == len(events) - len(left)  # and everything else did go
    assert len(left - expect_kept) == 0
    store.close()
