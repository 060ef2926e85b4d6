// coalguard dashboard: a sales point's books (the clerk's sale and purchase forms, the
// audited buyer reveal). Builds on dashboard.js (cgMsg); words from #cg-sales-words.
"use strict";
const cgSalesWords = JSON.parse(document.getElementById("cg-sales-words")?.textContent || "{}");
function cgSSay(key, fields) {
  let text = cgSalesWords[key] || "";
  for (const [k, v] of Object.entries(fields || {})) text = text.replaceAll(`{${k}}`, v);
  return text;
}
// Refusals in the page's language (the browser's Accept-Language may be another).
async function cgSalesPost(url, body) {
  const r = await fetch(url, {
    method: "POST",
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
function cgSalesFailed(r) {
  const field = r.data && r.data.errors && r.data.errors[0];
  const detail = field ? field.detail : (r.data && r.data.detail) || "";
  cgMsg(cgSSay("failed", { status: r.status, detail }), true);
}
function cgSalesBody(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name || el.value === "") continue;
    body[el.name] = el.dataset.number !== undefined ? Number(el.value) : el.value.trim();
  }
  return body;
}
async function cgSalesSubmit(ev, kind) {
  ev.preventDefault();
  const form = ev.target;
  const body = cgSalesBody(form);
  const r = await cgSalesPost(`/api/v1/market/points/${form.dataset.point}/${kind}`, body);
  if (!r.ok) { cgSalesFailed(r); return; }
  const words = kind === "sales" ? cgSSay("saved", { serial: body.serial_no }) : cgSSay("saved_purchase", { contract: body.contract_no });
  sessionStorage.setItem("cg-sales-saved", words);
  window.location.reload();
}
async function cgRevealBuyer(id) {
  const r = await cgSalesPost(`/api/v1/market/sales/${id}/reveal`, null);
  if (!r.ok) { cgSalesFailed(r); return; }
  const row = document.querySelector(`tr[data-sale="${id}"]`);
  row.querySelector(".buyer-id").textContent = r.data.buyer_id;
  row.querySelector(".buyer-phone").textContent = r.data.buyer_phone;
  document.querySelector(`button[data-reveal-buyer="${id}"]`)?.remove();
}
document.getElementById("sale-form")?.addEventListener("submit", (ev) => cgSalesSubmit(ev, "sales"));
document.getElementById("purchase-form")?.addEventListener("submit", (ev) => cgSalesSubmit(ev, "purchases"));
document.addEventListener("click", (ev) => {
  if (ev.target.dataset.revealBuyer) cgRevealBuyer(ev.target.dataset.revealBuyer);
});
const cgSaved = sessionStorage.getItem("cg-sales-saved");
if (cgSaved) { sessionStorage.removeItem("cg-sales-saved"); cgMsg(cgSaved, false); }
// The cases page: open a case, and each case's steps (accept, escalate, seize, hand over, publish).
const cgCaseWords = JSON.parse(document.getElementById("cg-case-words")?.textContent || "{}");
async function cgCaseAction(id, action) {
  let body = {};
  if (action === "seizures" || action === "handovers") {
    const tonnes = window.prompt(cgCaseWords.tonnes || "", "");
    if (tonnes === null) return;
    body = { tonnes: Number(tonnes) };
    if (action === "handovers") {
      const receiver = window.prompt(cgCaseWords.receiver || "", "");
      if (receiver === null) return;
      body.receiver = receiver;
      body.handed_on = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
    }
  }
  const r = await cgSalesPost(`/api/v1/market/cases/${id}/${action}`, body);
  if (!r.ok) { cgSalesFailed(r); return; }
  sessionStorage.setItem("cg-sales-saved", cgCaseWords.done || "");
  window.location.reload();
}
document.getElementById("case-form")?.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const r = await cgSalesPost("/api/v1/market/cases", cgSalesBody(ev.target));
  if (!r.ok) { cgSalesFailed(r); return; }
  sessionStorage.setItem("cg-sales-saved", cgCaseWords.done || "");
  window.location.reload();
});
document.addEventListener("click", (ev) => {
  const d = ev.target.dataset;
  if (d.caseAction) cgCaseAction(d.id, d.caseAction);
});
