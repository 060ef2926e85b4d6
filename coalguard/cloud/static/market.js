// coalguard dashboard: the coal-market pages (points, plans, tasks, results, import).
// Builds on dashboard.js (cgPost, cgMsg). A form names its API route in data-api (and
// data-method); its fields become the JSON body: data-kind="number" a number,
// "list" checkboxes an array, "bool" a checkbox true/false, "a.b" names nest.
// After a success the page goes to data-next ("{id}", "{recheck_task_id}" filled from
// the answer) or reloads. Words come from the page's #cg-market-words.
"use strict";
const cgMarketWords = JSON.parse(document.getElementById("cg-market-words")?.textContent || "{}");
function cgMSay(key, fields) {
  let text = cgMarketWords[key] || "";
  for (const [k, v] of Object.entries(fields || {})) text = text.replaceAll(`{${k}}`, v);
  return text;
}
function cgMFailed(r) {
  const field = r.data && r.data.errors && r.data.errors[0];
  const detail = field ? field.detail : (r.data && r.data.detail) || "";
  cgMsg(cgMSay("failed", { status: r.status, detail }), true);
}
function cgMarketBody(form) {
  const body = {};
  const put = (name, value) => {
    const parts = name.split(".");
    let at = body;
    for (const p of parts.slice(0, -1)) at = at[p] = at[p] || {};
    at[parts[parts.length - 1]] = value;
  };
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    const kind = el.dataset.kind || "";
    if (kind === "list") {
      if (!(el.name in body)) body[el.name] = [];
      if (el.checked) body[el.name].push(el.value);
    } else if (kind === "bool") {
      put(el.name, el.checked);
    } else if (el.value !== "") {
      put(el.name, kind === "number" ? Number(el.value) : el.value);
    }
  }
  return body;
}
async function cgMarketSubmit(form) {
  const r = await cgPost(form.dataset.api, cgMarketBody(form), form.dataset.method || "POST");
  if (!r.ok) { cgMFailed(r); return; }
  cgMsg(cgMSay("saved"), false);
  const next = form.dataset.next;
  if (next) {
    window.location.href = next.replace(/\{(\w+)\}/g, (_, k) => (r.data && r.data[k]) ?? "");
  } else {
    window.location.reload();
  }
}
async function cgMarketImport(mode) {
  const data = await cgSheetImport("/api/v1/market/points/import", mode, cgMSay, cgMFailed);
  if (!data) return;
  document.getElementById("import-summary").textContent =
    cgMSay("summary", { rows: data.rows, added: data.added, updated: data.updated });
  cgSheetImported(data, cgMSay);
}
document.addEventListener("submit", (ev) => {
  const form = ev.target;
  if (form.dataset.api) { ev.preventDefault(); cgMarketSubmit(form); }
});
document.addEventListener("click", (ev) => {
  const t = ev.target;
  if (t.dataset.marketImport) cgMarketImport(t.dataset.marketImport);
  if (t.dataset.marketPost) {
    const body = t.dataset.marketBody ? JSON.parse(t.dataset.marketBody) : null;
    cgPost(t.dataset.marketPost, body).then((r) => (r.ok ? window.location.reload() : cgMFailed(r)));
  }
});
