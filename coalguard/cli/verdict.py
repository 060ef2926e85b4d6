"""``coalguard verdict``: judge a sample file against a profile."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from coalguard.cli.options import Lang, ProfilesDir, lang_or_default, split_dirs
from coalguard.cli.render import console, verdict_table
from coalguard.datafile import field_path, reason
from coalguard.edge.model import Sample
from coalguard.edge.quality import ProfileSet, judge
from coalguard.errors import InputError
from coalguard.untrusted_json import UntrustedJson, check, parse


def read_samples(source: str) -> list[Sample]:
    """Parse a JSON sample (or a list of them) from a file path or '-'.

    Any document gives samples or an InputError naming the field: NaN,
    infinity, huge integers, deep nesting, lone surrogates and NUL are refused
    by ``untrusted_json``, booleans and strings by ``Sample``'s number type.
    """
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{source}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not UTF-8 text ({exc.reason})") from None
    try:
        data: Any = parse(text)
    except UntrustedJson as exc:
        why = exc.text() if exc.code == "depth" else exc.reason
        raise InputError(f"{source}: {why}") from None
    items = data if isinstance(data, list) else [data]
    samples = []
    for n, item in enumerate(items):
        where = f"{source}[{n}]" if isinstance(data, list) else source
        try:
            check(item, root="")
        except UntrustedJson as exc:
            field = field_path(exc.loc or ()) or "(document)"
            raise InputError(f"{where}: field '{field}': {exc.text()}") from None
        try:
            samples.append(Sample.model_validate(item))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = field_path(tuple(err["loc"])) or "(document)"
            raise InputError(f"{where}: field '{field}': {reason(err)}") from None
    return samples


def verdict(
    file: Annotated[str, typer.Argument(help="Sample JSON file, or - for standard input.")] = "-",
    profile: Annotated[
        str, typer.Option("--profile", "-p", help="Profile id to judge against.")
    ] = ...,  # type: ignore[assignment]
    profiles: ProfilesDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
    lang: Lang = "",
) -> None:
    """Judge a sample: {"sample_id": "…", "indicators": {"Mad": 1.1, "Aad": 11.9, …}}.

    Exit 0 whatever the verdict; 2 for bad input.
    """
    lang = lang_or_default(lang)
    ps = ProfileSet.load(split_dirs(profiles))
    prof = ps.get(profile)
    verdicts = [judge(s, prof) for s in read_samples(file)]
    if as_json:
        docs = [v.model_dump(mode="json") for v in verdicts]
        typer.echo(json.dumps(docs[0] if len(docs) == 1 else docs, ensure_ascii=False, indent=2))
        return
    out = console()
    for v in verdicts:
        out.print(verdict_table(v, lang))
