// Gradebook: every graded attempt from the log, and a per-technician class view.
"use strict";

(() => {
  const { api, el, fmt } = Station;
  document.addEventListener("DOMContentLoaded", async () => {
    const d = await api("/api/grading/gradebook");
    document.querySelector("#class-table tbody").replaceChildren(...d.technicians.map((t) =>
      el("tr", {}, el("td", { text: t.technician }), el("td", { text: t.attempts }), el("td", { text: fmt(t.last_score, 1) }),
        el("td", { text: fmt(t.best_score, 1) }), el("td", { class: t.passed ? "good" : "bad", text: t.passed ? "yes" : "no" }),
        el("td", { text: (t.last_utc || "").replace("T", " ").slice(0, 19) }))));
    document.querySelector("#attempts-table tbody").replaceChildren(...d.attempts.map((a) =>
      el("tr", {}, el("td", {}, el("a", { href: `/logbook?entry=${a.id}`, text: a.id })), el("td", { text: (a.when_utc || "").replace("T", " ").slice(0, 19) }),
        el("td", { text: a.technician || "" }), el("td", { text: a.record || "" }), el("td", { text: fmt(a.score, 1) }),
        el("td", { text: a.passed === null ? "" : (a.passed ? "yes" : "no") }), el("td", { text: a.acceptable === null ? "" : (a.acceptable ? "yes" : "no") }),
        el("td", { class: "mono", text: (a.findings || []).join(" ") }))));
  });
})();
