"""The gateway → cloud batch contract (DESIGN: "Gateway → cloud"), version 1.

Request: ``POST /api/v1/gateways/{gateway_id}/batches`` with
``Authorization: Bearer <token>`` and ``{"records": [<record>, ...]}``, where
a record is ``{"id": uuid, "kind": str, "priority": "critical"|"telemetry",
"born_at": ISO 8601 with zone, "body": object}``.

Response 200: ``{"results": [{"index": i, "id": str|null, "outcome":
"stored"|"duplicate"|"rejected"|"conflict", "reason": str|null}], "counts":
{...}}``, one result per record in request order. The sender may forget a
record once it has any outcome: stored and duplicate mean the cloud holds it;
rejected and conflict mean the cloud kept it as a dead letter with the reason.
Whole-request errors: 401 (unknown gateway or wrong token), 413 (over a named
limit), 422 (not JSON, or not the shape above), 429/503 (come back later,
``Retry-After``).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StrictStr

BATCH_PATH = "/api/v1/gateways/{gateway_id}/batches"
GATEWAY_ID_RE = re.compile(r"^[A-Za-z0-9_\-]{3,64}$")
OUTCOMES: tuple[str, ...] = ("stored", "duplicate", "rejected", "conflict")


def _uuid(v: str) -> str:
    try:
        return str(uuid.UUID(v))
    except ValueError:
        raise ValueError("not a UUID") from None


class WireRecord(BaseModel):
    """One record as sent; the cloud validates each alone."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[StrictStr, AfterValidator(_uuid)]
    kind: Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_.\-]{0,63}$")]
    priority: Literal["critical", "telemetry"]
    born_at: Annotated[AwareDatetime, Field(strict=False)]
    body: dict[str, Any]

    def canonical_body(self) -> str:
        return json.dumps(
            self.body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )

    def digest(self, body_json: str | None = None) -> str:
        """SHA-256 of the record's content: equal digests mean a true resend."""
        born = self.born_at.astimezone(UTC).isoformat()
        body_json = body_json if body_json is not None else self.canonical_body()
        text = f"{self.kind}\n{self.priority}\n{born}\n{body_json}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


class RecordResult(BaseModel):
    index: int
    id: str | None
    outcome: Literal["stored", "duplicate", "rejected", "conflict"]
    reason: str | None = None


class BatchResponse(BaseModel):
    results: list[RecordResult]
    counts: dict[str, int]


def batch_path(gateway_id: str) -> str:
    return BATCH_PATH.format(gateway_id=gateway_id)


def utc_iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat()
