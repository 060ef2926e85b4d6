"""``coalguard sim camera``: post realistic plate-read and snapshot events to a gateway."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import httpx
import typer

from coalguard.errors import CoalguardError
from coalguard.simulators.camera import CameraSim


def camera(
    url: Annotated[str, typer.Option(help="Gateway base URL.")] = "http://127.0.0.1:8470",
    cameras: Annotated[
        str, typer.Option(help="Camera ids: entry,sampling,exit.")
    ] = "cam-entry,cam-sampling,cam-exit",
    trucks: Annotated[int, typer.Option(help="Truck visits to simulate.")] = 10,
    plates: Annotated[str, typer.Option(help="Comma-separated plates (default: random).")] = "",
    interval: Annotated[float, typer.Option(help="Seconds between posted events.")] = 0.5,
    misread_rate: Annotated[float, typer.Option(min=0, max=1)] = 0.1,
    duplicate_rate: Annotated[float, typer.Option(min=0, max=1)] = 0.05,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same events).")] = 0,
    counter_reset_after: Annotated[
        int | None,
        typer.Option(min=1, help="Restart the event counter after this many events (ids reused)."),
    ] = None,
    snapshot_dir: Annotated[Path | None, typer.Option(help="Write snapshot files here.")] = None,
    token: Annotated[
        str | None,
        typer.Option(help="The gateway's [http] camera_token.", envvar="COALGUARD_CAMERA_TOKEN"),
    ] = None,
) -> None:
    """Simulate checkpoint cameras pushing events, misreads and duplicates included."""
    sim = CameraSim(
        cameras=[c.strip() for c in cameras.split(",") if c.strip()],
        misread_rate=misread_rate,
        duplicate_rate=duplicate_rate,
        seed=seed,
        snapshot_dir=snapshot_dir,
        counter_reset_after=counter_reset_after,
    )
    plate_list = [p.strip() for p in plates.split(",") if p.strip()] or None
    codes: Counter[int] = Counter()
    endpoint = url.rstrip("/") + "/api/v1/camera-events"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(timeout=10, headers=headers) as client:
        for ev in sim.stream(plate_list, trucks, gap=timedelta(seconds=interval * 3)):
            try:
                codes[client.post(endpoint, json=ev).status_code] += 1
            except httpx.HTTPError as exc:
                raise CoalguardError(f"cannot post to {endpoint}: {exc}") from None
            if interval:
                time.sleep(interval)  # pacing real cameras, not waiting for a condition
    summary = ", ".join(f"{code}: {n}" for code, n in sorted(codes.items()))
    typer.echo(f"posted {sum(codes.values())} events ({summary})")
