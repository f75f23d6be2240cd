// Grading: pick or upload a recording, choose a rubric, grade, show items/findings/tracing.
"use strict";

(() => {
  const { api, el, showError, fmt } = Station;

  async function loadChoices(selectName) {
    const [recs, rubrics] = await Promise.all([api("/api/grading/records"), api("/api/grading/rubrics")]);
    const sel = document.getElementById("record-select");
    sel.replaceChildren(...recs.records.map((r) => el("option", { value: r.key, text: `${r.key} (${r.files.length} file${r.files.length > 1 ? "s" : ""})` })));
    if (selectName) sel.value = selectName;
    const rs = document.getElementById("rubric-select");
    rs.replaceChildren(...rubrics.rubrics.map((r) => el("option", { value: r.name, text: r.title ? `${r.name} — ${r.title}` : r.name })));
  }

  async function upload(e) {
    e.preventDefault();
    const err = document.getElementById("upload-error");
    showError(err, null);
    const data = new FormData();
    for (const f of document.getElementById("upload-files").files) data.append("files", f, f.name);
    const name = document.getElementById("upload-name").value.trim();
    if (name) data.append("name", name);
    try {
      const r = await api("/api/grading/upload", { method: "POST", body: data });
      e.target.reset();
      await loadChoices(r.key);
    } catch (ex) { showError(err, ex); }
  }

  function render(result) {
    const box = document.getElementById("grade-result");
    box.hidden = false;
    document.getElementById("score-value").textContent = fmt(result.score, 1);
    const passed = document.getElementById("passed-badge");
    passed.textContent = result.passed ? "PASSED" : "NOT PASSED";
    passed.className = `badge ${result.passed ? "good" : "bad"}`;
    const acc = document.getElementById("acceptable-badge");
    acc.textContent = result.acceptable ? "diagnostically acceptable" : "not acceptable";
    acc.className = `badge ${result.acceptable ? "good" : "bad"}`;
    for (const [id, href] of [["report-link", result.report_pdf], ["report-html-link", result.report_html]]) {
      const link = document.getElementById(id);
      link.hidden = !href;
      if (href) link.href = href;
    }
    const reasons = document.getElementById("fail-reasons");
    reasons.hidden = !(result.fail_reasons && result.fail_reasons.length);
    reasons.textContent = reasons.hidden ? "" : `Not passed: ${result.fail_reasons.join("; ")}`;
    document.getElementById("log-entry-note").textContent = result.log_entry
      ? `logged as entry #${result.log_entry}` : (result.log_error ? `not logged: ${result.log_error}` : "");
    document.querySelector("#items-table tbody").replaceChildren(...result.items.map((it) =>
      el("tr", {}, el("td", { text: it.title || it.id }), el("td", { text: fmt(it.kept, 1) }), el("td", { text: fmt(it.points, 1) }),
        el("td", { text: (it.losses || []).map((l) => `${l.code}${l.leads && l.leads.length ? " (" + l.leads.join(" ") + ")" : ""} −${fmt(l.points, 1)}`).join("; ") }))));
    document.querySelector("#findings-table tbody").replaceChildren(...result.findings.map((f) =>
      el("tr", { class: `sev-${f.severity}` }, el("td", { class: "mono", text: f.code }), el("td", { text: (f.leads || []).join(" ") }),
        el("td", { text: f.severity }), el("td", { text: f.message }))));
    // Findings on the tracing: each lead a finding names is tinted and labelled with its
    // codes; the time spans a finding gives are shaded within that lead.
    const highlight = {}, spans = {};
    for (const f of result.findings) {
      for (const lead of f.leads || []) {
        (highlight[lead] = highlight[lead] || []).push(f.code);
        for (const span of f.spans_s || []) (spans[lead] = spans[lead] || []).push(span);
      }
    }
    if (result.tracing) {
      EcgPaper.drawRecord(document.getElementById("grade-canvas"), result.tracing, { seconds: 10, rowMm: 20, highlight, spans });
    }
    const warn = document.getElementById("grade-error");
    if (result.report_error) showError(warn, new Error(`report: ${result.report_error}`));
    window.ecgGradeResult = result; // read by the end-to-end tests
  }

  async function grade(e) {
    e.preventDefault();
    const f = new FormData(e.target);
    const err = document.getElementById("grade-error");
    showError(err, null);
    const btn = document.getElementById("grade-btn");
    btn.disabled = true; btn.textContent = "Grading…";
    try {
      const body = { record: f.get("record"), rubric: f.get("rubric") || null, interpretation: f.get("interpretation") || null, technician: f.get("technician") || null };
      render(await api("/api/grading/grade", { method: "POST", json: body }));
    } catch (ex) { showError(err, ex); }
    finally { btn.disabled = false; btn.textContent = "Grade"; }
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("upload-form").addEventListener("submit", upload);
    document.getElementById("grade-form").addEventListener("submit", grade);
    loadChoices(new URLSearchParams(location.search).get("record")).catch((e) => showError(document.getElementById("grade-error"), e));
  });
})();
