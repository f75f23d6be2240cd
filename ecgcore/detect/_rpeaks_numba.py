"""Numba kernels of the streaming R-peak detector.

Plain functions over arrays, compiled through :func:`ecgcore._jit.jit`. All
state lives in the arrays of :class:`ecgcore.detect.rpeaks.RPeakDetector`, and
batch detection is this same kernel run over the whole record (one source), so
any chunking of a stream gives exactly the same peaks.

Written by hand because no maintained library offers a streaming,
chunk-invariant QRS detector. The decision rules follow Pan & Tompkins (IEEE
TBME 32(3), 1985) and Hamilton's open-source detector (median-of-8 peak levels,
pre-blanking, search-back, baseline-shift and T-wave checks), with the changes
documented here.

Per input sample (full rate ``fs``, O(1), no allocation)
--------------------------------------------------------
1. The sample goes into the ``raw`` ring, where peaks are placed at full
   resolution.
2. Decimation by ``D`` (``fs / D`` is the internal rate, 100 to 200 Hz): a
   triangular anti-alias window over ``2 D - 1`` samples (two multiply-adds per
   sample), evaluated once per block of ``D`` samples (blocks aligned to
   absolute sample indices, so chunking cannot matter). Like Hamilton's
   detector running at 200 Hz, detection needs no more than this, and all of
   the filtering below costs ``1 / D`` per input sample.
3. A missing sample (NaN/inf) is "no signal": its block yields nothing, pending
   candidates are decided, and when the signal returns the band-pass restarts
   in steady state for the new level (no step transient), as at the start.

Per internal sample
-------------------
4. ``y``: Butterworth band-pass (the ``"detection"`` preset of
   :mod:`ecgcore.filters`); ``d = y[m] - y[m - k]`` (derivative over one period
   of the upper band edge); the feature is the moving average of ``|d|`` over
   ``W`` samples.
5. Maxima of the feature above a floor (a hump ends when the feature falls
   below half its maximum, or a timeout after it) are held for a pre-blanking
   interval of 250 ms; a larger one arriving meanwhile replaces the held one
   (so a P-wave yields to its QRS), a smaller one is dropped. A candidate that
   already looks like a QRS (above the strong level, steep, no baseline shift,
   no more than 100 ms before the median RR is due; see :func:`_hold_length`)
   is released at once, which cuts the confirmation delay of regular beats
   from about 400 ms to under 200 ms. A released candidate carries its largest
   ``|d|`` and a baseline-shift flag.
6. During the first 8 s candidates are only queued; the initial QRS level is
   the median of the largest candidate of each second (one artifact cannot set
   it), then the queue is decided by the rules below, so short records and
   the first beats are handled like all others.
7. A candidate is a QRS when it exceeds ``noise + th * (qrs - noise)``
   (medians of the last 8 QRS and noise peaks), is no baseline shift, is outside
   the refractory period and is no T-wave (within 360 ms of a QRS with less than
   half its slope). Otherwise it is noise and kept for search-back: when no QRS
   follows within 1.5 median RR, the largest kept candidate above a reduced
   threshold becomes a QRS; the reduced threshold halves again for every
   further interval without a beat.
8. Each QRS is placed on the dominant extreme of the raw signal (R or S,
   whichever lies farther from the local isoelectric level) in a window around
   the candidate's delay-compensated position.

The hot loop handles steps 1-5 with its state in local variables; the rules
of steps 6-8 run only at events (a pre-blanking interval ends, learning ends,
a search-back can first succeed, a gap begins), whose times are known ahead.

Positions (candidates, RR intervals, peaks) are full-rate sample indices; a
candidate found at internal sample ``m`` is at the last sample of its block,
``m * D + D - 1``. The state ``st`` is one record of :data:`STATE_DTYPE`:
parameters ``par`` (``P_*``), integer and float state ``ist``, ``fst``
(``I_*``, ``F_*``), the band-pass and decimator, kept candidates ``cand``
(``C_*`` columns), median buffers ``bufs`` (rows ``B_*``), the peaks confirmed
by the current event, the internal-rate rings (rows ``R_*``) and the full-rate
ring ``raw``. The helpers take their arrays from it as plain views
(``st.ist[:]``): numba compiles indexing into a record's nested array
noticeably slower than into an array view.
"""

from __future__ import annotations

import numpy as np

from ecgcore._jit import jit

# parameters (float64 vector filled by rpeaks._parameters); (i) internal samples,
# (f) full-rate samples
P_D = 0  # decimation factor
P_W = 1  # moving-average window (i)
P_K = 2  # derivative lag (i)
P_PREBLANK = 3  # pre-blanking interval (i)
P_PEAK_TIMEOUT = 4  # a hump ends this long after its maximum (i)
P_BLS_WIN = 5  # baseline-shift check window ending at the feature peak (i)
P_BLS_PAIR = 6  # largest distance of the +/- slope pair of a QRS (i)
P_TWAVE = 7  # T-wave check interval after a QRS (f)
P_TWAVE_RATIO = 8  # slope ratio under which a candidate near a QRS is a T-wave
P_TH = 9  # threshold position between the noise and QRS levels
P_DELAY = 10  # candidate position -> QRS centre (f)
P_REFINE_BEFORE = 11  # extreme search starts this long before the QRS centre (f)
P_REFINE_AFTER = 12  # extreme search ends this long after the QRS centre (f)
P_FLOOR = 13  # smallest feature peak considered (mV)
P_SB_FACTOR = 14  # search-back threshold factor
P_REFRACT = 15  # refractory period (f)
P_LEARN = 16  # learning period after the first candidate (f)
P_RR_INIT = 17  # initial RR interval (f)
P_RR_MAX = 18  # longest RR interval used for the search-back interval (f)
P_SB_MIN_GAP = 19  # search-back candidates start this long after a QRS (f)
P_BASE_SPAN = 20  # isoelectric level from +/- this around the QRS centre (f)
P_LEARN_BIN = 21  # learning: one initial QRS level per bin of this length (f)
P_PREBLANK_STRONG = 22  # pre-blanking of a candidate already above the strong level (i)
P_STRONG = 23  # strong level's position between the noise and QRS levels
P_STRONG_SLOPE = 24  # least slope of a strong candidate, relative to the last QRS's
P_STRONG_EARLY = 25  # a strong candidate is at most this much earlier than the median RR (f)
P_RING_SIZE = 26  # samples in use of each internal-rate ring (a power of two, <= RING_CAP)
P_RAW_SIZE = 27  # samples in use of the full-rate ring (a power of two, <= RAW_CAP)
N_PARAMS = 28

