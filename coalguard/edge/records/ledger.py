"""``ledger.entry``: one hash-chained ledger entry, copied to the cloud (duty, handover, …).

The entry's ``body`` travels as the gateway hashed it (a dict: the hash covers
its canonical text). Duty and handover bodies have a model each
(``DutyBody``, ``HandoverBody``): the gateway builds the model and hashes its
``hashed()`` form, the cloud reads ``entry.typed_body``, and a duty or
handover entry whose body is not exactly its model's form does not decode.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from coalguard.edge.records.base import Record, explain, register

_HASH = r"^[0-9a-f]{64}$"

DUTY_KINDS = ("on_duty", "off_duty", "note")


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class LedgerBody(_Part):
    """A typed entry body; ``hashed()`` is the dict the gateway chains and sends."""

    def hashed(self) -> dict[str, Any]:
        """The fields given, as given: a body decoded from a dict gives back that dict."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class DutyBody(LedgerBody):
    """``duty`` book, kinds ``on_duty``, ``off_duty``, ``note``.

    The duty desk always names its checkpoint; an entry written by other tools
    (a bare ``{"note": …}``) still chains and decodes.
    """

    checkpoint_id: str | None = Field(default=None, min_length=1)
    note: str


class OpenInspection(_Part):
    id: str
    plate: str
    state: str


class PendingSample(_Part):
    sample_id: str
    step: str  # dispatch | receive | report
    due: str | None  # None while the lab has it and no report is due yet
    overdue: bool


class EquipmentState(_Part):
    device_id: str
    kind: str
    last_seen: str | None
    errors: int
    silent: bool


class HandoverBody(LedgerBody):
    """``handover`` book: what one shift hands the next, as the gateway knew it then."""

    checkpoint_id: str = Field(min_length=1)
    from_operator: str = Field(alias="from")
    to_operator: str = Field(alias="to")
    note: str
    open_inspections: tuple[OpenInspection, ...]
    pending_lab_samples: tuple[PendingSample, ...]
    equipment: tuple[EquipmentState, ...]


BODIES: dict[tuple[str, str], type[LedgerBody]] = {
    **{("duty", kind): DutyBody for kind in DUTY_KINDS},
    ("handover", "handover"): HandoverBody,
}


def parse_body(book: str, kind: str, body: dict[str, Any]) -> LedgerBody | None:
    """``body`` as its model (None for books and kinds without one).

    Raises ``ValueError`` when it does not validate, or when its model would
    not give back the same dict (the hash covers that dict, not the model).
    """
    model = BODIES.get((book, kind))
    if model is None:
        return None
    try:
        typed = model.model_validate(body)
    except ValidationError as exc:
        raise ValueError(f"{book} {kind} body: {explain(exc)}") from None
    if typed.hashed() != body:
        raise ValueError(f"{book} {kind} body is not in its typed form")
    return typed


@register
class LedgerEntryRecord(Record):
    """The entry's id is the record id; ``body`` is hashed as the gateway wrote it."""

    KIND = "ledger.entry"

    book: str = Field(min_length=1, max_length=32)
    seq: int = Field(ge=1, lt=2**62, strict=True)
    at: str = Field(min_length=1, max_length=64)
    operator: str = Field(min_length=1, max_length=200)
    kind: str = Field(min_length=1, max_length=64)
    body: dict[str, Any]
    corrects: str | None = Field(max_length=64)
    prev_hash: str = Field(pattern=_HASH)
    hash: str = Field(pattern=_HASH)

    @model_validator(mode="after")
    def _typed(self) -> LedgerEntryRecord:
        parse_body(self.book, self.kind, self.body)
        return self

    @property
    def typed_body(self) -> LedgerBody | None:
        """The duty or handover body as its model; None for other books and kinds."""
        return parse_body(self.book, self.kind, self.body)
