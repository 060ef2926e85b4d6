"""``coalguard cloud profiles install|list``: the profile set every gateway pulls."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from coalguard.cli.cloud_ops import Db, _sessions
from coalguard.edge.clock import SystemClock
from coalguard.errors import InputError

app = typer.Typer(
    help="Profile sets: install published tables once; gateways pull the active set.",
    no_args_is_help=True,
)


@app.command("install")
def install(
    directory: Annotated[
        Path, typer.Argument(help="Directory of profile TOML files (and jurisdictions.toml).")
    ],
    label: Annotated[str, typer.Option(help="Version label people read, e.g. hebei-2026-11.")],
    db: Db = None,
) -> None:
    """Validate the shipped profiles overridden by DIRECTORY and make them the active set."""
    from coalguard.cloud import audit
    from coalguard.cloud.checks import profile_sets
    from coalguard.edge.quality import ProfileSet
    from coalguard.edge.quality.profiles import LABEL_PATTERN

    if not re.fullmatch(LABEL_PATTERN, label):
        raise InputError(f"--label {label!r}: letters, digits, '.', '_' or '-', at most 64")
    ps = ProfileSet.load([directory], label=label)
    now = SystemClock().now()
    with _sessions(db).begin() as s:
        row = profile_sets.install(s, ps, audit.cli_actor(), now)
        audit.record(
            s,
            audit.cli_actor(),
            f"profiles install {row.version}",
            detail={"dir": str(directory)},
            at=now,
        )
    provisional = sorted(p.id for p in ps.profiles.values() if not p.verified)
    typer.echo(f"{row.version}: {len(ps.profiles)} profiles, active", err=True)
    if provisional:
        typer.echo(f"provisional (verified = false): {', '.join(provisional)}", err=True)


@app.command("list")
def list_(db: Db = None) -> None:
    """Installed sets, newest first; * marks the active one."""
    from coalguard.cloud.checks import profile_sets

    with _sessions(db)() as s:
        for r in profile_sets.installed(s):
            mark = "*" if r.active else " "
            typer.echo(f"{mark} {r.version}\t{r.installed_at.isoformat()}\t{r.installed_by}")
