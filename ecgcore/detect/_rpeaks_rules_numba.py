"""Decision rules of the streaming R-peak detector (numba).

Steps 5-8 of :mod:`ecgcore.detect._rpeaks_numba`: holding and releasing
feature peaks (pre-blanking), learning the initial levels, deciding QRS
against noise with the T-wave and baseline-shift checks, search-back, and
placing each QRS on the raw signal. They run only at events of the hot loop
(:func:`on_event`), never per sample, and take the whole state as one record
of :data:`ecgcore.detect._rpeaks_state.STATE_DTYPE`.
"""

from __future__ import annotations

import numpy as np

from ecgcore._jit import jit
from ecgcore.detect._rpeaks_state import (
    B_NOISE,
    B_QRS,
    B_RR,
    C_BLS,
    C_DER,
    C_POS,
    C_VAL,
    F_EMIT_VAL,
    F_HOLD_VAL,
    F_LASTMAX,
    F_NOISE_LEVEL,
    F_PK_MAX,
    F_QRS_LEVEL,
    F_RR_MEDIAN,
    F_SB_INTERVAL,
    F_SLOPE_BLS,
    F_SLOPE_DER,
    F_THRESH,
    I_EMIT_POS,
    I_HOLD_AT,
    I_HOLD_END,
    I_HOLD_POS,
    I_LAST_EMIT,
    I_LAST_QRS,
    I_LEARN_END,
    I_LEARNING,
    I_NCAND,
    I_NEXT_EVENT,
    I_NNOISE,
    I_NOW,
    I_NPEAKS,
    I_NQRS,
    I_NRR,
    I_PK_POS,
    I_PK_TIME,
    I_RESTART,
    I_RR_VALID,
    I_SB_REF,
    I_SEG_START,
    I_SLOPE_POS,
    NBUF,
    P_BASE_SPAN,
    P_BLS_PAIR,
    P_BLS_WIN,
    P_D,
    P_DELAY,
    P_FLOOR,
    P_LEARN,
    P_LEARN_BIN,
    P_PEAK_TIMEOUT,
    P_PREBLANK,
    P_PREBLANK_STRONG,
    P_RAW_SIZE,
    P_REFINE_AFTER,
    P_REFINE_BEFORE,
    P_REFRACT,
    P_RING_SIZE,
    P_RR_INIT,
    P_RR_MAX,
    P_SB_FACTOR,
    P_SB_MIN_GAP,
    P_STRONG,
    P_STRONG_EARLY,
    P_STRONG_SLOPE,
    P_TH,
    P_TWAVE,
    P_TWAVE_RATIO,
    PEAK_CAP,
    R_D,
    SB_FACTOR_MIN,
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
def searchback(st, now: int) -> None:
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
        searchback(st, pos)
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
def end_learning(st) -> None:
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
def hold_length(st, pos: int, val: float) -> int:
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
    ist[I_HOLD_END] = ist[I_NOW] + hold_length(st, pos, val)


@jit
def flush_pending(st) -> None:
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
def update_next_event(st) -> None:
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
def on_event(st, event: int) -> None:
    """Apply the decision rules at an event of the hot loop (see rpeaks_process)."""
    par = st.par[:]
    ist = st.ist[:]
    fst = st.fst[:]
    dec = int(par[P_D])
    if event == EV_GAP:
        # a gap begins: decide what is pending, then wait for the signal
        flush_pending(st)
        ist[I_RESTART] = 1
        ist[I_RR_VALID] = 0
        update_next_event(st)
        return
    i = ist[I_NOW]
    if ist[I_HOLD_AT] >= 0 and i >= ist[I_HOLD_END]:
        _release(st)
    if event & EV_EMIT:
        _hold(st, ist[I_EMIT_POS], fst[F_EMIT_VAL])
    if ist[I_LEARNING] == 1:
        if ist[I_LEARN_END] >= 0 and i >= ist[I_LEARN_END]:
            end_learning(st)
    elif ist[I_NCAND] > 0 and ist[I_SB_REF] >= 0:
        # search-back once every candidate of the interval has been released
        decided = i - (int(par[P_PREBLANK]) + int(par[P_PEAK_TIMEOUT])) * dec
        if decided - ist[I_SB_REF] > fst[F_SB_INTERVAL]:
            searchback(st, decided)
    update_next_event(st)
