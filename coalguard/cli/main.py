"""Composition of the ``coalguard`` command.

Each sub-command group lives in its own module and is added here. ``run()``
is the console entry point: an operator-facing error (CoalguardError) prints
one clear line and exits 2; no traceback reaches the operator.
"""

from __future__ import annotations

import sys

import typer

from coalguard.cli import (
    analyzer,
    cloud,
    cloud_co,
    commission,
    demo,
    edge,
    gateway,
    profiles,
    scale,
    sim,
    verdict,
)
from coalguard.errors import CoalguardError, words_of
from coalguard.i18n import LANGS, default_lang, t

app = typer.Typer(
    name="coalguard",
    help="Coal-quality checkpoints and household CO alarms: edge, cloud and simulators.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("verdict")(verdict.verdict)
app.add_typer(profiles.app, name="profiles")
app.command("demo")(demo.demo)
app.add_typer(cloud.app, name="cloud")
cloud_co.register(cloud.app)
app.add_typer(commission.app, name="commission")
app.add_typer(edge.app, name="edge")
app.add_typer(analyzer.app, name="analyzer")
app.add_typer(gateway.app, name="gateway")
app.add_typer(sim.app, name="sim")
app.add_typer(scale.app, name="scale")


def _argv_lang() -> str | None:
    """The sub-command's ``--lang`` (the error escaped it, so it is read back from argv)."""
    args = sys.argv[1:]
    for i, arg in enumerate(args):
        value = arg.removeprefix("--lang=") if arg.startswith("--lang=") else None
        if arg == "--lang" and i + 1 < len(args):
            value = args[i + 1]
        if value in LANGS:
            return value
    return None


def run() -> None:
    """Console entry point."""
    try:
        app()
    except CoalguardError as exc:
        lang = _argv_lang() or default_lang()
        print(t("cli_error.line", lang).format(message=words_of(exc, lang)), file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
