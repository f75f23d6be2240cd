// Shared helpers of every station page: API calls with the CSRF token, small DOM
// helpers, and the station-wide alarm banner (polled, so an alarm is seen on any page).
"use strict";

const Station = (() => {
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  async function api(path, options = {}) {
    const opts = { credentials: "same-origin", ...options };
    opts.headers = { ...(options.headers || {}) };
    const method = (opts.method || "GET").toUpperCase();
    if (method !== "GET" && method !== "HEAD") opts.headers["X-CSRF-Token"] = csrf();
    if (opts.json !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(opts.json);
      delete opts.json;
    }
    const resp = await fetch(path, opts);
    const type = resp.headers.get("content-type") || "";
    const body = type.includes("json") ? await resp.json() : await resp.text();
    if (!resp.ok) {
      let msg = body && body.detail !== undefined ? body.detail : body;
      if (Array.isArray(msg)) msg = msg.map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("; ");
      const err = new Error(`${resp.status}: ${msg}`);
      err.status = resp.status;
      throw err;
    }
    return body;
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  function showError(node, err) {
    if (!node) return;
    node.hidden = !err;
    node.textContent = err ? String(err.message || err) : "";
  }

  function fmt(v, digits = 0) {
    return v === null || v === undefined || Number.isNaN(v) ? "--" : Number(v).toFixed(digits);
  }

  // ---- alarm banner: shown on every page while any connected device alarms ----
  const banner = {
    node: null, silenced: new Set(), audio: null, current: [],
    init() {
      this.node = document.getElementById("alarm-banner");
      if (!this.node) return;
      this.node.querySelector(".alarm-ack").addEventListener("click", () => {
        for (const a of this.current) this.silenced.add(a.key);
        this.render();
      });
    },
    // `alarms`: [{key, kind, message, device}] from one source ("socket" or "poll");
    // the banner shows the union of every source.
    sources: {},
    set(alarms, source) {
      this.sources[source] = alarms;
      const byKey = new Map();
      for (const list of Object.values(this.sources)) for (const a of list) byKey.set(a.key, a);
      this.current = [...byKey.values()];
      this.render();
    },
    render() {
      if (!this.node) return;
      const active = this.current;
      this.node.hidden = active.length === 0;
      document.body.classList.toggle("alarming", active.length > 0);
      if (!active.length) { document.title = document.title.replace(/^⚠ ALARM · /, ""); this.beep(false); return; }
      this.node.querySelector(".alarm-text").textContent =
        active.map((a) => `${a.kind.toUpperCase()}: ${a.message}${a.device ? " (" + a.device + ")" : ""}`).join("  ·  ");
      if (!document.title.startsWith("⚠ ALARM")) document.title = "⚠ ALARM · " + document.title;
      this.beep(active.some((a) => !this.silenced.has(a.key)));
    },
    beep(on) {
      // An audible tone where the browser allows audio (after any user gesture).
      try {
        if (on && !this.audio) {
          const ctx = new (window.AudioContext || window.webkitAudioContext)();
          const osc = ctx.createOscillator(); const gain = ctx.createGain();
          osc.frequency.value = 960; gain.gain.value = 0.08;
          osc.connect(gain).connect(ctx.destination); osc.start();
          this.audio = { ctx, osc, gain, timer: setInterval(() => {
            gain.gain.value = gain.gain.value > 0 ? 0 : 0.08; }, 250) };
        } else if (!on && this.audio) {
          clearInterval(this.audio.timer); this.audio.osc.stop(); this.audio.ctx.close(); this.audio = null;
        }
      } catch (e) { /* no audio available: the banner still shows */ }
    },
  };

  async function pollAlarms() {
    try {
      const data = await api("/api/alarms");
      banner.set(data.alarms, "poll");
    } catch (e) { /* signed out or server gone: keep the last state */ }
  }

  document.addEventListener("DOMContentLoaded", () => {
    banner.init();
    if (!document.body.classList.contains("page-login")) {
      pollAlarms();
      setInterval(pollAlarms, 1500);
    }
  });

  return { api, el, showError, fmt, banner, csrf };
})();
