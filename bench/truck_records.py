"""A checkpoint's buffer as the gateway writes it: whole trucks, in the wire shape.

Each truck is the golden cases of today's gateway (``tests/edge/records/testdata``)
with its own ids: a plate read at the entry camera, the seven inspection
transitions of a truck that passes (arrive … judge … release), the analyzer
result bound to its sample, and one hash-chained ``inspection`` ledger entry per
transition (the chain recomputed, so the cloud finds every hash right). That is
16 records per truck, in the order the gateway puts them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from coalguard.edge.ledger_chain import GENESIS, canonical_body, entry_hash

DATA = Path(__file__).resolve().parent.parent / "tests" / "edge" / "records" / "testdata"
STEPS = ("arrive", "register", "check_fast_pass", "take_sample", "bind_result", "judge", "release")
GOLDEN_INSPECTION = "41774302-01e1-446c-9b7d-4e090c09e4a6"
GOLDEN_CAMERA_INSPECTION = "1774c493-3a35-4550-9689-f22989eecde9"
GOLDEN_SAMPLE = "S1123-001"
GOLDEN_RESULT = "da34cd93-fab8-4810-9bca-c216ff92d21f"
PER_TRUCK = 1 + 2 * len(STEPS) + 1


def _golden(kind: str, name: str) -> dict[str, Any]:
    return json.loads((DATA / kind / f"{name}.json").read_text(encoding="utf-8"))


def _template() -> list[dict[str, Any]]:
    """One truck's records, oldest first (ledger entries right after their transition)."""
    camera = _golden("camera.event", "today")
    camera["body"]["inspection_id"] = GOLDEN_INSPECTION
    out = [camera]
    for step in STEPS:
        if step == "bind_result":
            out.append(_golden("analyzer.result", "today"))
        out.append(_golden("inspection.transition", f"today_{step}"))
    return out


class Trucks:
    """Records of trucks 0, 1, 2 … at one checkpoint; ledger seq and hashes chained."""

    def __init__(self, operator: str = "值班员") -> None:
        self.operator = operator
        self.texts = [json.dumps(r, ensure_ascii=False) for r in _template()]
        self.seq = 0
        self.prev = GENESIS

    def truck(self, n: int) -> list[dict[str, Any]]:
        iid = str(uuid.UUID(int=(1 << 96) | n))
        swaps = {
            GOLDEN_INSPECTION: iid,
            GOLDEN_SAMPLE: f"S{n:08d}",
            GOLDEN_RESULT: str(uuid.UUID(int=(2 << 96) | n)),
            "cam-entry-1": f"cam-entry-{n}",
            "冀C91417": f"冀C{n % 100000:05d}",
        }
        out: list[dict[str, Any]] = []
        for k, text in enumerate(self.texts):
            for old, new in swaps.items():
                text = text.replace(old, new)
            rec = json.loads(text)
            if rec["kind"] != "analyzer.result":  # its id is the result id, swapped above
                rec["id"] = str(uuid.UUID(int=(3 << 96) | (n << 8) | k))
            if rec["kind"] == "camera.event":
                rec["body"]["record_id"] = rec["id"]
            out.append(rec)
            if rec["kind"] == "inspection.transition":
                out.append(self._entry(rec, n, k))
        return out

    def _entry(self, transition: dict[str, Any], n: int, k: int) -> dict[str, Any]:
        body = transition["body"]
        self.seq += 1
        entry_id = str(uuid.UUID(int=(4 << 96) | (n << 8) | k))
        at = body["at"]
        h = entry_hash(
            "inspection",
            self.seq,
            entry_id,
            at,
            self.operator,
            body["action"],
            canonical_body(body),
            None,
            self.prev,
        )
        entry = {
            "book": "inspection",
            "seq": self.seq,
            "at": at,
            "operator": self.operator,
            "kind": body["action"],
            "body": body,
            "corrects": None,
            "prev_hash": self.prev,
            "hash": h,
        }
        self.prev = h
        return {
            "id": entry_id,
            "kind": "ledger.entry",
            "priority": "critical",
            "born_at": transition["born_at"],
            "body": entry,
        }


def records(count: int) -> Iterator[dict[str, Any]]:
    """``count`` records of whole trucks (the last one cut short), oldest first."""
    trucks = Trucks()
    n = 0
    emitted = 0
    while emitted < count:
        for rec in trucks.truck(n):
            if emitted == count:
                return
            yield rec
            emitted += 1
        n += 1
