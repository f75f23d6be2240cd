"""PhysioNet/CinC Challenge 2011 set-a text records (``<record>.txt``).

Each file holds rows of 13 comma-separated integers without a header: the
sample number (0, 1, ...), then leads I, II, III, aVR, aVL, aVF, V1-V6,
sampled at 500 Hz (5000 rows = 10 s in the challenge data).

Amplitude scale. The files give no gain, so it was read off the data:
across the 173 records of the shared set-a slice graded *acceptable* and free
of saturation, the median R amplitude in lead II (99.8th percentile minus
median) is 129 counts and the median Sokolow-Lyon sum SV1 + RV5 is 351 counts
(10th-90th percentile 196-564). At 200 counts/mV these are 0.65 mV and
1.76 mV, within the ranges of healthy adults (R in II about 0.5-1.5 mV,
Sokolow-Lyon mostly below the 3.5 mV hypertrophy limit); at 100 counts/mV half
of the acceptable records would exceed that limit, and at 1000 counts/mV the
QRS would be implausibly small (0.13 mV in lead II). 200 counts/mV is also
WFDB's default gain. The reader uses ``gain=200`` counts/mV (override with
``gain=``) and says so in ``metadata["gain_source"]``; the limb leads also
satisfy Einthoven's law exactly (II = I + III), so all leads share one scale.

Saturation. Leads that were saturated or disconnected read -16000/+16000.
Those samples are kept as they are (they are not missing: they are clipped
values) and flagged in ``metadata["saturated"]`` ({lead: number of samples at
+/-16000}) and ``metadata["saturated_leads"]``.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ecgcore.errors import FormatError
from ecgcore.io._common import LeadSelection, adc_dtype, select_leads
from ecgcore.recording import Recording

__all__ = ["FS_HZ", "GAIN_COUNTS_PER_MV", "LEAD_NAMES", "SATURATION_COUNTS", "read"]

LEAD_NAMES = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
FS_HZ = 500.0
#: Counts per mV, estimated from QRS amplitudes (see the module docstring).
GAIN_COUNTS_PER_MV = 200.0
#: Magnitude at which leads read when saturated.
SATURATION_COUNTS = 16000


def read(
    path: Path, *, leads: LeadSelection = None, gain: float = GAIN_COUNTS_PER_MV
) -> Recording:
    """Read a CinC 2011 set-a ``.txt`` record.

    Parameters
    ----------
    path : Path
        The ``.txt`` file.
    leads : sequence of str or int, optional
        Leads to keep (default all 12).
    gain : float
        Counts per mV (default 200, estimated from the data).
    """
    if not (np.isfinite(gain) and gain > 0):
        raise FormatError(path, "gain argument", "a positive number of counts per mV", gain)
    text = path.read_text(errors="replace")
    if not text.strip():
        raise FormatError(path, "rows", "at least one row of 13 integers", "an empty file")
    try:
        table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.int64, ndmin=2)
    except ValueError as exc:
        raise FormatError(
            path,
            "rows",
            "13 comma-separated integers per row (sample number, then 12 leads), no header",
            str(exc),
        ) from exc
    if table.shape[1] != 1 + len(LEAD_NAMES):
        raise FormatError(
            path, "columns", "13 (sample number, then I..V6)", f"{table.shape[1]} columns"
        )
    counter = table[:, 0]
    expected = np.arange(table.shape[0])
    if np.any(counter != expected):
        i = int(np.flatnonzero(counter != expected)[0])
        raise FormatError(
            path, f"line {i + 1}, column 1 (sample number)", str(int(expected[i])), int(counter[i])
        )
    cols = select_leads(LEAD_NAMES, leads, path)
    adc = table[:, [1 + j for j in cols]]
    names = tuple(LEAD_NAMES[j] for j in cols)
    clipped = np.abs(adc) >= SATURATION_COUNTS
    saturated = {name: int(n) for name, n in zip(names, clipped.sum(axis=0), strict=True) if n}
    return Recording(
        adc=adc.astype(adc_dtype(adc)),
        fs=FS_HZ,
        lead_names=names,
        gain=np.full(len(cols), float(gain)),
        baseline=np.zeros(len(cols), dtype=np.int64),
        units=("mV",) * len(cols),
        name=path.stem,
        metadata={
            "format": "cinc2011",
            "path": str(path),
            "gain_source": (
                "estimated from QRS amplitudes (ecgcore.io._cinc2011)"
                if gain == GAIN_COUNTS_PER_MV
                else "argument"
            ),
            "saturation_counts": SATURATION_COUNTS,
            "saturated": saturated,
            "saturated_leads": tuple(saturated),
        },
    )
