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
