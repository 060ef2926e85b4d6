"""``coalguard sim weighbridge``: a truck scale's indicator on a pseudo-terminal.

Prints ``port <path>``, then sends frames of ``--format`` ``--hz`` times a
second. Commands on standard input: ``on KG`` (a truck drives on and settles),
``off`` (it drives off), ``faults noise,unstable,silent,close``, ``faults none``,
``stats``, ``quit``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from coalguard.drivers.weighbridge import resolve_format
from coalguard.simulators.weighbridge import FAULTS, WeighbridgeSim


def _say(text: str) -> None:
    print(text, flush=True)


def weighbridge(
    format: Annotated[str, typer.Option("--format", help="Frame format id or file.")] = "st-gs",
    unit: Annotated[str | None, typer.Option(help="Display unit: kg or t.")] = None,
    division: Annotated[float, typer.Option(help="Division d in kg.")] = 20.0,
    hz: Annotated[float, typer.Option(help="Frames per second.")] = 10.0,
    ramp: Annotated[float, typer.Option(help="Seconds to drive on or off.")] = 2.0,
    settle: Annotated[float, typer.Option(help="Seconds the platform swings.")] = 2.0,
    truck: Annotated[float | None, typer.Option(help="A truck of this many kg at start.")] = None,
    faults: Annotated[str, typer.Option(help=f"Faults at start: {', '.join(FAULTS)}.")] = "",
    link: Annotated[Path | None, typer.Option(help="Symlink to the pty slave.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed of the noise.")] = None,
) -> None:
    """Simulate a weighbridge indicator streaming its continuous output."""
    fmt = resolve_format(format)
    sim = WeighbridgeSim(
        fmt,
        unit=unit,
        division_kg=division,
        hz=hz,
        ramp_s=ramp,
        settle_s=settle,
        link=link,
        seed=seed,
    )
    if faults:
        sim.set_faults({f.strip() for f in faults.split(",") if f.strip()})
    if truck:
        sim.drive_on(truck)
    sim.start()
    _say(f"port {sim.path}")
    try:
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            cmd, args = words[0], words[1:]
            try:
                if cmd == "on" and len(args) == 1:
                    sim.drive_on(float(args[0]))
                elif cmd == "off":
                    sim.drive_off()
                elif cmd == "faults" and len(args) == 1:
                    chosen = {f for f in args[0].split(",") if f and f != "none"}
                    sim.set_faults(chosen)
                elif cmd == "stats":
                    _say(json.dumps({"sent": sim.sent, "corrupted": sim.corrupted}))
                    continue
                elif cmd == "quit":
                    break
                else:
                    _say(f"error: unknown command {line.strip()!r}")
                    continue
            except ValueError as exc:
                _say(f"error: {exc}")
                continue
            _say(f"ok {cmd}")
    finally:
        sim.stop()
