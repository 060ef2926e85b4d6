// coalguard dashboard: the household register (reveal the head's data, re-verify, import).
// Builds on dashboard.js (cgPost, cgMsg, cgSheetImport); words from #cg-household-words.
"use strict";
const cgHouseholdWords = JSON.parse(document.getElementById("cg-household-words")?.textContent || "{}");
function cgHSay(key, fields) {
  let text = cgHouseholdWords[key] || "";
  for (const [k, v] of Object.entries(fields || {})) text = text.replaceAll(`{${k}}`, v);
  return text;
}
function cgHFailed(r) {
  const field = r.data && r.data.errors && r.data.errors[0];
  const detail = field ? field.detail : (r.data && r.data.detail) || "";
  cgMsg(cgHSay("failed", { status: r.status, detail }), true);
}
async function cgHReveal(id) {
  const r = await cgPost(`/api/v1/households/${id}/reveal`, null);
  if (!r.ok) { cgHFailed(r); return; }
  document.getElementById("head-name").textContent = r.data.head_name;
  document.getElementById("head-id").textContent = r.data.id_number || "—";
  document.getElementById("head-phone").textContent = r.data.phone || "—";
  document.querySelector(`button[data-hh-reveal="${id}"]`)?.remove();
  cgMsg(cgHSay("revealed", { id }), false);
}
async function cgHImport(mode) {
  const data = await cgSheetImport("/api/v1/households/import", mode, cgHSay, cgHFailed);
  if (!data) return;
  document.getElementById("import-summary").textContent = cgHSay("summary", {
    rows: data.rows, added: data.added, updated: data.updated, unchanged: data.unchanged,
    verified: data.verifications_added,
  });
  cgSheetImported(data, cgHSay);
}
document.addEventListener("click", (ev) => {
  const t = ev.target;
  if (t.dataset.hhReveal) cgHReveal(t.dataset.hhReveal);
  if (t.dataset.hhImport) cgHImport(t.dataset.hhImport);
});
document.addEventListener("submit", async (ev) => {
  const form = ev.target;
  if (form.id !== "verify-form") return;
  ev.preventDefault();
  const body = {};
  for (const [k, v] of new FormData(form).entries()) if (v !== "") body[k] = v;
  const r = await cgPost(`/api/v1/households/${form.dataset.household}/verifications`, body);
  if (!r.ok) { cgHFailed(r); return; }
  cgMsg(cgHSay("saved"), false);
  window.location.reload();
});
