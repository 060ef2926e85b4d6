// coalguard dashboard: the phone's patrol form. A photo is sent as it is (its bytes) and
// comes back as its SHA-256, shown under the form; the patrol names its photos by hash.
// Builds on dashboard.js (cgMsg); words from #cg-patrol-words.
"use strict";
const cgPatrolWords = JSON.parse(document.getElementById("cg-patrol-words")?.textContent || "{}");
const cgPatrolPhotos = [];
function cgPSay(key, fields) {
  let text = cgPatrolWords[key] || "";
  for (const [k, v] of Object.entries(fields || {})) text = text.replaceAll(`{${k}}`, v);
  return text;
}
async function cgPatrolSend(url, body, type) {
  const r = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "Content-Type": type,
      "X-CG-CSRF": "1",
      "Accept-Language": document.documentElement.lang || "zh",
    },
    body,
  });
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  return { ok: r.ok, status: r.status, data };
}
function cgPatrolFailed(r) {
  const field = r.data && r.data.errors && r.data.errors[0];
  const detail = field ? field.detail : (r.data && r.data.detail) || "";
  cgMsg(cgPSay("failed", { status: r.status, detail }), true);
}
async function cgPatrolPhoto(ev) {
  const input = ev.target;
  const form = document.getElementById("patrol-form");
  for (const file of input.files) {
    cgMsg(cgPSay("uploading"), false);
    const region = encodeURIComponent(form.elements["region_code"].value);
    const r = await cgPatrolSend(
      `/api/v1/patrols/photos?region=${region}`, file, file.type || "application/octet-stream");
    if (!r.ok) { cgPatrolFailed(r); continue; }
    if (!cgPatrolPhotos.includes(r.data.sha256)) cgPatrolPhotos.push(r.data.sha256);
    const li = document.createElement("li");
    li.className = "photo-hash";
    li.textContent = `${file.name} · SHA-256 ${r.data.sha256}`;
    document.getElementById("photos").appendChild(li);
    cgMsg(cgPSay("photo_kept"), false);
  }
  input.value = "";
}
function cgPatrolBody(form) {
  const f = form.elements;
  const ids = f["household_ids"].value.split(/[\s,，、]+/).filter((x) => x !== "").map(Number);
  const body = {
    region_code: f["region_code"].value,
    grid_role: f["grid_role"].value,
    household_ids: ids,
    findings: f["findings"].value.trim(),
    loose_coal_found: f["loose_coal_found"].checked,
    photos: cgPatrolPhotos.slice(),
    client_id: self.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()),
  };
  if (f["households_seen"].value !== "") body.households_seen = Number(f["households_seen"].value);
  if (f["campaign_id"] && f["campaign_id"].value !== "") body.campaign_id = Number(f["campaign_id"].value);
  return body;
}
async function cgPatrolSubmit(ev) {
  ev.preventDefault();
  const form = ev.target;
  const r = await cgPatrolSend("/api/v1/patrols", JSON.stringify(cgPatrolBody(form)), "application/json");
  if (!r.ok) { cgPatrolFailed(r); return; }
  const saved = document.getElementById("saved");
  const text = cgPSay("saved", { id: r.data.id, photos: r.data.photos.length });
  const list = document.createElement("ul");
  for (const h of r.data.photos) {
    const li = document.createElement("li");
    li.className = "photo-hash";
    li.textContent = `SHA-256 ${h}`;
    list.appendChild(li);
  }
  saved.replaceChildren(document.createTextNode(text), list);
  saved.dataset.id = r.data.id;
  cgMsg(text, false);
  cgPatrolPhotos.length = 0;
  document.getElementById("photos").replaceChildren();
  form.reset();
}
document.getElementById("patrol-form")?.addEventListener("submit", cgPatrolSubmit);
document.getElementById("photo")?.addEventListener("change", cgPatrolPhoto);
