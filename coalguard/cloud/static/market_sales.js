// coalguard dashboard: a sales point's books (the clerk's sale and purchase forms, the
// audited buyer reveal). Builds on dashboard.js (cgPost, cgMsg); words from #cg-sales-words.
"use strict";
const cgSalesWords = JSON.parse(document.getElementById("cg-sales-words")?.textContent || "{}");
function cgSSay(key, fields) {
  let text = cgSalesWords[key] || "";
  for (const [k, v] of Object.entries(fields || {})) text = text.replaceAll(`{${k}}`, v);
  return text;
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
  const r = await cgPost(`/api/v1/market/points/${form.dataset.point}/${kind}`, body);
  if (!r.ok) { cgSalesFailed(r); return; }
  const words = kind === "sales" ? cgSSay("saved", { serial: body.serial_no }) : cgSSay("saved_purchase", { contract: body.contract_no });
  sessionStorage.setItem("cg-sales-saved", words);
  window.location.reload();
}
async function cgRevealBuyer(id) {
  const r = await cgPost(`/api/v1/market/sales/${id}/reveal`, null);
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
