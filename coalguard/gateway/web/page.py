"""The operator page's view model: the truck at the gate, its next steps, the desk.

Everything is put into words here (catalog, Asia/Shanghai times) and handed
to ``templates/page.html``. Each workflow step is a form posting to
``/ui/inspections/{id}/{action}``; the step the workflow suggests comes first.
"""

from __future__ import annotations

from typing import Any

from coalguard.edge.clock import local_text
from coalguard.edge.quality import COAL_TYPES, UnknownProfile, Verdict
from coalguard.edge.quality.compare import same_profile, side_by_side
from coalguard.edge.records import DUTY_KINDS
from coalguard.gateway.errors import in_words
from coalguard.gateway.papers import printable
from coalguard.gateway.roles import may
from coalguard.gateway.service import Gateway
from coalguard.gateway.uplink_status import UplinkStatus
from coalguard.gateway.web.auth import Principal
from coalguard.gateway.web.seizure_view import zone_list_text, zone_text
from coalguard.gateway.web.views import (
    BindCandidate,
    CameraRead,
    Field,
    LabCompareRow,
    LabCompareView,
    LabRow,
    OperatorView,
    PaperLink,
    Status,
    StepForm,
    TodayRow,
    TruckView,
    VerdictRow,
    VerdictView,
)
from coalguard.i18n import t

INDICATOR_FIELDS = ("Mt", "Mad", "Aad", "Vad", "St_ad", "Qgr_ad", "Had")
REGISTRATION_FIELDS = ("driver", "origin", "destination", "weight_t", "waybill_no")
# Catalog keys of the labels kept outside the ``gw`` table.
LABELS = {"consignor": "fastpass_check.consignor"}


def reason_text(text: str, lang: str) -> str:
    """An automatic reason in the operator's language; typed reasons as typed."""
    return in_words("gw_reason", text, lang)


def mismatch_text(m: dict[str, str], lang: str) -> str:
    """Why the green lane refused, in the operator's language (coal types in words)."""
    params = dict(m)
    code = params.pop("code")
    for name in ("declared", "report"):
        if code == "coal_type" and name in params:
            params[name] = in_words("coal_type", params[name], lang)
    return t(f"fastpass_check.{code}", lang).format_map(params)


def step_reason(step: dict[str, Any], lang: str) -> str:
    """A step's reason; a refused fast pass says each mismatch."""
    text = reason_text(step["reason"], lang)
    found = step["data"].get("mismatches") if step["action"] == "check_fast_pass" else None
    if found:
        text += t("fastpass_check.sep", lang) + "; ".join(mismatch_text(m, lang) for m in found)
    return text


def operator_text(operator: str, lang: str) -> str:
    """Who made a step: a person as recorded; the gateway's own steps in words."""
    return t("gw_page.system", lang) if operator == "system" else operator


def indicator_values(values: dict[str, float]) -> str:
    """``Mt 5 · Aad 30``: symbols and numbers as a chemist writes them."""
    return " · ".join(f"{k} {v:g}" for k, v in values.items())


def paper_links(gw: Gateway, insp: dict[str, Any], lang: str) -> tuple[PaperLink, ...]:
    """The print buttons for the papers this inspection has now (``web/papers.py``)."""
    base = f"/inspections/{insp['id']}/papers"
    return tuple(
        PaperLink(p, t(f"gw_papers.{p}", lang), f"{base}/{p}", f"{base}/{p}.pdf")
        for p in printable(gw.store, insp)
    )


def limit_text(ind: dict[str, Any]) -> str:
    lo, hi, unit = ind.get("min"), ind.get("max"), ind.get("unit", "")
    if lo is not None and hi is not None:
        return f"{lo:g}–{hi:g} {unit}"
    if hi is not None:
        return f"≤ {hi:g} {unit}"
    if lo is not None:
        return f"≥ {lo:g} {unit}"
    return "—"


def _value(value: float | None) -> str:
    """A judged value as the verdict table shows it (two decimals), or a dash."""
    return f"{value:.2f}" if value is not None else "—"


