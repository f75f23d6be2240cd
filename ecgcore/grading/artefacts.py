"""Contact and artefact findings from the per-lead signal-quality indices.

The indices themselves come from :mod:`ecgcore.quality` (flat line, lead-off,
baseline wander, mains, EMG, motion bursts, amplitude); this module adds the
ones grading needs that are not there, the per-lead *beat agreement* (how well
the R-peaks found in one lead agree with those found in the other leads: noise
that hides the QRS lowers it), the wander without the record's edges and the
clipping that only counts plateaus at a rail (:func:`clipping_mask`), and turns
the numbers into findings with the limits of :data:`ARTEFACT_LIMITS`.

Two sets of limits apply:

* *finding* limits (:data:`ARTEFACT_LIMITS`) report artefact that a careful
  technician would avoid; they are set from physiology and the paper scale
  (e.g. baseline excursions over 2.5 mV = 25 mm, measured without the first
  and last second, where recorders settle) and checked against clean
  database records (``benchmarks/grading_validation.py``);
* *acceptability* limits (:class:`AcceptabilityRule`, fitted by
  cross-validation on the PhysioNet/CinC 2011 quality grades and shipped in
  ``models/acceptability.json``) decide whether the tracing is diagnostically
  usable; leads beyond them get a ``critical`` finding.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from importlib import resources
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy.ndimage import median_filter

from ecgcore.detect import detect_r_peaks
from ecgcore.errors import DataError
from ecgcore.grading.findings import FINDING_CODES, Finding, make_finding
from ecgcore.quality import compute_indices
from ecgcore.quality.indices import longest_true_run, true_runs
from ecgcore.recording import Recording

__all__ = [
    "ARTEFACT_LIMITS",
    "AcceptabilityRule",
    "ArtefactLimit",
    "ArtefactResult",
    "beat_agreement",
    "check_artefacts",
    "clipping_mask",
    "load_acceptability_rule",
    "recording_rail_mv",
]

_WINDOW_S = 2.0  # window for locating artefact in time, s
#: Seconds left out at each end for the wander finding (recorder settling, filter edges).
WANDER_EDGE_S = 1.0
#: Rate (Hz) of the block means the wander baseline is traced on (20 ms blocks).
_WANDER_BLOCK_HZ = 50.0


def baseline_inner_mv(x: np.ndarray, fs: float, lead_off: np.ndarray | None = None) -> np.ndarray:
    """Baseline excursion per lead (mV) without the first and last :data:`WANDER_EDGE_S`.

    The baseline is first traced through the waves (a 200 ms then a 600 ms running
    median over 20 ms block means, the usual two-stage median baseline estimate,
    de Chazal et al., IEEE TBME 51(7), 2004), then the ``baseline_mv`` index of
    :mod:`ecgcore.quality` (peak-to-peak below 0.7 Hz) is taken on that trace.
    Measured on the raw lead, the index depends on where the edge cut falls: the
    zero-phase low-pass pads the stretch by mirroring it about its end samples, so
    a cut through a tall QRS complex becomes a step of twice its height in the
    padding, and flat PTB-XL tracings with 2-3 mV QRS complexes read as 2.5-3.2 mV
    of "wander" (0.2-0.4 mV with the cut moved by 0.1-0.2 s). The running medians
    step over QRS and T and keep the isoelectric line wherever the cut falls.

    Many database recordings start with the recorder's high-pass filter settling
    from the electrode offset (a 1.5-3 mV step decaying within the first second,
    flat afterwards); that moves one beat, not the tracing, and a technician cannot
    avoid it, so the wander finding is judged on the rest. The acceptability rule
    keeps the whole-record raw index it was fitted on. Records shorter than six
    edges are measured whole.
    """
    x = np.asarray(x, dtype=np.float64)
    k = max(1, round(fs / _WANDER_BLOCK_HZ))
    n = x.shape[0] // k
    if n == 0:
        return np.full(x.shape[1], np.nan)
    blocks = x[: n * k].reshape(n, k, x.shape[1]).mean(axis=1)
    fb = fs / k
    # a missing sample makes its block NaN: the baseline is traced on the longest
    # stretch of finite blocks only (never through a gap), like the raw index
    ok = np.isfinite(blocks).all(axis=1)
    if not ok.all():
        run = longest_true_run(ok)
        if run.stop == run.start:
            return np.full(x.shape[1], np.nan)
        blocks = blocks[run]
        lead_off = None if lead_off is None else lead_off[run.start * k : run.stop * k]
        n = blocks.shape[0]
    base = blocks
    for width_s in (0.2, 0.6):
        size = 2 * round(width_s * fb / 2) + 1
        base = median_filter(base, size=(size, 1), mode="nearest")
    edge = round(WANDER_EDGE_S * fb)
    if base.shape[0] < 3 * 2 * edge:
        edge = 0
    stop = base.shape[0] - edge
    off = None
    if lead_off is not None:
        mask = np.asarray(lead_off, dtype=bool)[: n * k].reshape(n, k, x.shape[1])
        off = np.any(mask, axis=1)[edge:stop]
    values = compute_indices(base[edge:stop], fb, lead_off=off, names=("baseline_mv",))
    return values["baseline_mv"]


#: Shortest plateau (s) that counts as clipping.
CLIP_PLATEAU_S = 0.02
#: Plateaus at one extreme value needed to call it clipping when the rail is not known.
CLIP_MIN_PLATEAUS = 2


def clipping_mask(
    x: np.ndarray, fs: float, rail_mv: tuple[float, float] | None = None
) -> np.ndarray:
    """Samples that are clipped, per lead (bool, same shape as ``x``).

    A recorder clips at a fixed level, its converter's or amplifier's rail, so
    clipping shows as the signal held at that level wherever it tries to go
    beyond. Two kinds of sample count:

    * samples at or beyond the rail, when the rail is known (``rail_mv``);
    * plateaus of at least :data:`CLIP_PLATEAU_S` at the lead's largest or smallest
      value, when that value is held as a plateau at least :data:`CLIP_MIN_PLATEAUS`
      times: the level the lead keeps running into.

    A single flat stretch at the extreme (typically the first fraction of a second,
    while the recorder's filters settle or its input is blanked) is not evidence of
    a rail and is not counted; the ``clipped`` index of :mod:`ecgcore.quality`
    counts it, so the grading uses this mask (index ``clipped_plateaus``) instead.

    Parameters
    ----------
    x : ndarray, shape (n_samples, n_leads)
        Leads in mV (NaN = missing).
    fs : float
        Sampling rate in Hz.
    rail_mv : (float, float), optional
        Amplifier range in mV, when known.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    hit = np.zeros(x.shape, dtype=bool)
    run = max(3, round(CLIP_PLATEAU_S * fs))
    for j in range(x.shape[1]):
        lead = x[:, j]
        good = np.isfinite(lead)
        if not good.any():
            continue
        if rail_mv is not None:
            hit[:, j] |= good & ((lead <= rail_mv[0]) | (lead >= rail_mv[1]))
        for extreme in (np.nanmax(lead), np.nanmin(lead)):
            starts, stops = true_runs(good & (lead == extreme))
            long = (stops - starts) >= run
            if np.count_nonzero(long) < CLIP_MIN_PLATEAUS:
                continue
            for a, b in zip(starts[long], stops[long], strict=True):
                hit[a:b, j] = True
    return hit


def clipped_plateaus(
    x: np.ndarray, fs: float, rail_mv: tuple[float, float] | None = None
) -> np.ndarray:
    """Fraction of each lead's finite samples that are clipped (:func:`clipping_mask`)."""
    x = np.asarray(x, dtype=np.float64)
    finite = np.isfinite(x).sum(axis=0)
    hits = clipping_mask(x, fs, rail_mv).sum(axis=0)
    return np.where(finite > 0, hits / np.maximum(finite, 1), np.nan)


@dataclasses.dataclass(frozen=True)
class ArtefactLimit:
    """When a quality index raises a finding.

    Attributes
    ----------
    code : str
        Finding code.
    index : str
        Quality index name (see :data:`ecgcore.quality.QUALITY_INDICES`, plus
        ``beat_agreement`` and ``baseline_inner_mv``).
    op : str
        ``"above"`` or ``"below"``.
    threshold : float
        Limit, in the index's unit.
    what : str
        Phrase for the message, with ``{value}`` for the measured value.
    """

    code: str
    index: str
    op: str
    threshold: float
    what: str

    def hit(self, value: float) -> bool:
        """Whether ``value`` is beyond the limit (NaN never is)."""
        if not math.isfinite(value):
            return False
        return value > self.threshold if self.op == "above" else value < self.threshold


#: Finding limits, in order of precedence per lead (a lead that is off gets only LEAD_OFF).
ARTEFACT_LIMITS: tuple[ArtefactLimit, ...] = (
    ArtefactLimit(
        "LEAD_OFF", "flat", "above", 0.3, "the trace is flat in {value:.0%} of the seconds"
    ),
    ArtefactLimit(
        "LEAD_OFF", "lead_off", "above", 0.05, "the device flagged lead-off in {value:.0%}"
    ),
    ArtefactLimit("LEAD_OFF", "missing", "above", 0.3, "{value:.0%} of the samples are missing"),
    ArtefactLimit(
        "CLIPPING", "clipped_plateaus", "above", 0.02, "{value:.1%} of the samples are clipped"
    ),
    ArtefactLimit(
        "BASELINE_WANDER",
        "baseline_inner_mv",
        "above",
        2.5,
        "the baseline moves by {value:.1f} mV",
    ),
    ArtefactLimit(
        "POWERLINE_NOISE", "powerline_mv", "above", 0.05, "mains interference of {value:.3f} mV"
    ),
    ArtefactLimit("MUSCLE_NOISE", "emg_mv", "above", 0.05, "muscle noise of {value:.3f} mV RMS"),
    ArtefactLimit("MOTION_ARTIFACT", "motion_bursts", "above", 1.5, "{value:.0f} motion bursts"),
    ArtefactLimit(
        "LOW_AMPLITUDE", "amplitude_mv", "below", 0.05, "the signal range is only {value:.3f} mV"
    ),
)

_OFF_CODES = frozenset({"LEAD_OFF"})


@dataclasses.dataclass(frozen=True)
class AcceptabilityRule:
    """When a recording is not diagnostically usable.

    A recording is unusable when any lead is off or clipped, when the
    baseline moves more than ``baseline_mv`` in any lead, or when at least
    ``min_unreadable`` leads are unreadable: beat agreement below
    ``agreement``, muscle noise above ``emg_mv`` or amplitude below
    ``amplitude_mv``. Values fitted by cross-validation on CinC 2011 set-a.
    """

    clipped: float
    baseline_mv: float
    agreement: float
    emg_mv: float
    amplitude_mv: float
    min_unreadable: int
    source: str = "default"

    def unreadable(self, indices: Mapping[str, np.ndarray]) -> np.ndarray:
        """Boolean per lead: the lead cannot be read (noise or no signal)."""
        agree = np.nan_to_num(indices["beat_agreement"], nan=0.0)
        emg = np.nan_to_num(indices["emg_mv"], nan=0.0)
        amp = np.nan_to_num(indices["amplitude_mv"], nan=0.0)
        return (agree < self.agreement) | (emg > self.emg_mv) | (amp < self.amplitude_mv)


def load_acceptability_rule(path: str | None = None) -> AcceptabilityRule:
    """Read the fitted acceptability rule (the shipped one by default)."""
    if path is None:
        ref = resources.files("ecgcore.grading").joinpath("models", "acceptability.json")
        text, source = ref.read_text(encoding="utf-8"), "ecgcore/grading/models/acceptability.json"
    else:
        with open(path, encoding="utf-8") as fh:
            text, source = fh.read(), path
    try:
        data = json.loads(text)
        return AcceptabilityRule(
            clipped=float(data["clipped"]),
            baseline_mv=float(data["baseline_mv"]),
            agreement=float(data["agreement"]),
            emg_mv=float(data["emg_mv"]),
            amplitude_mv=float(data["amplitude_mv"]),
            min_unreadable=int(data["min_unreadable"]),
            source=source,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{source}: not a valid acceptability rule: {exc}") from None


def recording_rail_mv(rec: Recording) -> tuple[float, float] | None:
    """Amplifier range in mV from the metadata (``rail_mv``, or ``saturation_counts``)."""
    meta = rec.metadata
    if "rail_mv" in meta:
        lo, hi = meta["rail_mv"]
        return float(lo), float(hi)
    counts = meta.get("saturation_counts")
    if counts is not None and np.allclose(rec.gain, rec.gain[0]) and rec.units[0] == "mV":
        limit = float(counts) / float(rec.gain[0])
        return -limit, limit
    return None


def _match_fraction(a: np.ndarray, b: np.ndarray, tol: int) -> float:
    """F1-style agreement of two R-peak lists (matches within ``tol`` samples)."""
    if a.size == 0 or b.size == 0:
        return 0.0
    j = np.searchsorted(b, a)
    lo = np.abs(a - b[np.clip(j - 1, 0, b.size - 1)]) <= tol
    hi = np.abs(b[np.clip(j, 0, b.size - 1)] - a) <= tol
    matched = int(np.count_nonzero(lo | hi))
    return 2.0 * matched / (a.size + b.size)


def beat_agreement(signals_mv: np.ndarray, fs: float, *, tolerance_s: float = 0.1) -> np.ndarray:
    """Per-lead agreement of R-peak detections with the other leads (0-1).

    R-peaks are detected in each lead separately; the agreement of lead j is
    the median over the other leads of the matched fraction
    ``2 * matches / (n_j + n_other)`` (matches within ``tolerance_s``). Clean
    leads agree (about 1); a lead where noise hides or mimics the QRS does not.
    Leads with no usable signal (absent, flat, NaN) get 0 and do not count for
    the others.

    Parameters
    ----------
    signals_mv : ndarray, shape (n_samples, n_leads)
        Leads in mV.
    fs : float
        Sampling rate in Hz.
    tolerance_s : float
        Matching window, s.
    """
    x = np.asarray(signals_mv, dtype=np.float64)
    peaks: list[np.ndarray | None] = []
    for j in range(x.shape[1]):
        lead = x[:, j]
        if not np.isfinite(lead).all() or np.ptp(lead) < 0.02:
            peaks.append(None)
            continue
        peaks.append(detect_r_peaks(lead, fs))
    tol = round(tolerance_s * fs)
    out = np.zeros(x.shape[1])
    usable = [j for j, p in enumerate(peaks) if p is not None]
    for j in usable:
        others = [_match_fraction(peaks[j], peaks[k], tol) for k in usable if k != j]  # type: ignore[arg-type]
        out[j] = float(np.median(others)) if others else 1.0
    return out


@dataclasses.dataclass(frozen=True)
class ArtefactResult:
    """Per-lead quality indices, unreadable leads and the acceptability verdict.

    Attributes
    ----------
    indices : mapping
        Lead name -> {index name -> value} (units as in :mod:`ecgcore.quality`;
        ``beat_agreement`` is 0-1).
    unreadable : tuple of str
        Leads that cannot be read by the acceptability rule.
    acceptable : bool
        Diagnostically usable (signal quality only).
    reasons : tuple of str
        Why the recording is not acceptable (empty if it is).
    """

    indices: Mapping[str, Mapping[str, float]]
    unreadable: tuple[str, ...]
    acceptable: bool
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dictionary (NaN as None)."""
        return {
            "indices": {
                lead: {k: (None if not math.isfinite(v) else round(v, 5)) for k, v in d.items()}
                for lead, d in self.indices.items()
            },
            "unreadable": list(self.unreadable),
            "acceptable": self.acceptable,
            "reasons": list(self.reasons),
        }


def _spans(
    x: np.ndarray,
    fs: float,
    limit: ArtefactLimit,
    lead_off: np.ndarray | None,
    rail_mv: tuple[float, float] | None = None,
) -> list[tuple[float, float]]:
    """Windows of ``_WINDOW_S`` where ``limit`` is exceeded in one lead, merged."""
    whole_lead = ("baseline_mv", "baseline_inner_mv", "powerline_mv", "emg_mv", "amplitude_mv")
    if limit.index in (*whole_lead, "missing"):
        return []  # whole-lead measures: no meaningful location
    n = round(_WINDOW_S * fs)
    # clipping is judged on the whole lead (its plateaus recur), then located per window
    clip = clipping_mask(x, fs, rail_mv)[:, 0] if limit.index == "clipped_plateaus" else None
    spans: list[tuple[float, float]] = []
    for a in range(0, x.shape[0] - n // 2, n):
        b = min(x.shape[0], a + n)
        if clip is not None:
            finite = np.count_nonzero(np.isfinite(x[a:b]))
            value = float(np.count_nonzero(clip[a:b]) / finite) if finite else math.nan
        else:
            seg = x[a:b, None]
            off = None if lead_off is None else lead_off[a:b, None]
            value = float(
                compute_indices(seg, fs, lead_off=off, names=(limit.index,))[limit.index][0]
            )
        threshold = 0.5 if limit.index == "motion_bursts" else limit.threshold
        probe = dataclasses.replace(limit, threshold=threshold)
        if probe.hit(value):
            if spans and abs(spans[-1][1] - a / fs) < 1e-9:
                spans[-1] = (spans[-1][0], b / fs)
            else:
                spans.append((a / fs, b / fs))
    return spans


def check_artefacts(
    signals_mv: np.ndarray,
    fs: float,
    lead_names: Sequence[str],
    *,
    lead_off: np.ndarray | None = None,
    rail_mv: tuple[float, float] | None = None,
    rule: AcceptabilityRule | None = None,
    limits: Sequence[ArtefactLimit] = ARTEFACT_LIMITS,
) -> tuple[list[Finding], ArtefactResult]:
    """Per-lead artefact findings and the acceptability verdict.

    Parameters
    ----------
    signals_mv : ndarray, shape (n_samples, n_leads)
        Unfiltered leads in mV (NaN = missing).
    fs : float
        Sampling rate in Hz.
    lead_names : sequence of str
        Names of the columns.
    lead_off : ndarray of bool, optional
        Device lead-off flags, same shape.
    rail_mv : (float, float), optional
        Amplifier range in mV, when known.
    rule : AcceptabilityRule, optional
        Defaults to the shipped rule.
    limits : sequence of ArtefactLimit
        Finding limits.
    """
    rule = rule or load_acceptability_rule()
    x = np.asarray(signals_mv, dtype=np.float64)
    values = compute_indices(x, fs, lead_off=lead_off, rail_mv=rail_mv)
    values["beat_agreement"] = beat_agreement(x, fs)
    values["baseline_inner_mv"] = baseline_inner_mv(x, fs, lead_off)
    values["clipped_plateaus"] = clipped_plateaus(x, fs, rail_mv)
    names = tuple(lead_names)
    per_lead = {lead: {k: float(v[j]) for k, v in values.items()} for j, lead in enumerate(names)}
    unreadable_mask = rule.unreadable(values)
    off_leads: set[str] = set()
    by_code: dict[str, list[tuple[str, ArtefactLimit, float, list]]] = {}
    for j, lead in enumerate(names):
        for limit in limits:
            value = per_lead[lead].get(limit.index, math.nan)
            if not limit.hit(value):
                continue
            if lead in off_leads:
                break
            if limit.code in _OFF_CODES:
                off_leads.add(lead)
            col_off = None if lead_off is None else lead_off[:, j]
            spans = _spans(x[:, j], fs, limit, col_off, rail_mv)
            entries = by_code.setdefault(limit.code, [])
            if not any(e[0] == lead for e in entries):
                entries.append((lead, limit, value, spans))
            if limit.code in _OFF_CODES:
                break
    reasons: list[str] = []
    clipped = [
        n for n in names if per_lead[n]["clipped_plateaus"] > rule.clipped and n not in off_leads
    ]
    wander = [n for n in names if per_lead[n]["baseline_mv"] > rule.baseline_mv]
    unreadable = [n for j, n in enumerate(names) if unreadable_mask[j] and n not in off_leads]
    if off_leads:
        reasons.append(f"lead off or flat in {', '.join(sorted(off_leads, key=names.index))}")
    if clipped:
        reasons.append(f"clipping in {', '.join(clipped)}")
    if wander:
        reasons.append(f"baseline wander over {rule.baseline_mv:g} mV in {', '.join(wander)}")
    if len(unreadable) >= rule.min_unreadable:
        reasons.append(f"{len(unreadable)} leads unreadable ({', '.join(unreadable)})")
    acceptable = not reasons
    critical = set(off_leads) | set(clipped) | set(wander)
    if len(unreadable) >= rule.min_unreadable:
        critical |= set(unreadable)
        _add_unreadable(by_code, unreadable, per_lead, rule)
    findings: list[Finding] = []
    for code, entries in by_code.items():
        findings.append(_finding(code, entries, critical))
    return findings, ArtefactResult(
        indices=MappingProxyType({k: MappingProxyType(v) for k, v in per_lead.items()}),
        unreadable=tuple(unreadable),
        acceptable=acceptable,
        reasons=tuple(reasons),
    )


def _add_unreadable(
    by_code: dict[str, list], unreadable: list[str], per_lead: Mapping, rule: AcceptabilityRule
) -> None:
    """Name a cause for every unreadable lead not already reported."""
    reported = {e[0] for entries in by_code.values() for e in entries}
    for lead in unreadable:
        if lead in reported:
            continue
        v = per_lead[lead]
        if v["emg_mv"] > rule.emg_mv:
            code, index, what = "MUSCLE_NOISE", "emg_mv", "muscle noise of {value:.3f} mV RMS"
        elif v["amplitude_mv"] < rule.amplitude_mv:
            code, index, what = "LOW_AMPLITUDE", "amplitude_mv", "a range of only {value:.2f} mV"
        else:
            code, index = "MOTION_ARTIFACT", "beat_agreement"
            what = "QRS complexes that cannot be followed (beat agreement {value:.2f})"
        limit = ArtefactLimit(code, index, "above", math.nan, what)
        by_code.setdefault(code, []).append((lead, limit, v[index], []))


def _finding(code: str, entries: list, critical: set[str]) -> Finding:
    leads = tuple(e[0] for e in entries)
    parts = [f"{lead}: {limit.what.format(value=value)}" for lead, limit, value, _ in entries]
    spans = [s for e in entries for s in e[3]]
    severity = "critical" if any(lead in critical for lead in leads) else None
    info = FINDING_CODES[code]
    unusable = " The tracing is not usable in these leads." if severity == "critical" else ""
    message = f"{info.title} ({'; '.join(parts)}).{unusable} {info.advice}"
    details = {f"{lead}.{limit.index}": value for lead, limit, value, _ in entries}
    return make_finding(code, leads, message, severity=severity, details=details, spans_s=spans)
