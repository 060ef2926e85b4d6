"""``coalguard sim …``: simulators that stand in for hardware.

A small group module: each simulator's command lives in its own module
(``sim_analyzer.py``, ``sim_camera.py``, …), imported only when it runs.
"""

from __future__ import annotations

import typer

from coalguard.cli.lazy import lazy_group

SIMULATORS = {
    "analyzer": "coalguard.cli.sim_analyzer:analyzer",
    "camera": "coalguard.cli.sim_camera:camera",
    "co-fleet": "coalguard.cli.sim_co_fleet:co_fleet",
    "provider-recorder": "coalguard.cli.sim_provider_recorder:provider_recorder",
    "weighbridge": "coalguard.cli.sim_weighbridge:weighbridge",
}


def _sim() -> None:
    """Simulated devices speaking the real protocols."""


app = typer.Typer(
    help="Simulated devices speaking the real protocols.",
    no_args_is_help=True,
    cls=lazy_group(SIMULATORS),
    callback=_sim,
)
