// Log book: search, entry detail (tracing, analysis, amendments, chain), amend, export.
"use strict";

(() => {
  const { api, el, showError, fmt } = Station;
  let current = null;

  async function search() {
    const form = new FormData(document.getElementById("filter-form"));
    const params = new URLSearchParams();
    for (const [k, v] of form.entries()) if (v) params.set(k, v);
    const err = document.getElementById("log-error");
    showError(err, null);
    try {
      const d = await api(`/api/log?${params}`);
      const tbody = document.querySelector("#entries tbody");
      tbody.replaceChildren(...d.entries.map((e) => {
        const tr = el("tr", { class: "entry-row", "data-id": e.id, tabindex: "0" },
          el("td", { text: e.id }), el("td", { text: (e.when_utc || "").replace("T", " ").slice(0, 19) }),
          el("td", { text: e.kind }), el("td", { text: e.technician || "" }),
          el("td", { class: "mono", text: (e.patient_ref || "").slice(0, 12) }), el("td", { text: e.source || "" }),
          el("td", { text: e.rhythm || "" }), el("td", { text: e.heart_rate_bpm === null ? "" : fmt(e.heart_rate_bpm) }),
          el("td", { text: e.grade ? fmt(e.grade.score, 1) : "" }), el("td", { text: e.amended ? "yes" : "" }));
        tr.addEventListener("click", () => open(e.id));
        tr.addEventListener("keydown", (ev) => { if (ev.key === "Enter") open(e.id); });
        return tr;
      }));
      document.getElementById("entries-count").textContent = `${d.entries.length} of ${d.total} entries`;
    } catch (ex) { showError(err, ex); }
  }

  async function open(id) {
    const d = await api(`/api/log/${id}`);
    current = d;
    const box = document.getElementById("entry-detail");
    box.hidden = false;
    document.getElementById("detail-id").textContent = `#${d.id}`;
    const dl = document.getElementById("detail-fields");
    const c = d.current;
    const rows = [["Kind", c.kind], ["Acquired (UTC)", c.acquired_utc], ["Logged (UTC)", c.logged_utc],
      ["Technician", c.technician], ["Patient", c.patient_ref ? `${c.patient_ref.slice(0, 16)} (${c.patient_ref_kind})` : null],
      ["Source", c.source], ["Subject", c.subject], ["Device", c.device ? `${c.device.model || ""} ${c.device.serial || ""}` : null],
      ["Leads", (c.leads || []).join(" ")], ["fs (Hz)", c.fs], ["Duration (s)", c.duration_s === null ? null : fmt(c.duration_s, 1)],
      ["Heart rate (bpm)", c.heart_rate_bpm === null ? null : fmt(c.heart_rate_bpm, 0)], ["Rhythm", c.rhythm],
      ["Alarms", (c.alarms || []).join(", ")], ["Grade", c.grade ? JSON.stringify(c.grade) : null], ["Notes", c.notes], ["Hash", c.entry_hash]];
    dl.replaceChildren(...rows.filter(([, v]) => v !== null && v !== undefined && v !== "").flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v) })]));
    const chain = document.getElementById("detail-chain");
    chain.textContent = d.chain.entry_ok && d.chain.ok
      ? `✔ chain intact (${d.chain.n_entries} entries, head ${d.chain.head_hash.slice(0, 12)})`
      : `✘ ${[...d.chain.entry_problems, ...d.chain.problems].slice(0, 5).join("; ")}`;
    chain.className = d.chain.entry_ok && d.chain.ok ? "good" : "bad";
    document.getElementById("detail-files").replaceChildren(...d.files.map((f) => el("li", { class: f.ok ? "good" : "bad", text: `${f.ok ? "✔" : "✘"} ${f.path}: ${f.message}` })));
    document.getElementById("detail-amendments").replaceChildren(...d.amendments.map((a) =>
      el("li", { text: `#${a.id} by ${a.author} at ${a.logged_utc.slice(0, 19)}: ${a.reason} — ${JSON.stringify(a.changes)}` })));
    const note = document.getElementById("tracing-note");
    const canvas = document.getElementById("tracing-canvas");
    const pre = document.getElementById("detail-analysis");
    note.textContent = "loading…"; pre.textContent = "";
    canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
    try {
      const t = await api(`/api/log/${id}/tracing`);
      EcgPaper.drawRecord(canvas, t, { seconds: 10, rowMm: 20, peaks: t.marks.peaks, peakLead: t.analysis && t.analysis.lead });
      note.textContent = `${t.record}: first ${Math.min(10, t.n_samples / t.fs).toFixed(1)} s of ${(t.total_samples / t.fs).toFixed(1)} s, 25 mm/s, 10 mm/mV; ▼ R-peaks on lead ${t.analysis && t.analysis.lead}`;
      pre.textContent = JSON.stringify(t.analysis, null, 1);
    } catch (ex) { note.textContent = `No tracing: ${ex.message}`; }
  }

  async function amend(e) {
    e.preventDefault();
    if (!current) return;
    const f = new FormData(e.target);
    const field = f.get("field");
    let value = f.get("value");
    if (field === "heart_rate_bpm") value = parseFloat(value);
    else if (field === "grade") { try { value = JSON.parse(value); } catch { value = { score: parseFloat(value) }; } }
    const err = document.getElementById("amend-error");
    showError(err, null);
    try {
      await api(`/api/log/${current.id}/amend`, { method: "POST", json: { reason: f.get("reason"), changes: { [field]: value } } });
      e.target.reset();
      await open(current.id);
      await search();
    } catch (ex) { showError(err, ex); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("filter-form").addEventListener("submit", (e) => { e.preventDefault(); search(); });
    document.getElementById("amend-form").addEventListener("submit", amend);
    document.getElementById("verify-btn").addEventListener("click", async () => {
      const out = document.getElementById("verify-result");
      out.textContent = "verifying…";
      try {
        const r = await api("/api/log/verify/chain");
        out.textContent = r.ok ? `✔ ${r.n_entries} entries and ${r.n_files} files verified` : `✘ ${r.problems.slice(0, 3).join("; ")}`;
        out.className = r.ok ? "good" : "bad";
      } catch (ex) { out.textContent = ex.message; }
    });
    search();
    const id = new URLSearchParams(location.search).get("entry");
    if (id) open(id).catch(() => {});
  });
})();
