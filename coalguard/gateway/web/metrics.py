"""/metrics in the Prometheus text format: outbox, uplink, devices, workflow."""

from __future__ import annotations

from coalguard.gateway.devices import DeviceState
from coalguard.gateway.service import Gateway
from coalguard.gateway.stored_time import parse_iso
from coalguard.gateway.uplink_status import UplinkStatus

OUTBOX_HEALTH = ("ok", "over_quota", "disk_floor")
UPLINK_STATES = ("starting", "connected", "backing_off", "stopped", "not_configured")


def _label(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_metrics(gw: Gateway, up: UplinkStatus) -> str:
    now = gw.clock.now()
    out: list[str] = []

    def metric(name: str, kind: str, help_: str, samples: list[tuple[str, float]]) -> None:
        out.append(f"# HELP {name} {help_}")
        out.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            out.append(f"{name}{labels} {value:g}")

    metric(
        "coalguard_gateway_outbox_depth",
        "gauge",
        "Records not yet sent to the cloud.",
        [("", up.outbox_depth)],
    )
    metric(
        "coalguard_gateway_outbox_oldest_unsent_seconds",
        "gauge",
        "Age of the oldest unsent record.",
        [("", round(up.oldest_unsent_s, 3))],
    )
    metric(
        "coalguard_gateway_outbox_drops_total",
        "counter",
        "Records the outbox could not keep.",
        [("", up.drops)],
    )
    metric(
        "coalguard_gateway_outbox_sent_total",
        "counter",
        "Records the cloud acknowledged.",
        [("", up.sent)],
    )
    metric(
        "coalguard_gateway_outbox_health",
        "gauge",
        "1 for the outbox's current health.",
        [(f'{{health="{h}"}}', 1 if up.health == h else 0) for h in OUTBOX_HEALTH],
    )
    metric(
        "coalguard_gateway_uplink_state",
        "gauge",
        "1 for the uplink's current state.",
        [(f'{{state="{s}"}}', 1 if up.state == s else 0) for s in UPLINK_STATES],
    )
    devices = gw.devices.all()
    metric(
        "coalguard_gateway_device_last_seen_age_seconds",
        "gauge",
        "Seconds since each device was last heard (-1: never).",
        [
            (
                f'{{device="{_label(d["device_id"])}",kind="{d["kind"]}"}}',
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
        [
            (f'{{device="{_label(d["device_id"])}",kind="{d["kind"]}"}}', d["errors"])
            for d in devices
        ],
    )
    metric(
        "coalguard_gateway_device_result_gaps_total",
        "counter",
        "Results a device measured that the gateway never read (jumps of its sample counter).",
        [(f'{{device="{_label(d["device_id"])}",kind="{d["kind"]}"}}', d["gaps"]) for d in devices],
    )
    metric(
        "coalguard_gateway_device_state",
        "gauge",
        "1 for each device's current state (the equipment table and the device alerts agree).",
        [
            (
                f'{{device="{_label(d["device_id"])}",kind="{d["kind"]}",state="{s.value}"}}',
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
                f'{{device="{_label(d["device_id"])}",kind="{d["kind"]}"}}',
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
            ('{outcome="accepted"}', c.accepted),
            ('{outcome="duplicate"}', c.duplicates),
            ('{outcome="rejected"}', c.rejected),
        ],
    )
    metric(
        "coalguard_gateway_camera_events_stored",
        "gauge",
        "Camera metadata rows kept.",
        [("", gw.store.scalar("SELECT COUNT(*) FROM camera_events") or 0)],
    )
    metric(
        "coalguard_gateway_camera_events_purged_total",
        "counter",
        "Camera metadata rows purged by retention (this process).",
        [("", c.purged)],
    )
    metric(
        "coalguard_gateway_camera_counter_resets_total",
        "counter",
        "Times each camera's event counter started again (event ids reused).",
        [
            (f'{{camera="{_label(d["device_id"])}"}}', d["counter_resets"])
            for d in devices
            if d["kind"] == "camera"
        ],
    )
    metric(
        "coalguard_gateway_camera_bypass_reads_total",
        "counter",
        "Exit reads of trucks not let go (this process).",
        [("", c.bypasses)],
    )
    states = gw.store.rows("SELECT state, COUNT(*) FROM inspections GROUP BY state")
    metric(
        "coalguard_gateway_inspections",
        "gauge",
        "Inspections by state.",
        [(f'{{state="{r[0]}"}}', r[1]) for r in states],
    )
    metric(
        "coalguard_gateway_lab_samples_pending",
        "gauge",
        "Lab samples without a report.",
        [("", len(gw.lab.pending()))],
    )
    metric("coalguard_gateway_alerts_open", "gauge", "Open alerts.", [("", len(gw.alerts.open()))])
    metric(
        "coalguard_gateway_profile_set",
        "gauge",
        "The profile set verdicts are judged with (label@hash), as a label.",
        [(f'{{version="{_label(gw.profiles.version)}"}}', 1)],
    )
    metric(
        "coalguard_gateway_profile_set_refused_total",
        "counter",
        "Profile sets pulled from the cloud and refused (the set in force stayed).",
        [("", gw.profile_cache.refused())],
    )
    metric(
        "coalguard_gateway_sign_ins_total",
        "counter",
        "Operator sign-ins by outcome (this process).",
        [(f'{{outcome="{k}"}}', v) for k, v in gw.accounts.sign_ins.items()],
    )
    return "\n".join(out) + "\n"
