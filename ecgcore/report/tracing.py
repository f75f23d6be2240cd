"""A quick-look PNG of one lead with the detected beats marked."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from ecgcore.recording import Recording

__all__ = ["plot_beats"]


def plot_beats(
    rec: Recording,
    peaks_idx: np.ndarray,
    path: str | os.PathLike[str],
    *,
    lead: int | str = 0,
    start_s: float = 0.0,
    duration_s: float = 10.0,
    dpi: int = 100,
) -> Path:
    """Write a PNG of ``duration_s`` seconds of one lead with R-peaks marked.

    The trace is drawn on a light ECG-style grid (0.2 s / 0.5 mV major lines)
    in mV against seconds; missing samples are left as gaps.

    Parameters
    ----------
    rec : Recording
        Source record.
    peaks_idx : ndarray of int
        R-peak sample indices (whole-record indices).
    path : path-like
        Output PNG file.
    lead : int or str
        Lead to draw.
    start_s, duration_s : float
        Window to draw, in seconds.
    dpi : int
        Resolution of the PNG.
    """
    j = rec.lead_index(lead)
    start = max(0, round(start_s * rec.fs))
    stop = min(rec.n_samples, start + round(duration_s * rec.fs))
    y = rec.lead_mv(j)[start:stop]
    t = np.arange(start, stop) / rec.fs
    sel = peaks_idx[(peaks_idx >= start) & (peaks_idx < stop)]
    fig, ax = plt.subplots(figsize=(max(6.0, (stop - start) / rec.fs * 1.2), 3.0))
    for x in np.arange(np.floor(t[0] / 0.2) * 0.2, t[-1] + 0.2, 0.2) if t.size else []:
        ax.axvline(x, color="#f4b6b6", lw=0.6, zorder=0)
    ax.plot(t, y, color="black", lw=0.8)
    ax.plot(sel / rec.fs, rec.lead_mv(j)[sel], "v", color="tab:red", ms=6, label="R-peak")
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"{rec.lead_names[j]} (mV)")
    ax.set_title(f"{rec.name}: {sel.size} beats in {(stop - start) / rec.fs:.1f} s")
    ax.grid(axis="y", color="#f4b6b6", lw=0.6)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return out
