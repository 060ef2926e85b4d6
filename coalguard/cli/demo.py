"""``coalguard demo``: the whole system on simulators with embedded defaults.

Three parts, each in its own module and selectable with ``--only``: judge
the bundled example samples (``quality``); a checkpoint morning with cloud,
gateway, analyzer and camera simulators (``checkpoint``, ``demo_checkpoint.py``);
a CO alarm night on an embedded broker (``co``, ``demo_co.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from coalguard.cli.options import Lang, ProfilesDir, lang_or_default, split_dirs
from coalguard.cli.render import console, summary_table, verdict_table
from coalguard.edge.model import Sample
from coalguard.edge.quality import ProfileSet, judge

EXAMPLES = Path(__file__).resolve().parent.parent / "edge" / "quality" / "examples.json"


PARTS = ("quality", "checkpoint", "co")


def demo(
    profiles: ProfilesDir = None,
    lang: Lang = "",
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help=f"Run only these parts: {', '.join(PARTS)}.",
            envvar="COALGUARD_DEMO_ONLY",
        ),
    ] = None,
    no_co: Annotated[
        bool, typer.Option("--no-co", help="Skip the CO alarm fleet (broker, ingest, alerts).")
    ] = False,
    duration: Annotated[
        float, typer.Option(help="Real seconds the CO alarm night takes (time-compressed).")
    ] = 60.0,
    alarms: Annotated[int, typer.Option(help="Simulated CO alarms in the fleet.")] = 300,
    hold: Annotated[
        float | None,
        typer.Option(
            help="Seconds the CO part keeps its board and acknowledgement page up at the end "
            "(default: until Ctrl-C on a terminal, else none)."
        ),
    ] = None,
) -> None:
    """Run the demonstration on embedded defaults."""
    lang = lang_or_default(lang)
    parts = set(only or PARTS)
    if unknown := parts - set(PARTS):
        raise typer.BadParameter(
            f"unknown demo part(s) {sorted(unknown)}; known: {', '.join(PARTS)}"
        )
    if "quality" in parts:
        quality_demo(profiles, lang)
    if "checkpoint" in parts:
        from coalguard.cli.demo_checkpoint import checkpoint_demo

        # keep its page open (until Ctrl-C on a terminal) only when nothing runs after it
        checkpoint_demo(lang, hold=0 if "co" in parts and not no_co else None)
    if "co" in parts and not no_co:
        from coalguard.cli.demo_co import co_demo

        co_demo(lang, duration_s=duration, alarms=alarms, hold=hold)


def quality_demo(profiles: list[Path] | None, lang: str) -> None:
    """Judge the bundled samples against the profile their jurisdiction enforces."""
    ps = ProfileSet.load(split_dirs(profiles))
    out = console()
    verdicts = []
    for item in json.loads(EXAMPLES.read_text(encoding="utf-8")):
        profile = ps.for_coal(item["jurisdiction"], item["coal_type"])
        v = judge(Sample.model_validate(item["sample"]), profile)
        verdicts.append(v)
        out.print(verdict_table(v, lang))
    out.print(summary_table(verdicts, lang))
