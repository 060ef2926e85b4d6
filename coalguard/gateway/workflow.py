"""The inspection workflow (R7): one state machine per truck.

arrived → registered → (fast-pass check) → fast_pass → released
registered (bound for a 禁煤区 village) → held_for_seizure (查扣; R22)
                                         → awaiting_sample → sampled → tested → judged
judged(pass) → released · judged(fail) → turned_back (劝返) or lab_sample
judged(retest) → lab_sample (the default: noise near a limit never turns a truck back)
tested/judged → unbind_result → sampled (a correction with a reason, never an edit)

Every step is a transition row, an inspection-ledger entry and a ``critical``
record, written in one transaction. A step not allowed from the current
state is refused with a message naming the state and the steps that are.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from coalguard.edge.clock import Clock
from coalguard.edge.plates import normalize_plate, plates_match
from coalguard.edge.quality import COAL_TYPES, Overall, ProfileSet, UnknownProfile
from coalguard.edge.quality.basis import validate_measured
from coalguard.edge.records import AnalyzerResultRecord, InspectionTransitionV3, encode
from coalguard.errors import WordedValueError
from coalguard.gateway import binding
from coalguard.gateway.binding import Lanes, judge_result
from coalguard.gateway.errors import GatewayError, IllegalTransition, NotFound
from coalguard.gateway.fastpass import FastPassCache
from coalguard.gateway.lab import LabDesk, profile_snapshot
from coalguard.gateway.ledger import Ledger
from coalguard.gateway.results import DeviceReading, count_gap, device_key, stored_as
from coalguard.gateway.sink import RecordSink, dumps
from coalguard.gateway.store import Store
from coalguard.gateway.stored_time import iso, local_day_start
from coalguard.gateway.zones import ZoneCheck, ZoneDesk
from coalguard.validation import FieldReason


class State(StrEnum):
    ARRIVED = "arrived"
    REGISTERED = "registered"
    FAST_PASS = "fast_pass"
    AWAITING_SAMPLE = "awaiting_sample"
    SAMPLED = "sampled"
    TESTED = "tested"
    JUDGED = "judged"
    RELEASED = "released"
    TURNED_BACK = "turned_back"
    LAB_SAMPLE = "lab_sample"
    CANCELLED = "cancelled"
    HELD = "held_for_seizure"


TERMINAL = frozenset(
    {State.RELEASED, State.TURNED_BACK, State.LAB_SAMPLE, State.CANCELLED, State.HELD}
)

# action -> states it may start from. Where it ends can depend on the data.
ALLOWED: dict[str, frozenset[State]] = {
    "register": frozenset({State.ARRIVED}),
    "check_fast_pass": frozenset({State.REGISTERED}),
    "hold_for_seizure": frozenset({State.REGISTERED}),
    "take_sample": frozenset({State.AWAITING_SAMPLE}),
    "bind_result": frozenset({State.SAMPLED}),
    "unbind_result": frozenset({State.TESTED, State.JUDGED}),
    "judge": frozenset({State.TESTED}),
    "rerun": frozenset({State.JUDGED}),
    "release": frozenset({State.FAST_PASS, State.JUDGED}),
    "turn_back": frozenset({State.JUDGED}),
    "lab_sample": frozenset({State.JUDGED}),
    "cancel": frozenset(set(State) - TERMINAL),
    "close_case": frozenset(TERMINAL),
}
# Which verdicts each closing step accepts.
VERDICTS_FOR = {
    "release": {Overall.PASS},
    "turn_back": {Overall.FAIL},
    "lab_sample": {Overall.FAIL, Overall.RETEST, Overall.INCOMPLETE, Overall.NO_LIMITS},
    "rerun": {Overall.RETEST, Overall.INCOMPLETE},
}
# The step the page offers first, per state (and verdict once judged).
DEFAULT_NEXT: dict[str, str] = {
    State.ARRIVED: "register",
    State.REGISTERED: "check_fast_pass",
    State.FAST_PASS: "release",
    State.AWAITING_SAMPLE: "take_sample",
    State.SAMPLED: "bind_result",
    State.TESTED: "judge",
    Overall.PASS: "release",
    Overall.FAIL: "turn_back",
    Overall.RETEST: "lab_sample",
    Overall.INCOMPLETE: "rerun",
    Overall.NO_LIMITS: "lab_sample",
}
ARRIVAL_LINK_WINDOW = timedelta(minutes=30)
log = logging.getLogger("coalguard.gateway.workflow")


class Registration(BaseModel):
    """What the operator registers for a truck (R7)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plate: str = Field(min_length=2, max_length=16)
    driver: str = Field(min_length=1, max_length=40)
    origin: str = Field(min_length=1, max_length=100)
    destination: str = Field(min_length=1, max_length=100)
    coal_type: str
    weight_t: float = Field(gt=0, le=200, description="declared net weight, tonnes")
    consignor: str = Field(
        min_length=1, max_length=200, description="consigning company (托运单位)"
    )
    waybill_no: str = Field(min_length=1, max_length=64, description="waybill / 五联单 number")
    destination_village: str | None = Field(
        default=None,
        max_length=100,
        description="declared destination village: a name on the zone list, or its code",
    )

    @field_validator("plate")
    @classmethod
    def _plate(cls, v: str) -> str:
        return normalize_plate(v)

    @field_validator("destination_village")
    @classmethod
    def _village(cls, v: str | None) -> str | None:
        return v.strip() or None if v else None

    @field_validator("coal_type")
    @classmethod
    def _coal(cls, v: str) -> str:
        if v not in COAL_TYPES:
            raise WordedValueError("gw_coal_type", coal_type=v)
        return v


