"""EDF, EDF+ (continuous) and BDF records read with edfio.

The Recording keeps each signal's digital values as ADC counts. Gain and
baseline follow from the header's physical and digital ranges::

    gain     = (digital_max - digital_min) / (physical_max - physical_min)
    baseline = digital_min - physical_min * gain

computed with exact fractions of the header's decimal text, so a symmetric
range such as digital -32768..32767 for physical -X..X gives a baseline of
exactly -0.5 counts (kept as a fractional baseline, see Recording). EDF+
annotations go to ``metadata["annotations"]`` as (onset_s, duration_s, text).
"""

from __future__ import annotations

import datetime as dt
import warnings
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ecgcore.errors import FormatError
from ecgcore.io._common import LeadSelection, adc_dtype, normalise_unit, select_leads
from ecgcore.io._header import RecordHeader
from ecgcore.recording import Recording

__all__ = ["read", "read_header"]

_EDF_MAGIC = b"0       "
_BDF_MAGIC = b"\xffBIOSEMI"


def _kind(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(8)
    if head == _EDF_MAGIC:
        return "edf"
    if head == _BDF_MAGIC:
        return "bdf"
    raise FormatError(
        path, "version (bytes 0-7)", "'0' followed by 7 spaces (EDF) or 0xFF 'BIOSEMI' (BDF)", head
    )


def _open(path: Path, *, lazy: bool) -> tuple[Any, str]:
    import edfio  # noqa: PLC0415 - imported when an EDF/BDF file is read

    kind = _kind(path)
    edf: Any
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            if kind == "edf":
                edf = edfio.read_edf(path, lazy_load_data=lazy)
            else:
                edf = edfio.read_bdf(path)
    except Exception as exc:
        raise FormatError(path, "header", f"a valid {kind.upper()} header", str(exc)) from exc
    _check_fields(path, edf)
    if not edf.is_continuous:
        raise FormatError(
            path,
            "data record onsets",
            "a continuous recording (EDF+D files with gaps are not supported)",
            "EDF+D",
        )
    if not edf.signals:
        raise FormatError(path, "number of signals", "at least one ordinary signal", 0)
    return edf, kind


#: Header fields of every signal that the reader uses.
_SIGNAL_FIELDS = (
    "label",
    "transducer_type",
    "physical_dimension",
    "physical_min",
    "physical_max",
    "digital_min",
    "digital_max",
    "prefiltering",
    "sampling_frequency",
    "samples_per_data_record",
)
#: Fields of the file (``startdate`` is read by ``_start_time``, which allows
#: an anonymised date).
_FILE_FIELDS = (
    "is_continuous",
    "num_data_records",
    "starttime",
    "local_patient_identification",
    "local_recording_identification",
    "annotations",
)


def _check_fields(path: Path, edf: Any) -> None:
    """Decode every header field used, so a damaged one is reported by name.

    edfio decodes a field's text only when it is read; this reads each one
    once, up front, and turns a decoding failure into a :class:`FormatError`
    naming the field (instead of an error from deep inside the parser later).
    """
    import edfio  # noqa: PLC0415

    def get(owner: Any, field: str, where: str) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # header warnings are read in _start_time
                getattr(owner, field)
        except edfio.AnonymizedDateError:
            pass
        except Exception as exc:
            raise FormatError(path, where, "a valid header field", str(exc)) from exc

    for field in _FILE_FIELDS:
        get(edf, field, field)
    get(edf, "startdate", "startdate")
    for j, sig in enumerate(edf.signals):
        for field in _SIGNAL_FIELDS:
            get(sig, field, f"{field} of signal {j}")


def _fraction(value: float) -> Fraction:
    # The header fields are 8-character decimal text; repr() of the parsed float
    # gives that text back, so the fraction is the exact decimal value.
    return Fraction(repr(float(value)))


def _gain_baseline(path: Path, sig: Any) -> tuple[float, float]:
    pmin, pmax = _fraction(sig.physical_min), _fraction(sig.physical_max)
    dmin, dmax = int(sig.digital_min), int(sig.digital_max)
    if pmax == pmin:
        raise FormatError(
            path,
            f"physical range of signal {sig.label!r}",
            "physical_max != physical_min",
            (float(pmin), float(pmax)),
        )
    if dmax == dmin:
        raise FormatError(
            path,
            f"digital range of signal {sig.label!r}",
            "digital_max != digital_min",
            (dmin, dmax),
        )
    gain = Fraction(dmax - dmin) / (pmax - pmin)
    baseline = dmin - pmin * gain
    return float(gain), float(baseline)


def _start_time(edf: Any) -> tuple[dt.datetime | None, dict[str, Any]]:
    import edfio  # noqa: PLC0415

    extra: dict[str, Any] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            date = edf.startdate
        except edfio.AnonymizedDateError:
            date = None
            extra["start_date"] = "anonymised"
    if caught:
        extra["header_warnings"] = tuple(str(w.message) for w in caught)
    time = edf.starttime
    extra["start_time_of_day"] = time.isoformat()
    return (dt.datetime.combine(date, time) if date is not None else None), extra


def _signal_info(sig: Any) -> dict[str, Any]:
    return {
        "label": sig.label,
        "transducer_type": sig.transducer_type,
        "physical_dimension": sig.physical_dimension,
        "physical_min": float(sig.physical_min),
        "physical_max": float(sig.physical_max),
        "digital_min": int(sig.digital_min),
        "digital_max": int(sig.digital_max),
        "prefiltering": sig.prefiltering,
        "sampling_frequency": float(sig.sampling_frequency),
    }


def _metadata(edf: Any, kind: str, path: Path, signals: list[Any]) -> dict[str, Any]:
    return {
        "format": kind,
        "path": str(path),
        "patient": str(edf.local_patient_identification).strip(),
        "recording_id": str(edf.local_recording_identification).strip(),
        "annotations": tuple(
            (float(a.onset), None if a.duration is None else float(a.duration), a.text)
            for a in edf.annotations
        ),
        "edf_signals": tuple(_signal_info(s) for s in signals),
    }


def read(path: Path, *, leads: LeadSelection = None) -> Recording:
    """Read an EDF/EDF+/BDF file as ADC counts (digital values).

    Every selected signal must be a voltage sampled at one rate; select
    signals with ``leads=`` when the file also holds others.
    """
    edf, kind = _open(path, lazy=False)
    signals = list(edf.signals)
    names = [s.label.strip() for s in signals]
    cols = select_leads(names, leads, path)
    chosen = [signals[j] for j in cols]
    rates = {names[j]: float(signals[j].sampling_frequency) for j in cols}
    if len(set(rates.values())) > 1:
        raise FormatError(
            path,
            "sampling frequency",
            "one rate for every selected signal (select signals of one rate with leads=)",
            rates,
        )
    units = tuple(
        normalise_unit(s.physical_dimension, path, f"physical dimension of signal {s.label!r}")
        for s in chosen
    )
    gains, baselines = zip(*(_gain_baseline(path, s) for s in chosen), strict=True)
    digital = np.column_stack([np.asarray(s.digital) for s in chosen])
    start, extra = _start_time(edf)
    return Recording(
        adc=digital.astype(adc_dtype(digital), copy=False),
        fs=float(chosen[0].sampling_frequency),
        lead_names=tuple(names[j] for j in cols),
        gain=np.asarray(gains),
        baseline=np.asarray(baselines),
        units=units,
        start_time=start,
        name=path.stem,
        metadata={**_metadata(edf, kind, path, chosen), **extra},
    )


def read_header(path: Path) -> RecordHeader:
    """Read an EDF/BDF header (EDF samples are not loaded).

    When signals have different rates, ``fs``/``n_samples`` are those of the
    first signal and ``metadata["edf_signals"]`` lists every signal's rate.
    """
    edf, kind = _open(path, lazy=True)
    signals = list(edf.signals)
    units = []
    for s in signals:
        try:
            units.append(normalise_unit(s.physical_dimension, path, "physical dimension"))
        except FormatError:
            units.append(s.physical_dimension.strip())
    gains, baselines = zip(*(_gain_baseline(path, s) for s in signals), strict=True)
    first = signals[0]
    start, extra = _start_time(edf)
    return RecordHeader(
        path=path,
        format=kind,
        name=path.stem,
        fs=float(first.sampling_frequency),
        n_samples=int(first.samples_per_data_record) * int(edf.num_data_records),
        lead_names=tuple(s.label.strip() for s in signals),
        units=tuple(units),
        gain=np.asarray(gains),
        baseline=np.asarray(baselines),
        start_time=start,
        metadata={**_metadata(edf, kind, path, signals), **extra},
    )
