"""``coalguard sim …``: simulators that stand in for hardware.

A small group module: each simulator's command lives in its own module
(``sim_analyzer.py``, ``sim_camera.py``, …) and is registered here.
"""

from __future__ import annotations

import typer

from coalguard.cli import (
    sim_analyzer,
    sim_camera,
    sim_co_fleet,
    sim_provider_recorder,
    sim_weighbridge,
)

app = typer.Typer(help="Simulated devices speaking the real protocols.", no_args_is_help=True)
app.command("analyzer")(sim_analyzer.analyzer)
app.command("camera")(sim_camera.camera)
app.command("co-fleet")(sim_co_fleet.co_fleet)
app.command("provider-recorder")(sim_provider_recorder.provider_recorder)
app.command("weighbridge")(sim_weighbridge.weighbridge)
