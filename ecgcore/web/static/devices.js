// Devices page: detected ports/simulators, connect by URL, DeviceInfo, recording.
"use strict";

(() => {
  const { api, el, showError, fmt } = Station;

  async function loadDetected() {
    const d = await api("/api/devices");
    const presets = document.getElementById("url-presets");
    presets.replaceChildren(...d.presets.map((u) => el("option", { value: u })));
    const box = document.getElementById("detected");
    const ports = d.serial_ports.length
      ? el("ul", {}, ...d.serial_ports.map((p) => el("li", {}, el("code", { text: p.port }), ` ${p.description || ""} ${p.vid !== null ? "(" + p.vid.toString(16).padStart(4, "0") + ":" + p.pid.toString(16).padStart(4, "0") + ")" : ""}`)))
      : el("p", { class: "muted", text: "No serial ports." });
    const usb = d.usb_error ? el("p", { class: "muted", text: d.usb_error })
      : el("ul", {}, ...d.usb_devices.map((u) => el("li", { text: `${u.vid.toString(16)}:${u.pid.toString(16)} ${u.supported || ""}` })));
    const schemes = el("table", { class: "schemes" },
      el("thead", {}, el("tr", {}, el("th", { text: "Scheme" }), el("th", { text: "What" }), el("th", { text: "Example" }))),
      el("tbody", {}, ...d.schemes.map((s) => el("tr", {},
        el("td", {}, el("code", { text: `${s.scheme}://` })), el("td", { text: s.description }),
        el("td", {}, el("a", { href: "#", class: "use-example", "data-url": s.example, text: s.example }))))));
    const sims = el("ul", {}, ...d.simulators.map((s) => el("li", {}, el("code", { text: s.name }), ` ${s.description} (run with `, el("code", { text: `ecg sim serve ${s.name}` }), ")")));
    box.replaceChildren(el("h3", { text: "Serial ports" }), ports, el("h3", { text: "USB" }), usb,
      el("h3", { text: "Device URL schemes" }), schemes, el("h3", { text: "Protocol simulators" }), sims);
    box.querySelectorAll(".use-example").forEach((a) => a.addEventListener("click", (e) => {
      e.preventDefault(); document.getElementById("device-url").value = a.dataset.url;
    }));
  }

  // One card per connected device; refreshed in place so forms keep what is typed.
  const cards = new Map();

  function createCard(s) {
    const tpl = document.getElementById("session-template").content.cloneNode(true);
    const art = tpl.querySelector("article");
    art.dataset.session = s.id;
    art.querySelector(".model").textContent = `${s.info.model} — ${s.url}`;
    art.querySelector(".channels tbody").replaceChildren(...s.info.channels.map((c) =>
      el("tr", {}, el("td", { text: c.name }), el("td", { text: c.unit }), el("td", { text: c.gain === null ? "–" : fmt(c.gain, 1) }), el("td", { text: c.kind }))));
    art.querySelector(".open-monitor").href = `/monitor?session=${encodeURIComponent(s.id)}`;
    art.querySelector(".disconnect").addEventListener("click", async () => {
      await api(`/api/sessions/${s.id}`, { method: "DELETE" }); refresh();
    });
    const form = art.querySelector(".record-form");
    // Who is recorded, as `ecg record` decides it: simulator for sim://, database for file://.
    const scheme = s.url.split(":")[0].toLowerCase();
    form.querySelector("[name=subject]").value = { sim: "simulator", file: "database" }[scheme] || "live";
    const recStatus = art.querySelector(".rec-status");
    const fail = (err) => { recStatus.textContent = err.message; recStatus.className = "rec-status error"; };
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = new FormData(form);
      const body = { technician: f.get("technician"), patient: f.get("patient") || null, subject: f.get("subject"), notes: f.get("notes") || "" };
      if (f.get("duration_s")) body.duration_s = parseFloat(f.get("duration_s"));
      try { await api(`/api/sessions/${s.id}/recording`, { method: "POST", json: body }); recStatus.className = "rec-status"; refresh(); }
      catch (err) { fail(err); }
    });
    form.querySelector(".stop-rec").addEventListener("click", async () => {
      try { await api(`/api/sessions/${s.id}/recording`, { method: "DELETE" }); refresh(); }
      catch (err) { fail(err); }
    });
    return art;
  }

  function updateCard(art, s) {
    const badge = art.querySelector(".state");
    badge.textContent = s.ended ? `ended: ${s.ended}` : (s.status ? s.status.state : "?");
    badge.className = `state badge ${s.ended ? "bad" : "good"}`;
    const dl = art.querySelector(".info");
    dl.replaceChildren();
    for (const [k, v] of [["Serial number", s.info.serial_number || "–"], ["Firmware", s.info.firmware || "–"],
      ["Sampling rate", `${s.info.fs} Hz`], ["Channels", s.info.n_channels], ["Opened by", s.opened_by],
      ["Monitors watching", s.subscribers]]) {
      dl.append(el("dt", { text: k }), el("dd", { text: String(v) }));
    }
    if (s.status) {
      const st = s.status;
      art.querySelector(".counters").textContent =
        `samples ${st.samples} · missing ${st.missing_samples} · dropped frames ${st.dropped_frames} · corrupt frames ${st.corrupt_frames} · overflow ${st.overflow_samples} · reconnects ${st.reconnects}`;
    }
    const form = art.querySelector(".record-form");
    form.querySelector(".start-rec").hidden = Boolean(s.recording);
    form.querySelector(".stop-rec").hidden = !s.recording;
    const recStatus = art.querySelector(".rec-status");
    if (recStatus.classList.contains("error")) return;
    if (s.recording) {
      recStatus.textContent = `Recording ${s.recording.record} — ${fmt(s.recording.duration_s, 1)} s`;
      recStatus.className = "rec-status recording";
    } else if (s.last_recording) {
      const r = s.last_recording;
      recStatus.textContent = `Last recording: ${r.record} (${fmt(r.duration_s, 1)} s)` + (r.log_entry ? `, log entry #${r.log_entry}` : "") + (r.log_error ? ` — not logged: ${r.log_error}` : "");
      recStatus.className = "rec-status";
    } else recStatus.textContent = "";
  }

  async function refresh() {
    const box = document.getElementById("sessions");
    const d = await api("/api/sessions");
    const ids = new Set(d.sessions.map((s) => s.id));
    for (const [id, art] of cards) if (!ids.has(id)) { art.remove(); cards.delete(id); }
    for (const s of d.sessions) {
      if (!cards.has(s.id)) {
        const art = createCard(s);
        cards.set(s.id, art);
        box.append(art);  // existing cards stay where they are (focus and typing kept)
      }
      updateCard(cards.get(s.id), s);
    }
    const empty = box.querySelector("p.muted.none");
    if (cards.size && empty) empty.remove();
    if (!cards.size && !empty) box.replaceChildren(el("p", { class: "muted none", text: "No device connected." }));
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("connect-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const err = document.getElementById("connect-error");
      showError(err, null);
      try {
        await api("/api/sessions", { method: "POST", json: { url: document.getElementById("device-url").value } });
        await refresh();
      } catch (ex) { showError(err, ex); }
    });
    loadDetected().catch((e) => { document.getElementById("detected").textContent = e.message; });
    refresh().catch(() => {});
    setInterval(() => refresh().catch(() => {}), 2000);
  });
})();
