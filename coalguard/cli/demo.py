"""``coalguard demo``: the whole system on simulators with embedded defaults.

So far: judge the bundled example samples against the profiles their
jurisdiction enforces and print the verdicts. Later parts (simulated
analyzers, CO alarm fleet, checkpoint gateway, cloud) join here.
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


PARTS = ("quality", "checkpoint")


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

        checkpoint_demo(lang)


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
