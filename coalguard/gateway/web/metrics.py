"""/metrics in the Prometheus text format: outbox, uplink, devices, workflow.

Built with ``prometheus_client`` at each scrape from the gateway's own state
(one collector per request), so label escaping and the format are the
library's; ``coalguard_build_info`` names the running version.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from coalguard.build_info import register_build_info
from coalguard.gateway.devices import DeviceState
from coalguard.gateway.service import Gateway
from coalguard.gateway.stored_time import parse_iso
from coalguard.gateway.uplink_status import UplinkStatus

OUTBOX_HEALTH = ("ok", "over_quota", "disk_floor")
UPLINK_STATES = ("starting", "connected", "backing_off", "stopped", "not_configured")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Samples = list[tuple[dict[str, str], float]]


def _family(name: str, kind: str, help_: str, samples: Samples) -> Metric:
    """One metric family; the label names come from the first sample (none when empty)."""
    labels = list(samples[0][0]) if samples else []
    if kind == "counter":
        fam: Metric = CounterMetricFamily(name, help_, labels=labels)
    else:
        fam = GaugeMetricFamily(name, help_, labels=labels)
    for lab, value in samples:
        fam.add_metric([lab[k] for k in labels], value)  # type: ignore[attr-defined]
    return fam


def render_metrics(gw: Gateway, up: UplinkStatus) -> bytes:
    """The exposition of this gateway's figures and build info, read now."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_GatewayCollector(gw, up))
    register_build_info(registry, "gateway")
    return generate_latest(registry)


class _GatewayCollector(Collector):
    def __init__(self, gw: Gateway, up: UplinkStatus) -> None:
        self.gw, self.up = gw, up

    def collect(self) -> Iterator[Metric]:
        return iter(_families(self.gw, self.up))


def _families(gw: Gateway, up: UplinkStatus) -> list[Metric]:
    now = gw.clock.now()
    out: list[Metric] = []

    def metric(name: str, kind: str, help_: str, samples: Samples) -> None:
        out.append(_family(name, kind, help_, samples))

    metric(
        "coalguard_gateway_outbox_depth",
        "gauge",
        "Records not yet sent to the cloud.",
        [({}, up.outbox_depth)],
    )
    metric(
        "coalguard_gateway_outbox_oldest_unsent_seconds",
        "gauge",
        "Age of the oldest unsent record.",
        [({}, round(up.oldest_unsent_s, 3))],
    )
    metric(
        "coalguard_gateway_outbox_drops_total",
        "counter",
        "Records the outbox could not keep.",
        [({}, up.drops)],
    )
    metric(
        "coalguard_gateway_outbox_sent_total",
        "counter",
        "Records the cloud acknowledged.",
        [({}, up.sent)],
    )
    metric(
        "coalguard_gateway_outbox_health",
        "gauge",
        "1 for the outbox's current health.",
        [({"health": h}, 1 if up.health == h else 0) for h in OUTBOX_HEALTH],
    )
    metric(
        "coalguard_gateway_uplink_state",
        "gauge",
        "1 for the uplink's current state.",
        [({"state": s}, 1 if up.state == s else 0) for s in UPLINK_STATES],
    )
    devices = gw.devices.all()
    metric(
        "coalguard_gateway_device_last_seen_age_seconds",
        "gauge",
        "Seconds since each device was last heard (-1: never).",
        [
            (
                {"device": d["device_id"], "kind": d["kind"]},
                round((now - parse_iso(d["last_seen"])).total_seconds(), 3)
                if d["last_seen"]
                else -1,
            )
            for d in devices
        ],
    )
    metric(
        "coalguard_gateway_device_errors_total",
        "counter",
        "Errors per device.",
        [({"device": d["device_id"], "kind": d["kind"]}, d["errors"]) for d in devices],
    )
    metric(
        "coalguard_gateway_device_result_gaps_total",
        "counter",
        "Results a device measured that the gateway never read (jumps of its sample counter).",
        [({"device": d["device_id"], "kind": d["kind"]}, d["gaps"]) for d in devices],
    )
    metric(
        "coalguard_gateway_device_state",
        "gauge",
        "1 for each device's current state (the equipment table and the device alerts agree).",
        [
            (
                {"device": d["device_id"], "kind": d["kind"], "state": s.value},
                1 if d["state"] is s else 0,
            )
            for d in devices
            for s in DeviceState
        ],
    )
    metric(
        "coalguard_gateway_device_silent",
        "gauge",
        "1 while a device is silent.",
        [
            (
                {"device": d["device_id"], "kind": d["kind"]},
                1 if d["silent_since"] else 0,
            )
            for d in devices
        ],
    )
    c = gw.cameras.counters
    metric(
        "coalguard_gateway_camera_events_total",
        "counter",
        "Camera events by outcome.",
        [
            ({"outcome": "accepted"}, c.accepted),
            ({"outcome": "duplicate"}, c.duplicates),
            ({"outcome": "rejected"}, c.rejected),
        ],
    )
    metric(
        "coalguard_gateway_camera_events_stored",
        "gauge",
        "Camera metadata rows kept.",
        [({}, gw.store.scalar("SELECT COUNT(*) FROM camera_events") or 0)],
    )
    metric(
        "coalguard_gateway_camera_events_purged_total",
        "counter",
        "Camera metadata rows purged by retention (this process).",
        [({}, c.purged)],
    )
    metric(
        "coalguard_gateway_camera_counter_resets_total",
        "counter",
        "Times each camera's event counter started again (event ids reused).",
        [
            ({"camera": d["device_id"]}, d["counter_resets"])
            for d in devices
            if d["kind"] == "camera"
        ],
    )
    metric(
        "coalguard_gateway_camera_bypass_reads_total",
        "counter",
        "Exit reads of trucks not let go (this process).",
        [({}, c.bypasses)],
    )
    states = gw.store.rows("SELECT state, COUNT(*) FROM inspections GROUP BY state")
    metric(
        "coalguard_gateway_inspections",
        "gauge",
        "Inspections by state.",
        [({"state": r[0]}, r[1]) for r in states],
    )
    metric(
        "coalguard_gateway_lab_samples_pending",
        "gauge",
        "Lab samples without a report.",
        [({}, len(gw.lab.pending()))],
    )
    metric("coalguard_gateway_alerts_open", "gauge", "Open alerts.", [({}, len(gw.alerts.open()))])
    metric(
        "coalguard_gateway_profile_set",
        "gauge",
        "The profile set verdicts are judged with (label@hash), as a label.",
        [({"version": gw.profiles.version}, 1)],
    )
    metric(
        "coalguard_gateway_profile_set_refused_total",
        "counter",
        "Profile sets pulled from the cloud and refused (the set in force stayed).",
        [({}, gw.profile_cache.refused())],
    )
    metric(
        "coalguard_gateway_sign_ins_total",
        "counter",
        "Operator sign-ins by outcome (this process).",
        [({"outcome": k}, v) for k, v in gw.accounts.sign_ins.items()],
    )
    return out
