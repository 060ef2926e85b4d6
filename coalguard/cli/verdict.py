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
from coalguard.i18n import t

# Python refuses to read an integer this long (its int/str limit); no sample
# field holds one, so it stands in as "too large" and validation names the field.
_INT_DIGITS = 4300
_TOO_LARGE = 10**_INT_DIGITS


def _int(text: str) -> int:
    if len(text.lstrip("-")) <= _INT_DIGITS:
        return int(text)
    return -_TOO_LARGE if text.startswith("-") else _TOO_LARGE


def read_samples(source: str) -> list[Sample]:
    """Parse a JSON sample (or a list of them) from a file path or '-'.

    Any document gives samples or an InputError naming the field: NaN,
    infinity, huge integers, booleans and strings are refused by ``Sample``'s
    number type; nesting deeper than Python can parse is refused here.
    """
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{source}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not UTF-8 text ({exc.reason})") from None
    try:
        data: Any = json.loads(text, parse_int=_int)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: not JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise InputError(f"{source}: {t('datafile.too_deep')}") from None
    items = data if isinstance(data, list) else [data]
    samples = []
    for n, item in enumerate(items):
        where = f"{source}[{n}]" if isinstance(data, list) else source
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
