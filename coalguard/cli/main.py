"""Composition of the ``coalguard`` command.

Each sub-command group lives in its own module and is added here. ``run()``
is the console entry point: an operator-facing error (CoalguardError) prints
one clear line and exits 2; no traceback reaches the operator.
"""

from __future__ import annotations

import sys

import typer

from coalguard.cli.lazy import lazy_group
from coalguard.errors import CoalguardError, words_of
from coalguard.i18n import LANGS, default_lang, t

# Each group's module is imported only when its command runs (see lazy.py).
GROUPS = {
    "verdict": "coalguard.cli.verdict:verdict",
    "demo": "coalguard.cli.demo:demo",
    "profiles": "coalguard.cli.profiles:app",
    "cloud": "coalguard.cli.cloud:app",
    "commission": "coalguard.cli.commission:app",
    "edge": "coalguard.cli.edge:app",
    "analyzer": "coalguard.cli.analyzer:app",
    "gateway": "coalguard.cli.gateway:app",
    "sim": "coalguard.cli.sim:app",
    "scale": "coalguard.cli.scale:app",
}


def _root() -> None:
    """Coal-quality checkpoints and household CO alarms: edge, cloud and simulators."""


app = typer.Typer(
    name="coalguard",
    help="Coal-quality checkpoints and household CO alarms: edge, cloud and simulators.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=lazy_group(GROUPS),
    callback=_root,
)


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
