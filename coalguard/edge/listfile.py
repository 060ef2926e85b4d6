"""The TOML files the cloud serves and the gateway pulls (fast-pass list, watch list).

Both sides go through here, so what the cloud writes is what the gateway reads.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from datetime import date
from pathlib import Path
from typing import TypeVar

import tomli_w
from pydantic import BaseModel

from coalguard.datafile import validate
from coalguard.errors import DataFileError

M = TypeVar("M", bound=BaseModel)


def dump(model: BaseModel, comment: str = "") -> str:
    """``model`` as a TOML file; ``comment`` becomes its first line."""
    head = f"# {' '.join(comment.split())}\n" if comment else ""
    return head + tomli_w.dumps(model.model_dump(by_alias=True, exclude_none=True))


def parse(text: str, source: str, model: type[M]) -> M:
    """A ``model`` from TOML text; errors name ``source``, line and field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(source, f"TOML syntax: {exc}") from None
    return validate(Path(source), text, data, model)


def version_of(entries: list[BaseModel], day: date) -> str:
    """The day and a digest of the entries: a gateway sees at a glance whether a list changed."""
    body = [e.model_dump(mode="json") for e in entries]
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
    return f"{day.isoformat()}-{digest}"
