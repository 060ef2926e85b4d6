"""Options shared by several sub-commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coalguard.i18n import LANGS, default_lang

ProfilesDir = Annotated[
    list[Path] | None,
    typer.Option(
        "--profiles",
        help="Directory of profile TOML files that add to or override the shipped ones by id "
        "(repeatable). Also read from COALGUARD_PROFILES (colon-separated).",
        envvar="COALGUARD_PROFILES",
        show_default=False,
    ),
]

Lang = Annotated[
    str,
    typer.Option(
        "--lang", help=f"Language of tables: {', '.join(LANGS)}.", envvar="COALGUARD_LANG"
    ),
]

Demo = Annotated[
    bool, typer.Option("--demo", help="Demonstration: allow the shipped public secrets.")
]

MigrateFirst = Annotated[
    bool,
    typer.Option(
        "--migrate",
        help="Migrate the database to this release's schema before starting "
        "(default: refuse a database that is behind).",
    ),
]


def lang_or_default(lang: str | None) -> str:
    if lang and lang not in LANGS:
        raise typer.BadParameter(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    return lang or default_lang()


def split_dirs(dirs: list[Path] | None) -> list[Path]:
    """Accept repeated --profiles and a colon-separated environment value."""
    out: list[Path] = []
    for d in dirs or []:
        out.extend(Path(p) for p in str(d).split(":") if p)
    return out
