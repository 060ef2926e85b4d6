"""``coalguard sim co-fleet``: N simulated household CO alarms on an MQTT broker.

Each alarm has its own connection, client id, optional per-device password
(derived from ``--password-secret``) and last will; a scenario file scripts
the night (smoldering stoves, power cuts, hangs, a broker restart).
"""

from __future__ import annotations

import csv
import logging
import subprocess
from pathlib import Path
from typing import Annotated

import typer
from rich.live import Live
from rich.text import Text

from coalguard.cli.render import console
from coalguard.errors import InputError
from coalguard.simulators.co_fleet import Fleet, list_scenarios, load_scenario


def _broker(url: str) -> tuple[str, int, bool]:
    from urllib.parse import urlsplit

    u = urlsplit(url)
    if u.scheme not in ("mqtt", "mqtts") or not u.hostname:
        raise InputError(f"--broker {url!r}: use mqtt://host[:port] or mqtts://host[:port]")
    tls = u.scheme == "mqtts"
    try:
        return u.hostname, u.port or (8883 if tls else 1883), tls
    except ValueError:
        raise InputError(f"--broker {url!r}: bad port") from None


def co_fleet(
    broker: Annotated[str, typer.Option(help="mqtt://host:port or mqtts://host:port")] = (
        "mqtt://127.0.0.1:1883"
    ),
    count: Annotated[
        int | None, typer.Option(help="Number of alarms (scenario's default).")
    ] = None,
    scenario: Annotated[
        str, typer.Option(help="Shipped scenario name or a .toml path; see --list.")
    ] = "quiet-night",
    time_scale: Annotated[
        float | None, typer.Option(help="Simulated seconds per real second.")
    ] = None,
    duration: Annotated[float | None, typer.Option(help="Simulated minutes to run.")] = None,
    password_secret: Annotated[
        str | None,
        typer.Option(
            envvar="COALGUARD_FLEET_SECRET",
            help="Fleet secret: each alarm logs in as its id with a password derived from it.",
        ),
    ] = None,
    ca_file: Annotated[Path | None, typer.Option(help="CA certificate for mqtts://.")] = None,
    restart_cmd: Annotated[
        str | None, typer.Option(help="Shell command run at a broker_restart incident.")
    ] = None,
    households: Annotated[
        Path | None, typer.Option(help="Write the fleet's households (CSV) for registration.")
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List shipped scenarios.")] = False,
    verbose: Annotated[bool, typer.Option("-v", help="Log incidents and connections.")] = False,
) -> None:
    """Run a fleet of simulated CO alarms against a broker until the scenario ends."""
    if list_:
        for name in list_scenarios():
            typer.echo(f"{name}\t{load_scenario(name).title}")
        return
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)
    host, port, tls = _broker(broker)
    sc = load_scenario(scenario)

    def restart() -> None:
        if restart_cmd:
            subprocess.run(restart_cmd, shell=True, check=False)
        else:
            typer.echo("broker_restart incident: no --restart-cmd given, skipped", err=True)

    fleet = Fleet(
        sc,
        host,
        port,
        count=count,
        time_scale=time_scale,
        duration_min=duration,
        password_secret=password_secret,
        tls=tls,
        tls_ca=str(ca_file) if ca_file else None,
        on_broker_restart=restart,
    )
    if households:
        rows = fleet.households()
        with households.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    out = console()
    out.print(
        f"[bold]{sc.title}[/]: {len(fleet.alarms)} alarms → {host}:{port}, "
        f"{fleet.duration_min:g} simulated min at ×{fleet.time_scale:g}"
    )
    with Live(Text(""), console=out, refresh_per_second=4, transient=False) as live:

        def progress(f: Fleet) -> None:
            up = sum(1 for lk in f.links if lk.connected)
            live.update(
                Text(
                    f"t+{f.sim_min:6.1f} min  connected {up}/{len(f.links)}  "
                    f"published {f.stats.published}  alarms {len(f.stats.alarm_starts)}"
                )
            )

        stats = fleet.run(progress)
    out.line()
    for line in stats.incidents:
        out.print(f"  incident {line}")
    for dev, seq, at in stats.alarm_starts:
        out.print(f"  [red]alarm_start[/] {dev} seq {seq} at t+{at:.1f} min")
    out.print(
        f"done: published {stats.published}, connects {stats.connects}, "
        f"disconnects {stats.disconnects}"
    )
