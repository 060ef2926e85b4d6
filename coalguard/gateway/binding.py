"""Which analyzer result belongs to which sample (issue 12).

The gateway issues the sample id at sampling. A result binds to an
inspection only by that id: by itself when the analyzer carries the id the
operator typed or scanned at it, or chosen by the operator from results of
the analyzers of the sample's lane measured after the sampling time. A
binding row is never edited: one live binding per result and per sample
(unique indexes), unbinding closes it with a reason (a correction).
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from coalguard.edge.clock import LOCAL_TZ, local_text
from coalguard.edge.model import Sample
from coalguard.edge.quality import Profile, Verdict, judge
from coalguard.errors import InputError
from coalguard.gateway.config import GatewayConfig
from coalguard.gateway.errors import GatewayError


class BindingRefused(GatewayError):
    """A result that may not be bound (or unbound) as asked; the reason in words."""

    section = "gw_binding"


@dataclass(frozen=True)
class Lanes:
    """Which analyzers test the samples of each lane (configuration, ``[[lane]]``)."""

    lanes: dict[str, tuple[str, ...]]
    analyzers: tuple[str, ...]

    @classmethod
    def from_config(cls, cfg: GatewayConfig) -> Lanes:
        return cls(
            {ln.id: tuple(ln.analyzers) for ln in cfg.lanes}, tuple(a.id for a in cfg.analyzers)
        )

    def resolve(self, lane_id: str | None) -> str | None:
        """The lane a sample is taken at: the one given, or the only one there is."""
        lane_id = (lane_id or "").strip() or None
        if lane_id is not None:
            if lane_id not in self.lanes:
                raise BindingRefused(
                    "unknown_lane", lane=lane_id, known=", ".join(self.lanes) or "—"
                )
            return lane_id
        if len(self.lanes) > 1:
            raise BindingRefused("lane_required", known=", ".join(self.lanes))
        return next(iter(self.lanes), None)

    def analyzers_of(self, lane_id: str | None) -> tuple[str, ...]:
        """Analyzers a result may be chosen from; without lanes, every analyzer."""
        if lane_id in self.lanes:
            return self.lanes[lane_id]
        return () if self.lanes else self.analyzers


def issue_sample_id(db: sqlite3.Connection, checkpoint_id: str, now: datetime) -> str:
    """``<checkpoint>-<yyyymmdd>-<nnn>``: unique, readable, numbered per local day."""
    prefix = f"{checkpoint_id}-{now.astimezone(LOCAL_TZ):%Y%m%d}"
    row = db.execute("SELECT last FROM sample_numbers WHERE prefix = ?", (prefix,)).fetchone()
    n = (row[0] if row else 0) + 1
    db.execute(
        "INSERT INTO sample_numbers(prefix, last) VALUES (?, ?) "
        "ON CONFLICT(prefix) DO UPDATE SET last = excluded.last",
        (prefix, n),
    )
    return f"{prefix}-{n:03d}"


def judge_result(
    sample_id: str, result: dict[str, Any], profile: Profile, profile_set: str | None = None
) -> Verdict:
    """The verdict a result gives against a profile of the set ``profile_set`` (the bind
    list and the judge step)."""
    try:
        return judge(
            Sample(
                sample_id=sample_id,
                indicators=result["indicators"],
                uncertainty=result.get("uncertainty") or {},
            ),
            profile,
            profile_set,
        )
    except InputError as exc:
        raise GatewayError("bad_result", detail=str(exc)) from None


def sampled_second(sample: dict[str, Any]) -> str:
    """The sampling time to the whole second: an analyzer clock counts whole seconds."""
    return str(sample["taken_at"])[:19]


def live_binding(db: sqlite3.Connection, *, result_id: str = "", inspection_id: str = "") -> Any:
    """The binding now in force for a result or for an inspection, if any."""
    column, value = ("result_id", result_id) if result_id else ("inspection_id", inspection_id)
    return db.execute(
        f"SELECT * FROM result_bindings WHERE {column} = ? AND unbound_at IS NULL", (value,)
    ).fetchone()


def check_bindable(
    db: sqlite3.Connection,
    result: sqlite3.Row,
    insp: sqlite3.Row,
    sample: dict[str, Any],
    lane_analyzers: tuple[str, ...] | None,
) -> None:
    """Refuse with the reason: bound elsewhere, measured before sampling, another lane.

    ``lane_analyzers`` is None when the result names the sample itself (sample id).
    """
    other = live_binding(db, result_id=result["id"])
    if other is not None and other["inspection_id"] != insp["id"]:
        raise BindingRefused("bound_elsewhere", result=result["id"], sample_id=other["sample_id"])
    measured = result["measured_at"] or result["at"]
    if measured < sampled_second(sample):
        raise BindingRefused(
            "before_sampling",
            measured=local_text(measured, "%m-%d %H:%M:%S"),
            sampled=local_text(sample["taken_at"], "%m-%d %H:%M:%S"),
            sample_id=sample["sample_id"],
        )
    if lane_analyzers is not None and result["analyzer_id"] not in lane_analyzers:
        raise BindingRefused(
            "other_lane",
            analyzer=result["analyzer_id"],
            lane=insp["lane"] or "—",
            analyzers=", ".join(lane_analyzers) or "—",
        )


def bind(
    db: sqlite3.Connection,
    result_id: str,
    insp: sqlite3.Row,
    sample_id: str,
    how: str,
    at: str,
    by: str,
) -> str:
    """Insert the live binding; the unique indexes refuse a second one."""
    bid = str(uuid.uuid4())
    try:
        db.execute(
            "INSERT INTO result_bindings(id, result_id, inspection_id, sample_id, how, bound_at, "
            "bound_by) VALUES (?,?,?,?,?,?,?)",
            (bid, result_id, insp["id"], sample_id, how, at, by),
        )
    except sqlite3.IntegrityError:
        other = live_binding(db, result_id=result_id)
        raise BindingRefused(
            "bound_elsewhere",
            result=result_id,
            sample_id=other["sample_id"] if other else sample_id,
        ) from None
    return bid


def unbind(db: sqlite3.Connection, inspection_id: str, at: str, by: str, reason: str) -> Any:
    """Close the inspection's live binding (the row stays, with who, when and why)."""
    row = live_binding(db, inspection_id=inspection_id)
    if row is None:
        raise BindingRefused("nothing_bound")
    db.execute(
        "UPDATE result_bindings SET unbound_at = ?, unbound_by = ?, unbind_reason = ? WHERE id = ?",
        (at, by, reason, row["id"]),
    )
    return row
