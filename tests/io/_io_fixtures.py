"""Small record files for the io tests, written in each format.

wfdb-python writes only formats 80, 212, 16, 24, 32 and FLAC; the other signal
formats it reads (8, 61, 160, 310, 311) are encoded here from the WFDB
signal(5) specification so the reader can be tested on them too.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np


# --------------------------------------------------------------------------- WFDB
def _encode(fmt: str, d: np.ndarray, init: np.ndarray) -> bytes:
    """Encode frames ``d`` (n, ch) of digital samples in WFDB format ``fmt``."""
    if fmt == "16":
        return d.astype("<i2").tobytes()
    if fmt == "61":
        return d.astype(">i2").tobytes()
    if fmt == "160":
        return (d + 32768).astype("<u2").tobytes()
    if fmt == "8":
        diffs = np.diff(np.vstack([init[None, :], d]), axis=0)
        assert np.all(np.abs(diffs) <= 127), "format 8 needs steps within +/-127"
        return diffs.astype("i1").tobytes()
    flat = d.reshape(-1).astype(np.int64)
    assert flat.size % 3 == 0, "formats 310/311 are packed in triplets"
    u = (flat & 0x3FF).reshape(-1, 3)  # 10-bit two's complement
    if fmt == "311":
        words = u[:, 0] | (u[:, 1] << 10) | (u[:, 2] << 20)
        return words.astype("<u4").tobytes()
    if fmt == "310":
        w0 = (u[:, 0] << 1) | ((u[:, 2] & 0x1F) << 11)
        w1 = (u[:, 1] << 1) | ((u[:, 2] >> 5) << 11)
        return np.column_stack([w0, w1]).astype("<u2").tobytes()
    raise ValueError(fmt)


def write_wfdb_by_hand(
    directory: Path,
    name: str,
    fmt: str,
    d: np.ndarray,
    *,
    fs: float = 250.0,
    gains: tuple[float, ...] | None = None,
    baselines: tuple[int, ...] | None = None,
    units: tuple[str, ...] | None = None,
    lead_names: tuple[str, ...] | None = None,
) -> Path:
    """Write a WFDB record with a hand-made header and signal file."""
    n, ch = d.shape
    gains = gains or (200.0,) * ch
    baselines = baselines or (0,) * ch
    units = units or ("mV",) * ch
    lead_names = lead_names or tuple(f"s{j}" for j in range(ch))
    init = d[0].copy() if fmt != "8" else d[0] - 1
    (directory / f"{name}.dat").write_bytes(_encode(fmt, d, init))
    lines = [f"{name} {ch} {fs:g} {n}"]
    for j in range(ch):
        checksum = ((int(d[:, j].sum()) + 32768) % 65536) - 32768
        lines.append(
            f"{name}.dat {fmt} {gains[j]:g}({baselines[j]})/{units[j]} 12 0 {int(init[j])} "
            f"{checksum} 0 {lead_names[j]}"
        )
    header = directory / f"{name}.hea"
    header.write_text("\n".join(lines) + "\n")
    return header


# --------------------------------------------------------------------------- EDF/BDF
def write_edf(
    path: Path,
    digital: np.ndarray,
    *,
    fs: float = 250.0,
    labels: tuple[str, ...] = ("I", "II"),
    units: tuple[str, ...] = ("uV", "mV"),
    physical_ranges: tuple[tuple[float, float], ...] = ((-3276.8, 3276.7), (-5.0, 5.0)),
    bdf: bool = False,
    annotations: tuple[tuple[float, float | None, str], ...] = (),
    start: dt.datetime | None = dt.datetime(2021, 3, 4, 10, 11, 12),
) -> Path:
    """Write digital samples (n, ch) to an EDF (or BDF) file with edfio."""
    import edfio

    sig_cls = edfio.BdfSignal if bdf else edfio.EdfSignal
    file_cls = edfio.Bdf if bdf else edfio.Edf
    bits = 24 if bdf else 16
    drange = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    signals = [
        sig_cls.from_digital(
            digital[:, j].astype(np.int32 if bdf else np.int16),
            fs,
            label=labels[j],
            physical_dimension=units[j],
            physical_range=physical_ranges[j],
            digital_range=drange,
        )
        for j in range(digital.shape[1])
    ]
    kwargs = {}
    if start is not None:
        kwargs["starttime"] = start.time()
        kwargs["recording"] = edfio.Recording(startdate=start.date())
    edf = file_cls(
        signals,
        annotations=[edfio.EdfAnnotation(o, d, t) for o, d, t in annotations],
        **kwargs,
    )
    edf.write(path)
    return path


# --------------------------------------------------------------------------- CinC 2011
def write_cinc2011(path: Path, leads: np.ndarray) -> Path:
    """Write (n, 12) integer leads in the CinC 2011 set-a text layout."""
    table = np.column_stack([np.arange(leads.shape[0]), leads])
    np.savetxt(path, table, fmt="%d", delimiter=",")
    return path


def ecg_like(n: int, n_leads: int, *, seed: int = 0, amplitude: int = 400) -> np.ndarray:
    """Integer test signal: a spiky periodic waveform plus noise, (n, n_leads)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    beat = np.exp(-(((t % 200) - 100) ** 2) / 20.0) * amplitude
    return np.round(beat * (1 + np.arange(n_leads)) / n_leads + rng.normal(0, 5, (n, n_leads)))
