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

Per sample (one pass, O(1) work, no allocation)
-----------------------------------------------
1. A missing sample (NaN/inf) is "no signal": the rings receive zeros, pending
   candidates are decided, and when the signal returns the filters restart in
   steady state for the new level (no step transient), as at the start.
2. ``hp``: first-order high-pass (baseline removal with negligible phase shift
   at QRS frequencies), kept in a ring to place each peak on the QRS extreme.
3. ``y``: Butterworth band-pass; ``d = y[n] - y[n - k]`` (derivative over about
   10 ms); the feature ``m`` is the moving average of ``|d|`` over ``W`` samples.
4. Maxima of ``m`` (a hump ends when ``m`` falls below half its maximum, or a
   timeout after it) become candidates carrying their largest ``|d|`` and a
   baseline-shift flag. A candidate is held for a pre-blanking interval; a
   larger one arriving meanwhile replaces it, a smaller one is dropped.
5. A released candidate is a QRS when it exceeds
   ``noise + th * (qrs - noise)`` (medians of the last 8 QRS and noise peaks),
   is no baseline shift, is outside the refractory period and is no T-wave
   (within 360 ms of a QRS with less than half its slope). Otherwise it is noise
   and kept for search-back: when no QRS follows within 1.5 median RR, the
   largest kept candidate above a reduced threshold becomes a QRS; the reduced
   threshold halves again for every further interval without a beat.
6. Each QRS is placed on the dominant extreme (largest ``|hp|``) within
   +/- ``refine`` samples of the candidate's delay-compensated position.