# integer state
I_N = 0  # absolute index of the next input sample
I_NOW = 1  # newest sample available to the decision rules
I_NPEAKS = 2  # confirmed peaks waiting in ``peaks`` (moved to the caller's output)
I_RESTART = 3  # 1 while there is no signal (start, gap)
I_SEG_START = 4  # first sample of the current finite segment
I_VALID_BLOCKS = 5  # complete finite blocks since the segment started
I_BLOCK_BAD = 6  # 1 if the current block has a missing or pre-segment sample
I_FIRST_OUT = 7  # 1 when the next internal sample restarts the band-pass
I_PK_POS = 8  # position of the running hump maximum
I_PK_TIME = 9  # internal samples since the hump maximum (0: no hump)
I_HOLD_AT = 10  # sample at which the held candidate was held (-1: none held)
I_HOLD_POS = 11  # position of the held candidate
I_LAST_QRS = 12  # position of the last QRS candidate (-1: none yet)
I_SB_REF = 13  # search-back reference: last QRS or end of the last gap (-1: none)
I_LAST_EMIT = 14  # last emitted peak
I_NCAND = 15  # kept candidates (learning queue, then search-back)
I_LEARNING = 16  # 1 while the initial levels are being learned
I_LEARN_END = 17  # end of learning, -1 until the first candidate
I_RR_VALID = 18  # 1 when the next QRS may add an RR interval
I_NQRS = 19  # QRS peaks seen (median buffer count)
I_NNOISE = 20  # noise peaks seen
I_NRR = 21  # RR intervals seen
I_NEXT_EVENT = 22  # next sample at which a timer (release, learning, search-back) is due
I_EMIT_POS = 23  # position of a hump that ended when a timer was due
I_HOLD_END = 24  # sample at which the held candidate is released
I_SLOPE_POS = 25  # candidate whose slope features F_SLOPE_* hold (-1: none)
N_ISTATE = 26

# float state
F_CUR = 0  # decimator: weighted sum of the current block
F_NXT = 1  # decimator: the current block's share of the next output
F_CARRY = 2  # decimator: the previous block's share of the current output
F_SUM = 3  # running sum of |d| over the window
F_M_LAST = 4  # previous feature value
F_PK_MAX = 5  # running hump maximum
F_HOLD_VAL = 6  # held candidate: feature peak
F_QRS_LEVEL = 7  # median of the last 8 QRS peaks
F_NOISE_LEVEL = 8  # median of the last 8 noise peaks (0 until the first)
F_THRESH = 9  # detection threshold
F_LASTMAX = 10  # largest |d| of the last QRS
F_SB_INTERVAL = 11  # search-back interval (f)
F_EMIT_VAL = 12  # feature peak of the hump that just ended
F_RR_MEDIAN = 13  # median of the last 8 RR intervals (f; 0 until the first)
F_SLOPE_DER = 14  # largest |d| of candidate I_SLOPE_POS
F_SLOPE_BLS = 15  # baseline-shift flag of candidate I_SLOPE_POS
N_FSTATE = 16

# candidate columns
C_POS = 0
C_VAL = 1
C_DER = 2
C_BLS = 3
N_CCOLS = 4

# median buffers (rows of ``bufs``), 8 entries each
B_QRS = 0
B_NOISE = 1
B_RR = 2
N_BUFS = 3
NBUF = 8

N_SECTIONS = 2  # second-order sections of the band-pass (a 4th-order band-pass at most)
SB_FACTOR_MIN = 1e-3  # search-back stops halving its threshold factor here

# internal-rate rings (rows of ``rings``)
R_Y = 0
R_D = 1
N_RINGS = 2

# capacities of the state record: the same for every fs, so that one compiled
# kernel serves all rates (the rings use their first P_RING_SIZE / P_RAW_SIZE
# samples)
DEC_CAP = 20  # decimation factor at most fs / 100 Hz for fs <= 2000 Hz
RING_CAP = 1 << 9  # 2 s at 200 Hz plus the moving-average window and derivative lag
RAW_CAP = 1 << 15  # 10 s (learning plus 2 s) at 2000 Hz
CAND_CAP = 64  # kept candidates (learning queue, search-back)
# peaks confirmed by one event or by the end of the stream: each accepted QRS is a
# kept or queued candidate or the candidate being decided (fewer than 2 CAND_CAP + 2)
PEAK_CAP = 4 * CAND_CAP