class OperatorPage:
    """Builds ``OperatorView`` for one request, in one language."""

    def __init__(self, gw: Gateway, lang: str) -> None:
        self.gw = gw
        self.lang = lang

    def t(self, key: str) -> str:
        return t(key, self.lang)

    def status(self, value: str | None) -> Status | None:
        return Status(value, self.t(f"status.{value}")) if value else None

    def field(
        self, name: str, value: str = "", *, label_key: str | None = None, **kw: Any
    ) -> Field:
        key = label_key or LABELS.get(name) or f"gw.{name}"
        return Field(name, self.t(key if "." in key else f"gw.{key}"), value, **kw)

    def indicator_fields(self, size: int) -> tuple[Field, ...]:
        return tuple(
            Field(k, k, kind="number", required=False, size=size) for k in INDICATOR_FIELDS
        )

    def build(self, selected: str | None, who: Principal, uplink: UplinkStatus) -> OperatorView:
        gw = self.gw
        insp = None
        if selected:
            try:
                insp = gw.workflow.get(selected)
            except Exception:
                insp = None
        insp = insp or gw.workflow.current()
        sample = ((insp or {}).get("sample") or {}).get("sample_id", "")
        return OperatorView(
            now=local_text(gw.clock.now(), "%Y-%m-%d %H:%M"),
            uplink=self.t(f"gw_uplink.{uplink.state}"),
            outbox_depth=uplink.outbox_depth,
            role=self.t(f"gw_auth.role_{who.user.role.name}"),
            can_manage_users=may(who.user.role, "users.manage"),
            truck=self.truck(insp, who) if insp else None,
            arrive=StepForm(
                "/ui/arrive",
                self.t("action.arrive"),
                (self.field("plate"),),
                id="arrive",
                title=self.t("gw.new_arrival"),
            ),
            pending_results=tuple(
                (
                    local_text(r["at"], "%H:%M:%S"),
                    r["analyzer_id"],
                    r["sample_id"] or "",
                    indicator_values(r["indicators"]),
                )
                for r in gw.workflow.unbound_results()
            ),
            manual_result=StepForm(
                "/ui/results",
                self.t("gw.submit"),
                (self.field("sample_id", sample), *self.indicator_fields(5)),
                id="result",
                title=self.t("gw.manual_result"),
            ),
            today=tuple(
                TodayRow(
                    i["id"],
                    local_text(i["opened_at"], "%H:%M"),
                    i["plate"],
                    self.t(f"state.{i['state']}"),
                    self.status(i["overall"]),
                )
                for i in gw.workflow.today()[:50]
            ),
            lab=tuple(self.lab_row(p) for p in gw.lab.pending()),
            equipment=tuple(
                (
                    d["device_id"],
                    local_text(d["last_seen"]),
                    str(d["errors"]),
                    str(d["gaps"]),
                    self.t(f"gw_device.{d['state']}"),
                    str(d["counter_resets"]),
                )
                for d in gw.devices.all()
            ),
            alerts=tuple((local_text(a["at"]), self.alert_text(a)) for a in gw.alerts.open()[:20]),
            duty=StepForm(
                "/ui/duty",
                self.t("gw.duty"),
                (
                    Field(
                        "action",
                        "",
                        kind="select",
                        options=tuple((a, self.t(f"gw.{a}")) for a in DUTY_KINDS),
                    ),
                    self.field("note", required=False),
                ),
                id="duty",
            ),
            handover=StepForm(
                "/ui/handover",
                self.t("gw.handover"),
                (self.field("to_operator"), self.field("note", required=False)),
                id="handover",
            ),
            zone_list=zone_list_text(gw, self.lang),
        )

    def alert_text(self, a: dict[str, Any]) -> str:
        key = f"gw_alert.{a['kind']}"
        text = self.t(key)
        return a["message"] if text == key else text.format(subject=a["subject"])

    def lab_row(self, p: dict[str, Any]) -> LabRow:
        step = p["step"]
        fields: tuple[Field, ...] = ()
        if step == "dispatch":
            fields = (self.field("lab_name"),)
        elif step == "report":
            fields = (self.field("report_no"), *self.indicator_fields(4))
        return LabRow(
            p["sample_id"],
            p["plate"],
            self.t(f"action.{step}"),
            local_text(p["due"]) if p["due"] else "—",
            bool(p["overdue"]),
            StepForm(f"/ui/lab/{p['id']}/{step}", self.t(f"action.{step}"), fields, css="inline"),
        )

    def truck(self, insp: dict[str, Any], who: Principal) -> TruckView:
        gw = self.gw
        reg = insp["registration"]
        registration: tuple[tuple[str, str], ...] = ()
        if reg:
            rows = [(self.t(f"gw.{k}"), str(reg[k])) for k in REGISTRATION_FIELDS]
            rows.append((self.t("gw.coal_type"), self.t(f"coal_type.{reg['coal_type']}")))
            rows.append((self.t(LABELS["consignor"]), str(reg.get("consignor") or "—")))
            registration = tuple(rows)
        fp = insp["fast_pass"]
        fast_pass = ""
        if fp:
            key = {
                "listed": "gw.fast_pass_green",
                "expired": "gw.fast_pass_expired",
                "mismatch": "fastpass_check.refused",
            }.get(fp["reason"], "gw.fast_pass_not_listed")
            fast_pass = self.t(key) + (f" · {fp['company']}" if fp.get("company") else "")
        res = insp["result"]
        allowed = [a for a in gw.workflow.next_actions(insp) if may(who.user.role, a)]
        bind_list = self.bind_list(insp) if "bind_result" in allowed else None
        steps = [a for a in allowed if a != "bind_result"]
        return TruckView(
            id=insp["id"],
            plate=insp["plate"],
            state=insp["state"],
            state_text=self.t(f"state.{insp['state']}"),
            case_open=bool(insp["case_open"]),
            opened_at=local_text(insp["opened_at"]),
            camera_reads=self.camera_reads(insp["id"])[-4:],
            registration=registration,
            fast_pass=fast_pass,
            fast_pass_reasons=tuple(
                mismatch_text(m, self.lang) for m in (fp or {}).get("mismatches") or ()
            ),
            result=(res["analyzer_id"], indicator_values(res["indicators"])) if res else None,
            verdict=self.verdict(insp["verdict"]) if insp["verdict"] else None,
            lab=tuple(
                self.lab_compare(insp["verdict"], lab)
                for lab in gw.lab.for_inspection(insp["id"])
                if lab["report"]
            ),
            steps=tuple(
                self.step_form(insp, action, who, default=i == 0 and bind_list is None)
                for i, action in enumerate(steps)
            ),
            sample_id=insp["sample_id"] or "",
            seal=insp["seal"] or "",
            sampler=insp["sampler"] or "",
            sampled_at=local_text(insp["sampled_at"], "%Y-%m-%d %H:%M")
            if insp["sampled_at"]
            else "",
            bind_list=bind_list,
            history=tuple(
                (
                    local_text(s["at"], "%H:%M:%S"),
                    self.t(f"action.{s['action']}"),
                    self.t(f"state.{s['to_state']}"),
                    operator_text(s["operator"], self.lang),
                    step_reason(s, self.lang),
                )
                for s in gw.workflow.steps(insp["id"])
            ),
            papers=paper_links(gw, insp, self.lang) if may(who.user.role, "papers.print") else (),
            watch=tuple(
                self.t(f"watch.{f.code}").format_map({**f.params, "at": local_text(f.at)})
                for f in gw.watch.flags(insp["plate"], exclude=insp["id"])
            ),
            zone=zone_text(insp["zone"], self.lang) if reg else "",
            held=(insp["zone"] or {}).get("status") == "held",
        )

    def camera_reads(self, iid: str, time_format: str = "%H:%M:%S") -> tuple[CameraRead, ...]:
        """The inspection's camera reads, oldest first: the evidence the truck was there."""
        return tuple(
            CameraRead(
                ev["camera_id"],
                local_text(ev["at"], time_format),
                ev["plate"] or "",
                str(ev["confidence"]),
                ev["snapshot_ref"] or "",
                (ev["snapshot_sha256"] or "")[:12],
            )
            for ev in self.gw.cameras.for_inspection(iid)
        )

    def profile_title(self, v: dict[str, Any]) -> str:
        """The standard's title in the page's language (the verdict stores the Chinese)."""
        try:
            return self.gw.profiles.get(v["profile_id"]).title_in(self.lang)
        except UnknownProfile:  # a profile since removed: the title as judged
            return str(v["profile_title"])

    def verdict(self, v: dict[str, Any]) -> VerdictView:
        return VerdictView(
            self.status(v["overall"]),
            f"{self.profile_title(v)} ({v['profile_id']} v{v['profile_version']})",
            tuple(
                VerdictRow(
                    ind["indicator"],
                    _value(ind.get("value")),
                    limit_text(ind),
                    self.status(ind["status"]),
                )
                for ind in v["indicators"]
            ),
            provisional=bool(v.get("provisional")),
            no_limits=v["overall"] == "no_limits",
            profile_set=v.get("profile_set") or "—",
        )

    def lab_compare(self, rapid: dict[str, Any] | None, lab: dict[str, Any]) -> LabCompareView:
        """The lab report beside the rapid verdict (judged by the same profile)."""
        lab_v = Verdict.model_validate(lab["report"]["verdict"])
        rapid_v = Verdict.model_validate(rapid) if rapid else None
        custody = tuple(
            (self.t(f"lab_loop.{key}"), local_text(lab[key]))
            for key in ("sampled_at", "dispatched_at", "received_at", "reported_at")
            if lab.get(key)
        )
        return LabCompareView(
            sample_id=lab["sample_id"],
            report_no=lab["report_no"] or "",
            overall=self.status(lab_v.overall.value),
            profile=self.verdict(lab_v.model_dump(mode="json")).profile,
            same_profile=same_profile(rapid_v, lab_v),
            custody=custody,
            rows=tuple(
                LabCompareRow(
                    p.indicator,
                    _value(p.rapid_value),
                    _value(p.lab_value),
                    limit_text(p.model_dump()),
                    self.status(p.rapid_status.value if p.rapid_status else None),
                    self.status(p.lab_status.value if p.lab_status else None),
                )
                for p in side_by_side(rapid_v.indicators if rapid_v else [], lab_v.indicators)
            ),
        )

    def bind_list(self, insp: dict[str, Any]) -> tuple[BindCandidate, ...]:
        """Results of the lane's analyzers measured after sampling, each with its verdict."""
        url = f"/ui/inspections/{insp['id']}/bind_result"
        return tuple(
            BindCandidate(
                local_text(r["measured_at"], "%H:%M:%S"),
                r["analyzer_id"],
                indicator_values(r["indicators"]),
                self.status(r["verdict"].overall.value) if r["verdict"] else None,
                StepForm(
                    url,
                    self.t("gw_binding.choose"),
                    (Field("result_id", "", r["id"], kind="hidden"),),
                    id=f"bind-{r['id']}",
                    css="inline",
                ),
            )
            for r in self.gw.workflow.bind_candidates(insp["id"])
        )

    def lane_fields(self) -> tuple[Field, ...]:
        """A lane to choose when the checkpoint has more than one."""
        lanes = self.gw.config.lanes
        if len(lanes) < 2:
            return ()
        return (
            Field(
                "lane",
                self.t("gw_binding.lane"),
                kind="select",
                options=tuple((ln.id, ln.name) for ln in lanes),
            ),
        )

    def step_form(
        self, insp: dict[str, Any], action: str, who: Principal, default: bool
    ) -> StepForm:
        fields: tuple[Field, ...] = ()
        f = self.field
        if action == "register":
            fields = (
                f("plate", insp["plate"]),
                f("driver"),
                f("origin"),
                f("destination"),
                Field(
                    "destination_village",
                    self.t("seizure.destination_village"),
                    required=False,
                    options=tuple((name or code, code) for code, name in self.gw.zones.villages()),
                ),
                Field(
                    "coal_type",
                    self.t("gw.coal_type"),
                    "anthracite",
                    kind="select",
                    options=tuple((c, self.t(f"coal_type.{c}")) for c in COAL_TYPES),
                ),
                f("weight_t", kind="number"),
                f("consignor"),
                f("waybill_no"),
            )
        elif action == "take_sample":
            fields = (f("seal_no"), *self.lane_fields())
        elif action in ("turn_back", "lab_sample"):
            required = action == "lab_sample"
            sample = (insp["sample"] or {}).get("sample_id", "")
            fields = (
                f("reason", required=False),
                f(
                    "lab_sample_id",
                    f"{sample}-L" if required else "",
                    required=required,
                    label_key="sample_id",
                ),
                f("lab_seal_no", required=required, label_key="seal_no"),
            )
        elif action in ("cancel", "close_case", "unbind_result"):
            fields = (f("reason"),)
        elif action in ("release", "rerun", "check_fast_pass", "judge", "hold_for_seizure"):
            fields = (f("reason", required=False),)
        label = self.t(f"action.{action}")
        return StepForm(
            f"/ui/inspections/{insp['id']}/{action}",
            label,
            fields,
            id=action,
            title=label,
            default=default,
        )
