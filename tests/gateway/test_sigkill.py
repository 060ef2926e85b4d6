"""Fault injection: the gateway is SIGKILLed at random moments while trucks are
walked through its HTTP API, then compared record by record with a real cloud.

0 lost (every step the API acknowledged is in the cloud), 0 doubled (one
transition per inspection and seq), 0 ledger forks (one entry per book and
seq), no inspection only in the cloud, and ``verify-ledger`` intact.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.gateway.client import GatewayClient
from tests.gateway.conftest import FAILING, PASSING, registration
from tests.support.gateway import CAMERA_TOKEN, GATEWAY_ID, GatewayProcess, linked_cloud
from tests.support.waiting import wait_for

KILLS = 12
# What the driver does next, by the inspection's state.
NEXT = {
    "arrived": "register",
    "registered": "check_fast_pass",
    "awaiting_sample": "take_sample",
    "sampled": "result",
    "tested": "judge",
}
# Each acknowledged driver action, as the transitions it must have made.
MAKES = {"result": ("bind_result", "judge")}
TERMINAL = {"released", "turned_back", "lab_sample", "cancelled"}


def plate_of(n: int) -> str:
    # Multiples of 11 differ in at least two digits: no plate is a misread of another.
    return f"冀A{n * 11 % 100000:05d}"


@dataclass
class Driver:
    """Walks trucks one after another; survives the gateway dying under it."""

    client: GatewayClient
    gateway: GatewayProcess
    stop: threading.Event = field(default_factory=threading.Event)
    sent: int = 0  # requests started (the killer aims at one of them)
    acked: list[tuple[str, str]] = field(default_factory=list)  # (inspection, action)
    unknown: int = 0  # requests the gateway never answered
    no_arrival: list[str] = field(default_factory=list)  # camera events stored without arrival
    trucks: int = 0
    error: BaseException | None = None

    def run(self) -> None:
        try:
            n = 0
            while not self.stop.is_set():
                n += 1
                self.truck(n)
                self.trucks += 1
        except BaseException as exc:  # reported by the test
            self.error = exc

    def call(self, fn, *args):  # type: ignore[no-untyped-def]
        self.sent += 1
        return fn(*args)

    def back(self) -> None:
        """Wait for the restarted gateway (the test restarts it)."""
        self.unknown += 1
        wait_for(
            lambda: httpx.get(f"{self.gateway.base}/healthz", timeout=1).status_code == 200,
            90,
            what="gateway back after a kill",
            retry_errors=True,
        )

    def truck(self, n: int) -> None:
        plate = plate_of(n)
        iid = self.arrival(n, plate)
        if iid is None:
            return
        state = "arrived"
        verdict = PASSING if n % 3 else FAILING
        while state not in TERMINAL:
            action = NEXT.get(state) or ("release" if verdict is PASSING else "turn_back")
            try:
                if action == "register":
                    self.call(self.client.step, iid, action, registration(plate))
                elif action == "take_sample":
                    self.call(self.client.step, iid, action, {"seal_no": f"F{n}"})
                elif action == "result":
                    sample_id = self.client.inspection(iid)["sample_id"]
                    self.call(self.client.result, sample_id, verdict)
                else:
                    self.call(self.client.step, iid, action)
            except httpx.TransportError:
                self.back()
                state = self.state_of(iid)
                continue
            self.acked.extend((iid, a) for a in MAKES.get(action, (action,)))
            state = self.state_of(iid)

    def arrival(self, n: int, plate: str) -> str | None:
        """Odd trucks are seen by the entry camera (a push is retried until
        answered), even ones typed in (an unanswered arrival is left alone)."""
        if n % 2 == 0:
            try:
                iid = self.call(self.client.arrive, plate)
            except httpx.TransportError:
                self.back()
                return None
            self.acked.append((iid, "arrive"))
            return iid
        event = {
            "camera_id": "cam-entry",
            "event_id": f"e-{n}",
            "type": "plate",
            "ts": "2026-11-23T08:30:00+08:00",
            "plate": plate,
            "confidence": 0.97,
            "direction": "in",
        }
        while True:
            try:
                answer = self.call(self.client.camera_event, event)
            except httpx.TransportError:
                self.back()
                continue
            if not answer["inspection_id"]:
                self.no_arrival.append(event["event_id"])
                return None
            self.acked.append((answer["inspection_id"], "arrive"))
            return answer["inspection_id"]

    def state_of(self, iid: str) -> str:
        while True:
            try:
                return self.client.inspection(iid)["state"]
            except httpx.TransportError:
                self.back()


def _local(db_path: Path) -> dict:
    db = sqlite3.connect(db_path)
    try:
        return {
            "transitions": {
                r[0]: (r[1], r[2], r[3])
                for r in db.execute("SELECT id, inspection_id, seq, action FROM transitions")
            },
            "ledger": {
                r[0]: (r[1], r[2], r[3])
                for r in db.execute("SELECT id, book, seq, hash FROM ledger")
            },
            "inspections": {r[0] for r in db.execute("SELECT id FROM inspections")},
            "other": Counter(
                [("camera.event", r[0]) for r in db.execute("SELECT id FROM camera_events")]
                + [("analyzer.result", r[0]) for r in db.execute("SELECT id FROM analyzer_results")]
            ),
        }
    finally:
        db.close()


def _cloud(db_path: Path) -> dict:
    db = sqlite3.connect(db_path)
    try:
        rows = db.execute(
            "SELECT id, kind, body FROM gateway_records WHERE gateway_id = ?", (GATEWAY_ID,)
        ).fetchall()
    finally:
        db.close()
    out: dict = {"transitions": {}, "ledger": {}, "other": Counter(), "records": len(rows)}
    for rid, kind, body in rows:
        b = json.loads(body)
        if kind == "inspection.transition":
            out["transitions"][rid] = (b["inspection_id"], b["seq"], b["action"])
        elif kind == "ledger.entry":
            out["ledger"][rid] = (b["book"], b["seq"], b["hash"])
        elif kind == "camera.event":
            out["other"][(kind, b["record_id"])] += 1
        elif kind == "analyzer.result":
            out["other"][(kind, b["result_id"])] += 1
    return out


@pytest.mark.timeout(170)
def test_sigkill_during_trucks_never_forks_or_doubles(tmp_path: Path) -> None:
    rng = random.Random(20261126)
    cloud, gateway = linked_cloud(tmp_path)
    cloud.start()
    gateway.start()
    client = GatewayClient(gateway.base, camera_token=CAMERA_TOKEN)
    client.sign_in(gateway.db_path)
    driver = Driver(client, gateway)
    thread = threading.Thread(target=driver.run, name="driver", daemon=True)
    thread.start()
    try:
        for _ in range(KILLS):
            # A random moment: while the driver's next 1st..6th request is in flight.
            target = driver.sent + rng.randint(1, 6)
            wait_for(
                lambda t=target: driver.sent >= t or driver.error,
                60,
                what="driver requests",
                retry_errors=True,
            )
            assert driver.error is None, driver.error
            gateway.kill()
            gateway.start()
        driver.stop.set()
        thread.join(90)
        assert driver.error is None, driver.error
        assert not thread.is_alive()
        wait_for(
            lambda: gateway.metric("coalguard_gateway_outbox_depth") == 0,
            60,
            what="outbox drained to the cloud",
            retry_errors=True,
        )
        gateway.stop()
        ok = gateway.cli("verify-ledger")
    finally:
        driver.stop.set()
        client.close()
        gateway.stop()
        cloud.stop()

    local, remote = _local(gateway.db_path), _cloud(tmp_path / "cloud.sqlite")
    cloud_steps = {(i, a) for i, _, a in remote["transitions"].values()}
    lost = [s for s in driver.acked if s not in cloud_steps]
    lost += [t for t in local["transitions"] if t not in remote["transitions"]]
    lost += [e for e in local["ledger"] if e not in remote["ledger"]]
    lost += [r for r in local["other"] if r not in remote["other"]]
    per_seq = Counter((i, s) for i, s, _ in remote["transitions"].values())
    doubled = [k for k, n in per_seq.items() if n > 1]
    doubled += [t for t in remote["transitions"] if t not in local["transitions"]]
    doubled += [r for r, n in remote["other"].items() if n > 1 or r not in local["other"]]
    per_position = Counter((b, s) for b, s, _ in remote["ledger"].values())
    forks = [k for k, n in per_position.items() if n > 1]
    mismatched = [e for e, v in local["ledger"].items() if remote["ledger"].get(e, v) != v]
    cloud_only = {i for i, _, _ in remote["transitions"].values()} - local["inspections"]
    print(
        f"\nSIGKILLs {KILLS}, restarts {gateway.starts - 1}, trucks {driver.trucks}, "
        f"acknowledged steps {len(driver.acked)}, unanswered requests {driver.unknown}, "
        f"records compared {remote['records']} (transitions {len(remote['transitions'])}, "
        f"ledger entries {len(remote['ledger'])}, camera events and analyzer results "
        f"{sum(remote['other'].values())}): lost {len(lost)}, doubled {len(doubled)}, "
        f"forks {len(forks)}, hash mismatches {len(mismatched)}, "
        f"inspections only in the cloud {len(cloud_only)}, "
        f"camera events without their arrival {len(driver.no_arrival)}"
    )
    assert (lost, doubled, forks, mismatched) == ([], [], [], [])
    assert (cloud_only, driver.no_arrival) == (set(), [])
    assert driver.trucks >= KILLS // 2 and len(driver.acked) > 3 * KILLS
    assert ok.returncode == 0 and "ledger intact" in ok.stdout, ok.stdout + ok.stderr
    held = len(local["ledger"])
    assert f"compared with the cloud's copy: {held} entries held by both, 0 not yet" in ok.stdout