State tuple ``st = (par, ist, fst, cand, bufs, rings, out)``: parameters
(``P_*``), integer and float state (``I_*``, ``F_*``), kept candidates
(``C_*`` columns), median buffers (rows ``B_*``), signal rings (rows ``R_*``)
and the output buffer of the current call.
"""

from __future__ import annotations

import numpy as np

from ecgcore._jit import jit

# parameters (float64 vector filled by rpeaks._parameters)
P_W = 0  # moving-average window (samples)
P_K = 1  # derivative lag (samples)
P_PREBLANK = 2  # pre-blanking interval (samples)
P_PEAK_TIMEOUT = 3  # a hump ends this long after its maximum (samples)
P_TWAVE = 4  # T-wave check interval after a QRS (samples)
P_TWAVE_RATIO = 5  # slope ratio under which a candidate near a QRS is a T-wave
P_BLS_WIN = 6  # baseline-shift check window ending at the feature peak (samples)
P_BLS_PAIR = 7  # largest distance of the +/- slope pair of a QRS (samples)
P_TH = 8  # threshold position between the noise and QRS levels
P_DELAY = 9  # feature peak -> QRS centre (samples)
P_REFINE_BEFORE = 10  # extreme search starts this long before the QRS centre (samples)
P_FLOOR = 11  # smallest feature peak considered (mV)
P_SB_FACTOR = 12  # search-back threshold factor
P_REFRACT = 13  # refractory period (samples)
P_LEARN = 14  # learning period after the first candidate (samples)
P_HP_A = 15  # first-order high-pass coefficient
P_RR_INIT = 16  # initial RR interval (samples)
P_RR_MAX = 17  # longest RR interval used for the search-back interval (samples)
P_SB_MIN_GAP = 18  # search-back candidates start this long after a QRS (samples)
P_REFINE_AFTER = 19  # extreme search ends this long after the QRS centre (samples)
N_PARAMS = 20

# integer state
I_N = 0  # absolute index of the next sample
I_NOW = 1  # newest sample available to the decision rules
I_NOUT = 2  # peaks written to ``out`` in the current call
I_RESTART = 3  # 1 when the next finite sample (re)starts the filters
I_SEG_START = 4  # first sample of the current finite segment
I_PK_POS = 5  # position of the running hump maximum
I_PK_TIME = 6  # samples since the hump maximum (0: no hump)
I_HOLD_AGE = 7  # samples since the held candidate was held, + 1 (0: none held)
I_HOLD_POS = 8  # feature position of the held candidate
I_LAST_QRS = 9  # feature position of the last QRS (-1: none yet)
I_SB_REF = 10  # search-back reference: last QRS or end of the last gap (-1: none)
I_SB_CHECK = 11  # next sample at which a search-back is tried
I_LAST_EMIT = 12  # last emitted peak (sample index)
I_NCAND = 13  # kept candidates (learning queue, then search-back)
I_LEARNING = 14  # 1 while the initial levels are being learned
I_LEARN_END = 15  # end of learning (sample index), -1 until the first candidate
I_RR_VALID = 16  # 1 when the next QRS may add an RR interval
I_NQRS = 17  # QRS peaks seen (median buffer count)
I_NNOISE = 18  # noise peaks seen
I_NRR = 19  # RR intervals seen
N_ISTATE = 20

# float state
F_HP_X = 0  # previous input of the high-pass
F_HP_Y = 1  # previous output of the high-pass
F_SUM = 2  # running sum of |d| over the window
F_M_LAST = 3  # previous feature value
F_PK_MAX = 4  # running hump maximum
F_HOLD_VAL = 5  # held candidate: feature peak
F_HOLD_DER = 6  # held candidate: largest |d|
F_HOLD_BLS = 7  # held candidate: 1.0 if baseline shift
F_THRESH = 8  # detection threshold
F_LASTMAX = 9  # largest |d| of the last QRS
F_SB_INTERVAL = 10  # search-back interval (samples)
N_FSTATE = 11

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

# signal rings (rows of ``rings``)
R_Y = 0
R_D = 1
R_HP = 2
N_RINGS = 3


@jit
def _median8(buf: np.ndarray, n: int) -> float:
    """Median of the first ``min(n, 8)`` entries of ``buf``."""
    m = min(n, NBUF)
    tmp = np.empty(NBUF)
    for a in range(m):
        v = buf[a]
        b = a - 1
        while b >= 0 and tmp[b] > v:
            tmp[b + 1] = tmp[b]
            b -= 1
        tmp[b + 1] = v
    if m % 2 == 1:
        return tmp[m // 2]
    return 0.5 * (tmp[m // 2 - 1] + tmp[m // 2])


@jit
def _update_threshold(st) -> None:
    par, ist, fst, _cand, bufs, _rings, _out = st
    qrs = _median8(bufs[B_QRS], ist[I_NQRS])
    noise = _median8(bufs[B_NOISE], ist[I_NNOISE]) if ist[I_NNOISE] > 0 else 0.0
    fst[F_THRESH] = noise + par[P_TH] * (qrs - noise)


@jit
def _refine(st, pos: int) -> int:
    """Sample of the dominant extreme of ``hp`` around the QRS centre of ``pos``.

    The search runs from ``refine_before`` samples before the delay-compensated
    centre to ``refine_after`` samples after it (wide complexes make the
    feature peak late, never early). Only local extrema count, so a window edge
    on a slope is never taken, and their size is measured from the window's
    median (the local isoelectric level), so residual baseline wander does not
    matter. Returns -1 when the window is empty.
    """
    par, ist, _fst, _cand, _bufs, rings, _out = st
    hp_ring = rings[R_HP]
    mask = hp_ring.shape[0] - 1
    newest = ist[I_NOW]
    centre = pos - int(par[P_DELAY])
    # never closer than half the refractory period to the previous peak, never
    # before the current segment or outside the ring
    lo = max(
        centre - int(par[P_REFINE_BEFORE]),
        ist[I_LAST_EMIT] + int(par[P_REFRACT]) // 2,
        newest - hp_ring.shape[0] + 2,
        ist[I_SEG_START],
    )
    hi = min(centre + int(par[P_REFINE_AFTER]), newest)
    if hi < lo:
        return -1
    win = np.empty(hi - lo + 1)
    for t in range(lo, hi + 1):
        win[t - lo] = hp_ring[t & mask]
    base = np.median(win)
    best = -1
    best_val = -1.0
    prev = hp_ring[(lo - 1) & mask] if lo > ist[I_SEG_START] else win[0]
    for t in range(lo, hi + 1):
        v = win[t - lo]
        nxt = win[t - lo + 1] if t < hi else (hp_ring[(t + 1) & mask] if t < newest else v)
        is_extremum = (v >= prev and v >= nxt) or (v <= prev and v <= nxt)
        dev = abs(v - base)
        if is_extremum and dev > best_val:
            best_val = dev
            best = t
        prev = v
    if best < 0:  # monotonic window: take its largest deviation
        for t in range(lo, hi + 1):
            dev = abs(win[t - lo] - base)
            if dev > best_val:
                best_val = dev
                best = t
    return best


@jit
def _accept_qrs(st, pos: int, val: float, der: float) -> None:
    """Accept the candidate at feature position ``pos`` as a QRS and emit its peak."""
    par, ist, fst, _cand, bufs, _rings, out = st
    if ist[I_RR_VALID] == 1 and ist[I_LAST_QRS] >= 0:
        bufs[B_RR, ist[I_NRR] % NBUF] = pos - ist[I_LAST_QRS]
        ist[I_NRR] += 1
    ist[I_RR_VALID] = 1
    bufs[B_QRS, ist[I_NQRS] % NBUF] = val
    ist[I_NQRS] += 1
    _update_threshold(st)
    rr = _median8(bufs[B_RR], ist[I_NRR]) if ist[I_NRR] > 0 else par[P_RR_INIT]
    fst[F_SB_INTERVAL] = 1.5 * min(rr, par[P_RR_MAX])
    fst[F_LASTMAX] = der
    ist[I_LAST_QRS] = pos
    ist[I_SB_REF] = pos
    peak = _refine(st, pos)
    if peak >= 0:
        out[ist[I_NOUT]] = peak
        ist[I_NOUT] += 1
        ist[I_LAST_EMIT] = peak


@jit
def _searchback(st, now: int) -> None:
    """Accept missed beats among the kept candidates while the RR rule calls for it."""
    par, ist, fst, cand, _bufs, _rings, _out = st
    while ist[I_NCAND] > 0 and ist[I_SB_REF] >= 0:
        elapsed = now - ist[I_SB_REF]
        interval = fst[F_SB_INTERVAL]
        if elapsed <= interval:
            return
        # the threshold halves again for every further interval without a beat
        factor = par[P_SB_FACTOR]
        extra = elapsed - interval
        while extra > interval and factor > 1e-3:
            factor *= 0.5
            extra -= interval
        limit = fst[F_THRESH] * factor
        nc = ist[I_NCAND]
        best = -1
        best_val = limit
        for c in range(nc):
            if cand[c, C_BLS] != 0.0 or cand[c, C_POS] - ist[I_LAST_QRS] < par[P_SB_MIN_GAP]:
                continue
            if cand[c, C_VAL] > best_val:
                best_val = cand[c, C_VAL]
                best = c
        if best < 0:
            return
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
    _par, ist, _fst, cand, _bufs, _rings, _out = st
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
    par, ist, fst, _cand, bufs, _rings, _out = st
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
        _update_threshold(st)
        _keep_candidate(st, c)


@jit
def _end_learning(st) -> None:
    """Set the initial levels from the queued candidates, then decide them in order."""
    par, ist, fst, cand, bufs, _rings, _out = st
    nc = ist[I_NCAND]
    top = 0.0
    for c in range(nc):
        if cand[c, C_BLS] == 0.0:
            top = max(top, cand[c, C_VAL])
    if top == 0.0:
        for c in range(nc):
            top = max(top, cand[c, C_VAL])
    bufs[B_QRS, :] = top
    ist[I_NQRS] = NBUF
    ist[I_NNOISE] = 0
    _update_threshold(st)
    fst[F_SB_INTERVAL] = 1.5 * par[P_RR_INIT]
    ist[I_LEARNING] = 0
    queue = cand[:nc].copy()
    ist[I_NCAND] = 0
    for c in range(nc):
        _classify(st, (queue[c, C_POS], queue[c, C_VAL], queue[c, C_DER], queue[c, C_BLS]))


@jit
def _release(st) -> None:
    """Pass the held candidate on to learning or classification."""
    par, ist, fst, _cand, _bufs, _rings, _out = st
    ist[I_HOLD_AGE] = 0
    c = (float(ist[I_HOLD_POS]), fst[F_HOLD_VAL], fst[F_HOLD_DER], fst[F_HOLD_BLS])
    if ist[I_LEARNING] == 1:
        if ist[I_LEARN_END] < 0:
            ist[I_LEARN_END] = ist[I_HOLD_POS] + int(par[P_LEARN])
        _keep_candidate(st, c)
    else:
        _classify(st, c)


@jit
def _hold(st, pos: int, val: float) -> None:
    """Pre-blanking: hold a feature peak unless a larger one is already held."""
    par, ist, fst, _cand, _bufs, rings, _out = st
    if ist[I_HOLD_AGE] > 0 and val <= fst[F_HOLD_VAL]:
        return
    # largest |d| and baseline-shift check (Hamilton): a QRS has a positive and a
    # negative slope of comparable size close together
    d_ring = rings[R_D]
    mask = d_ring.shape[0] - 1
    vmax = 0.0
    vmin = 0.0
    tmax = 0
    tmin = 0
    for t in range(pos - int(par[P_BLS_WIN]) + 1, pos + 1):
        v = d_ring[t & mask]
        if v > vmax:
            vmax = v
            tmax = t
        elif v < vmin:
            vmin = v
            tmin = t
    vmin = -vmin
    qrs_like = vmax > vmin / 8.0 and vmin > vmax / 8.0 and abs(tmax - tmin) < par[P_BLS_PAIR]
    ist[I_HOLD_POS] = pos
    fst[F_HOLD_VAL] = val
    fst[F_HOLD_DER] = max(vmax, vmin)
    fst[F_HOLD_BLS] = 0.0 if qrs_like else 1.0
    ist[I_HOLD_AGE] = 1


@jit
def _flush_pending(st) -> None:
    """End of a finite segment (gap or end of stream): decide what is pending."""
    par, ist, fst, _cand, _bufs, _rings, _out = st
    if ist[I_PK_TIME] > 0 and fst[F_PK_MAX] > par[P_FLOOR]:
        _hold(st, ist[I_PK_POS], fst[F_PK_MAX])
    fst[F_PK_MAX] = 0.0
    ist[I_PK_TIME] = 0
    if ist[I_HOLD_AGE] > 0:
        _release(st)


@jit
def rpeaks_process(x: np.ndarray, st, filt) -> int:
    """Run the detector over the chunk ``x``; write confirmed peaks to ``st[-1]``.

    ``filt = (sos, zi, zi_unit)``: band-pass sections, their state (scipy
    layout) and the steady state for a unit constant input. Returns the number
    of peaks written; the output buffer must hold at least
    ``(len(x) + ring size) // (refractory // 2) + 8`` entries.
    """
    par, ist, fst, _cand, _bufs, rings, _out = st
    sos, zi, zi_unit = filt
    y_ring = rings[R_Y]
    d_ring = rings[R_D]
    hp_ring = rings[R_HP]
    n_sec = sos.shape[0]
    mask = y_ring.shape[0] - 1
    w = int(par[P_W])
    k = int(par[P_K])
    inv_w = 1.0 / w
    floor = par[P_FLOOR]
    hp_a = par[P_HP_A]
    timeout = int(par[P_PEAK_TIMEOUT])
    preblank = int(par[P_PREBLANK])
    ist[I_NOUT] = 0

    i = ist[I_N]
    hp_x = fst[F_HP_X]
    hp_y = fst[F_HP_Y]
    s = fst[F_SUM]
    m_last = fst[F_M_LAST]
    pk_max = fst[F_PK_MAX]
    pk_pos = ist[I_PK_POS]
    pk_time = ist[I_PK_TIME]

    for j in range(x.shape[0]):
        v = x[j]
        if not np.isfinite(v):
            if ist[I_RESTART] == 0:
                # a gap begins: decide what is pending, then wait for the signal
                ist[I_NOW] = i - 1
                fst[F_PK_MAX] = pk_max
                ist[I_PK_POS] = pk_pos
                ist[I_PK_TIME] = pk_time
                _flush_pending(st)
                pk_max = 0.0
                pk_time = 0
                ist[I_RESTART] = 1
                ist[I_RR_VALID] = 0
            old = d_ring[(i - w) & mask]
            s = max(s - abs(old), 0.0)
            y_ring[i & mask] = 0.0
            d_ring[i & mask] = 0.0
            hp_ring[i & mask] = 0.0
            m_last = s * inv_w
            i += 1
            continue
        if ist[I_RESTART] == 1:
            # steady state for a constant input v: no step transient
            for a in range(n_sec):
                zi[a, 0] = zi_unit[a, 0] * v
                zi[a, 1] = zi_unit[a, 1] * v
            hp_x = v
            hp_y = 0.0
            ist[I_RESTART] = 0
            ist[I_SEG_START] = i
            if ist[I_LEARNING] == 0:
                ist[I_NCAND] = 0  # search-back never reaches across a gap
            if ist[I_SB_REF] >= 0:
                ist[I_SB_REF] = i
        # baseline removal
        hp_y = hp_a * (hp_y + v - hp_x)
        hp_x = v
        hp_ring[i & mask] = hp_y
        # band-pass (transposed direct form II, scipy zi layout)
        u = v
        for a in range(n_sec):
            o = sos[a, 0] * u + zi[a, 0]
            zi[a, 0] = sos[a, 1] * u - sos[a, 4] * o + zi[a, 1]
            zi[a, 1] = sos[a, 2] * u - sos[a, 5] * o
            u = o
        d = u - y_ring[(i - k) & mask]
        y_ring[i & mask] = u
        old = d_ring[(i - w) & mask]
        d_ring[i & mask] = d
        s = max(s + abs(d) - abs(old), 0.0)
        m = s * inv_w
        # maxima of the feature
        emit = False
        pk_val = 0.0
        if pk_time > 0:
            pk_time += 1
        if m > m_last and m > pk_max:
            pk_max = m
            pk_pos = i
            if pk_max > floor:
                pk_time = 1
        elif m < 0.5 * pk_max or pk_time > timeout:
            emit = pk_max > floor
            pk_val = pk_max
            pk_max = 0.0
            pk_time = 0
        m_last = m
        if ist[I_HOLD_AGE] > 0:
            ist[I_HOLD_AGE] += 1
            if ist[I_HOLD_AGE] > preblank:
                ist[I_NOW] = i
                _release(st)
        if emit:
            ist[I_NOW] = i
            _hold(st, pk_pos, pk_val)
        if ist[I_LEARNING] == 1:
            if ist[I_LEARN_END] >= 0 and i >= ist[I_LEARN_END]:
                ist[I_NOW] = i
                _end_learning(st)
        elif ist[I_NCAND] > 0 and ist[I_SB_REF] >= 0 and i >= ist[I_SB_CHECK]:
            # search-back once every candidate up to `decided` has been released
            decided = i - preblank - timeout
            if decided - ist[I_SB_REF] > fst[F_SB_INTERVAL]:
                ist[I_NOW] = i
                _searchback(st, decided)
                ist[I_SB_CHECK] = i + max(1, int(fst[F_SB_INTERVAL]) // 4)
        i += 1

    ist[I_N] = i
    fst[F_HP_X] = hp_x
    fst[F_HP_Y] = hp_y
    fst[F_SUM] = s
    fst[F_M_LAST] = m_last
    fst[F_PK_MAX] = pk_max
    ist[I_PK_POS] = pk_pos
    ist[I_PK_TIME] = pk_time
    return ist[I_NOUT]


@jit
def rpeaks_finish(st) -> int:
    """End of stream: decide pending candidates and run a last search-back."""
    _par, ist, _fst, _cand, _bufs, _rings, _out = st
    ist[I_NOUT] = 0
    ist[I_NOW] = ist[I_N] - 1
    if ist[I_RESTART] == 0:
        _flush_pending(st)
    if ist[I_LEARNING] == 1 and ist[I_NCAND] > 0:
        _end_learning(st)
    if ist[I_LEARNING] == 0 and ist[I_NCAND] > 0 and ist[I_SB_REF] >= 0:
        _searchback(st, ist[I_N])
    ist[I_RESTART] = 1
    return ist[I_NOUT]