class SampleInfo(BaseModel):
    """The sample taken from the load (R7 sampling): the gateway issues its id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seal_no: str = Field(min_length=1, max_length=64)
    lane: str | None = Field(default=None, max_length=64)


def parse_model(model: type[BaseModel], data: dict[str, Any]) -> Any:
    """Validate operator input; the first error names the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(form)"
        raise GatewayError("bad_field", field=field, msg=FieldReason(err)) from None


@dataclass(frozen=True)
class Step:
    inspection_id: str
    seq: int
    action: str
    from_state: str | None
    to_state: str
    at: str
    operator: str
    reason: str


class Workflow:
    """Moves inspections through their states; the only writer of ``inspections``."""

    def __init__(
        self,
        store: Store,
        sink: RecordSink,
        ledger: Ledger,
        lab: LabDesk,
        fast_pass: FastPassCache,
        clock: Clock,
        profiles: ProfileSet,
        checkpoint_id: str,
        jurisdiction: str,
        lanes: Lanes | None = None,
        zones: ZoneDesk | None = None,
    ) -> None:
        self.store = store
        self.sink = sink
        self.ledger = ledger
        self.lab = lab
        self.fast_pass = fast_pass
        self.clock = clock
        self.profiles = profiles
        self.checkpoint_id = checkpoint_id
        self.jurisdiction = jurisdiction
        self.lanes = lanes or Lanes({}, ())
        self.zones = zones or ZoneDesk(store=store, clock=clock, checkpoint_id=checkpoint_id)

    # -- steps -------------------------------------------------------------------

    def arrive(self, plate: str, operator: str, source: str = "manual", reason: str = "") -> str:
        """A truck at the gate: from a camera plate read or typed in by the operator."""
        p = normalize_plate(plate)
        if len(p) < 2:
            raise GatewayError("field_required", field="plate")
        _need_operator(operator)
        with self.store.tx() as db:
            iid = str(uuid.uuid4())
            now = iso(self.clock.now())
            db.execute(
                "INSERT INTO inspections(id, plate, state, opened_at, updated_at, source) "
                "VALUES (?,?,?,?,?,?)",
                (iid, p, State.ARRIVED.value, now, now, source),
            )
            self._step(
                db,
                iid,
                None,
                "arrive",
                State.ARRIVED,
                operator,
                reason or f"arrival ({source})",
                {"plate": p, "source": source},
            )
            self._link_camera_events(db, iid, p)
        return iid

    def register(self, iid: str, operator: str, data: dict[str, Any], reason: str = "") -> None:
        reg: Registration = parse_model(Registration, data)
        try:
            profile = self.profiles.for_coal(self.jurisdiction, reg.coal_type)
        except UnknownProfile as exc:
            detail = str(exc)  # English (the profile ids known): for the log and English readers
            raise GatewayError(
                "refusal.gw_no_profile", coal_type=reg.coal_type, detail=detail
            ) from None
        zone = self._zone(reg)
        with self.store.tx() as db:
            row = self._begin(db, iid, "register", operator)
            db.execute(
                "UPDATE inspections SET plate = ?, registration = ?, profile_id = ?, zone = ? "
                "WHERE id = ?",
                (
                    reg.plate,
                    dumps(reg.model_dump(mode="json")),
                    profile.id,
                    dumps(zone.as_dict()) if zone else None,
                    iid,
                ),
            )
            data_out = {**reg.model_dump(mode="json", exclude={"destination_village"})}
            data_out["profile_id"] = profile.id
            if zone is not None:
                data_out["zone"] = zone.as_dict()
            if reg.plate != row["plate"]:
                data_out["plate_corrected_from"] = row["plate"]
            self._step(
                db,
                iid,
                row["state"],
                "register",
                State.REGISTERED,
                operator,
                reason or "registered",
                data_out,
            )
            self._link_camera_events(db, iid, reg.plate)

    def _zone(self, reg: Registration) -> ZoneCheck | None:
        """The zone list's word on the declared destination village (None: none declared)."""
        if reg.destination_village is None:
            return None
        return self.zones.check(self.zones.resolve(reg.destination_village), reg.coal_type)

    def check_fast_pass(self, iid: str, operator: str, reason: str = "") -> bool:
        """Green lane only when the listed report covers this truck's declaration (R11)."""
        with self.store.tx() as db:
            row = self._begin(db, iid, "check_fast_pass", operator)
            _need_no_seizure(row)
            check = self.fast_pass.check(row["plate"], json.loads(row["registration"] or "{}"))
            to = State.FAST_PASS if check.green else State.AWAITING_SAMPLE
            db.execute(
                "UPDATE inspections SET fast_pass = ? WHERE id = ?", (dumps(check.as_dict()), iid)
            )
            self._step(
                db,
                iid,
                row["state"],
                "check_fast_pass",
                to,
                operator,
                f"{check.summary()}; {reason}" if reason else check.summary(),
                check.as_dict(),
            )
        return check.green

    def take_sample(self, iid: str, operator: str, data: dict[str, Any], reason: str = "") -> str:
        """Record the sample and issue its id (the sampler is the signed-in operator)."""
        info: SampleInfo = parse_model(SampleInfo, data)
        lane = self.lanes.resolve(info.lane)
        with self.store.tx() as db:
            row = self._begin(db, iid, "take_sample", operator)
            now = self.clock.now()
            sample_id = binding.issue_sample_id(db, self.checkpoint_id, now)
            body: dict[str, Any] = {
                "sample_id": sample_id,
                "seal_no": info.seal_no,
                "sampler": operator,
                "taken_at": iso(now),
            }
            if lane is not None:
                body["lane"] = lane
            db.execute(
                "UPDATE inspections SET sample = ?, sample_id = ?, lane = ? WHERE id = ?",
                (dumps(body), sample_id, lane, iid),
            )
            self._step(
                db,
                iid,
                row["state"],
                "take_sample",
                State.SAMPLED,
                operator,
                reason or "sampled",
                body,
            )
            self.ledger.append(
                "sampling",
                "rapid_sample",
                operator,
                {
                    "checkpoint_id": self.checkpoint_id,
                    "inspection_id": iid,
                    "plate": row["plate"],
                    **body,
                },
            )
        return sample_id

    def record_result(
        self,
        analyzer_id: str,
        indicators: dict[str, float],
        *,
        sample_id: str | None = None,
        uncertainty: dict[str, float] | None = None,
        at: datetime | None = None,
        result_id: str | None = None,
        entered_by: str | None = None,
        reading: DeviceReading | None = None,
    ) -> str:
        """An analyzer result arrives, stored once; bound at once when it names a sample.

        ``sample_id`` is the gateway's sample id the result carries (typed or
        scanned at the analyzer, or typed with a manual entry): only then does
        it bind itself. ``reading`` is what the device says of the result (its
        counter and measured time): its identity, so a result read twice is
        stored once, and the counter's jumps are counted as gaps.
        ``entered_by`` names the signed-in person who typed a result by hand:
        it goes into the record and the binding step is theirs, not the system's.

        Impossible values (negative, above 100 %, unknown symbol) are refused
        before anything is stored: the caller dead-letters them.
        """
        try:
            validate_measured(indicators)
            validate_measured(uncertainty or {})
        except ValueError as exc:
            raise GatewayError("bad_result", detail=str(exc)) from None
        result = AnalyzerResultRecord(
            checkpoint_id=self.checkpoint_id,
            result_id=result_id or str(uuid.uuid4()),
            analyzer_id=analyzer_id,
            sample_id=sample_id,
            at=iso(at or self.clock.now()),
            indicators=indicators,
            uncertainty=uncertainty or {},
            entered_by=entered_by or None,
        )
        rid = result.result_id
        measured = iso(reading.measured_at) if reading and reading.measured_at else result.at
        key = device_key(reading, sample_id, indicators)
        with self.store.tx() as db:
            known = stored_as(db, analyzer_id, key, rid)
            if known is not None:
                return known
            db.execute(
                "INSERT INTO analyzer_results(id, analyzer_id, sample_id, at, indicators, "
                "uncertainty, measured_at, device_seq, device_key) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    rid,
                    analyzer_id,
                    sample_id,
                    result.at,
                    dumps(indicators),
                    dumps(uncertainty or {}),
                    measured,
                    reading.sequence if reading else None,
                    key,
                ),
            )
            count_gap(db, analyzer_id, reading)
            self.sink.put(result, record_id=rid)
        if sample_id:
            row = self.store.row(
                "SELECT id FROM inspections WHERE state = ? AND sample_id = ?",
                (State.SAMPLED.value, sample_id),
            )
            if row:
                try:
                    self.bind_result(
                        row["id"], rid, entered_by or "system", reason="sample id match"
                    )
                except GatewayError as exc:  # the operator sees why on the page
                    log.warning(
                        "result %s names sample %s but is not bound: %s", rid, sample_id, exc
                    )
        return rid

    def bind_result(self, iid: str, result_id: str, operator: str, reason: str = "") -> None:
        """Bind an analyzer result to the inspection's sample, then judge it.

        By sample id when the result carries this sample's id; else chosen by
        the operator from the lane's analyzers. Refused with the reason when it
        was measured before sampling or is bound to another sample.
        """
        with self.store.tx() as db:
            row = self._begin(db, iid, "bind_result", operator)
            res = db.execute("SELECT * FROM analyzer_results WHERE id = ?", (result_id,)).fetchone()
            if res is None:
                raise NotFound("no_result", id=result_id)
            sample = json.loads(row["sample"])
            by_id = res["sample_id"] == sample["sample_id"]
            lane = None if by_id else self.lanes.analyzers_of(row["lane"])
            binding.check_bindable(db, res, row, sample, lane)
            now = iso(self.clock.now())
            how = "sample_id" if by_id else "chosen"
            binding.bind(db, result_id, row, sample["sample_id"], how, now, operator)
            result = {
                "result_id": result_id,
                "analyzer_id": res["analyzer_id"],
                "analyzer_sample_id": res["sample_id"],
                "at": res["at"],
                "indicators": json.loads(res["indicators"]),
                "uncertainty": json.loads(res["uncertainty"]),
                "measured_at": res["measured_at"],
            }
            db.execute("UPDATE inspections SET result = ? WHERE id = ?", (dumps(result), iid))
            why = reason or ("sample id match" if by_id else "chosen by operator")
            self._step(db, iid, row["state"], "bind_result", State.TESTED, operator, why, result)
        self.judge(iid, "system" if operator == "system" else operator)

    def unbind_result(self, iid: str, operator: str, reason: str) -> None:
        """Undo a binding: a correction entry with its reason; the binding row stays."""
        if not reason.strip():
            raise GatewayError("reason_required", action="unbind_result")
        with self.store.tx() as db:
            row = self._begin(db, iid, "unbind_result", operator)
            bound = self._take_result_off(db, iid, operator, reason)
            if bound is None:
                raise binding.BindingRefused("nothing_bound")
            result = json.loads(row["result"]) if row["result"] else {}
            self._step(
                db,
                iid,
                row["state"],
                "unbind_result",
                State.SAMPLED,
                operator,
                reason,
                {
                    "result_id": bound["result_id"],
                    "analyzer_id": result.get("analyzer_id", ""),
                    "sample_id": bound["sample_id"],
                    "previous_overall": row["overall"],
                },
            )

    def judge(self, iid: str, operator: str, reason: str = "") -> Overall:
        """The verdict, with the profile the jurisdiction enforces for the coal type."""
        with self.store.tx() as db:
            row = self._begin(db, iid, "judge", operator)
            result = json.loads(row["result"])
            sample_id = json.loads(row["sample"])["sample_id"]
            profile = self.profiles.get(row["profile_id"])
            verdict = judge_result(sample_id, result, profile, self.profiles.version)
            vdoc = verdict.model_dump(mode="json")
            case = 1 if verdict.overall is Overall.FAIL else row["case_open"]
            db.execute(
                "UPDATE inspections SET verdict = ?, overall = ?, case_open = ?, "
                "judged_profile = ? WHERE id = ?",
                (dumps(vdoc), verdict.overall.value, case, profile_snapshot(profile), iid),
            )
            self._step(
                db,
                iid,
                row["state"],
                "judge",
                State.JUDGED,
                operator,
                reason or f"verdict {verdict.overall.value}",
                {"verdict": vdoc},
            )
        return verdict.overall

    def rerun(self, iid: str, operator: str, reason: str = "") -> None:
        """Test the same sample again (incomplete or doubtful rapid result)."""
        with self.store.tx() as db:
            row = self._begin(db, iid, "rerun", operator)
            self._need_verdict(row, "rerun")
            self._take_result_off(db, iid, operator, reason or "rapid test repeated")
            self._step(
                db,
                iid,
                row["state"],
                "rerun",
                State.SAMPLED,
                operator,
                reason or "rapid test repeated",
                {"previous_overall": row["overall"]},
            )

    def hold_for_seizure(self, iid: str, operator: str, reason: str = "") -> None:
        """查扣 (R22): coal declared for a 禁煤区 village; the truck is not let go."""
        with self.store.tx() as db:
            row = self._begin(db, iid, "hold_for_seizure", operator)
            zone = _held_zone(row)
            if zone is None:
                raise IllegalTransition("seizure.not_in_zone", plate=row["plate"])
            self._close(
                db,
                row,
                "hold_for_seizure",
                State.HELD,
                operator,
                reason or "held for seizure",
                {"zone": zone.as_dict()},
                case_open=True,
            )

    def release(self, iid: str, operator: str, reason: str = "") -> None:
        with self.store.tx() as db:
            row = self._begin(db, iid, "release", operator)
            if row["state"] == State.JUDGED:
                self._need_verdict(row, "release")
            self._close(
                db,
                row,
                "release",
                State.RELEASED,
                operator,
                reason or ("fast pass" if row["state"] == State.FAST_PASS else "verdict pass"),
                {},
            )

    def turn_back(
        self, iid: str, operator: str, reason: str = "", lab: dict[str, Any] | None = None
    ) -> None:
        """劝返: the load fails. ``lab`` (sample_id, seal_no) also sends a sample to the lab."""
        with self.store.tx() as db:
            row = self._begin(db, iid, "turn_back", operator)
            self._need_verdict(row, "turn_back")
            data: dict[str, Any] = {}
            if lab:
                data["lab_sample_id"] = self._open_lab(db, row, operator, lab)
            self._close(
                db,
                row,
                "turn_back",
                State.TURNED_BACK,
                operator,
                reason or "verdict fail",
                data,
                case_open=True,
            )

    def lab_sample(
        self, iid: str, operator: str, lab: dict[str, Any] | None = None, reason: str = ""
    ) -> str:
        """Send a sample to the lab: the default after a retest verdict."""
        with self.store.tx() as db:
            row = self._begin(db, iid, "lab_sample", operator)
            self._need_verdict(row, "lab_sample")
            lab_id = self._open_lab(db, row, operator, lab or {})
            self._close(
                db,
                row,
                "lab_sample",
                State.LAB_SAMPLE,
                operator,
                reason or f"verdict {row['overall']}: lab sample",
                {"lab_sample_id": lab_id},
                case_open=True,
            )
        return lab_id

    def cancel(self, iid: str, operator: str, reason: str) -> None:
        if not reason.strip():
            raise GatewayError("reason_required", action="cancel")
        with self.store.tx() as db:
            row = self._begin(db, iid, "cancel", operator)
            self._close(db, row, "cancel", State.CANCELLED, operator, reason, {})

    def close_case(self, iid: str, operator: str, reason: str) -> None:
        """Release the hold on a finished inspection (its camera metadata may age out)."""
        if not reason.strip():
            raise GatewayError("reason_required", action="close_case")
        with self.store.tx() as db:
            row = self._begin(db, iid, "close_case", operator)
            if not row["case_open"]:
                raise IllegalTransition("no_open_case", plate=row["plate"])
            waiting = db.execute(
                "SELECT sample_id FROM lab_samples WHERE inspection_id = ? AND reported_at IS NULL",
                (iid,),
            ).fetchone()
            if waiting:
                raise IllegalTransition("lab_pending", sample_id=waiting[0])
            db.execute("UPDATE inspections SET case_open = 0 WHERE id = ?", (iid,))
            self._step(
                db, iid, row["state"], "close_case", State(row["state"]), operator, reason, {}
            )

    # -- reading ------------------------------------------------------------------

    def get(self, iid: str) -> dict[str, Any]:
        row = self.store.row("SELECT * FROM inspections WHERE id = ?", (iid,))
        if row is None:
            raise NotFound("no_inspection", id=iid)
        return _inspection(row)

    def steps(self, iid: str) -> list[dict[str, Any]]:
        rows = self.store.rows(
            "SELECT * FROM transitions WHERE inspection_id = ? ORDER BY seq", (iid,)
        )
        return [dict(r) | {"data": json.loads(r["data"])} for r in rows]

    def current(self) -> dict[str, Any] | None:
        """The truck now at the gate: the most recently touched open inspection."""
        closed = ",".join(f"'{s.value}'" for s in TERMINAL)
        row = self.store.row(
            f"SELECT * FROM inspections WHERE state NOT IN ({closed}) "
            "ORDER BY updated_at DESC LIMIT 1"
        )
        return _inspection(row) if row else None

    def open_inspections(self) -> list[dict[str, Any]]:
        closed = ",".join(f"'{s.value}'" for s in TERMINAL)
        rows = self.store.rows(
            f"SELECT * FROM inspections WHERE state NOT IN ({closed}) ORDER BY opened_at"
        )
        return [_inspection(r) for r in rows]

    def today(self) -> list[dict[str, Any]]:
        start = iso(local_day_start(self.clock.now()))
        rows = self.store.rows(
            "SELECT * FROM inspections WHERE opened_at >= ? ORDER BY opened_at DESC", (start,)
        )
        return [_inspection(r) for r in rows]

    def unbound_results(self, limit: int = 10) -> list[dict[str, Any]]:
        rows = self.store.rows(
            "SELECT * FROM analyzer_results r WHERE NOT EXISTS (SELECT 1 FROM result_bindings b "
            "WHERE b.result_id = r.id AND b.unbound_at IS NULL) ORDER BY at DESC LIMIT ?",
            (limit,),
        )
        return [_result(r) for r in rows]

    def bind_candidates(self, iid: str, limit: int = 20) -> list[dict[str, Any]]:
        """Results the operator may bind to this sample, newest first, each with its verdict.

        Unbound results of the lane's analyzers measured at or after the sampling
        time; ``verdict`` is what judging it against the inspection's profile gives.
        """
        insp = self.get(iid)
        sample = insp["sample"]
        analyzers = self.lanes.analyzers_of(insp["lane"])
        if not sample or not analyzers:
            return []
        marks = ",".join("?" * len(analyzers))
        rows = self.store.rows(
            f"SELECT * FROM analyzer_results r WHERE analyzer_id IN ({marks}) "
            "AND COALESCE(measured_at, at) >= ? AND NOT EXISTS (SELECT 1 FROM result_bindings b "
            "WHERE b.result_id = r.id AND b.unbound_at IS NULL) "
            "ORDER BY COALESCE(measured_at, at) DESC LIMIT ?",
            (*analyzers, binding.sampled_second(sample), limit),
        )
        profile = self.profiles.get(insp["profile_id"])
        out = []
        for r in rows:
            res = _result(r)
            try:
                res["verdict"] = judge_result(
                    sample["sample_id"], res, profile, self.profiles.version
                )
            except GatewayError:
                res["verdict"] = None
            out.append(res)
        return out

    def next_actions(self, insp: dict[str, Any]) -> list[str]:
        """Steps allowed now, the default first."""
        state = State(insp["state"])
        allowed = [a for a, states in ALLOWED.items() if state in states]
        if state == State.JUDGED and insp["overall"]:
            ov = Overall(insp["overall"])
            allowed = [a for a in allowed if a not in VERDICTS_FOR or ov in VERDICTS_FOR[a]]
            default = DEFAULT_NEXT.get(ov)
        else:
            default = DEFAULT_NEXT.get(state)
        if state in TERMINAL and not insp["case_open"]:
            allowed = [a for a in allowed if a != "close_case"]
        if state == State.REGISTERED:
            held = (insp.get("zone") or {}).get("status") == "held"
            seize = ("hold_for_seizure", "cancel")
            allowed = [a for a in allowed if (a in seize if held else a != "hold_for_seizure")]
            default = "hold_for_seizure" if held else default
        if default in allowed:
            allowed.remove(default)
            allowed.insert(0, default)
        return allowed

    # -- internals ------------------------------------------------------------------

    def _begin(self, db: sqlite3.Connection, iid: str, action: str, operator: str) -> sqlite3.Row:
        _need_operator(operator)
        row = db.execute("SELECT * FROM inspections WHERE id = ?", (iid,)).fetchone()
        if row is None:
            raise NotFound("no_inspection", id=iid)
        state = State(row["state"])
        if state not in ALLOWED[action]:
            allowed = [a for a, states in ALLOWED.items() if state in states]
            raise IllegalTransition(
                "illegal",
                action=action,
                plate=row["plate"],
                state=state.value,
                allowed=tuple(allowed),
            )
        return row

    def _take_result_off(
        self, db: sqlite3.Connection, iid: str, operator: str, reason: str
    ) -> sqlite3.Row | None:
        """Close the live binding (if any) with the reason; the result and verdict go."""
        bound = None
        if binding.live_binding(db, inspection_id=iid) is not None:
            bound = binding.unbind(db, iid, iso(self.clock.now()), operator, reason)
        db.execute(
            "UPDATE inspections SET result = NULL, verdict = NULL, overall = NULL WHERE id = ?",
            (iid,),
        )
        return bound

    def _need_verdict(self, row: sqlite3.Row, action: str) -> None:
        ov = Overall(row["overall"])
        if ov not in VERDICTS_FOR[action]:
            raise IllegalTransition(
                "verdict_forbids",
                action=action,
                plate=row["plate"],
                overall=ov.value,
                allowed=tuple(a for a, v in VERDICTS_FOR.items() if ov in v),
            )

    def _open_lab(
        self, db: sqlite3.Connection, row: sqlite3.Row, operator: str, lab: dict[str, Any]
    ) -> str:
        sample = json.loads(row["sample"])
        sample_id = (lab.get("sample_id") or f"{sample['sample_id']}-L").strip()
        seal = (lab.get("seal_no") or "").strip() or None
        # The lab is judged by the profile (limits and version) the rapid verdict used.
        judged = row["judged_profile"] or profile_snapshot(self.profiles.get(row["profile_id"]))
        return self.lab.open(db, row["id"], sample_id, seal, judged, operator)

    def _close(
        self,
        db: sqlite3.Connection,
        row: sqlite3.Row,
        action: str,
        to: State,
        operator: str,
        reason: str,
        data: dict[str, Any],
        case_open: bool = False,
    ) -> None:
        case = 1 if case_open or row["case_open"] else 0
        db.execute(
            "UPDATE inspections SET outcome = ?, closed_at = ?, case_open = ? WHERE id = ?",
            (to.value, iso(self.clock.now()), case, row["id"]),
        )
        self._step(
            db,
            row["id"],
            row["state"],
            action,
            to,
            operator,
            reason,
            {**data, "overall": row["overall"], "case_open": bool(case)},
        )

    def _step(
        self,
        db: sqlite3.Connection,
        iid: str,
        from_state: str | None,
        action: str,
        to: State,
        operator: str,
        reason: str,
        data: dict[str, Any],
    ) -> Step:
        plate, last = db.execute(
            "SELECT plate, seq FROM inspections WHERE id = ?", (iid,)
        ).fetchone()
        record = InspectionTransitionV3(
            checkpoint_id=self.checkpoint_id,
            inspection_id=iid,
            plate=plate,
            seq=last + 1,
            action=action,
            from_state=from_state,
            to=to.value,
            at=iso(self.clock.now()),
            operator=operator,
            reason=reason,
            data=data,
        )
        seq, now = record.seq, record.at
        tid = str(uuid.uuid4())
        db.execute(
            "INSERT INTO transitions(id, inspection_id, seq, action, from_state, to_state, at, "
            "operator, reason, data) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (tid, iid, seq, action, from_state, to.value, now, operator, reason, dumps(data)),
        )
        db.execute(
            "UPDATE inspections SET state = ?, updated_at = ?, seq = ? WHERE id = ?",
            (to.value, now, seq, iid),
        )
        self.sink.put(record, record_id=tid)
        body = encode(record).body
        self.ledger.append(
            "inspection", action, operator, {k: v for k, v in body.items() if k != "operator"}
        )
        return Step(iid, seq, action, from_state, to.value, now, operator, reason)

    def _link_camera_events(self, db: sqlite3.Connection, iid: str, plate: str) -> None:
        """Link recent unlinked reads of this plate, and reads one character off (misreads).

        Recent by arrival at the gateway: a camera's own clock may be off.
        """
        since = iso(self.clock.now() - ARRIVAL_LINK_WINDOW)
        rows = db.execute(
            "SELECT id, plate FROM camera_events WHERE inspection_id IS NULL "
            "AND received_at >= ? AND plate IS NOT NULL",
            (since,),
        ).fetchall()
        ids = [(iid, r[0]) for r in rows if plates_match(r[1], plate)]
        db.executemany("UPDATE camera_events SET inspection_id = ? WHERE id = ?", ids)


