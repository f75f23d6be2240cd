"""Filter design with scipy: a FilterSpec and a sampling rate become second-order sections.

Everything is designed and kept in second-order-section (SOS) form
(``scipy.signal.butter(..., output="sos")``, never transfer-function
coefficients), which stays numerically sound for very low corners such as a
0.05 Hz high-pass at 1 kHz or more, where the poles sit within 1e-3 of the
unit circle and a polynomial form would lose most of its precision.

Zero-phase (forward-backward) filtering applies the magnitude response twice.
So that both modes deliver the spec's -3 dB corners and notch widths,
``design_filter(..., zero_phase=True)`` moves each Butterworth corner so that
the *squared* response is -3 dB at the spec corner (exact for Butterworth
filters after the bilinear pre-warp) and narrows each notch so that its
squared response is -3 dB at the spec's band edges. Filter types and orders
are the same in both modes.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
import scipy.signal

from ecgcore._validate import check_fs, logger
from ecgcore.filters.presets import resolve_spec
from ecgcore.filters.spec import FilterSpec

__all__ = ["FilterDesign", "default_padlen", "design_filter", "get_design"]

#: A forward-backward pass is -3 dB where one pass is -1.5 dB: ``|H|^2 = 1/sqrt(2)``,
#: i.e. ``1 / |H|^2 - 1 = sqrt(2) - 1``, the factor that enters the designs below.
_FB_FACTOR = math.sqrt(2.0) - 1.0


def _forward_backward_corner(freq: float, fs: float, order: int, btype: str) -> float:
    """Corner (Hz) whose Butterworth response, squared, is -3 dB at ``freq``.

    With ``w = tan(pi f / fs)`` (the bilinear pre-warp), a Butterworth low-pass
    has ``|H|^2 = 1 / (1 + (w / wc)^(2N))``; requiring ``|H|^4 = 1/2`` at ``freq``
    gives ``wc = w / (sqrt(2) - 1)^(1 / 2N)`` (high-pass: multiply instead).
    """
    k = _FB_FACTOR ** (1.0 / (2 * order))
    w = math.tan(math.pi * freq / fs)
    w = w / k if btype == "lowpass" else w * k
    return fs / math.pi * math.atan(w)


def _forward_backward_q(freq: float, fs: float, q: float) -> float:
    """Notch Q whose response, squared, is -3 dB at the band edges of a notch with ``q``.

    ``scipy.signal.iirnotch`` places the band edges where ``|H|^2 = 1/2`` with
    ``beta = tan(bw / 2)``; a gain of ``2^(-1/4)`` at the same edges needs
    ``beta' = sqrt(sqrt(2) - 1) * beta``.
    """
    bw = math.pi * (2.0 * freq / fs) / q
    bw_fb = 2.0 * math.atan(math.sqrt(_FB_FACTOR) * math.tan(bw / 2.0))
    return math.pi * (2.0 * freq / fs) / bw_fb


def _design_sos(spec: FilterSpec, fs: float, zero_phase: bool) -> np.ndarray:
    parts = []
    if spec.highpass_hz is not None:
        fc = spec.highpass_hz
        if zero_phase:
            fc = _forward_backward_corner(fc, fs, spec.highpass_order, "highpass")
        parts.append(scipy.signal.butter(spec.highpass_order, fc, "highpass", fs=fs, output="sos"))
    if spec.lowpass_hz is not None:
        fc = spec.lowpass_hz
        if zero_phase:
            fc = _forward_backward_corner(fc, fs, spec.lowpass_order, "lowpass")
        parts.append(scipy.signal.butter(spec.lowpass_order, fc, "lowpass", fs=fs, output="sos"))
    for f0 in spec.notch_frequencies(fs):
        q = _forward_backward_q(f0, fs, spec.notch_q) if zero_phase else spec.notch_q
        b, a = scipy.signal.iirnotch(f0, q, fs=fs)
        parts.append(np.concatenate([b, a])[np.newaxis, :])
    return np.ascontiguousarray(np.vstack(parts), dtype=np.float64)


def default_padlen(sos: np.ndarray, *, tol: float = 1e-3) -> int:
    """Edge-extension length (samples per side) for forward-backward filtering with ``sos``.

    The number of samples over which the slowest pole of the cascade decays
    to ``tol`` (|p|^n <= tol), i.e. how long the filter remembers its start:
    with an extension this long the start-up of each pass has died out before
    it reaches the signal. It is capped at ``n_samples - 1`` when filtering.
    """
    radius = max(float(np.abs(np.roots(section[3:])).max(initial=0.0)) for section in sos)
    if radius <= 0.0:
        return 1
    return max(1, math.ceil(math.log(tol) / math.log(radius)))


@dataclasses.dataclass(frozen=True, eq=False)
class FilterDesign:
    """A spec designed for one sampling rate and mode (arrays are read-only).

    Attributes
    ----------
    spec : FilterSpec
        What the filter removes.
    fs : float
        Sampling rate in Hz.
    zero_phase : bool
        Designed for forward-backward use.
    sos : ndarray, shape (n_sections, 6)
        Second-order sections.
    zi_unit : ndarray, shape (n_sections, 2)
        Steady-state for a unit step input (``scipy.signal.sosfilt_zi``).
    padlen : int
        Even-extension length per side for forward-backward filtering
        (:func:`default_padlen`).
    """

    spec: FilterSpec
    fs: float
    zero_phase: bool
    sos: np.ndarray
    zi_unit: np.ndarray
    padlen: int


@functools.lru_cache(maxsize=64)
def _cached_design(spec: FilterSpec, fs: float, zero_phase: bool) -> FilterDesign:
    sos = _design_sos(spec, fs, zero_phase)
    zi_unit = np.ascontiguousarray(scipy.signal.sosfilt_zi(sos), dtype=np.float64)
    sos.setflags(write=False)
    zi_unit.setflags(write=False)
    logger.debug(
        "designed filter %s for fs=%g Hz (%s): %d sections",
        spec.describe(),
        fs,
        "zero-phase" if zero_phase else "causal",
        sos.shape[0],
    )
    return FilterDesign(spec, fs, zero_phase, sos, zi_unit, default_padlen(sos))


def get_design(spec_or_preset: FilterSpec | str, fs: float, *, zero_phase: bool) -> FilterDesign:
    """Validate and design ``spec_or_preset`` for ``fs`` (Hz); cached, arrays read-only."""
    spec = resolve_spec(spec_or_preset)
    fs = check_fs(fs)
    spec.check_fs(fs)
    if not isinstance(zero_phase, bool):
        raise TypeError(f"zero_phase must be True or False, got {zero_phase!r}")
    return _cached_design(spec, fs, zero_phase)


def design_filter(
    spec_or_preset: FilterSpec | str, fs: float, *, zero_phase: bool = False
) -> np.ndarray:
    """Design the filter as second-order sections.

    Parameters
    ----------
    spec_or_preset : FilterSpec or str
        A spec or the name of a preset (``"diagnostic"``, ``"monitoring"``,
        ``"detection"``, see :data:`ecgcore.filters.PRESETS`).
    fs : float
        Sampling rate in Hz.
    zero_phase : bool
        Design for forward-backward use (corners adjusted so that the two
        passes together meet the spec, see the module notes). False designs
        the causal filter, whose single-pass response meets the spec.

    Returns
    -------
    sos : ndarray, shape (n_sections, 6)
        High-pass sections, then low-pass sections, then one section per notch;
        usable with ``scipy.signal.sosfilt``/``sosfiltfilt``/``sosfreqz``.

    Raises
    ------
    SignalError
        If ``fs`` is not a positive number, or too low for the spec (a corner
        or notch at or above ``fs / 2``); the message names the filter, ``fs``
        and the lowest usable ``fs``.
    """
    return get_design(spec_or_preset, fs, zero_phase=zero_phase).sos.copy()
