"""A checkpoint morning: a deterministic stream of trucks for demos and end-to-end tests.

Thirty trucks by default: most pass, some fail (ash or sulfur over the
limit), one is a fast-pass truck with a valid quality report, one lands
within the retest band and goes to the lab. ``run_morning`` drives each
truck through the real workflow as an operator would; the analyzer result
comes from ``measure`` (a simulator or, by default, the planned values).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from coalguard.edge.fastpass import FastPassList, FastPassTruck
from coalguard.gateway.service import Gateway

# Hebei anthracite (GB 34169-2017 无烟1号): Ad ≤ 12.5, Vdaf ≤ 10, St,d ≤ 0.40, Qnet,ar ≥ 25.
_GOOD = {"Mt": 5.0, "Mad": 1.8, "Aad": 10.0, "Vad": 6.5, "St_ad": 0.28, "Qgr_ad": 30.5, "Had": 2.9}
FAST_PASS_PLATE = "冀E88888"
FAST_PASS_COMPANY = "石家庄某热电厂"
CONSIGNORS = ("大同恒信煤业有限公司", "阳泉晋宏煤炭运销有限公司", "鄂尔多斯伊泰煤炭销售有限公司")
ORIGINS = ("山西大同", "山西阳泉", "内蒙古鄂尔多斯", "陕西榆林", "山西晋城")
DESTINATIONS = ("石家庄", "保定", "邢台", "衡水", "沧州")


@dataclass(frozen=True)
class TruckPlan:
    plate: str
    kind: str  # pass | fail | retest | fast_pass
    indicators: dict[str, float]
    origin: str
    destination: str
    weight_t: float
    coal_type: str = "anthracite"


@dataclass
class MorningResult:
    outcomes: Counter[str] = field(default_factory=Counter)
    inspections: list[str] = field(default_factory=list)
    lab_samples: list[str] = field(default_factory=list)


def plan_morning(trucks: int = 30, seed: int = 1) -> list[TruckPlan]:
    rng = random.Random(seed)
    kinds = ["pass"] * trucks
    fails = max(1, trucks // 6)
    for i in range(1, 1 + fails):
        kinds[(i * 5) % trucks] = "fail"
    kinds[trucks // 3] = "fast_pass"
    kinds[(2 * trucks) // 3 + 1] = "retest"
    plans = []
    used: set[str] = set()
    for n, kind in enumerate(kinds):
        plate = FAST_PASS_PLATE if kind == "fast_pass" else ""
        while not plate or plate in used:
            plate = (
                "冀" + rng.choice("ABCDFGHJ") + "".join(rng.choice("0123456789") for _ in range(5))
            )
        used.add(plate)
        ind = {k: round(v * rng.uniform(0.97, 1.03), 2) for k, v in _GOOD.items()}
        if kind == "fail":
            if n % 2:
                ind["Aad"] = round(rng.uniform(16, 24), 2)
            else:
                ind["St_ad"] = round(rng.uniform(0.6, 1.2), 2)
        elif kind == "retest":
            ind["St_ad"], ind["Mad"] = 0.40, 1.8  # St,d 0.41 against ≤ 0.40: within r
        plans.append(
            TruckPlan(
                plate,
                kind,
                ind,
                rng.choice(ORIGINS),
                rng.choice(DESTINATIONS),
                round(rng.uniform(28, 40), 1),
            )
        )
    return plans


def fast_pass_list(valid_until: date) -> FastPassList:
    return FastPassList(
        format=2,
        version=f"demo-{valid_until.isoformat()}",
        truck=[
            FastPassTruck(
                plate=FAST_PASS_PLATE,
                company=FAST_PASS_COMPANY,
                report_id="QR-2026-0088",
                expires=valid_until,
                coal_type="anthracite",
                valid_from=valid_until - timedelta(days=365),
                quantity_t=5000.0,
            )
        ],
    )


Measure = Callable[[TruckPlan, str, str], None]
Arrive = Callable[[TruckPlan], str | None]


def run_morning(
    gw: Gateway,
    plans: list[TruckPlan],
    operator: str = "值班员",
    measure: Measure | None = None,
    arrive: Arrive | None = None,
    on_truck: Callable[[TruckPlan, str], None] | None = None,
) -> MorningResult:
    """Drive each truck from arrival to its outcome through the workflow.

    ``arrive(plan)`` announces the truck (cameras) and returns the inspection
    it opened, if any; otherwise the operator opens one by hand.
    ``measure(plan, sample_id, inspection_id)`` makes the analyzer produce a
    result for the sample and see it bound (a simulator); by default the
    planned values are recorded as the result of analyzer ``sim-1``.
    """
    wf = gw.workflow
    out = MorningResult()
    for n, plan in enumerate(plans, 1):
        iid = arrive(plan) if arrive is not None else None
        iid = iid or wf.arrive(plan.plate, operator)
        out.inspections.append(iid)
        wf.register(
            iid,
            operator,
            {
                "plate": plan.plate,
                "driver": f"司机{n:02d}",
                "origin": plan.origin,
                "destination": plan.destination,
                "coal_type": plan.coal_type,
                "weight_t": plan.weight_t,
                "consignor": FAST_PASS_COMPANY
                if plan.kind == "fast_pass"
                else CONSIGNORS[n % len(CONSIGNORS)],
                "waybill_no": f"WB-{n:04d}",
            },
        )
        if wf.check_fast_pass(iid, operator):
            wf.release(iid, operator)
            out.outcomes["fast_pass"] += 1
        else:
            sample_id = wf.take_sample(iid, operator, {"seal_no": f"F{n:04d}"})
            if measure is not None:
                measure(plan, sample_id, iid)
            else:
                wf.record_result("sim-1", plan.indicators, sample_id=sample_id)
            insp = wf.get(iid)
            if insp["state"] != "judged":
                raise RuntimeError(f"{plan.plate}: no verdict (state {insp['state']})")
            action = wf.next_actions(insp)[0]
            if action == "release":
                wf.release(iid, operator)
            elif action == "turn_back":
                wf.turn_back(
                    iid, operator, lab={"sample_id": f"{sample_id}-L", "seal_no": f"L{n:04d}"}
                )
                out.lab_samples.append(f"{sample_id}-L")
            else:
                out.lab_samples.append(wf.lab_sample(iid, operator))
            out.outcomes[action] += 1
        if on_truck is not None:
            on_truck(plan, iid)
    return out
