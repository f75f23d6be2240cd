"""Completeness and settings: leads present, duration, sampling rate, lead gains.

* ``MISSING_LEAD`` - a standard lead is absent, or present but with no samples;
* ``SHORT_DURATION`` - less than :data:`MIN_DURATION_S` of signal;
* ``LOW_SAMPLING_RATE`` - below :data:`MIN_FS_HZ` (major) or below the
  recommended :data:`RECOMMENDED_FS_HZ` (minor);
* ``WRONG_GAIN`` (per limb lead) - the six limb leads are tied by Einthoven's
  and Goldberger's relations (``II = I + III``, ``aVR = -(I + II)/2``, ...);
  when five of them agree with each other and the sixth matches its expected
  waveform only after rescaling, that lead was recorded at a different gain.
  Records whose limb leads do not obey the relations at all (some databases
  store leads filtered or scaled separately) are not judged.
"""

from __future__ import annotations

import numpy as np

from ecgcore.grading.findings import Finding, make_finding
from ecgcore.grading.leads import LIMB_LEADS, STANDARD_LEADS

__all__ = [
    "MIN_DURATION_S",
    "MIN_FS_HZ",
    "RECOMMENDED_FS_HZ",
    "check_completeness",
    "check_lead_gains",
    "limb_lead_gains",
]

#: Shortest acceptable recording, s (the standard 12-lead ECG is 10 s).
MIN_DURATION_S = 10.0
#: Lowest acceptable sampling rate, Hz.
MIN_FS_HZ = 250.0
#: Recommended sampling rate for diagnostic ECGs, Hz (AHA: at least 500 Hz).
RECOMMENDED_FS_HZ = 500.0

_CONSISTENT_CORR = 0.995  # the other five leads must agree this well
_GAIN_TOLERANCE = 0.10  # relative gain error reported


def check_completeness(
    signals_mv: np.ndarray, fs: float, present: tuple[str, ...]
) -> list[Finding]:
    """``MISSING_LEAD``, ``SHORT_DURATION`` and ``LOW_SAMPLING_RATE`` findings.

    Parameters
    ----------
    signals_mv : ndarray, shape (n_samples, 12)
        Standard leads in mV (NaN columns for absent leads).
    fs : float
        Sampling rate in Hz.
    present : tuple of str
        Standard leads the recording has.
    """
    findings: list[Finding] = []
    empty = [
        name
        for j, name in enumerate(STANDARD_LEADS)
        if name in present and not np.isfinite(signals_mv[:, j]).any()
    ]
    missing = [n for n in STANDARD_LEADS if n not in present]
    if missing or empty:
        parts = []
        if missing:
            parts.append(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not in "
                         "the recording")  # fmt: skip
        if empty:
            parts.append(f"{', '.join(empty)} {'has' if len(empty) == 1 else 'have'} no samples")
        findings.append(
            make_finding(
                "MISSING_LEAD",
                missing + empty,
                f"{'; '.join(parts).capitalize()}: a 12-lead ECG needs I, II, III, aVR, aVL, "
                "aVF and V1-V6. Check every lead wire is connected and all 12 leads are selected.",
                details={"n_missing": len(missing) + len(empty)},
            )
        )
    duration = signals_mv.shape[0] / fs
    if duration < MIN_DURATION_S - 0.5 / fs:
        findings.append(
            make_finding(
                "SHORT_DURATION",
                (),
                f"The recording lasts {duration:.1f} s; at least {MIN_DURATION_S:g} s are needed "
                "for the 12 leads and the rhythm strip. Keep recording until the full 10 s are "
                "captured.",
                details={"duration_s": duration},
            )
        )
    if fs < MIN_FS_HZ:
        findings.append(
            make_finding(
                "LOW_SAMPLING_RATE",
                (),
                f"The sampling rate is {fs:g} Hz, below the minimum of {MIN_FS_HZ:g} Hz: QRS "
                f"details are lost. Set the recorder to {RECOMMENDED_FS_HZ:g} Hz.",
                severity="major",
                details={"fs_hz": fs},
            )
        )
    elif fs < RECOMMENDED_FS_HZ:
        findings.append(
            make_finding(
                "LOW_SAMPLING_RATE",
                (),
                f"The sampling rate is {fs:g} Hz; {RECOMMENDED_FS_HZ:g} Hz is recommended for "
                "diagnostic ECGs.",
                details={"fs_hz": fs},
            )
        )
    return findings


