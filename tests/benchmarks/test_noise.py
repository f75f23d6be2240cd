"""EC57/nst noise addition: synthetic cases with known answers, and the real nstdb."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from ecgcore.benchmarks.noise import (
    add_noise_ec57,
    noise_blocks,
    noise_gain,
    noise_rms,
    qrs_amplitude,
)

FS = 360.0


def _spikes(seconds: float, height: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    n = int(seconds * FS)
    beats = np.arange(180, n - 180, 300)
    x = np.zeros(n)
    x[beats] = height
    x[beats + 5] = -0.5  # peak-to-peak 2.5 within +-50 ms
    return x, beats


def test_qrs_amplitude_is_trimmed_peak_to_peak() -> None:
    x, beats = _spikes(60)
    assert qrs_amplitude(x, FS, beats) == pytest.approx(2.5)
    sym = ["N"] * beats.size
    sym[0] = "V"
    x[beats[0]] = 50.0  # a huge ectopic beat is not measured
    assert qrs_amplitude(x, FS, beats, sym) == pytest.approx(2.5)
    with pytest.raises(ValueError, match="no normal beats"):
        qrs_amplitude(x, FS, beats[:1], ["V"])


def test_noise_rms_of_a_sine() -> None:
    t = np.arange(int(60 * FS)) / FS
    noise = 3.0 + 0.7 * np.sin(2 * np.pi * 10 * t)  # offset removed per window
    assert noise_rms(noise, FS) == pytest.approx(0.7 / math.sqrt(2), rel=1e-3)


def test_gain_formula() -> None:
    # nst: rms noise / p-p signal = 10**(-snr/20) * sqrt(2)/4
    assert noise_gain(0.0, 1.0, 1.0) == pytest.approx(math.sqrt(2) / 4)
    assert noise_gain(20.0, 2.0, 0.5) == pytest.approx(0.1 * math.sqrt(2) / 4 * 4)


def test_blocks_follow_the_nst_protocol() -> None:
    n = int(30 * 60 * FS)
    blocks = noise_blocks(n, FS)
    assert blocks[0] == (int(300 * FS), int(420 * FS))
    assert blocks[1] == (int(540 * FS), int(660 * FS))
    assert blocks[-1][1] <= n and len(blocks) == 7


def test_added_noise_has_the_requested_snr_and_stays_continuous() -> None:
    x, beats = _spikes(20 * 60)
    rng = np.random.default_rng(1)
    noise = rng.normal(0.0, 1.0, int(200 * FS))  # shorter than x: wraps around
    y = add_noise_ec57(x, noise, FS, 6.0, beats)
    d = y - x
    blocks = noise_blocks(x.size, FS)
    lo, hi = blocks[0]
    # before the first block nothing is added; between blocks only a constant offset
    assert np.all(d[:lo] == 0.0)
    gap = d[hi : blocks[1][0]]
    assert np.ptp(gap) < 1e-12
    expected_rms = 10 ** (-6 / 20) * math.sqrt(2) / 4 * 2.5
    assert noise_rms(d[lo:hi], FS) == pytest.approx(expected_rms, rel=0.05)
    # continuity at the switches: the step equals the clean signal's step
    for b in (lo, hi):
        assert y[b] - y[b - 1] == pytest.approx(x[b] - x[b - 1] + (d[b] - d[b - 1]), abs=1e-12)
        assert abs(d[b] - d[b - 1]) < 6 * expected_rms


def test_bad_noise_input() -> None:
    x, beats = _spikes(60)
    with pytest.raises(ValueError, match="non-empty and finite"):
        add_noise_ec57(x, np.array([]), FS, 6.0, beats)
    with pytest.raises(ValueError, match="1-D"):
        add_noise_ec57(x[:, None], np.ones(10), FS, 6.0, beats)


@pytest.mark.shared_data
def test_matches_the_nstdb_stress_records(data_dir: Path) -> None:
    """118e24/118e12/118e00 = mitdb 118 + em noise with nst: check our protocol and SNR.

    The em noise record itself is not in the shared data, so the noise is recovered
    as (stress - clean). Its on/off blocks must match :func:`noise_blocks`, and on
    lead 1 its size must give the record's SNR by our definition. (On lead 0 the
    noise in the first block is not representative of the first 300 s of em that
    nst measured, so the SNR there cannot be recovered this way.)
    """
    import wfdb

    if not (data_dir / "nstdb" / "118e12.hea").exists():
        pytest.skip("nstdb stress records not in the local data")
    clean, _ = wfdb.rdsamp(str(data_dir / "mitdb" / "118"))
    ann = wfdb.rdann(str(data_dir / "mitdb" / "118"), "atr")
    for snr in (24, 12, 0):
        stress, _ = wfdb.rdsamp(str(data_dir / "nstdb" / f"118e{snr:02d}"))
        blocks = noise_blocks(len(clean), FS)
        for lead in (0, 1):
            d = stress[:, lead] - clean[:, lead]
            lo, hi = blocks[0]
            assert np.ptp(d[:lo]) < 1e-9  # noise off for 5 minutes
            assert np.ptp(d[hi + 1 : blocks[1][0] - 1]) < 1e-9  # off between blocks
            assert np.std(d[lo:hi]) > 1e-3  # on in the block
        d = stress[:, 1] - clean[:, 1]
        s = qrs_amplitude(clean[:, 1], FS, ann.sample, ann.symbol)
        n = noise_rms(d[lo:hi], FS)
        measured = 20 * math.log10(s / n * math.sqrt(2) / 4)
        assert measured == pytest.approx(snr, abs=0.5)
