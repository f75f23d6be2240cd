// ECG paper: the grid and traces at true scale (25 mm/s, 10 mm/mV at 100% zoom).
//
// Lengths are computed in millimetres and converted to CSS pixels with the
// calibrated CSS-px-per-mm factor (96 dpi = 3.7795 px/mm unless the user has
// calibrated against a bank card), then to device pixels with devicePixelRatio
// so lines stay crisp on HiDPI screens.
"use strict";

const EcgPaper = (() => {
  const KEY = "ecgcore.pxPerMm";
  const DEFAULT_PX_PER_MM = 96 / 25.4;
  const COLORS = {
    paper: "#fffaf7",
    minor: "#f5c9c4",     // 1 mm lines
    major: "#e07a70",     // 5 mm lines
    trace: "#0a1f5c",     // signal
    peak: "#d81b60",      // R-peak marks
    leadOff: "#c62828",
    label: "#333333",
    finding: "rgba(255, 179, 0, 0.28)",
  };

  function pxPerMm() {
    const v = parseFloat(localStorage.getItem(KEY));
    return v >= 2 && v <= 8 ? v : DEFAULT_PX_PER_MM;
  }
  function setPxPerMm(v) {
    if (v === null) localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, String(v));
  }

  // Size a canvas to cssW x cssH CSS pixels with a device-pixel backing store;
  // returns a 2D context whose unit is one CSS pixel.
  function fit(canvas, cssW, cssH) {
    const dpr = window.devicePixelRatio || 1;
    canvas.style.width = `${cssW}px`;
    canvas.style.height = `${cssH}px`;
    canvas.width = Math.max(1, Math.round(cssW * dpr));
    canvas.height = Math.max(1, Math.round(cssH * dpr));
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return ctx;
  }

  // Grid over the whole canvas: 1 mm minor and 5 mm major lines.
  function drawGrid(ctx, cssW, cssH, mm) {
    ctx.fillStyle = COLORS.paper;
    ctx.fillRect(0, 0, cssW, cssH);
    const dpr = window.devicePixelRatio || 1;
    const half = 0.5 / dpr; // align 1-device-pixel lines to pixel centres
    for (const [step, color, width] of [[1, COLORS.minor, 1], [5, COLORS.major, 1.6]]) {
      if (step === 1 && mm < 2.5) continue; // 1 mm lines closer than 2.5 px are noise, not grid
      ctx.strokeStyle = color;
      ctx.lineWidth = width / dpr;
      ctx.beginPath();
      for (let i = 0; i * step * mm <= cssW + 1; i++) {
        if (step === 1 && i % 5 === 0) continue;
        const x = Math.round(i * step * mm * dpr) / dpr + half;
        ctx.moveTo(x, 0); ctx.lineTo(x, cssH);
      }
      for (let i = 0; i * step * mm <= cssH + 1; i++) {
        if (step === 1 && i % 5 === 0) continue;
        const y = Math.round(i * step * mm * dpr) / dpr + half;
        ctx.moveTo(0, y); ctx.lineTo(cssW, y);
      }
      ctx.stroke();
    }
  }

  // Calibration pulse (1 mV for 0.2 s) at x0 with baseline y0.
  function drawCalibration(ctx, x0, y0, mm, zoom) {
    ctx.strokeStyle = COLORS.trace;
    ctx.lineWidth = 1.2;
    ctx.beginPath();
    const w = 5 * mm * zoom, h = 10 * mm * zoom;
    ctx.moveTo(x0, y0); ctx.lineTo(x0 + w * 0.4, y0); ctx.lineTo(x0 + w * 0.4, y0 - h);
    ctx.lineTo(x0 + w * 1.4, y0 - h); ctx.lineTo(x0 + w * 1.4, y0); ctx.lineTo(x0 + w * 1.8, y0);
    ctx.stroke();
  }

  // Draw samples (mV, null/NaN = gap) starting at x0 (CSS px) on baseline y0.
  // pxPerSample and pxPerMv already include the zoom; min/max per device pixel.
  function drawTrace(ctx, values, start, stop, x0, y0, pxPerSample, pxPerMv, color) {
    const dpr = window.devicePixelRatio || 1;
    ctx.strokeStyle = color || COLORS.trace;
    ctx.lineWidth = 1.3;
    ctx.lineJoin = "round";
    ctx.beginPath();
    let pen = false;
    const perDevPx = 1 / (pxPerSample * dpr); // samples per device pixel
    if (perDevPx <= 1.5) {
      for (let i = start; i < stop; i++) {
        const v = values[i];
        if (v === null || v === undefined || Number.isNaN(v)) { pen = false; continue; }
        const x = x0 + (i - start) * pxPerSample, y = y0 - v * pxPerMv;
        if (pen) ctx.lineTo(x, y); else { ctx.moveTo(x, y); pen = true; }
      }
    } else {
      const nCols = Math.ceil((stop - start) / perDevPx);
      for (let c = 0; c < nCols; c++) {
        const a = start + Math.floor(c * perDevPx), b = Math.min(stop, start + Math.floor((c + 1) * perDevPx));
        let lo = Infinity, hi = -Infinity, first = null, last = null;
        for (let i = a; i < b; i++) {
          const v = values[i];
          if (v === null || v === undefined || Number.isNaN(v)) continue;
          if (first === null) first = v;
          last = v;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        if (first === null) { pen = false; continue; }
        const x = x0 + c / dpr;
        if (pen) ctx.lineTo(x, y0 - first * pxPerMv); else { ctx.moveTo(x, y0 - first * pxPerMv); pen = true; }
        ctx.lineTo(x, y0 - lo * pxPerMv); ctx.lineTo(x, y0 - hi * pxPerMv); ctx.lineTo(x, y0 - last * pxPerMv);
      }
    }
    ctx.stroke();
  }

  function drawPeakMark(ctx, x, y, size) {
    ctx.fillStyle = COLORS.peak;
    ctx.beginPath();
    ctx.moveTo(x - size, y - size * 1.6); ctx.lineTo(x + size, y - size * 1.6); ctx.lineTo(x, y);
    ctx.closePath(); ctx.fill();
  }

  function label(ctx, text, x, y, color) {
    ctx.fillStyle = color || COLORS.label;
    ctx.font = "bold 12px system-ui, sans-serif";
    ctx.fillText(text, x, y);
  }

  // A static multi-lead tracing (log book, grading): rows of `rowMm` mm, one per lead,
  // `seconds` of signal; `highlight` maps lead name -> list of finding codes;
  // `peaks` (sample indices) are marked on the rhythm lead `peakLead`.
  function drawRecord(canvas, tracing, opts = {}) {
    const mm = pxPerMm();
    const zoom = opts.zoom || 1;
    const rowMm = opts.rowMm || 20;
    const seconds = Math.min(opts.seconds || 10, tracing.n_samples / tracing.fs);
    const leftMm = 12;
    const wMm = leftMm + seconds * 25 * zoom + 4;
    const hMm = tracing.leads.length * rowMm * zoom + 4;
    const cssW = Math.ceil(wMm * mm), cssH = Math.ceil(hMm * mm);
    const ctx = fit(canvas, cssW, cssH);
    drawGrid(ctx, cssW, cssH, mm * zoom);  // zoom magnifies the paper, grid included
    const pxPerSample = (25 * zoom * mm) / tracing.fs;
    const pxPerMv = 10 * zoom * mm;
    const n = Math.round(seconds * tracing.fs);
    const highlight = opts.highlight || {};
    tracing.leads.forEach((lead, j) => {
      const y0 = (j + 0.5) * rowMm * zoom * mm + 2 * mm;
      const codes = highlight[lead.name];
      const top = y0 - (rowMm * zoom * mm) / 2, h = rowMm * zoom * mm;
      if (codes && codes.length) {
        ctx.fillStyle = COLORS.finding;
        ctx.fillRect(leftMm * mm, top, cssW, h);
        for (const [a, b] of (opts.spans || {})[lead.name] || []) {
          ctx.fillRect(leftMm * mm + a * 25 * zoom * mm, top, Math.max(2, (b - a) * 25 * zoom * mm), h);
        }
        label(ctx, [...new Set(codes)].join(", "), leftMm * mm + 40, top + 13, "#8a4b00");
      }
      drawCalibration(ctx, 1 * mm, y0, mm, zoom);
      label(ctx, lead.name, leftMm * mm + 4, y0 - (rowMm * zoom * mm) / 2 + 13);
      ctx.save();
      ctx.beginPath(); ctx.rect(leftMm * mm, 0, cssW, cssH); ctx.clip();
      drawTrace(ctx, lead.mv, 0, Math.min(n, lead.mv.length), leftMm * mm, y0, pxPerSample, pxPerMv);
      if (opts.peaks && lead.name === opts.peakLead) {
        for (const p of opts.peaks) {
          if (p >= n) break;
          const v = lead.mv[p];
          if (v === null || v === undefined) continue;
          drawPeakMark(ctx, leftMm * mm + p * pxPerSample, y0 - v * pxPerMv - 3, 4);
        }
      }
      ctx.restore();
    });
    return { cssW, cssH, pxPerMm: mm };
  }

  return { COLORS, pxPerMm, setPxPerMm, fit, drawGrid, drawTrace, drawPeakMark, drawCalibration, label, drawRecord, DEFAULT_PX_PER_MM };
})();
