"""The operator page, rendered on the server: plain HTML forms, one small script.

Everything an operator reads comes from the locale catalog (Simplified
Chinese by default). Each workflow step is a form posting to
``/ui/inspections/{id}/{action}``; the step the workflow suggests comes first.
"""

from __future__ import annotations

from html import escape
from typing import Any

from coalguard.edge.quality import COAL_TYPES
from coalguard.gateway.clock import local_text
from coalguard.gateway.roles import may
from coalguard.gateway.service import Gateway
from coalguard.gateway.uplink_status import UplinkStatus
from coalguard.gateway.web.auth import CSRF_FIELD, Principal
from coalguard.i18n import t

INDICATOR_FIELDS = ("Mt", "Mad", "Aad", "Vad", "St_ad", "Qgr_ad", "Had")

CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:0;background:#f4f5f7;
color:#222}
header{background:#1f3a5f;color:#fff;padding:8px 16px;display:flex;gap:24px;align-items:center}
header h1{font-size:20px;margin:0}header .sp{flex:1}
main{display:grid;grid-template-columns:minmax(420px,1.2fr) 1fr;gap:12px;padding:12px}
section{background:#fff;border-radius:6px;padding:10px 14px;box-shadow:0 1px 2px #0002}
h2{font-size:16px;margin:4px 0 8px}table{border-collapse:collapse;width:100%;font-size:13px}
td,th{border-bottom:1px solid #e3e3e3;padding:3px 6px;text-align:left}
.plate{font-size:28px;font-weight:bold;letter-spacing:2px}
.state{display:inline-block;padding:2px 8px;border-radius:10px;background:#dde6f3}
.pass{color:#1a7f37;font-weight:bold}.fail{color:#c62828;font-weight:bold}
.retest{color:#b26a00;font-weight:bold}.missing,.incomplete{color:#8e24aa}
.err{background:#fdecea;color:#b71c1c;padding:8px 16px;font-weight:bold}
form.step{border:1px solid #d0d7e2;border-radius:6px;padding:6px 8px;margin:6px 0}
form.step.default{border-color:#1f6feb;background:#f0f6ff}
label{display:inline-block;margin:2px 8px 2px 0;font-size:13px}
input,select{font-size:14px;padding:2px 4px}button{font-size:14px;padding:3px 12px}
.default button{background:#1f6feb;color:#fff;border:0;border-radius:4px}
.overdue{color:#c62828;font-weight:bold}small{color:#666}
"""

SCRIPT = """
// Refresh every 10 s to show new plate reads and analyzer results, unless the
// operator is typing. auto=1: a refresh is not activity (the idle timeout runs on).
let dirty=false;document.addEventListener('input',()=>{dirty=true});
setInterval(()=>{if(!dirty&&!document.querySelector('input:focus,select:focus')){
const u=new URL(location.href);u.searchParams.set('auto','1');location.replace(u)}},10000);
"""


def _e(v: Any) -> str:
    return escape("" if v is None else str(v))


def _status_span(value: str | None, lang: str) -> str:
    if not value:
        return "—"
    return f'<span class="{_e(value)}">{_e(t(f"status.{value}", lang))}</span>'


def _input(
    name: str,
    lang: str,
    value: str = "",
    kind: str = "text",
    required: bool = True,
    label_key: str | None = None,
) -> str:
    req = " required" if required else ""
    step = ' step="any"' if kind == "number" else ""
    label = t(f"gw.{label_key or name}", lang)
    return (
        f'<label>{_e(label)} <input name="{name}" type="{kind}" value="{_e(value)}"'
        f"{step}{req}></label>"
    )


def _csrf(who: Principal) -> str:
    """The session's CSRF token in every form (none needed with an API token)."""
    return f'<input type="hidden" name="{CSRF_FIELD}" value="{_e(who.csrf or "")}">'


def _coal_select(lang: str, selected: str = "anthracite") -> str:
    opts = "".join(
        f'<option value="{c}"{" selected" if c == selected else ""}>{_e(t(f"coal_type.{c}", lang))}'
        "</option>"
        for c in COAL_TYPES
    )
    return f'<label>{_e(t("gw.coal_type", lang))} <select name="coal_type">{opts}</select></label>'


def _limit(ind: dict[str, Any]) -> str:
    lo, hi, unit = ind.get("min"), ind.get("max"), ind.get("unit", "")
    if lo is not None and hi is not None:
        return f"{lo:g}–{hi:g} {unit}"
    if hi is not None:
        return f"≤ {hi:g} {unit}"
    if lo is not None:
        return f"≥ {lo:g} {unit}"
    return "—"


class PageRenderer:
    def __init__(self, gw: Gateway, lang: str = "zh") -> None:
        self.gw = gw
        self.lang = lang

    def t(self, key: str) -> str:
        return t(key, self.lang)

    def reason(self, text: str) -> str:
        """An automatic reason in the operator's language; typed reasons as typed."""
        got = t(f"gw_reason.{text}", self.lang)
        return text if got == f"gw_reason.{text}" else got

    def render(
        self,
        selected: str | None,
        who: Principal,
        uplink: UplinkStatus,
        error: str | None = None,
    ) -> str:
        gw = self.gw
        insp = None
        if selected:
            try:
                insp = gw.workflow.get(selected)
            except Exception:
                insp = None
        insp = insp or gw.workflow.current()
        parts = [
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">',
            f"<title>{_e(self.t('gw.title'))} · {_e(gw.config.checkpoint.name)}</title>",
            f"<style>{CSS}</style></head><body>",
            self._header(who, uplink),
        ]
        if error:
            parts.append(f'<div class="err" id="error">{_e(error)}</div>')
        parts.append("<main><div>")
        parts.append(self._gate(insp, who))
        parts.append(self._results(insp, who))
        parts.append("</div><div>")
        parts.append(self._today())
        parts.append(self._lab(who))
        parts.append(self._equipment())
        parts.append(self._alerts())
        parts.append(self._duty(who))
        parts.append(f"</div></main><script>{SCRIPT}</script></body></html>")
        return "".join(parts)

    # -- sections -----------------------------------------------------------------

    def _header(self, who: Principal, up: UplinkStatus) -> str:
        cp = self.gw.config.checkpoint
        now = local_text(self.gw.clock.now(), "%Y-%m-%d %H:%M")
        users_link = (
            f'<a style="color:#fff" href="/users">{_e(self.t("gw_auth.users"))}</a>'
            if may(who.user.role, "users.manage")
            else ""
        )
        return (
            f"<header><h1>{_e(self.t('gw.title'))} · {_e(cp.name)}</h1><span>{_e(now)}</span>"
            '<span class="sp"></span><a style="color:#fff" href="/ledger">'
            f"{_e(self.t('gw.ledger'))}</a>{users_link}"
            f'<span id="uplink">{_e(self.t("gw.uplink"))}: '
            f"{_e(self.t('gw_uplink.' + up.state))} ({up.outbox_depth})</span>"
            f'<span id="who">{_e(self.t("gw_auth.signed_in_as"))}: {_e(who.operator)} · '
            f"{_e(self.t('gw_auth.role_' + who.user.role.name))}</span>"
            f'<form method="post" action="/logout" id="form-logout">{_csrf(who)}'
            f"<button>{_e(self.t('gw_auth.sign_out'))}</button></form></header>"
        )

    def _gate(self, insp: dict[str, Any] | None, who: Principal) -> str:
        out = [f'<section id="gate"><h2>{_e(self.t("gw.now_at_gate"))}</h2>']
        if insp is None:
            out.append(f"<p>{_e(self.t('gw.no_truck'))}</p>")
        else:
            out.append(self._truck(insp, who))
        out.append(
            f'<form class="step" id="form-arrive" method="post" action="/ui/arrive">'
            f"<b>{_e(self.t('gw.new_arrival'))}</b> {_input('plate', self.lang)}{_csrf(who)}"
            f"<button>{_e(self.t('gw_action.arrive'))}</button></form></section>"
        )
        return "".join(out)

    def _truck(self, insp: dict[str, Any], who: Principal) -> str:
        wf = self.gw.workflow
        state = insp["state"]
        out = [
            f'<div id="truck" data-id="{_e(insp["id"])}" data-state="{_e(state)}">'
            f'<span class="plate" id="plate">{_e(insp["plate"])}</span> '
            f'<span class="state" id="state">{_e(self.t(f"gw_state.{state}"))}</span>'
        ]
        if insp["case_open"]:
            out.append(f' <span class="fail">{_e(self.t("gw.case_open"))}</span>')
        out.append(
            f" <small>{_e(self.t('gw.opened_at'))} {_e(local_text(insp['opened_at']))}"
            "</small></div>"
        )
        events = self.gw.cameras.for_inspection(insp["id"])
        if events:
            out.append(f"<h2>{_e(self.t('gw.snapshot'))}</h2><table>")
            for ev in events[-4:]:
                out.append(
                    f"<tr><td>{_e(ev['camera_id'])}</td><td>{_e(local_text(ev['at'], '%H:%M:%S'))}"
                    f"</td><td>{_e(ev['plate'])}</td><td>{_e(ev['confidence'])}</td>"
                    f"<td>{_e(ev['snapshot_ref'])}</td>"
                    f"<td><small>{_e((ev['snapshot_sha256'] or '')[:12])}</small></td></tr>"
                )
            out.append("</table>")
        reg = insp["registration"]
        if reg:
            out.append("<table>")
            for k in ("driver", "origin", "destination", "weight_t", "waybill_no"):
                out.append(f"<tr><th>{_e(self.t(f'gw.{k}'))}</th><td>{_e(reg[k])}</td></tr>")
            out.append(
                f"<tr><th>{_e(self.t('gw.coal_type'))}</th>"
                f"<td>{_e(self.t('coal_type.' + reg['coal_type']))}</td></tr></table>"
            )
        fp = insp["fast_pass"]
        if fp:
            key = {"listed": "fast_pass_green", "expired": "fast_pass_expired"}.get(
                fp["reason"], "fast_pass_not_listed"
            )
            out.append(
                f'<p id="fastpass">{_e(self.t(f"gw.{key}"))}'
                f"{' · ' + _e(fp['company']) if fp.get('company') else ''}</p>"
            )
        if insp["result"]:
            res = insp["result"]
            vals = ", ".join(f"{k}={v:g}" for k, v in res["indicators"].items())
            out.append(
                f"<p><b>{_e(self.t('gw.analyzer_result'))}</b> "
                f"{_e(res['analyzer_id'])}: {_e(vals)}</p>"
            )
        if insp["verdict"]:
            out.append(self._verdict(insp["verdict"]))
        out.append(f'<div id="steps"><h2>{_e(self.t("gw.next_step"))}</h2>')
        allowed = [a for a in wf.next_actions(insp) if may(who.user.role, a)]
        for i, action in enumerate(allowed):
            out.append(self._step_form(insp, action, who, default=i == 0))
        out.append("</div>")
        out.append(self._history(insp["id"]))
        return "".join(out)

    def _verdict(self, v: dict[str, Any]) -> str:
        out = [
            f'<h2>{_e(self.t("gw.verdict"))}: <span id="overall">'
            f"{_status_span(v['overall'], self.lang)}</span></h2>"
            f"<small>{_e(self.t('verdict.profile'))}: {_e(v['profile_title'])} "
            f"({_e(v['profile_id'])} v{_e(v['profile_version'])})</small>"
            '<table id="verdict"><tr>'
        ]
        for k in ("indicator", "value", "limit", "result"):
            out.append(f"<th>{_e(self.t(f'verdict.{k}'))}</th>")
        out.append("</tr>")
        for ind in v["indicators"]:
            value = f"{ind['value']:.2f}" if ind.get("value") is not None else "—"
            out.append(
                f"<tr><td>{_e(ind['indicator'])}</td><td>{_e(value)}</td><td>{_e(_limit(ind))}"
                f"</td><td>{_status_span(ind['status'], self.lang)}</td></tr>"
            )
        out.append("</table>")
        return "".join(out)

    def _step_form(self, insp: dict[str, Any], action: str, who: Principal, default: bool) -> str:
        lang = self.lang
        fields: list[str] = []
        if action == "register":
            fields = [
                _input("plate", lang, insp["plate"]),
                _input("driver", lang),
                _input("origin", lang),
                _input("destination", lang),
                _coal_select(lang),
                _input("weight_t", lang, kind="number"),
                _input("waybill_no", lang),
            ]
        elif action == "take_sample":
            fields = [
                _input("sample_id", lang),
                _input("seal_no", lang),
                _input("sampler", lang, who.user.display_name),
            ]
        elif action == "bind_result":
            results = self.gw.workflow.unbound_results()
            opts = "".join(
                f'<option value="{_e(r["id"])}">{_e(r["analyzer_id"])} '
                f"{_e(r['sample_id'] or '')} {_e(local_text(r['at'], '%H:%M:%S'))}</option>"
                for r in results
            )
            fields = [
                f'<label>{_e(self.t("gw.pending_results"))} <select name="result_id">'
                f"{opts}</select></label>"
            ]
        elif action in ("turn_back", "lab_sample"):
            required = action == "lab_sample"
            sample = (insp["sample"] or {}).get("sample_id", "")
            fields = [
                _input("reason", lang, required=False),
                _input(
                    "lab_sample_id",
                    lang,
                    f"{sample}-L" if required else "",
                    required=required,
                    label_key="sample_id",
                ),
                _input("lab_seal_no", lang, required=required, label_key="seal_no"),
            ]
        elif action in ("cancel", "close_case"):
            fields = [_input("reason", lang)]
        elif action in ("release", "rerun", "check_fast_pass", "judge"):
            fields = [_input("reason", lang, required=False)]
        cls = "step default" if default else "step"
        return (
            f'<form class="{cls}" id="form-{action}" method="post" '
            f'action="/ui/inspections/{_e(insp["id"])}/{action}">'
            f"<b>{_e(self.t(f'gw_action.{action}'))}</b> {''.join(fields)}"
            f"{_csrf(who)}<button>{_e(self.t(f'gw_action.{action}'))}</button></form>"
        )

    def _history(self, iid: str) -> str:
        out = [f'<h2>{_e(self.t("gw.history"))}</h2><table id="history">']
        for s in self.gw.workflow.steps(iid):
            out.append(
                f"<tr><td>{_e(local_text(s['at'], '%H:%M:%S'))}</td>"
                f"<td>{_e(self.t('gw_action.' + s['action']))}</td>"
                f"<td>{_e(self.t('gw_state.' + s['to_state']))}</td><td>{_e(s['operator'])}</td>"
                f"<td>{_e(self.reason(s['reason']))}</td></tr>"
            )
        out.append("</table>")
        return "".join(out)

    def _results(self, insp: dict[str, Any] | None, who: Principal) -> str:
        lang = self.lang
        out = [f'<section id="results"><h2>{_e(self.t("gw.pending_results"))}</h2><table>']
        for r in self.gw.workflow.unbound_results():
            vals = ", ".join(f"{k}={v:g}" for k, v in r["indicators"].items())
            out.append(
                f"<tr><td>{_e(local_text(r['at'], '%H:%M:%S'))}</td>"
                f"<td>{_e(r['analyzer_id'])}</td><td>{_e(r['sample_id'])}</td>"
                f"<td>{_e(vals)}</td></tr>"
            )
        out.append("</table>")
        sample = ((insp or {}).get("sample") or {}).get("sample_id", "")
        fields = "".join(
            f'<label>{k} <input name="{k}" type="number" step="any" size="5"></label>'
            for k in INDICATOR_FIELDS
        )
        out.append(
            f'<form class="step" id="form-result" method="post" action="/ui/results">'
            f"<b>{_e(self.t('gw.manual_result'))}</b> {_input('sample_id', lang, sample)}"
            f"{fields}{_csrf(who)}"
            f"<button>{_e(self.t('gw.submit'))}</button></form></section>"
        )
        return "".join(out)

    def _today(self) -> str:
        out = [f'<section id="today"><h2>{_e(self.t("gw.today"))}</h2><table><tr>']
        for k in ("opened_at", "plate", "state", "verdict"):
            out.append(f"<th>{_e(self.t(f'gw.{k}'))}</th>")
        out.append("</tr>")
        for i in self.gw.workflow.today()[:50]:
            out.append(
                f"<tr><td>{_e(local_text(i['opened_at'], '%H:%M'))}</td>"
                f'<td><a href="/?id={_e(i["id"])}">{_e(i["plate"])}</a></td>'
                f"<td>{_e(self.t('gw_state.' + i['state']))}</td>"
                f"<td>{_status_span(i['overall'], self.lang)}</td></tr>"
            )
        out.append("</table></section>")
        return "".join(out)

    def _lab(self, who: Principal) -> str:
        lang = self.lang
        out = [f'<section id="lab"><h2>{_e(self.t("gw.lab_pending"))}</h2><table>']
        for p in self.gw.lab.pending():
            due = local_text(p["due"], "%m-%d %H:%M") if p["due"] else "—"
            cls = ' class="overdue"' if p["overdue"] else ""
            over = f" {self.t('gw.overdue')}" if p["overdue"] else ""
            step = p["step"]
            extra = ""
            if step == "dispatch":
                extra = _input("lab_name", lang)
            elif step == "report":
                extra = _input("report_no", lang) + "".join(
                    f'<label>{k} <input name="{k}" type="number" step="any" size="4"></label>'
                    for k in INDICATOR_FIELDS
                )
            out.append(
                f"<tr><td>{_e(p['sample_id'])}</td><td>{_e(p['plate'])}</td>"
                f"<td>{_e(self.t(f'gw_action.{step}'))}</td><td{cls}>{_e(due)}{_e(over)}</td>"
                f'<td><form method="post" action="/ui/lab/{_e(p["id"])}/{step}">{extra}'
                f"{_csrf(who)}<button>{_e(self.t(f'gw_action.{step}'))}</button></form></td></tr>"
            )
        out.append("</table></section>")
        return "".join(out)

    def _equipment(self) -> str:
        out = [f'<section id="equipment"><h2>{_e(self.t("gw.equipment"))}</h2><table><tr>']
        for k in ("device", "last_seen", "errors", "state"):
            out.append(f"<th>{_e(self.t(f'gw.{k}'))}</th>")
        out.append("</tr>")
        for d in self.gw.devices.all():
            state = self.t("gw.silent") if d["silent_since"] else self.t("gw.ok")
            out.append(
                f"<tr><td>{_e(d['device_id'])}</td><td>{_e(local_text(d['last_seen']))}</td>"
                f"<td>{_e(d['errors'])}</td><td>{_e(state)}</td></tr>"
            )
        out.append("</table></section>")
        return "".join(out)

    def _alerts(self) -> str:
        out = [f'<section id="alerts"><h2>{_e(self.t("gw.alerts"))}</h2><table>']
        for a in self.gw.alerts.open()[:20]:
            key = f"gw_alert.{a['kind']}"
            text = self.t(key)
            text = a["message"] if text == key else text.format(subject=a["subject"])
            out.append(f"<tr><td>{_e(local_text(a['at']))}</td><td>{_e(text)}</td></tr>")
        out.append("</table></section>")
        return "".join(out)

    def _duty(self, who: Principal) -> str:
        lang = self.lang
        opts = (
            "".join(
                f'<option value="{a}">{_e(self.t(f"gw.{a}"))}</option>'
                for a in ("on_duty", "off_duty")
            )
            + f'<option value="note">{_e(self.t("gw.note"))}</option>'
        )
        return (
            f'<section id="duty"><h2>{_e(self.t("gw.duty"))} / {_e(self.t("gw.handover"))}</h2>'
            f'<form class="step" id="form-duty" method="post" action="/ui/duty">'
            f'<select name="action">{opts}</select>{_input("note", lang, required=False)}'
            f"{_csrf(who)}<button>{_e(self.t('gw.duty'))}</button></form>"
            f'<form class="step" id="form-handover" method="post" action="/ui/handover">'
            f"{_input('to_operator', lang)}{_input('note', lang, required=False)}"
            f"{_csrf(who)}<button>{_e(self.t('gw.handover'))}</button>"
            "</form></section>"
        )


def render_ledger(
    gw: Gateway, book: str, who: Principal, lang: str, error: str | None = None
) -> str:
    """One book: newest first, each entry with its hash, and a correction form."""
    counts, problems = gw.ledger.verify()
    parts = [
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{_e(t('gw.ledger', lang))}</title><style>{CSS}</style></head><body>",
        f"<header><h1>{_e(t('gw.ledger', lang))} · {_e(gw.config.checkpoint.name)}</h1>",
        "".join(
            f'<a style="color:#fff" href="/ledger?book={b}">{_e(t("gw_book." + b, lang))} '
            f"({counts.get(b, 0)})</a>"
            for b in ("duty", "handover", "inspection", "sampling")
        ),
        f'<span class="sp"></span><a style="color:#fff" href="/">{_e(t("gw.back", lang))}</a>'
        "</header>",
    ]
    if error:
        parts.append(f'<div class="err" id="error">{_e(error)}</div>')
    if problems:
        items = "".join(f"<li>{_e(p)}</li>" for p in problems)
        parts.append(
            f'<div class="err" id="verify">{_e(t("gw.tampered", lang))}<ul>{items}</ul></div>'
        )
    else:
        parts.append(
            f'<p id="verify" class="pass" style="padding:0 16px">{_e(t("gw.intact", lang))}</p>'
        )
    parts.append(
        f'<section style="margin:12px"><h2>{_e(t("gw_book." + book, lang))}</h2>'
        '<table id="entries"><tr><th>#</th>'
    )
    for k in ("time", "operator", "content"):
        parts.append(f"<th>{_e(t('gw.' + k, lang))}</th>")
    parts.append("<th>hash</th><th></th></tr>")
    can_correct = may(who.user.role, "ledger.correct")

    def correct_form(entry_id: str) -> str:
        return (
            f'<form method="post" action="/ui/ledger/{_e(entry_id)}/correct">'
            f'<input name="reason" placeholder="{_e(t("gw.reason", lang))}" required size="8">'
            f'<input name="note" placeholder="{_e(t("gw.note", lang))}" size="10">'
            f"{_csrf(who)}<button>{_e(t('gw.correct', lang))}</button></form>"
        )

    for e in gw.ledger.entries(book, limit=200):
        body = ", ".join(
            f"{k}={v}"
            for k, v in e.body.items()
            if k != "checkpoint_id" and not isinstance(v, list | dict)
        )
        corr = (
            f"<br><small>{_e(t('gw.corrects', lang))} {_e(e.corrects[:8])}</small>"
            if e.corrects
            else ""
        )
        parts.append(
            f"<tr><td>{e.seq}</td><td>{_e(local_text(e.at, '%m-%d %H:%M:%S'))}</td>"
            f"<td>{_e(e.operator)}</td><td>{_e(e.kind)}: {_e(body[:300])}{corr}</td>"
            f"<td><small>{_e(e.hash[:12])}</small></td>"
            f"<td>{correct_form(e.id) if can_correct else ''}</td></tr>"
        )
    parts.append("</table></section></body></html>")
    return "".join(parts)
