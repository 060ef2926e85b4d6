// The live alarm board: follows /board/events (server-sent events) and places the cards the
// server rendered. A new alarm rings (WebAudio, once the user turned sound on: browsers only
// play after a click) and shows a browser notification (permission asked on a click).
// Words come from #board-words and the cards themselves (the locale catalogs).
"use strict";
(function () {
  const board = document.getElementById("board");
  if (!board) return;
  const words = JSON.parse(document.getElementById("board-words").textContent);
  const live = document.getElementById("board-live");
  const empty = document.getElementById("board-empty");
  const sound = document.getElementById("board-sound");
  let audio = null;

  function setLive(state) {
    live.dataset.state = state;
    live.textContent = words[state] || "";
  }
  function ensureAudio() {
    if (!audio) audio = new (window.AudioContext || window.webkitAudioContext)();
    if (audio.state === "suspended") audio.resume();
  }
  function ring() {
    if (!sound.checked || !audio) return;
    for (let k = 0; k < 3; k++) {
      const at = audio.currentTime + k * 0.35;
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "square";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.2, at);
      gain.gain.setValueAtTime(0, at + 0.2);
      osc.connect(gain).connect(audio.destination);
      osc.start(at);
      osc.stop(at + 0.25);
    }
  }
  function notify(d) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    new Notification(d.title, { body: d.body, tag: d.id, requireInteraction: true });
  }
  function opened(el) {
    return el.querySelector("time")?.getAttribute("datetime") || "";
  }
  function place(d) {
    const tpl = document.createElement("template");
    tpl.innerHTML = d.html.trim();
    const card = tpl.content.firstElementChild;
    const old = document.getElementById("alarm-" + d.id);
    if (old) {
      old.replaceWith(card);
    } else {
      // Newest first: before the first card opened earlier than this one.
      const later = [...board.children].find((el) => opened(el) < opened(card));
      board.insertBefore(card, later || null);
    }
    empty.hidden = true;
    if (d.new) {
      card.classList.add("fresh");
      ring();
      notify(d);
    }
  }
  function remove(id) {
    document.getElementById("alarm-" + id)?.remove();
    empty.hidden = board.children.length > 0;
  }

  sound.addEventListener("change", () => { if (sound.checked) ensureAudio(); });
  document.getElementById("board-notify").addEventListener("click", async () => {
    if (!("Notification" in window)) return;
    const answer = await Notification.requestPermission();
    if (answer === "denied") cgMsg(words.denied, true);
  });
  board.addEventListener("click", async (ev) => {
    const b = ev.target.closest("button[data-ack]");
    if (!b) return;
    b.disabled = true;
    const id = b.dataset.ack;
    const r = await cgPost(`/api/v1/alerts/${id}/ack`, null);
    if (!r.ok) {
      b.disabled = false;
      cgMsg(words.action_failed.replaceAll("{status}", r.status), true);
      return;
    }
    const card = document.getElementById("alarm-" + id);
    if (card) {
      card.dataset.status = r.data.status;
      card.querySelector(".status").textContent = cgSay("status_acknowledged");
      b.remove();
    }
    cgMsg(words.acked.replaceAll("{id}", id), false);
  });

  const source = new EventSource("/board/events?after=" + encodeURIComponent(board.dataset.after));
  source.addEventListener("open", () => setLive("live"));
  source.addEventListener("error", () => setLive(source.readyState === EventSource.CLOSED ? "lost" : "connecting"));
  source.addEventListener("alarm", (e) => place(JSON.parse(e.data)));
  source.addEventListener("gone", (e) => remove(JSON.parse(e.data).id));
  // The area outages above the alarms, all of them, whenever they change.
  source.addEventListener("outages", (e) => {
    document.getElementById("board-outages").innerHTML = JSON.parse(e.data).html;
  });
  source.addEventListener("snapshot", (e) => {
    const keep = new Set(JSON.parse(e.data).ids);
    [...board.children].forEach((el) => { if (!keep.has(el.dataset.alarm)) el.remove(); });
    empty.hidden = board.children.length > 0;
  });
  window.addEventListener("pagehide", () => source.close());
})();
