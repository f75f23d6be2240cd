"""Device-to-host clock model: ``host_time = t0 + k / fs_device``.

Every chunk the reader receives gives one point ``(k, t)``: the index ``k`` of
the last sample in the chunk and the host time ``t`` it arrived. A straight
line fitted to these points by least squares gives the device's true sampling
rate as seen by the host clock (``fs_device = 1 / slope``), hence the clock
drift in ppm, and a timestamp for every sample that is free of the transport's
arrival jitter. The fit is updated online with centred sums (Welford) so it
stays accurate over hours of streaming.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ClockModel"]


class ClockModel:
    """Online least-squares fit of arrival time (s) against sample index.

    Parameters
    ----------
    fs : float
        Nominal sampling rate in Hz, used until the fit spans ``min_span_s``.
    min_span_s : float
        Span of sample indices (in nominal seconds) needed before the fitted
        slope replaces the nominal rate.
    """

    def __init__(self, fs: float, *, min_span_s: float = 1.0) -> None:
        self.fs = float(fs)
        self.min_span = float(min_span_s) * self.fs
        self.n = 0
        self._k0 = 0.0
        self._t0 = 0.0
        self._mx = 0.0
        self._my = 0.0
        self._cxx = 0.0
        self._cxy = 0.0
        self._cyy = 0.0
        self._kmin = np.inf
        self._kmax = -np.inf

    def update(self, k: int, t: float) -> None:
        """Add the point (sample index ``k``, host arrival time ``t`` in s)."""
        if self.n == 0:
            self._k0, self._t0 = float(k), float(t)
        x, y = float(k) - self._k0, float(t) - self._t0
        self.n += 1
        dx = x - self._mx
        self._mx += dx / self.n
        dy = y - self._my
        self._my += dy / self.n
        self._cxx += dx * (x - self._mx)
        self._cxy += dx * (y - self._my)
        self._cyy += dy * (y - self._my)
        self._kmin = min(self._kmin, k)
        self._kmax = max(self._kmax, k)

    @property
    def fitted(self) -> bool:
        """True once enough points over a long enough span were seen."""
        return self.n >= 3 and (self._kmax - self._kmin) >= self.min_span and self._cxx > 0

    def _line(self) -> tuple[float, float]:
        """Return (intercept at k0, slope) in seconds and seconds/sample."""
        if self.fitted:
            slope = self._cxy / self._cxx
            return self._my - slope * self._mx, slope
        return 0.0, 1.0 / self.fs

    def host_time(self, k: np.ndarray) -> np.ndarray:
        """Host time (s) of sample indices ``k``."""
        if self.n == 0:
            raise RuntimeError("clock model has no points yet")
        a, b = self._line()
        return self._t0 + a + b * (np.asarray(k, dtype=np.float64) - self._k0)

    def index_at(self, t: float) -> float:
        """Sample index (fractional) the model predicts at host time ``t``."""
        if self.n == 0:
            raise RuntimeError("clock model has no points yet")
        a, b = self._line()
        return self._k0 + (t - self._t0 - a) / b

    @property
    def fs_estimated(self) -> float:
        """Device sampling rate measured with the host clock, Hz (nan until fitted)."""
        if not self.fitted:
            return float("nan")
        return 1.0 / (self._cxy / self._cxx)

    @property
    def drift_ppm(self) -> float:
        """Device clock error relative to nominal, ppm (positive: device runs fast)."""
        return (self.fs_estimated / self.fs - 1.0) * 1e6

    @property
    def jitter_s(self) -> float:
        """RMS of arrival times around the fitted line, seconds (nan until fitted)."""
        if not self.fitted:
            return float("nan")
        sse = max(self._cyy - self._cxy**2 / self._cxx, 0.0)
        return float(np.sqrt(sse / self.n))
