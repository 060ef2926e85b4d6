"""The record base model, the registry of kinds, ``encode`` and ``decode``.

A record's wire form is the outbox's ``(kind, priority, body)``; the body is
the model's JSON. Version 1 of every kind is the shape the gateway wrote
before records were typed, so bodies already in outboxes and clouds decode;
a later version carries ``schema_version`` in its body (absent means 1).
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

VERSION_KEY = "schema_version"


class UndecodableRecord(ValueError):
    """A body that no registered model accepts; ``reason`` says why (kept with the dead letter)."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"record kind {kind!r}: {reason}")
        self.kind = kind
        self.reason = reason


class UnknownKind(UndecodableRecord):
    """No model is registered under the record's kind."""


class UnknownVersion(UndecodableRecord):
    """The kind is known but not at this schema version (a newer gateway)."""


class InvalidBody(UndecodableRecord):
    """The body does not fit the kind's model."""


class Record(BaseModel):
    """One thing the gateway tells the cloud. Subclasses set ``KIND`` and are registered."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    KIND: ClassVar[str]
    VERSION: ClassVar[int] = 1
    PRIORITY: ClassVar[str] = "critical"
    # Fields left out of the body when None (today's gateway wrote them only when set).
    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset()

    def wire_body(self) -> dict[str, Any]:
        """The wire body: aliases, JSON types, optional fields omitted when unset."""
        out = self.model_dump(mode="json", by_alias=True)
        for name in self.OMIT_IF_NONE:
            if out.get(name, 0) is None:
                del out[name]
        if self.VERSION != 1:
            out[VERSION_KEY] = self.VERSION
        return out


class CheckpointRecord(Record):
    """A record about one checkpoint: the cloud checks the sending gateway may write it."""

    checkpoint_id: str = Field(min_length=1, max_length=64)


class Encoded(NamedTuple):
    kind: str
    priority: str
    body: dict[str, Any]


REGISTRY: dict[tuple[str, int], type[Record]] = {}
R = TypeVar("R", bound=type[Record])


def register(model: R) -> R:
    """Class decorator: ``model`` decodes its ``KIND`` at its ``VERSION``."""
    key = (model.KIND, model.VERSION)
    if key in REGISTRY:
        raise RuntimeError(f"record kind {key} registered twice")
    REGISTRY[key] = model
    return model


def kinds() -> frozenset[str]:
    """Every registered kind."""
    return frozenset(k for k, _ in REGISTRY)


def encode(record: Record) -> Encoded:
    """``record`` as the outbox stores it."""
    return Encoded(record.KIND, record.PRIORITY, record.wire_body())


def decode(kind: str, body: Any) -> Record:
    """The model for ``body`` of ``kind``; ``UndecodableRecord`` says why not."""
    if not isinstance(body, dict):
        raise InvalidBody(kind, "body must be a JSON object")
    version = body.get(VERSION_KEY, 1)
    model = REGISTRY.get((kind, version)) if isinstance(version, int) else None
    if model is None:
        known = sorted(v for k, v in REGISTRY if k == kind)
        if not known:
            raise UnknownKind(kind, "unknown record kind")
        raise UnknownVersion(kind, f"unknown schema version {version!r} (known: {known})")
    fields = {k: v for k, v in body.items() if k != VERSION_KEY} if VERSION_KEY in body else body
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise InvalidBody(kind, explain(exc)) from None


def explain(exc: ValidationError, most: int = 5) -> str:
    """The first few problems, each naming its field."""
    parts = [
        f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:most]
    ]
    more = exc.error_count() - most
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
