// coalguard: the installer's phone page. Bind the alarm to the household, start the
// commissioning test, follow it until it passes (then the record) or fails (said why).
// Builds on dashboard.js (cgPost, cgMsg); words from #cg-installer-words.
"use strict";
const cgInstWords = JSON.parse(document.getElementById("cg-installer-words")?.textContent || "{}");
const CG_ALARM_ID = /^[A-Za-z0-9_-]{4,64}$/;
const CG_POLL_MS = 1000;
function cgISay(key, fields) {
  let text = cgInstWords[key] || "";
  for (const [k, v] of Object.entries(fields || {})) text = text.replaceAll(`{${k}}`, v);
  return text;
}
function cgIFailed(r) {
  const field = r.data && r.data.errors && r.data.errors[0];
  const detail = field ? field.detail : (r.data && r.data.detail) || "";
  cgMsg(cgISay("failed", { status: r.status, detail }), true);
}
function cgIValues(form) {
  const v = {};
  for (const el of form.elements) if (el.name && el.value.trim() !== "") v[el.name] = el.value.trim();
  return v;
}
// Bind the alarm: to a household typed in on the spot, or to the register's household.
function cgBind(form, v) {
  if (form.dataset.mode === "typed") {
    return cgPost("/api/v1/co/devices", {
      device_id: v.device_id,
      installer_id: form.dataset.installer,
      household: { name: v.name, address: v.address, village_code: v.village_code, phone: v.phone },
    });
  }
  const body = { device_id: v.device_id };
  if (v.phone) body.phone = v.phone;
  return cgPost(`/api/v1/installer/households/${form.dataset.household}/alarm`, body);
}
function cgShowProgress(c, total) {
  const bar = document.getElementById("progress-bar");
  bar.max = total;
  bar.value = Math.max(0, total - (c.remaining_s || 0));
  document.getElementById("remaining").textContent = cgISay("remaining", { s: Math.ceil(c.remaining_s || 0) });
  for (const li of document.querySelectorAll("#progress li[data-wait]")) {
    const got = Boolean(c[`${li.dataset.wait}_at`]);
    li.dataset.got = got ? "yes" : "no";
    li.querySelector(".tick").textContent = got ? "✓" : "○";
  }
}
function cgShowRecordLink(c) {
  const p = document.getElementById("record-link");
  p.querySelector("a").href = `/install/records/${c.id}`;
  p.hidden = false;
}
async function cgFollow(form, c) {
  const total = Math.max(1, c.remaining_s || 1);
  const progress = document.getElementById("progress");
  progress.hidden = false;
  progress.dataset.status = "waiting";
  for (;;) {
    cgShowProgress(c, total);
    if (c.status !== "waiting") break;
    await new Promise((done) => setTimeout(done, CG_POLL_MS));
    const r = await fetch(`/api/v1/co/devices/${encodeURIComponent(c.device_id)}/commissioning`, {
      credentials: "same-origin",
      headers: { "Accept-Language": document.documentElement.lang || "zh" },
    });
    if (!r.ok) continue;  // a dropped connection in the farmhouse: ask again
    c = (await r.json()).find((row) => row.id === c.id) || c;
  }
  progress.dataset.status = c.status;
  if (c.status === "passed") { window.location.href = `/install/records/${c.id}`; return; }
  const missing = (c.missing || []).map((m) => cgISay(m)).join(cgISay("list_sep"));
  cgMsg(c.status === "failed" ? cgISay("test_failed", { missing }) : cgISay("superseded"), true);
  cgShowRecordLink(c);
  form.querySelector("#start").disabled = false;
}
async function cgStart(ev) {
  ev.preventDefault();
  const form = ev.target;
  const start = form.querySelector("#start");
  const v = cgIValues(form);
  start.disabled = true;
  cgMsg("", false);
  document.getElementById("record-link").hidden = true;
  const bound = await cgBind(form, v);
  if (!bound.ok) { cgIFailed(bound); start.disabled = false; return; }
  const r = await cgPost(`/api/v1/co/devices/${encodeURIComponent(v.device_id)}/commissioning`, {
    installer_id: form.dataset.installer,
  });
  if (!r.ok) { cgIFailed(r); start.disabled = false; return; }
  await cgFollow(form, r.data);
}
// Scanning the alarm's QR code where the browser can (BarcodeDetector), else it is typed.
function cgAlarmIdOf(text) {
  const last = String(text).trim().split(/[/?#=]/).filter(Boolean).pop() || "";
  return CG_ALARM_ID.test(last) ? last : "";
}
async function cgScan() {
  const video = document.getElementById("scan-video");
  let stream = null;
  try {
    const detector = new window.BarcodeDetector();
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    for (let tries = 0; tries < 600; tries++) {
      const codes = await detector.detect(video);
      const id = codes.map((c) => cgAlarmIdOf(c.rawValue)).find(Boolean);
      if (id) { document.getElementById("device-id").value = id; return; }
      await new Promise((done) => setTimeout(done, 100));
    }
  } catch (e) {
    cgMsg(cgISay("scan_failed"), true);
  } finally {
    if (stream) for (const track of stream.getTracks()) track.stop();
    video.hidden = true;
  }
}
const cgScanButton = document.getElementById("scan");
if (cgScanButton && "BarcodeDetector" in window && navigator.mediaDevices) {
  cgScanButton.hidden = false;
  cgScanButton.addEventListener("click", cgScan);
}
document.getElementById("commission-form")?.addEventListener("submit", cgStart);
document.getElementById("print")?.addEventListener("click", () => window.print());
