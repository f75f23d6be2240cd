"""``sim://ecg?...`` - the simulated patient as a device, and :func:`simulate_ecg`.

The device streams the samples of :func:`simulate_ecg` with the same
parameters, paced by the wall clock (``speed=`` times real time), with lead-off
reported per lead. Query parameters (all optional)::

    leads=12            12, 8, 6, 3, 2, 1 or lead names (leads=I,II,V2)
    fs=500              sampling rate, Hz
    hr=72               mean rate, bpm (default per rhythm)
    rhythm=sinus        sinus | pvc | afib | vt | vf | asystole | pause
    schedule=...        rhythm changes, e.g. sinus:20,vf:10,asystole (RHYTHM[@HR]:SECONDS)
    repeat=0            repeat the schedule forever
    pvc_rate=0.15       fraction of premature ventricular beats
    pause_s=3           pause length of rhythm=pause, s
    noise=0.01          broadband noise, mV RMS
    emg=0               muscle noise, mV RMS
    wander=0.05         baseline wander, mV
    mains=0             power-line interference, mV; mains_hz=50|60
    motion=0            motion-artifact bursts per minute
    f_wave=0.1          AF f-wave amplitude, mV
    lead_off=LA:5-10    detached electrode(s) (RA, LA, LL, V1..V6, RL), optional span in s
    calibration=0       1 mV, 200 ms calibration pulse at 0.1 s
    seed=0              random seed
    duration=...        end the stream after this many seconds (default endless)
    speed=1             pace, times real time
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from ecgcore._version import __version__
from ecgcore.drivers._patient import (
    GAIN,
    RAIL_COUNTS,
    LeadOff,
    PatientModel,
    PatientParams,
    RhythmEpisode,
    SimTruth,
    SimulatedECG,
    simulate_ecg,
)
from ecgcore.drivers._patient_rhythm import RHYTHMS
from ecgcore.drivers.base import ChannelInfo, DeviceInfo
from ecgcore.drivers.paced import PacedDevice
from ecgcore.drivers.registry import DeviceURL, common_options, register_scheme
from ecgcore.errors import DeviceError, SignalError

__all__ = [
    "RHYTHMS",
    "LeadOff",
    "PatientParams",
    "RhythmEpisode",
    "SimDevice",
    "SimTruth",
    "SimulatedECG",
    "simulate_ecg",
]

#: URL parameter -> (PatientParams field, parser name).
_URL_PARAMS = {
    "fs": "float", "hr": "float", "rhythm": "str", "schedule": "str", "repeat": "bool",
    "pvc_rate": "float", "pause_s": "float", "noise": "float", "emg": "float",
    "wander": "float", "mains": "float", "mains_hz": "float", "motion": "float",
    "f_wave": "float", "lead_off": "str", "calibration": "bool", "seed": "int",
}  # fmt: skip


class SimDevice(PacedDevice):
    """The simulated patient as a streaming device.

    Parameters
    ----------
    url : str
        URL for messages.
    params : PatientParams
        The patient.
    duration_s : float, optional
        Stop after this many seconds of samples (an ``end`` event follows).
    **options
        ``speed`` and the common device options.
    """

    def __init__(
        self, url: str, params: PatientParams, *, duration_s: float | None = None, **options: Any
    ) -> None:
        super().__init__(url, reports_lead_off=True, **options)
        self.params = params
        if duration_s is not None and not (math.isfinite(duration_s) and duration_s > 0):
            raise DeviceError(f"{url}: duration must be a positive number of seconds")
        self._total = None if duration_s is None else round(duration_s * params.fs)
        self._model: PatientModel | None = None
        self._cache_data, self._cache_off = self._empty()
        self._cache_first = self._cache_stop = 0

    #: Seconds of samples computed at once (served in the clock's smaller slices).
    GENERATE_S = 0.1
    #: Smallest slice of samples released to the reader, seconds of signal.
    DELIVER_S = 0.01

    @classmethod
    def from_url(cls, url: DeviceURL) -> SimDevice:
        """Build from ``sim://ecg?leads=12&fs=500&...``."""
        if url.target not in ("", "ecg"):
            raise DeviceError(f"{url.raw}: unknown simulator {url.target!r}; expected sim://ecg")
        getters = {"float": url.get_float, "int": url.get_int, "str": url.get_str}
        kwargs: dict[str, Any] = {}
        for name, kind in _URL_PARAMS.items():
            if kind == "bool":
                if name in url.params:
                    kwargs[name] = url.get_bool(name, False)
                continue
            value = getters[kind](name)
            if value is not None:
                kwargs[name] = value
        leads = url.get_str("leads")
        if leads is not None:
            kwargs["leads"] = int(leads) if leads.isdigit() else tuple(leads.split(","))
        try:
            params = PatientParams(**kwargs)
        except SignalError as exc:
            raise DeviceError(f"{url.raw}: {exc}") from None
        return cls(
            url.raw,
            params,
            duration_s=url.get_float("duration"),
            speed=url.get_float("speed", 1.0),
            **common_options(url),
        )

    def _open_source(self) -> DeviceInfo:
        self._model = PatientModel(self.params)
        p = self.params
        desc = f"simulated, {1e3 / GAIN:g} uV/count, range ±{RAIL_COUNTS / GAIN:g} mV"
        channels = tuple(ChannelInfo(name, "mV", GAIN, "ecg", desc) for name in p.leads)
        return DeviceInfo(
            model="ecgcore simulated patient",
            serial_number=f"SIM-{p.seed}",
            firmware=f"ecgcore {__version__}",
            channels=channels,
            fs=p.fs,
            extra={
                "simulator": p.as_dict(),
                "adc_bits": 16,
                "adc_range": (-RAIL_COUNTS, RAIL_COUNTS),
                "lead_off": "saturated",
            },
        )

    def _n_samples(self) -> int | None:
        return self._total

    def _generate(self, start_sample: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        # The clock asks for a few samples every few milliseconds; computing the
        # patient in slices of at least GENERATE_S and serving from them keeps the
        # cost per call small (samples do not depend on the slicing).
        assert self._model is not None
        stop = start_sample + n
        if not (self._cache_first <= start_sample and stop <= self._cache_stop):
            if start_sample != self._cache_stop:
                self._cache_data, self._cache_off = self._empty()
                self._cache_first = self._cache_stop = start_sample
            keep = start_sample - self._cache_first
            ahead = max(stop - self._cache_stop, round(self.GENERATE_S * self.params.fs))
            counts, lead_off = self._model.generate(self._cache_stop, ahead)
            self._cache_data = np.vstack([self._cache_data[keep:], counts / GAIN])
            self._cache_off = np.vstack([self._cache_off[keep:], lead_off])
            self._cache_first = start_sample
            self._cache_stop += ahead
        a, b = start_sample - self._cache_first, stop - self._cache_first
        return self._cache_data[a:b], self._cache_off[a:b]

    def _pump(self, timeout_s: float) -> bool:
        # Release samples in slices of at least DELIVER_S, as a device's packets
        # arrive, rather than a few samples every couple of milliseconds.
        fs = self.info.fs * self.speed
        due = self._base + int((time.monotonic() - self._t0) * fs)
        if self._total is not None:
            due = min(due, self._total)
        pending = due - self.next_sample
        granule = max(1, round(self.DELIVER_S * fs))
        if 0 < pending < granule and (self._total is None or due < self._total):
            time.sleep(min(timeout_s, (granule - pending) / fs))
            return True
        return super()._pump(timeout_s)

    def _empty(self) -> tuple[np.ndarray, np.ndarray]:
        n = len(self.params.leads)
        return np.zeros((0, n)), np.zeros((0, n), dtype=bool)


register_scheme(
    "sim",
    SimDevice.from_url,
    description="simulated 12-lead patient (rhythms, noise, lead-off), paced in real time",
    example="sim://ecg?leads=12&fs=500",
)