# The whole state is one NumPy record (scalars as vectors, buffers as fixed-size
# subarrays). A record passes between compiled functions as one pointer with no
# reference counting, where a tuple of arrays costs two atomic operations per
# array and call, which dominated the decision rules' time.
STATE_DTYPE = np.dtype(
    [
        ("par", np.float64, (N_PARAMS,)),
        ("ist", np.int64, (N_ISTATE,)),
        ("fst", np.float64, (N_FSTATE,)),
        ("sos", np.float64, (N_SECTIONS, 6)),  # band-pass at the internal rate
        ("zi", np.float64, (N_SECTIONS, 2)),  # its state (scipy layout)
        ("zi_unit", np.float64, (N_SECTIONS, 2)),  # its steady state for a unit input
        ("w_cur", np.float64, (DEC_CAP,)),  # decimator weights: current internal sample
        ("w_next", np.float64, (DEC_CAP,)),  # decimator weights: next internal sample
        ("cand", np.float64, (CAND_CAP, N_CCOLS)),
        ("queue", np.float64, (CAND_CAP, N_CCOLS)),  # learning queue being decided
        ("bufs", np.float64, (N_BUFS, NBUF)),
        ("peaks", np.int64, (PEAK_CAP,)),
        ("rings", np.float64, (N_RINGS, RING_CAP)),
        ("raw", np.float64, (RAW_CAP,)),
    ]
)


@jit
def _median_of_8(v: tuple[float, ...]) -> float:
    """Mean of the 4th and 5th smallest of eight values (Batcher's odd-even merge sort)."""
    a, b, c, d, e, f, g, h = v
    a, b = min(a, b), max(a, b)
    c, d = min(c, d), max(c, d)
    e, f = min(e, f), max(e, f)
    g, h = min(g, h), max(g, h)
    a, c = min(a, c), max(a, c)
    b, d = min(b, d), max(b, d)
    e, g = min(e, g), max(e, g)
    f, h = min(f, h), max(f, h)
    b, c = min(b, c), max(b, c)
    f, g = min(f, g), max(f, g)
    a, e = min(a, e), max(a, e)
    b, f = min(b, f), max(b, f)
    c, g = min(c, g), max(c, g)
    d, h = min(d, h), max(d, h)
    c, e = min(c, e), max(c, e)
    d, f = min(d, f), max(d, f)
    b, c = min(b, c), max(b, c)
    d, e = min(d, e), max(d, e)
    f, g = min(f, g), max(f, g)
    return 0.5 * (d + e)


@jit
def _median_of_9(v: tuple[float, ...]) -> float:
    """The 5th smallest of nine values (19-step median network; Paeth, Graphics Gems, 1990)."""
    a, b, c, d, e, f, g, h, i = v
    b, c = min(b, c), max(b, c)
    e, f = min(e, f), max(e, f)
    h, i = min(h, i), max(h, i)
    a, b = min(a, b), max(a, b)
    d, e = min(d, e), max(d, e)
    g, h = min(g, h), max(g, h)
    b, c = min(b, c), max(b, c)
    e, f = min(e, f), max(e, f)
    h, i = min(h, i), max(h, i)
    a, d = min(a, d), max(a, d)
    f, i = min(f, i), max(f, i)
    e, h = min(e, h), max(e, h)
    d, g = min(d, g), max(d, g)
    b, e = min(b, e), max(b, e)
    c, f = min(c, f), max(c, f)
    e, h = min(e, h), max(e, h)
    e, c = min(e, c), max(e, c)
    g, e = min(g, e), max(g, e)
    e, c = min(e, c), max(e, c)
    return e


@jit
def _median8(buf: np.ndarray, n: int) -> float:
    """Median of the first ``min(n, 8)`` entries of ``buf`` (branch-free ranks)."""
    m = min(n, NBUF)
    if m == NBUF:  # the usual case: a sorting network on registers
        return _median_of_8((buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], buf[6], buf[7]))
    lo_rank = (m - 1) // 2
    hi_rank = m // 2
    total = 0.0
    for a in range(m):
        va = buf[a]
        below = 0
        equal = 0
        earlier = 0
        for b in range(m):
            below += buf[b] < va
            equal += buf[b] == va
            earlier += (buf[b] == va) & (b < a)
        # va occupies the sorted ranks below .. below + equal - 1 (counted once)
        hits = (below <= lo_rank < below + equal) + (below <= hi_rank < below + equal)
        total += va * hits * (earlier == 0)
    return 0.5 * total


@jit
def _update_threshold(st, qrs_changed: bool) -> None:
    """Threshold from the median QRS and noise peaks (recomputing what changed)."""
    par = st.par[:]
    ist = st.ist[:]
    fst = st.fst[:]
    bufs = st.bufs[:]
    if qrs_changed:
        fst[F_QRS_LEVEL] = _median8(bufs[B_QRS], ist[I_NQRS])
    else:
        fst[F_NOISE_LEVEL] = _median8(bufs[B_NOISE], ist[I_NNOISE])
    qrs = fst[F_QRS_LEVEL]
    noise = fst[F_NOISE_LEVEL]
    fst[F_THRESH] = noise + par[P_TH] * (qrs - noise)


