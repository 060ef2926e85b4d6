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

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictStr

BATCH_PATH = "/api/v1/gateways/{gateway_id}/batches"
GATEWAY_ID_RE = re.compile(r"^[A-Za-z0-9_\-]{3,64}$")
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
OUTCOMES: tuple[str, ...] = ("stored", "duplicate", "rejected", "conflict")


class WireRecord(BaseModel):
    """One record as sent; the cloud validates each alone."""

    model_config = ConfigDict(extra="forbid")

    # A UUID in its canonical lowercase text form (as the edge writes it).
    id: Annotated[StrictStr, Field(pattern=UUID_PATTERN)]
    kind: Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_.\-]{0,63}$")]
    priority: Literal["critical", "telemetry"]
    born_at: Annotated[AwareDatetime, Field(strict=False)]
    body: dict[str, Any]

    def canonical_body(self) -> str:
        return json.dumps(
            self.body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )


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
