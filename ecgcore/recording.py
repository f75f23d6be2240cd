"""The signal model: integer ADC counts plus everything needed to read them.

A :class:`Recording` keeps what the device or file delivered, as integers,
apart from the physical values (mV) that are computed on demand, in the manner
of wfdb-python's ``d_signal``/``p_signal`` split. Missing samples (dropped
frames, invalid values in a file) are an explicit boolean mask; they become NaN
in physical units and are never interpolated.

Physical value of lead ``j`` at sample ``i``::

    physical[i, j] = (adc[i, j] - baseline[j]) / gain[j]      # in units[j]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

import numpy as np

from ecgcore.errors import SignalError

__all__ = ["UNIT_SCALE_TO_MV", "Recording"]

#: Multiply a value in the key's unit by this to get millivolts.
UNIT_SCALE_TO_MV: Mapping[str, float] = MappingProxyType(
    {"V": 1e3, "mV": 1.0, "uV": 1e-3, "µV": 1e-3, "μV": 1e-3, "nV": 1e-6}
)


def _unit_scale(unit: str, lead: str) -> float:
    try:
        return UNIT_SCALE_TO_MV[unit]
    except KeyError:
        raise SignalError(
            f"lead {lead!r}: unit {unit!r} is not a voltage; expected one of "
            f"{', '.join(UNIT_SCALE_TO_MV)}"
        ) from None


@dataclasses.dataclass(frozen=True, eq=False)
class Recording:
    """A multi-lead ECG recording stored as ADC counts.

    Parameters
    ----------
    adc : ndarray of int, shape (n_samples, n_leads)
        Samples as integer ADC counts, exactly as acquired or stored.
    fs : float
        Sampling rate in Hz.
    lead_names : sequence of str
        One name per lead, e.g. ``("I", "II", "V1")``.
    gain : array_like of float, shape (n_leads,)
        ADC counts per physical unit (counts/mV for ``units="mV"``).
    baseline : array_like of int or float, shape (n_leads,)
        ADC count that corresponds to 0 physical units. Integer for WFDB and
        most devices (stored as int64); EDF files with a symmetric range such
        as digital -32768..32767 for physical -X..X have a baseline of -0.5
        counts, so a fractional baseline is kept exactly (stored as float64).
    units : sequence of str
        Physical unit per lead (``"mV"``, ``"uV"``, ``"V"``).
    missing : ndarray of bool, shape (n_samples, n_leads), optional
        True where a sample is missing (not acquired or invalid). The ADC
        value there is meaningless.
    start_time : datetime, optional
        Time of the first sample (timezone-aware when known).
    name : str
        Record name (file stem for records read from disk).
    metadata : mapping
        Anything else: device info, filter settings, comments, source path.
    """

    adc: np.ndarray
    fs: float
    lead_names: tuple[str, ...]
    gain: np.ndarray
    baseline: np.ndarray
    units: tuple[str, ...]
    missing: np.ndarray | None = None
    start_time: datetime | None = None
    name: str = "record"
    metadata: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        adc = np.asarray(self.adc)
        if adc.ndim == 1:
            adc = adc[:, None]
        if adc.ndim != 2:
            raise SignalError(f"adc must have shape (n_samples, n_leads), got {adc.shape}")
        if not np.issubdtype(adc.dtype, np.integer):
            raise SignalError(f"adc must hold integer ADC counts, got dtype {adc.dtype}")
        n_leads = adc.shape[1]
        fs = float(self.fs)
        if not np.isfinite(fs) or fs <= 0:
            raise SignalError(f"fs must be a positive number in Hz, got {self.fs!r}")
        lead_names = tuple(str(n) for n in self.lead_names)
        units = tuple(str(u) for u in self.units)
        gain = np.array(self.gain, dtype=np.float64).reshape(-1)
        baseline = np.asarray(self.baseline).reshape(-1)
        for field, value in (("lead_names", lead_names), ("units", units)):
            if len(value) != n_leads:
                raise SignalError(f"{field} has {len(value)} entries for {n_leads} leads")
        for field, arr in (("gain", gain), ("baseline", baseline)):
            if arr.shape != (n_leads,):
                raise SignalError(f"{field} must have shape ({n_leads},), got {arr.shape}")
        if not np.all(np.isfinite(gain)) or np.any(gain == 0):
            raise SignalError(f"gain must be finite and non-zero for every lead, got {gain}")
        if not np.issubdtype(baseline.dtype, np.number) or np.issubdtype(
            baseline.dtype, np.complexfloating
        ):
            raise SignalError(f"baseline must be real ADC counts, got dtype {baseline.dtype}")
        if not np.all(np.isfinite(baseline)):
            raise SignalError(f"baseline must be finite for every lead, got {baseline}")
        if not np.issubdtype(baseline.dtype, np.integer):
            baseline = baseline.astype(np.float64)
            if np.all(baseline == np.round(baseline)):
                baseline = baseline.astype(np.int64)
        for unit, lead in zip(units, lead_names, strict=True):
            _unit_scale(unit, lead)
        missing = self.missing
        if missing is not None:
            missing = np.asarray(missing, dtype=bool)
            if missing.ndim == 1:
                missing = missing[:, None]
            if missing.shape != adc.shape:
                raise SignalError(f"missing mask shape {missing.shape} != adc shape {adc.shape}")
            if not missing.any():
                missing = None
        adc.setflags(write=False)
        if missing is not None:
            missing.setflags(write=False)
        set_ = object.__setattr__
        set_(self, "adc", adc)
        set_(self, "fs", fs)
        set_(self, "lead_names", lead_names)
        set_(self, "units", units)
        set_(self, "gain", gain)
        baseline = baseline.astype(np.float64 if baseline.dtype.kind == "f" else np.int64)
        baseline.setflags(write=False)
        gain.setflags(write=False)
        set_(self, "baseline", baseline)
        set_(self, "missing", missing)
        set_(self, "metadata", MappingProxyType(dict(self.metadata)))

    # ------------------------------------------------------------------ shape
    @property
    def n_samples(self) -> int:
        """Number of samples per lead."""
        return int(self.adc.shape[0])

    @property
    def n_leads(self) -> int:
        """Number of leads."""
        return int(self.adc.shape[1])

    @property
    def duration_s(self) -> float:
        """Duration in seconds (``n_samples / fs``)."""
        return self.n_samples / self.fs

    @property
    def missing_mask(self) -> np.ndarray:
        """Boolean mask of missing samples, shape (n_samples, n_leads) (all False if none)."""
        if self.missing is None:
            return np.zeros(self.adc.shape, dtype=bool)
        return self.missing

    def lead_index(self, lead: int | str) -> int:
        """Return the column index of ``lead`` given by name or index."""
        if isinstance(lead, str):
            try:
                return self.lead_names.index(lead)
            except ValueError:
                raise SignalError(
                    f"record {self.name!r} has no lead {lead!r}; leads are {list(self.lead_names)}"
                ) from None
        idx = int(lead)
        if not -self.n_leads <= idx < self.n_leads:
            raise SignalError(
                f"record {self.name!r} has {self.n_leads} leads; lead index {idx} is out of range"
            )
        return idx % self.n_leads

    # --------------------------------------------------------------- physical
    def physical(self, unit: str = "mV", leads: Sequence[int | str] | None = None) -> np.ndarray:
        """Return physical values, shape (n_samples, n_leads), NaN where missing.

        Parameters
        ----------
        unit : str
            Target unit, ``"mV"`` (default), ``"uV"`` or ``"V"``.
        leads : sequence of int or str, optional
            Subset of leads (by index or name); all leads by default.
        """
        target = _unit_scale(unit, "<target>")
        cols = (
            list(range(self.n_leads))
            if leads is None
            else [self.lead_index(lead) for lead in leads]
        )
        out = np.empty((self.n_samples, len(cols)), dtype=np.float64)
        for k, j in enumerate(cols):
            # Divide by the gain (rather than multiply by its reciprocal) so that
            # values in the stored unit equal wfdb's p_signal bit for bit.
            np.divide(self.adc[:, j] - self.baseline[j], self.gain[j], out=out[:, k])
            scale = _unit_scale(self.units[j], self.lead_names[j]) / target
            if scale != 1.0:
                out[:, k] *= scale
        if self.missing is not None:
            out[self.missing[:, cols]] = np.nan
        return out

    def lead_mv(self, lead: int | str = 0) -> np.ndarray:
        """Return one lead in mV as a 1-D float64 array (NaN where missing)."""
        return self.physical("mV", [lead])[:, 0]

    @classmethod
    def from_physical(
        cls,
        signal: np.ndarray,
        fs: float,
        lead_names: Sequence[str] | None = None,
        *,
        unit: str = "mV",
        resolution: float = 1e-3,
        **kwargs: Any,
    ) -> Recording:
        """Quantise physical values to ADC counts.

        Parameters
        ----------
        signal : ndarray, shape (n_samples,) or (n_samples, n_leads)
            Physical values in ``unit``; NaN marks missing samples.
        fs : float
            Sampling rate in Hz.
        lead_names : sequence of str, optional
            Defaults to ``("ch0", "ch1", ...)``.
        unit : str
            Unit of ``signal``.
        resolution : float
            Value of one ADC count in ``unit`` (default 1e-3, i.e. 1 µV per
            count for mV input). Values are rounded to this resolution.
        """
        sig = np.asarray(signal, dtype=np.float64)
        if sig.ndim == 1:
            sig = sig[:, None]
        if sig.ndim != 2:
            raise SignalError(f"signal must have shape (n_samples, n_leads), got {sig.shape}")
        if not (np.isfinite(resolution) and resolution > 0):
            raise SignalError(f"resolution must be positive, got {resolution!r}")
        missing = np.isnan(sig)
        counts = np.round(np.where(missing, 0.0, sig) / resolution)
        limit = np.iinfo(np.int32).max
        if np.any(np.abs(counts) > limit):
            raise SignalError(
                f"signal exceeds the int32 ADC range at resolution {resolution:g} {unit}"
            )
        n_leads = sig.shape[1]
        names = (
            tuple(lead_names)
            if lead_names is not None
            else tuple(f"ch{i}" for i in range(n_leads))
        )
        return cls(
            adc=counts.astype(np.int32),
            fs=fs,
            lead_names=names,
            gain=np.full(n_leads, 1.0 / resolution),
            baseline=np.zeros(n_leads, dtype=np.int64),
            units=(unit,) * n_leads,
            missing=missing if missing.any() else None,
            **kwargs,
        )

    # ---------------------------------------------------------------- slicing
    def slice_idx(self, start_idx: int, stop_idx: int | None = None) -> Recording:
        """Return samples ``start_idx:stop_idx`` (sample indices) as a new recording."""
        n = self.n_samples
        stop = n if stop_idx is None else int(stop_idx)
        start = int(start_idx)
        if not 0 <= start <= stop <= n:
            raise SignalError(
                f"slice {start}:{stop} is outside record {self.name!r} of {n} samples"
            )
        start_time = (
            self.start_time + timedelta(seconds=start / self.fs)
            if self.start_time is not None
            else None
        )
        return dataclasses.replace(
            self,
            adc=self.adc[start:stop],
            missing=None if self.missing is None else self.missing[start:stop],
            start_time=start_time,
            metadata=dict(self.metadata),
        )

    def slice_s(self, start_s: float, stop_s: float | None = None) -> Recording:
        """Return the part between ``start_s`` and ``stop_s`` seconds from the start."""
        start = round(start_s * self.fs)
        stop = None if stop_s is None else round(stop_s * self.fs)
        return self.slice_idx(start, stop)

    def pick(self, leads: Sequence[int | str]) -> Recording:
        """Return a recording with only ``leads`` (names or indices), in that order."""
        cols = [self.lead_index(lead) for lead in leads]
        return dataclasses.replace(
            self,
            adc=self.adc[:, cols],
            lead_names=tuple(self.lead_names[j] for j in cols),
            gain=self.gain[cols],
            baseline=self.baseline[cols],
            units=tuple(self.units[j] for j in cols),
            missing=None if self.missing is None else self.missing[:, cols],
            metadata=dict(self.metadata),
        )

    def __repr__(self) -> str:
        return (
            f"Recording(name={self.name!r}, n_leads={self.n_leads}, fs={self.fs:g} Hz, "
            f"duration={self.duration_s:.1f} s, leads={list(self.lead_names)})"
        )
