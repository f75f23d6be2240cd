"""Accuracy floors and peak placement on real MIT-BIH records (first 10 minutes).

The full benchmark (all records, EC57 from minute 5, throughput against peers)
is ``ecg bench detect``; these floors only guard against regressions. They are
set below the figures measured when they were written (in brackets).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.signal

from ecgcore.benchmarks.ec57 import compare_beats
from ecgcore.detect import detect_r_peaks
from ecgcore.io import read_annotations, read_record

pytestmark = pytest.mark.shared_data

TEN_MIN_S = 600.0


def _first_minutes(data_dir: Path, record: str) -> tuple[np.ndarray, float, np.ndarray, list[str]]:
    path = data_dir / "mitdb" / record
    rec = read_record(path)
    ann = read_annotations(path, "atr")
    n = round(TEN_MIN_S * rec.fs)
    keep = ann.sample < n
    symbols = [s for s, k in zip(ann.symbol, keep, strict=True) if k]
    return rec.lead_mv(0)[:n], rec.fs, ann.sample[keep], symbols


@pytest.mark.parametrize(
    ("record", "se_floor", "ppv_floor"),
    [
        ("112", 0.995, 0.995),  # clean sinus rhythm [100.00 / 100.00]
        ("101", 0.995, 0.990),  # clean, noise bursts [99.85 / 99.38]
        ("208", 0.990, 0.990),  # frequent multiform PVCs, couplets, fusion [99.70 / 99.80]
    ],
)
def test_accuracy_floor(data_dir: Path, record: str, se_floor: float, ppv_floor: float) -> None:
    x, fs, ref, symbols = _first_minutes(data_dir, record)
    peaks = detect_r_peaks(x, fs)
    result = compare_beats(ref, peaks, fs, start_s=0.0, ref_symbols=symbols)
    assert result.se >= se_floor, result
    assert result.ppv >= ppv_floor, result


@pytest.mark.parametrize("record", ["112", "208", "104"])
def test_peaks_on_local_extreme(data_dir: Path, record: str) -> None:
    """Each peak is on the R or S extreme itself, not on a filter's delayed output.

    Reference: the record with its baseline removed by a zero-phase 0.5 Hz
    high-pass; nearly every peak lies within 3 ms of one of its local extrema
    (the others sit on clipped plateaus or notched complexes), and it is the
    largest deviation within +/-40 ms for nearly every beat.
    """
    x, fs, _, _ = _first_minutes(data_dir, record)
    peaks = detect_r_peaks(x, fs)
    sos = scipy.signal.butter(2, 0.5, "highpass", fs=fs, output="sos")
    hp = scipy.signal.sosfiltfilt(sos, x)
    slope = np.diff(hp)
    extrema = np.nonzero(np.sign(slope[1:]) != np.sign(slope[:-1]))[0] + 1
    j = np.clip(np.searchsorted(extrema, peaks), 1, extrema.size - 1)
    dist_s = np.minimum(np.abs(extrema[j - 1] - peaks), np.abs(extrema[j] - peaks)) / fs
    assert np.mean(dist_s <= 0.003) >= 0.99
    assert np.max(dist_s) <= 0.020

    half = round(0.040 * fs)
    dominant = 0
    for p in peaks[(peaks >= half) & (peaks < x.size - half)]:
        seg = hp[p - half : p + half + 1]
        dev = np.abs(seg - np.median(hp[max(0, p - 3 * half) : p + 3 * half]))
        dominant += dev[half] >= 0.9 * dev.max()
    assert dominant >= 0.97 * peaks.size
