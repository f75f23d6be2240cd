"""Ventricular pacing: when the limb-reversal classifier does not apply.

The limb classifier of :mod:`ecgcore.grading.reversal` reads the limb
electrode positions from a QRS complex conducted through the His-Purkinje
system: a frontal axis within the usual range, lead I positive and like
V5-V6, aVR negative. A beat started by a ventricular pacing lead spreads from
the lead's tip, muscle to muscle: its frontal axis depends on where the lead
sits (a right-ventricular apical lead gives a superior, often leftward axis),
not on where the electrodes are, so a paced tracing with the electrodes in
place can look like a reversal, and a reversal can look normal. Tools that
grade or interpret 12-lead tracings therefore leave such calls to the eye in a
paced rhythm.

The chest-lead checks stay on: they compare each chest lead with its
neighbours and test each interchange on the record itself (the leads follow
one another round the chest, so neighbouring leads are alike whatever starts
the beat). In the validation (``benchmarks/grading_validation.py``) they
raised no false finding on the paced records and found chest swaps there about
as often as elsewhere, while the limb classifier raised a false reversal on
two of the twelve paced records it saw (and on one of the 418 other clean
records).

:func:`assess_pacing` finds the pacing spikes
(:func:`ecgcore.detect.detect_pacing_spikes`, on the independent leads I, II
and V1-V6) and counts the beats whose QRS a spike starts: a spike from
:data:`VENTRICULAR_BEFORE_S` before the QRS onset (measured on the median beat)
up to :data:`VENTRICULAR_AFTER_S` after the beat's R-peak (the beats are aligned
on the steepest multi-lead slope, which in a paced beat can be the spike
itself). An atrial stimulus precedes the QRS by the AV delay (programmed at
100 ms or more, like the PR interval), so it falls outside that window, and
atrial pacing, which leaves the QRS conducted normally, does not stop the
checks. The rhythm is taken as ventricular-paced, and the limb classifier is
reported as not assessable, when a spike starts at least
:data:`~ecgcore.detect.pacing.PACED_BEAT_SHARE` of the beats (and two spikes
or more were found), the detector's own paced-rhythm rule: the spikes of
bipolar pacing leads are small and found in only some of the beats (in a
complete AV block, where every beat is paced, in four of nine), so the share
found is a lower bound of the share paced. Checks that rest on the lead
algebra alone, such as an arm electrode on the neutral one
(:func:`ecgcore.grading.reversal.neutral_swap`), stay valid and still run.

The window follows from the definitions above. The share was taken from the
detector instead of a majority of the beats after seeing two paced LUDB
records (90, 93) whose spikes were found in under half of the beats.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ecgcore.detect import detect_pacing_spikes, paced_beats
from ecgcore.detect.pacing import PACED_BEAT_SHARE, PACING_MIN_FS
from ecgcore.grading.beats import MedianBeats
from ecgcore.grading.findings import FINDING_CODES, Finding, make_finding
from ecgcore.grading.leads import STANDARD_LEADS
from ecgcore.rhythm.paced import pacing_leads

__all__ = [
    "VENTRICULAR_AFTER_S",
    "VENTRICULAR_BEFORE_S",
    "PacingResult",
    "assess_pacing",
    "pacing_finding",
]

#: A spike at most this long before the QRS onset (s) starts the QRS ...
VENTRICULAR_BEFORE_S = 0.08
#: ... and at most this long after the beat's R-peak (s), which may be the spike itself.
VENTRICULAR_AFTER_S = 0.02


@dataclasses.dataclass(frozen=True)
class PacingResult:
    """Pacing spikes and the beats they start.

    Attributes
    ----------
    spike_idx : ndarray of int
        Sample indices of the pacing spikes (in the signals given).
    n_beats : int
        Beats the median beats were taken over.
    n_ventricular : int
        Of those, beats whose QRS a spike starts.
    """

    spike_idx: np.ndarray
    n_beats: int
    n_ventricular: int

    @property
    def ventricular_share(self) -> float:
        """Share of the beats that are ventricular-paced (0-1)."""
        return self.n_ventricular / self.n_beats if self.n_beats else 0.0

    @property
    def ventricular_paced(self) -> bool:
        """A ventricular-paced rhythm (see the module docstring)."""
        return self.spike_idx.size >= 2 and self.ventricular_share >= PACED_BEAT_SHARE

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "n_spikes": int(self.spike_idx.size),
            "n_beats": self.n_beats,
            "n_ventricular_paced": self.n_ventricular,
            "ventricular_paced": self.ventricular_paced,
        }


def assess_pacing(signals_mv: np.ndarray, fs: float, mb: MedianBeats) -> PacingResult | None:
    """Pacing spikes of a 12-lead recording and the beats of ``mb`` they start.

    Parameters
    ----------
    signals_mv : ndarray, shape (n_samples, 12)
        The standard leads in mV, as given to :func:`~ecgcore.grading.beats.median_beats`.
    fs : float
        Sampling rate (Hz).
    mb : MedianBeats
        The median beats of ``signals_mv`` (their R-peaks and QRS onset are used).

    Returns
    -------
    PacingResult or None
        None when spikes cannot be looked for: sampling below
        :data:`~ecgcore.detect.pacing.PACING_MIN_FS`, fewer
        than two of the independent leads complete, or no beat positions.
    """
    if fs < PACING_MIN_FS or mb.peaks_idx is None or mb.peaks_idx.size == 0:
        return None
    x = np.asarray(signals_mv, dtype=np.float64)
    # the independent leads (I, II, V1-V6) that are complete
    cols = [j for j in pacing_leads(STANDARD_LEADS) if np.isfinite(x[:, j]).all()]
    if len(cols) < 2:
        return None
    spikes = detect_pacing_spikes(x[:, cols], fs).spike_idx
    peaks = np.asarray(mb.peaks_idx, dtype=np.int64)
    before_s = (mb.r_idx - mb.qrs_on) / fs + VENTRICULAR_BEFORE_S
    started = paced_beats(spikes, peaks, fs, before_s=before_s, after_s=VENTRICULAR_AFTER_S)
    return PacingResult(spikes, int(peaks.size), int(np.count_nonzero(started)))


def pacing_finding(result: PacingResult) -> Finding:
    """The ``PLACEMENT_NOT_ASSESSABLE`` finding of a ventricular-paced recording."""
    return make_finding(
        "PLACEMENT_NOT_ASSESSABLE",
        (),
        f"Ventricular-paced rhythm: a pacing spike starts {result.n_ventricular} of "
        f"{result.n_beats} beats. A paced beat spreads from the pacing lead instead of the "
        "heart's conduction system, so its QRS axis does not show where the limb electrodes "
        "are: limb reversals were not judged from the waveforms (an arm electrode on the "
        "neutral one, which the lead algebra shows whatever the rhythm, is still checked, and "
        "so are the chest leads, which are compared with their neighbours). This is not a "
        f"fault of the recording. {FINDING_CODES['PLACEMENT_NOT_ASSESSABLE'].advice}",
        details={
            "n_spikes": int(result.spike_idx.size),
            "n_beats": result.n_beats,
            "n_ventricular_paced": result.n_ventricular,
        },
    )