def _held_zone(row: sqlite3.Row) -> ZoneCheck | None:
    """The zone a registered truck is held for, when its destination check said so."""
    zone = ZoneDesk.from_stored(json.loads(row["zone"]) if row["zone"] else None)
    return zone if zone is not None and zone.held else None


def _need_no_seizure(row: sqlite3.Row) -> None:
    zone = _held_zone(row)
    if zone is not None:
        raise IllegalTransition(
            "seizure.must_hold", plate=row["plate"], village=zone.name or zone.village
        )


def _need_operator(operator: str) -> None:
    if not operator or not operator.strip():
        raise GatewayError("field_required", field="operator")


def _inspection(row: sqlite3.Row) -> dict[str, Any]:
    """An inspection as read: JSON columns parsed; the sample's label fields at the top."""
    d = dict(row)
    for key in ("registration", "fast_pass", "sample", "result", "verdict", "zone"):
        d[key] = json.loads(d[key]) if d[key] else None
    d["case_open"] = bool(d["case_open"])
    sample = d["sample"] or {}
    d["sample_id"] = d.get("sample_id") or sample.get("sample_id")
    d["seal"] = sample.get("seal_no")
    d["sampler"] = sample.get("sampler")
    d["sampled_at"] = sample.get("taken_at")
    return d


def _result(row: sqlite3.Row) -> dict[str, Any]:
    d = dict(row)
    d["indicators"] = json.loads(d["indicators"])
    d["uncertainty"] = json.loads(d["uncertainty"])
    d["measured_at"] = d["measured_at"] or d["at"]
    return d
