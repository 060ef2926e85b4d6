"""``coalguard profiles list|show``: the loaded coal-quality profiles."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from coalguard.cli.options import Lang, ProfilesDir, lang_or_default, split_dirs
from coalguard.cli.render import console, profile_table
from coalguard.edge.quality import ProfileSet
from coalguard.i18n import t

app = typer.Typer(help="Coal-quality profiles (standards as data).", no_args_is_help=True)


@app.command("list")
def list_(profiles: ProfilesDir = None, lang: Lang = "") -> None:
    """List every profile, shipped or from --profiles directories."""
    lang = lang_or_default(lang)
    ps = ProfileSet.load(split_dirs(profiles))
    table = Table()
    for key in ("id", "title", "version", "verified", "coal_types", "limits"):
        table.add_column(t(f"profiles.{key}", lang))
    for pid in sorted(ps.profiles):
        p = ps.profiles[pid]
        title = p.title_in(lang)
        types = ", ".join(t(f"coal_type.{c}", lang) for c in p.coal_types)
        n_set = sum(1 for lim in p.limits if lim.is_set)
        table.add_row(pid, title, p.version, "✓" if p.verified else "✗", types, str(n_set))
    console().print(table)


@app.command("show")
def show(
    profile_id: Annotated[str, typer.Argument(help="Profile id, e.g. linxia-2023/anthracite-2")],
    profiles: ProfilesDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    lang: Lang = "",
) -> None:
    """Show one profile's limits and where it came from."""
    lang = lang_or_default(lang)
    ps = ProfileSet.load(split_dirs(profiles))
    p = ps.get(profile_id)
    if as_json:
        doc = p.model_dump(mode="json", by_alias=True) | {"origin": str(ps.origins[p.id])}
        typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    console().print(profile_table(p, lang, str(ps.origins[p.id])))