@jit
def _refine(st, pos: int) -> int:
    """Sample of the dominant extreme of the raw signal around the QRS of ``pos``.

    The search runs from ``refine_before`` samples before the delay-compensated
    centre to ``refine_after`` samples after it (wide complexes make the
    feature peak late, never early). The peak is the window's maximum or
    minimum, whichever lies farther from the local isoelectric level (the
    median of 9 samples spread over +/- ``base_span`` around the centre, mostly
    outside even a wide QRS), so baseline offset and wander do not matter. An
    extreme on the window's edge is a slope, not a peak, and is not taken.
    Returns -1 when the window is empty.
    """
    par = st.par[:]
    ist = st.ist[:]
    raw = st.raw[:]
    n_raw = int(par[P_RAW_SIZE])
    mask = n_raw - 1
    newest = ist[I_NOW]
    centre = pos - int(par[P_DELAY])
    # never closer than half the refractory period to the previous peak, never
    # before the current segment or outside the ring
    lo = max(
        centre - int(par[P_REFINE_BEFORE]),
        ist[I_LAST_EMIT] + int(par[P_REFRACT]) // 2,
        newest - n_raw + 2,
        ist[I_SEG_START],
    )
    hi = min(centre + int(par[P_REFINE_AFTER]), newest)
    if hi < lo:
        return -1
    # isoelectric level: median of 9 samples spread over +/- `P_BASE_SPAN` around
    # the centre (wider than a wide QRS, so mostly outside the complex)
    b_lo = max(centre - int(par[P_BASE_SPAN]), newest - n_raw + 2, ist[I_SEG_START])
    b_hi = min(centre + int(par[P_BASE_SPAN]), newest)
    b_span = max(b_hi - b_lo, 0)
    base = _median_of_9(
        (
            raw[b_lo & mask],
            raw[(b_lo + b_span // 8) & mask],
            raw[(b_lo + b_span * 2 // 8) & mask],
            raw[(b_lo + b_span * 3 // 8) & mask],
            raw[(b_lo + b_span * 4 // 8) & mask],
            raw[(b_lo + b_span * 5 // 8) & mask],
            raw[(b_lo + b_span * 6 // 8) & mask],
            raw[(b_lo + b_span * 7 // 8) & mask],
            raw[(b_lo + b_span) & mask],
        )
    )
    t_max = lo
    t_min = lo
    v_max = raw[lo & mask]
    v_min = v_max
    for t in range(lo + 1, hi + 1):
        v = raw[t & mask]
        if v > v_max:
            v_max = v
            t_max = t
        if v < v_min:
            v_min = v
            t_min = t
    # an extreme on the window's edge is a slope, not a peak
    max_inside = lo < t_max < hi
    min_inside = lo < t_min < hi
    if max_inside and (not min_inside or v_max - base >= base - v_min):
        return t_max
    if min_inside:
        return t_min
    # both on edges: the largest local extremum inside
    best = -1
    best_val = -1.0
    for t in range(lo + 1, hi):
        v = raw[t & mask]
        prev = raw[(t - 1) & mask]
        nxt = raw[(t + 1) & mask]
        dev = abs(v - base)
        if dev > best_val and ((v >= prev and v >= nxt) or (v <= prev and v <= nxt)):
            best_val = dev
            best = t
    if best < 0:  # monotonic window
        best = t_max if v_max - base >= base - v_min else t_min
    return best


@jit
def _accept_qrs(st, pos: int, val: float, der: float) -> None:
    """Accept the candidate at feature position ``pos`` as a QRS and emit its peak."""
    par = st.par[:]
    ist = st.ist[:]
    fst = st.fst[:]
    bufs = st.bufs[:]
    if ist[I_RR_VALID] == 1 and ist[I_LAST_QRS] >= 0:
        bufs[B_RR, ist[I_NRR] % NBUF] = pos - ist[I_LAST_QRS]
        ist[I_NRR] += 1
    ist[I_RR_VALID] = 1
    bufs[B_QRS, ist[I_NQRS] % NBUF] = val
    ist[I_NQRS] += 1
    _update_threshold(st, True)
    if ist[I_NRR] > 0:
        fst[F_RR_MEDIAN] = _median8(bufs[B_RR], ist[I_NRR])
    rr = fst[F_RR_MEDIAN] if ist[I_NRR] > 0 else par[P_RR_INIT]
    fst[F_SB_INTERVAL] = 1.5 * min(rr, par[P_RR_MAX])
    fst[F_LASTMAX] = der
    ist[I_LAST_QRS] = pos
    ist[I_SB_REF] = pos
    peak = _refine(st, pos)
    if peak >= 0:
        if ist[I_NPEAKS] == PEAK_CAP:
            raise RuntimeError("R-peak detector: more peaks in one event than PEAK_CAP")
        peaks = st.peaks[:]
        peaks[ist[I_NPEAKS]] = peak
        ist[I_NPEAKS] += 1
        ist[I_LAST_EMIT] = peak


@jit
def _best_kept(st) -> int:
    """Index of the largest kept candidate search-back may accept (-1: none).

    Baseline shifts and candidates closer than ``sb_min_gap`` to the last QRS
    are left out; of equal values the earliest wins.
    """
    par = st.par[:]
    ist = st.ist[:]
    cand = st.cand[:]
    best = -1
    best_val = -np.inf
    for c in range(ist[I_NCAND]):
        if cand[c, C_BLS] != 0.0 or cand[c, C_POS] - ist[I_LAST_QRS] < par[P_SB_MIN_GAP]:
            continue
        if cand[c, C_VAL] > best_val:
            best_val = cand[c, C_VAL]
            best = c
    return best


@jit
def _searchback(st, now: int) -> None:
    """Accept missed beats among the kept candidates while the RR rule calls for it."""
    par = st.par[:]
    ist = st.ist[:]
    fst = st.fst[:]
    cand = st.cand[:]
    while ist[I_NCAND] > 0 and ist[I_SB_REF] >= 0:
        elapsed = now - ist[I_SB_REF]
        interval = fst[F_SB_INTERVAL]
        if elapsed <= interval:
            return
        # the threshold halves again for every further interval without a beat
        factor = par[P_SB_FACTOR]
        extra = elapsed - interval
        while extra > interval and factor > SB_FACTOR_MIN:
            factor *= 0.5
            extra -= interval
        best = _best_kept(st)
        if best < 0 or cand[best, C_VAL] <= fst[F_THRESH] * factor:
            return
        nc = ist[I_NCAND]
        _accept_qrs(st, int(cand[best, C_POS]), cand[best, C_VAL], cand[best, C_DER])
        # keep only the candidates after the accepted one
        k = 0
        for c in range(best + 1, nc):
            cand[k] = cand[c]
            k += 1
        ist[I_NCAND] = k


@jit
def _keep_candidate(st, c) -> None:
    """Append candidate ``c`` (pos, val, der, bls), forgetting the oldest when full."""
    ist = st.ist[:]
    cand = st.cand[:]
    nc = ist[I_NCAND]
    if nc == cand.shape[0]:
        for a in range(1, nc):
            cand[a - 1] = cand[a]
        nc -= 1
    cand[nc, C_POS] = c[0]
    cand[nc, C_VAL] = c[1]
    cand[nc, C_DER] = c[2]
    cand[nc, C_BLS] = c[3]
    ist[I_NCAND] = nc + 1


@jit
def _classify(st, c) -> None:
    """Decide whether candidate ``c`` (pos, val, der, bls) is a QRS."""
    par = st.par[:]
    ist = st.ist[:]
    fst = st.fst[:]
    bufs = st.bufs[:]
    pos = int(c[0])
    val = c[1]
    der = c[2]
    # a beat missed before this candidate is searched for first
    if ist[I_SB_REF] >= 0 and pos - ist[I_SB_REF] > fst[F_SB_INTERVAL]:
        _searchback(st, pos)
    since = pos - ist[I_LAST_QRS] if ist[I_LAST_QRS] >= 0 else 1 << 40
    is_qrs = val > fst[F_THRESH] and c[3] == 0.0 and since >= par[P_REFRACT]
    if is_qrs and since < par[P_TWAVE] and der < par[P_TWAVE_RATIO] * fst[F_LASTMAX]:
        is_qrs = False  # T-wave
    if is_qrs:
        _accept_qrs(st, pos, val, der)
        ist[I_NCAND] = 0
    else:
        bufs[B_NOISE, ist[I_NNOISE] % NBUF] = val
        ist[I_NNOISE] += 1
        _update_threshold(st, False)
        _keep_candidate(st, c)


@jit
def _end_learning(st) -> None:
    """Set the initial levels from the queued candidates, then decide them in order.

    As in Hamilton's detector, the initial QRS level is the median of the
    largest candidate of each second of the learning period, so that one
    artifact (an electrode pop) cannot set it.
    """
    par = st.par[:]
    ist = st.ist[:]
    fst = st.fst[:]
    cand = st.cand[:]
    bufs = st.bufs[:]
    nc = ist[I_NCAND]
    n_bins = 0
    if nc > 0:
        first = cand[0, C_POS]
        width = par[P_LEARN_BIN]
        for use_bls in (False, True):  # baseline shifts only if nothing else was seen
            for b in range(NBUF):
                top = 0.0
                for c in range(nc):
                    if (cand[c, C_BLS] == 0.0 or use_bls) and (
                        b * width <= cand[c, C_POS] - first < (b + 1) * width
                    ):
                        top = max(top, cand[c, C_VAL])
                if top > 0.0:
                    bufs[B_QRS, n_bins] = top
                    n_bins += 1
            if n_bins > 0:
                break
    ist[I_NQRS] = n_bins
    ist[I_NNOISE] = 0
    fst[F_NOISE_LEVEL] = 0.0
    _update_threshold(st, True)
    fst[F_SB_INTERVAL] = 1.5 * par[P_RR_INIT]
    ist[I_LEARNING] = 0
    queue = st.queue[:]
    queue[:nc] = cand[:nc]
    ist[I_NCAND] = 0
    for c in range(nc):
        _classify(st, (queue[c, C_POS], queue[c, C_VAL], queue[c, C_DER], queue[c, C_BLS]))


@jit
def _slope_features(st, pos: int) -> tuple[float, float]:
    """Largest ``|d|`` and baseline-shift flag of the candidate at ``pos``.

    Hamilton's check: a QRS has a positive and a negative slope of comparable
    size (within 8x) less than 150 ms apart in the window ending at the
    feature peak; otherwise the candidate is a baseline shift (flag 1.0).
    The features of the last candidate asked for are kept: a strong candidate
    is asked when it is held and again when it is released.
    """
    ist = st.ist[:]
    fst = st.fst[:]
    if ist[I_SLOPE_POS] == pos:
        return fst[F_SLOPE_DER], fst[F_SLOPE_BLS]
    par = st.par[:]
    rings = st.rings[:]
    d_ring = rings[R_D]
    mask = int(par[P_RING_SIZE]) - 1
    m = pos // int(par[P_D])
    vmax = 0.0
    vmin = 0.0
    tmax = 0
    tmin = 0
    # selects rather than branches: which sample holds the extreme is unpredictable
    for t in range(m - int(par[P_BLS_WIN]) + 1, m + 1):
        v = d_ring[t & mask]
        up = v > vmax
        down = v < vmin
        tmax = t if up else tmax
        tmin = t if down else tmin
        vmax = v if up else vmax
        vmin = v if down else vmin
    vmin = -vmin
    qrs_like = vmax > vmin / 8.0 and vmin > vmax / 8.0 and abs(tmax - tmin) < par[P_BLS_PAIR]
    ist[I_SLOPE_POS] = pos
    fst[F_SLOPE_DER] = max(vmax, vmin)
    fst[F_SLOPE_BLS] = 0.0 if qrs_like else 1.0
    return fst[F_SLOPE_DER], fst[F_SLOPE_BLS]


@jit
def _release(st) -> None:
    """Pass the held candidate on to learning or classification."""
    par = st.par[:]
    ist = st.ist[:]
    fst = st.fst[:]
    ist[I_HOLD_AT] = -1
    pos = ist[I_HOLD_POS]
    der, bls = _slope_features(st, pos)
    c = (float(pos), fst[F_HOLD_VAL], der, bls)
    if ist[I_LEARNING] == 1:
        if ist[I_LEARN_END] < 0:
            ist[I_LEARN_END] = pos + int(par[P_LEARN])
        _keep_candidate(st, c)
    else:
        _classify(st, c)


@jit
def _hold_length(st, pos: int, val: float) -> int:
    """Pre-blanking interval (full-rate samples) of the candidate at ``pos``.

    A candidate that already looks like a confirmed QRS is released after the
    short interval: after learning, its feature peak ``val`` above the strong
    level (between the noise and QRS levels), no baseline shift, a slope of at
    least ``strong_slope`` times the last QRS's, and no more than
    ``strong_early`` before the median RR interval is due (a P-wave comes a
    PR interval, at least 120 ms, before its beat). A larger peak so soon
    after such a QRS is its T-wave, which the refractory period and the T-wave
    check reject. Other candidates, premature beats included, are held for the
    full interval, so that a P-wave yields to the QRS that follows it.
    """
    par = st.par[:]
    ist = st.ist[:]
    fst = st.fst[:]
    dec = int(par[P_D])
    long_hold = int(par[P_PREBLANK]) * dec
    if ist[I_LEARNING] == 1 or ist[I_NQRS] == 0:
        return long_hold
    noise = fst[F_NOISE_LEVEL]
    if val <= noise + par[P_STRONG] * (fst[F_QRS_LEVEL] - noise):
        return long_hold
    if ist[I_NRR] == 0 or ist[I_LAST_QRS] < 0:
        return long_hold
    if pos - ist[I_LAST_QRS] < fst[F_RR_MEDIAN] - par[P_STRONG_EARLY]:
        return long_hold
    der, bls = _slope_features(st, pos)
    if bls != 0.0 or der < par[P_STRONG_SLOPE] * fst[F_LASTMAX]:
        return long_hold
    return int(par[P_PREBLANK_STRONG]) * dec


@jit
def _hold(st, pos: int, val: float) -> None:
    """Pre-blanking: hold a feature peak unless a larger one is already held."""
    ist = st.ist[:]
    fst = st.fst[:]
    if ist[I_HOLD_AT] >= 0 and val <= fst[F_HOLD_VAL]:
        return
    ist[I_HOLD_POS] = pos
    fst[F_HOLD_VAL] = val
    ist[I_HOLD_AT] = ist[I_NOW]
    ist[I_HOLD_END] = ist[I_NOW] + _hold_length(st, pos, val)


@jit
def _flush_pending(st) -> None:
    """End of a finite segment (gap or end of stream): decide what is pending."""
    par = st.par[:]
    ist = st.ist[:]
    fst = st.fst[:]
    if ist[I_PK_TIME] > 0 and fst[F_PK_MAX] > par[P_FLOOR]:
        _hold(st, ist[I_PK_POS], fst[F_PK_MAX])
    fst[F_PK_MAX] = 0.0
    ist[I_PK_TIME] = 0
    if ist[I_HOLD_AT] >= 0:
        _release(st)


EV_END = 0  # the chunk is consumed
EV_GAP = 1  # a missing sample starts a gap (not consumed yet)
EV_EMIT = 2  # a hump of the feature ended (flag)
EV_TIMER = 4  # a timer is due (flag)


@jit
def _next_event(st) -> None:
    """Earliest sample at which a timer of the decision rules is due."""
    par = st.par[:]
    ist = st.ist[:]
    fst = st.fst[:]
    cand = st.cand[:]
    dec = int(par[P_D])
    lag = (int(par[P_PREBLANK]) + int(par[P_PEAK_TIMEOUT])) * dec
    t = 1 << 62
    if ist[I_HOLD_AT] >= 0:
        t = min(t, ist[I_HOLD_END])
    if ist[I_LEARNING] == 1:
        if ist[I_LEARN_END] >= 0:
            t = min(t, ist[I_LEARN_END])
    elif ist[I_NCAND] > 0 and ist[I_SB_REF] >= 0:
        # the first sample at which search-back accepts the best kept candidate:
        # its threshold factor halves for every interval without a beat
        c = _best_kept(st)
        best = max(0.0, cand[c, C_VAL]) if c >= 0 else 0.0
        factor = par[P_SB_FACTOR]
        steps = 1
        while fst[F_THRESH] * factor >= best and factor > SB_FACTOR_MIN:
            factor *= 0.5
            steps += 1
        if fst[F_THRESH] * factor < best:
            # elapsed = sample - lag - reference must exceed `steps` intervals
            due = ist[I_SB_REF] + lag + int(np.floor(steps * fst[F_SB_INTERVAL])) + 1
            t = min(t, due)
    ist[I_NEXT_EVENT] = t


@jit
def _on_event(st, event: int) -> None:
    """Apply the decision rules at an event of the hot loop (see rpeaks_process)."""
    par = st.par[:]
    ist = st.ist[:]
    fst = st.fst[:]
    dec = int(par[P_D])
    if event == EV_GAP:
        # a gap begins: decide what is pending, then wait for the signal
        _flush_pending(st)
        ist[I_RESTART] = 1
        ist[I_RR_VALID] = 0
        _next_event(st)
        return
    i = ist[I_NOW]
    if ist[I_HOLD_AT] >= 0 and i >= ist[I_HOLD_END]:
        _release(st)
    if event & EV_EMIT:
        _hold(st, ist[I_EMIT_POS], fst[F_EMIT_VAL])
    if ist[I_LEARNING] == 1:
        if ist[I_LEARN_END] >= 0 and i >= ist[I_LEARN_END]:
            _end_learning(st)
    elif ist[I_NCAND] > 0 and ist[I_SB_REF] >= 0:
        # search-back once every candidate of the interval has been released
        decided = i - (int(par[P_PREBLANK]) + int(par[P_PEAK_TIMEOUT])) * dec
        if decided - ist[I_SB_REF] > fst[F_SB_INTERVAL]:
            _searchback(st, decided)
    _next_event(st)


@jit
def _to_ring(raw: np.ndarray, mask: int, x: np.ndarray, first: int) -> None:
    """Copy the samples ``x`` (the first is sample ``first``) into the raw ring.

    The hot loop defers these copies to the events that read the ring and to
    the end of the chunk, which keeps a store out of its per-sample work; the
    copy is at most two contiguous slices (the ring wraps once at most).
    """
    size = mask + 1
    n = x.shape[0]
    lo = max(0, n - size)  # older samples would be overwritten anyway
    pos = (first + lo) & mask
    head = min(n - lo, size - pos)
    raw[pos : pos + head] = x[lo : lo + head]
    raw[: n - lo - head] = x[lo + head : n]


@jit
def _drain(st, out: np.ndarray, n_out: int) -> int:
    """Move the peaks confirmed by an event to ``out`` after ``n_out``; new count."""
    ist = st.ist[:]
    peaks = st.peaks[:]
    for a in range(ist[I_NPEAKS]):
        out[n_out + a] = peaks[a]
    n_out += ist[I_NPEAKS]
    ist[I_NPEAKS] = 0
    return n_out


@jit
def rpeaks_process(x: np.ndarray, state: np.ndarray, out: np.ndarray) -> int:
    """Run the detector over the chunk ``x``; write confirmed peaks to ``out``.

    ``state`` is a one-element array of :data:`STATE_DTYPE`; ``out`` has room
    for every peak the chunk can confirm. Returns the number of peaks written.

    The hot loop (decimation, band-pass, feature, hump tracking and
    pre-blanking) keeps its state in local variables; the decision rules run in
    :func:`_on_event` only where they have work: a timer is due (a held peak's
    pre-blanking ends, learning ends, a search-back can succeed), or a missing
    sample starts a gap.
    """
    st = state[0]
    par = st.par[:]
    ist = st.ist[:]
    fst = st.fst[:]
    rings = st.rings[:]
    raw = st.raw[:]
    sos = st.sos
    zi = st.zi
    zi_unit = st.zi_unit
    w_cur = st.w_cur[:]
    w_next = st.w_next[:]
    y_ring = rings[R_Y][:]
    d_ring = rings[R_D][:]
    # the band-pass's two sections, coefficients and state in registers
    b00, b01, b02, a01, a02 = sos[0, 0], sos[0, 1], sos[0, 2], sos[0, 4], sos[0, 5]
    b10, b11, b12, a11, a12 = sos[1, 0], sos[1, 1], sos[1, 2], sos[1, 4], sos[1, 5]
    z00, z01, z10, z11 = zi[0, 0], zi[0, 1], zi[1, 0], zi[1, 1]
    mask_raw = int(par[P_RAW_SIZE]) - 1
    mask = int(par[P_RING_SIZE]) - 1
    dec = int(par[P_D])
    w = int(par[P_W])
    k = int(par[P_K])
    inv_w = 1.0 / w
    floor = par[P_FLOOR]
    timeout = int(par[P_PEAK_TIMEOUT])

    i = ist[I_N]
    i0 = i  # sample index of x[0]
    copied = 0  # x[:copied] is in the raw ring
    phase = i % dec
    m = i // dec  # internal sample of the current block
    restart = ist[I_RESTART]
    block_bad = ist[I_BLOCK_BAD]
    valid_blocks = ist[I_VALID_BLOCKS]
    first_out = ist[I_FIRST_OUT]
    next_event = ist[I_NEXT_EVENT]
    pk_pos = ist[I_PK_POS]
    pk_time = ist[I_PK_TIME]
    hold_at = ist[I_HOLD_AT]
    hold_pos = ist[I_HOLD_POS]
    hold_val = fst[F_HOLD_VAL]
    hold_end = ist[I_HOLD_END]
    cur = fst[F_CUR]
    nxt = fst[F_NXT]
    carry = fst[F_CARRY]
    s = fst[F_SUM]
    f_last = fst[F_M_LAST]
    pk_max = fst[F_PK_MAX]
    n_out = 0
    j = 0
    n = x.shape[0]
    while j < n:
        event = EV_END
        if phase == 0 and restart == 0 and j + dec <= n:
            # fast path: a whole block of this chunk; taken if all its samples are finite
            c_sum = 0.0
            n_sum = 0.0
            for p in range(dec):
                v = x[j + p]
                c_sum += w_cur[p] * v
                n_sum += w_next[p] * v
            # every sample has a positive weight in c_sum, so it is finite only if
            # they all are (or it overflowed: then the per-sample path below, which
            # adds up the same products in the same order, takes the block)
            fast = c_sum - c_sum == 0.0
            if fast:
                cur = c_sum
                nxt = n_sum
                j += dec
                i += dec - 1  # the block's last sample
        else:
            fast = False
        if not fast:
            # one sample at a time: block edges, chunk edges, gaps
            v = x[j]
            if v - v == 0.0:  # finite
                if restart == 1:
                    # the signal (re)starts; search-back never reaches across a gap
                    restart = 0
                    ist[I_RESTART] = 0
                    ist[I_SEG_START] = i
                    valid_blocks = 0
                    first_out = 1
                    if phase != 0:
                        block_bad = 1
                    if ist[I_LEARNING] == 0:
                        ist[I_NCAND] = 0
                    if ist[I_SB_REF] >= 0:
                        ist[I_SB_REF] = i
                    _next_event(st)
                    next_event = ist[I_NEXT_EVENT]
                cur += w_cur[phase] * v
                nxt += w_next[phase] * v
            else:
                if restart == 0:
                    ist[I_NOW] = i - 1
                    ist[I_PK_POS] = pk_pos
                    ist[I_PK_TIME] = pk_time
                    fst[F_PK_MAX] = pk_max
                    ist[I_HOLD_AT] = hold_at
                    ist[I_HOLD_END] = hold_end
                    ist[I_HOLD_POS] = hold_pos
                    fst[F_HOLD_VAL] = hold_val
                    _to_ring(raw, mask_raw, x[copied:j], i0 + copied)
                    copied = j
                    _on_event(st, EV_GAP)
                    n_out = _drain(st, out, n_out)
                    pk_max = 0.0
                    pk_time = 0
                    hold_at = ist[I_HOLD_AT]
                    next_event = ist[I_NEXT_EVENT]
                    restart = 1
                block_bad = 1
            j += 1
            if phase < dec - 1:
                phase += 1
                i += 1
                continue
        # ---- end of a block: one internal sample ------------------------------
        phase = 0
        m += 1
        out_ready = False
        u = 0.0
        if block_bad == 1 or restart == 1:
            valid_blocks = 0
        else:
            valid_blocks += 1
            if valid_blocks == 1 and dec > 1:
                carry = nxt  # the first block only primes the window
            else:
                u = cur + carry
                carry = nxt
                out_ready = True
        cur = 0.0
        nxt = 0.0
        block_bad = 0
        if not out_ready:
            i += 1
            continue
        mi = m - 1
        if first_out == 1:
            # (re)start: band-pass in steady state for the level u, empty history
            first_out = 0
            z00 = zi_unit[0, 0] * u
            z01 = zi_unit[0, 1] * u
            z10 = zi_unit[1, 0] * u
            z11 = zi_unit[1, 1] * u
            for t in range(mi - w - k, mi):
                y_ring[t & mask] = 0.0
                d_ring[t & mask] = 0.0
            s = 0.0
            f_last = 0.0
        # band-pass (transposed direct form II, scipy zi layout), two sections
        o = b00 * u + z00
        z00 = b01 * u - a01 * o + z01
        z01 = b02 * u - a02 * o
        u = b10 * o + z10
        z10 = b11 * o - a11 * u + z11
        z11 = b12 * o - a12 * u
        d = u - y_ring[(mi - k) & mask]
        y_ring[mi & mask] = u
        old = d_ring[(mi - w) & mask]
        d_ring[mi & mask] = d
        s = max(s + abs(d) - abs(old), 0.0)
        feat = s * inv_w
        # maxima of the feature, as selects rather than branches: on noise the
        # feature turns up and down at random, which branches would mispredict
        pk_time += pk_time > 0
        rise = (feat > f_last) & (feat > pk_max)
        end = (not rise) & ((feat < 0.5 * pk_max) | (pk_time > timeout))
        if end & (pk_max > floor):  # a hump ended (rare)
            if i >= next_event:
                # a timer is due first: the caller holds this peak after it
                event = EV_EMIT
                ist[I_EMIT_POS] = pk_pos
                fst[F_EMIT_VAL] = pk_max
            elif hold_at < 0 or pk_max > hold_val:
                # pre-blanking: hold it (replacing a smaller held peak)
                hold_at = i
                hold_pos = pk_pos
                hold_val = pk_max
                hold_end = i + _hold_length(st, pk_pos, pk_max)
                next_event = min(next_event, hold_end)
        pk_time = 1 if rise & (feat > floor) else (0 if end else pk_time)
        pk_max = feat if rise else (0.0 if end else pk_max)
        pk_pos = i if rise else pk_pos
        f_last = feat
        if i >= next_event:
            event |= EV_TIMER
        if event != EV_END:
            ist[I_NOW] = i
            ist[I_HOLD_AT] = hold_at
            ist[I_HOLD_END] = hold_end
            ist[I_HOLD_POS] = hold_pos
            fst[F_HOLD_VAL] = hold_val
            _to_ring(raw, mask_raw, x[copied:j], i0 + copied)
            copied = j
            _on_event(st, event)
            n_out = _drain(st, out, n_out)
            hold_at = ist[I_HOLD_AT]
            hold_end = ist[I_HOLD_END]
            hold_pos = ist[I_HOLD_POS]
            hold_val = fst[F_HOLD_VAL]
            next_event = ist[I_NEXT_EVENT]
        i += 1

    _to_ring(raw, mask_raw, x[copied:], i0 + copied)
    zi[0, 0] = z00
    zi[0, 1] = z01
    zi[1, 0] = z10
    zi[1, 1] = z11
    ist[I_N] = i
    ist[I_RESTART] = restart
    ist[I_BLOCK_BAD] = block_bad
    ist[I_VALID_BLOCKS] = valid_blocks
    ist[I_FIRST_OUT] = first_out
    ist[I_PK_POS] = pk_pos
    ist[I_PK_TIME] = pk_time
    ist[I_HOLD_AT] = hold_at
    ist[I_HOLD_END] = hold_end
    ist[I_HOLD_POS] = hold_pos
    ist[I_NEXT_EVENT] = next_event
    fst[F_HOLD_VAL] = hold_val
    fst[F_CUR] = cur
    fst[F_NXT] = nxt
    fst[F_CARRY] = carry
    fst[F_SUM] = s
    fst[F_M_LAST] = f_last
    fst[F_PK_MAX] = pk_max
    return n_out


@jit
def rpeaks_finish(state: np.ndarray, out: np.ndarray) -> int:
    """End of stream: decide pending candidates and run a last search-back.

    Writes the peaks this confirms to ``out`` (room for :data:`PEAK_CAP`) and
    returns their number.
    """
    st = state[0]
    ist = st.ist[:]
    ist[I_NOW] = ist[I_N] - 1
    if ist[I_RESTART] == 0:
        _flush_pending(st)
    if ist[I_LEARNING] == 1 and ist[I_NCAND] > 0:
        _end_learning(st)
    if ist[I_LEARNING] == 0 and ist[I_NCAND] > 0 and ist[I_SB_REF] >= 0:
        _searchback(st, ist[I_N])
    ist[I_RESTART] = 1
    return _drain(st, out, 0)
