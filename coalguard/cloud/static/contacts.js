// coalguard dashboard: the contact directory and the rota (reveal, deactivate, add, import).
// Builds on dashboard.js (cgPost, cgMsg); words come from the page's #cg-contact-words.
"use strict";
const cgContactWords = JSON.parse(document.getElementById("cg-contact-words")?.textContent || "{}");
function cgCSay(key, fields) {
  let text = cgContactWords[key] || "";
  for (const [k, v] of Object.entries(fields || {})) text = text.replaceAll(`{${k}}`, v);
  return text;
}
function cgFailed(r) {
  cgMsg(cgCSay("failed", { status: r.status, detail: (r.data && r.data.detail) || "" }), true);
}
async function cgReveal(id) {
  const r = await cgPost(`/api/v1/contacts/${id}/reveal`, null);
  if (!r.ok) { cgFailed(r); return; }
  const cell = document.querySelector(`tr[data-contact="${id}"] .phone`);
  if (cell) cell.textContent = r.data.phone;
  document.querySelector(`button[data-reveal="${id}"]`)?.remove();
  cgMsg(cgCSay("revealed", { id }), false);
}
async function cgDeactivate(id) {
  const r = await cgPost(`/api/v1/contacts/${id}/deactivate`, null);
  if (!r.ok) { cgFailed(r); return; }
  document.querySelector(`tr[data-contact="${id}"]`)?.remove();
  cgMsg(cgCSay("deactivated", { id }), false);
}
async function cgCancelShift(id) {
  const r = await cgPost(`/api/v1/duty-shifts/${id}/cancel`, null);
  if (!r.ok) { cgFailed(r); return; }
  document.querySelector(`tr[data-shift="${id}"]`)?.remove();
  cgMsg(cgCSay("shift_cancelled", { id }), false);
}
function cgFormBody(form) {
  const body = {};
  for (const [k, v] of new FormData(form).entries()) if (v !== "") body[k] = v;
  return body;
}
// A datetime-local value is Beijing time, like every time the dashboard shows.
function cgBeijing(value) { return value.length === 16 ? `${value}:00+08:00` : `${value}+08:00`; }
async function cgSubmit(form, url, body) {
  const r = await cgPost(url, body);
  if (!r.ok) {
    const field = r.data && r.data.errors && r.data.errors[0];
    cgMsg(cgCSay("failed", { status: r.status, detail: field ? field.detail : (r.data && r.data.detail) || "" }), true);
    return;
  }
  cgMsg(cgCSay("saved"), false);
  window.location.reload();
}
async function cgImport(mode) {
  const data = await cgSheetImport("/api/v1/contacts/import", mode, cgCSay, cgFailed);
  if (!data) return;
  document.getElementById("import-summary").textContent = cgCSay("summary", {
    rows: data.rows, added: data.contacts_added, known: data.contacts_known, shifts: data.shifts_added,
  });
  cgSheetImported(data, cgCSay);
}
document.addEventListener("click", (ev) => {
  const t = ev.target;
  if (t.dataset.reveal) cgReveal(t.dataset.reveal);
  if (t.dataset.deactivate) cgDeactivate(t.dataset.deactivate);
  if (t.dataset.cancelShift) cgCancelShift(t.dataset.cancelShift);
  if (t.dataset.import) cgImport(t.dataset.import);
});
document.addEventListener("submit", (ev) => {
  const form = ev.target;
  if (form.id === "contact-form") {
    ev.preventDefault();
    cgSubmit(form, "/api/v1/contacts", cgFormBody(form));
  }
  if (form.id === "shift-form") {
    ev.preventDefault();
    const b = cgFormBody(form);
    cgSubmit(form, "/api/v1/duty-shifts", {
      contact_id: Number(b.contact_id), starts_at: cgBeijing(b.starts_at), ends_at: cgBeijing(b.ends_at),
    });
  }
});