def _expected(x: dict[str, np.ndarray], lead: str) -> np.ndarray:
    """``lead`` computed from two other limb leads that do not involve it."""
    i, ii, iii = x["I"], x["II"], x["III"]
    return {
        "I": ii - iii,
        "II": i + iii,
        "III": ii - i,
        "aVR": -(i + ii) / 2,
        "aVL": (i - iii) / 2,
        "aVF": (ii + iii) / 2,
    }[lead]


def _scale_and_corr(measured: np.ndarray, expected: np.ndarray) -> tuple[float, float]:
    den = float(np.dot(expected, expected))
    if den == 0 or float(np.dot(measured, measured)) == 0:
        return np.nan, 0.0
    scale = float(np.dot(measured, expected)) / den
    corr = float(np.corrcoef(measured, expected)[0, 1])
    return scale, corr


def limb_lead_gains(signals_mv: np.ndarray) -> dict[str, float] | None:
    """Relative gain of a limb lead that disagrees with the other five, if any.

    Returns
    -------
    dict or None
        ``{lead: gain}`` for the one lead whose gain differs by more than
        10 % while the other five leads obey the limb-lead relations; an
        empty dict when all six agree; None when the relations do not hold
        (they cannot be used on this record) or a limb lead is absent.
    """
    cols = [STANDARD_LEADS.index(n) for n in LIMB_LEADS]
    raw = signals_mv[:, cols]
    if not np.isfinite(raw).all():
        return None
    raw = raw - raw.mean(axis=0)  # the relations are linear: they hold for the means too
    x = {name: raw[:, k] for k, name in enumerate(LIMB_LEADS)}
    for suspect in (None, *LIMB_LEADS):
        if suspect in ("I", "II", "III"):
            # rebuild the suspect from the other two bipolar leads first
            fixed = dict(x)
            fixed[suspect] = _expected(x, suspect)
        else:
            fixed = x
        ok = True
        for lead in LIMB_LEADS:
            if lead == suspect or (suspect in ("I", "II", "III") and lead in ("I", "II", "III")):
                continue
            scale, corr = _scale_and_corr(fixed[lead], _expected(fixed, lead))
            if not (corr > _CONSISTENT_CORR and abs(scale - 1.0) < 0.02):
                ok = False
                break
        if not ok:
            continue
        if suspect is None:
            return {}
        reference = fixed[suspect] if suspect in ("I", "II", "III") else _expected(x, suspect)
        scale, corr = _scale_and_corr(x[suspect], reference)
        if corr > _CONSISTENT_CORR and abs(scale - 1.0) > _GAIN_TOLERANCE:
            return {suspect: scale}
    return None


def check_lead_gains(signals_mv: np.ndarray) -> list[Finding]:
    """``WRONG_GAIN`` for a limb lead recorded at a different gain from the others."""
    gains = limb_lead_gains(signals_mv)
    if not gains:
        return []
    ((lead, gain),) = gains.items()
    return [
        make_finding(
            "WRONG_GAIN",
            (lead,),
            f"Lead {lead} is {gain:.2f} times the size the other limb leads imply "
            "(Einthoven's and Goldberger's relations): it was recorded at a different gain. "
            "Use the same standard gain, 10 mm/mV, for all leads.",
            details={f"{lead}.relative_gain": gain},
        )
    ]
