// coalguard dashboard: login, acknowledge/resolve alerts. Writes carry the CSRF header.
// Every word comes from the page's #cg-words (the locale catalogs, in the user's language).
"use strict";
const cgWords = JSON.parse(document.getElementById("cg-words")?.textContent || "{}");
function cgSay(key, fields) {
  let text = cgWords[key] || "";
  for (const [k, v] of Object.entries(fields || {})) text = text.replaceAll(`{${k}}`, v);
  return text;
}
// Refusals come worded in the page's language (the browser's Accept-Language may be another).
async function cgPost(url, body, method) {
  const r = await fetch(url, {
    method: method || "POST",
    credentials: "same-origin",
    headers: {
      "Content-Type": "application/json",
      "X-CG-CSRF": "1",
      "Accept-Language": document.documentElement.lang || "zh",
    },
    body: body ? JSON.stringify(body) : null,
  });
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  return { ok: r.ok, status: r.status, data };
}
function cgMsg(text, bad) {
  const el = document.getElementById("msg");
  if (el) { el.textContent = text; el.className = bad ? "msg bad" : "msg"; }
}
// One sheet import for every page that has one (contacts, market points, households): send
// #import-file to ``url`` as a preview or a commit, list row errors in #import-errors.
// ``say(key, fields)``: the page's words; ``failed(r)``: its refusal message.
// Returns the answer, or null when no file was chosen or the request was refused.
async function cgSheetImport(url, mode, say, failed) {
  const file = document.getElementById("import-file").files[0];
  if (!file) { cgMsg(say("choose_file"), true); return null; }
  const xlsx = file.name.toLowerCase().endsWith(".xlsx");
  const r = await fetch(`${url}?commit=${mode === "commit"}&format=${xlsx ? "xlsx" : "csv"}`, {
    method: "POST", credentials: "same-origin",
    headers: {
      "X-CG-CSRF": "1", "Content-Type": "application/octet-stream",
      "Accept-Language": document.documentElement.lang || "zh-CN",  // errors in the page's words
    },
    body: await file.arrayBuffer(),
  });
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (!r.ok) { failed({ status: r.status, data }); return null; }
  const table = document.getElementById("import-errors");
  table.querySelectorAll("tr[data-row]").forEach((tr) => tr.remove());
  for (const e of data.errors) {
    const tr = table.insertRow();
    tr.dataset.row = e.row;
    for (const v of [e.row, e.column_label, e.message]) tr.insertCell().textContent = v;
  }
  table.hidden = data.errors.length === 0;
  return data;
}
// After the page wrote its summary: say what happened; a kept import reloads the page.
function cgSheetImported(data, say) {
  if (data.errors.length) { cgMsg(say("has_errors"), true); return; }
  if (data.committed) { cgMsg(say("done"), false); window.location.reload(); }
}
async function cgLogin(ev) {
  ev.preventDefault();
  const token = document.getElementById("token").value.trim();
  const r = await cgPost("/api/v1/auth/login", { token });
  if (r.ok) { window.location.href = "/"; return; }
  cgMsg(cgSay(r.status === 429 ? "login_throttled" : "login_failed"), true);
}
async function cgAlert(id, action) {
  let body = null;
  if (action === "resolve") {
    const note = window.prompt(cgSay("resolve_note"), "");
    if (note === null) return;
    body = { note: note || null };
  }
  const r = await cgPost(`/api/v1/alerts/${id}/${action}`, body);
  if (!r.ok) { cgMsg(cgSay("action_failed", { status: r.status }), true); return; }
  const row = document.querySelector(`tr[data-alert="${id}"]`);
  if (row) {
    row.querySelector(".status").textContent = cgSay(
      r.data.status === "acknowledged" ? "status_acknowledged" : "status_resolved");
    row.dataset.status = r.data.status;
    row.querySelectorAll("button").forEach((b) => {
      if (action === "resolve" || b.dataset.action === "ack") b.remove();
    });
  }
  cgMsg(cgSay(action === "ack" ? "acked" : "resolved", { id }), false);
}
async function cgReferralAck(id) {
  const r = await cgPost(`/api/v1/referrals/${id}/ack`, {});
  if (!r.ok) { cgMsg(cgSay("action_failed", { status: r.status }), true); return; }
  const row = document.querySelector(`tr[data-referral="${id}"]`);
  if (row) {
    row.dataset.status = r.data.status;
    row.querySelector(".status").textContent = cgSay("referral_status_acknowledged");
    row.querySelectorAll("button").forEach((b) => b.remove());
  }
  cgMsg(cgSay("referral_acked", { id }), false);
}
async function cgLogout() {
  await cgPost("/api/v1/auth/logout", null);
  window.location.href = "/login";
}
async function cgSwitchLang(ev, link) {
  // Signed in: the choice is the user's own setting; the link then sets this browser's cookie.
  if (!document.getElementById("logout")) return;
  ev.preventDefault();
  await cgPost("/api/v1/auth/me/lang", { lang: link.dataset.lang }, "PUT");
  window.location.href = link.href;
}
document.addEventListener("click", (ev) => {
  const link = ev.target.closest("#lang-switch");
  if (link) { cgSwitchLang(ev, link); return; }
  const b = ev.target.closest("button[data-alert]");
  if (b) cgAlert(b.dataset.alert, b.dataset.action);
  const ref = ev.target.closest("button[data-referral]");
  if (ref) cgReferralAck(ref.dataset.referral);
  if (ev.target.id === "logout") cgLogout();
});
document.addEventListener("submit", (ev) => { if (ev.target.id === "login") cgLogin(ev); });
