"""Numba kernels of the streaming R-peak detector: the per-sample hot loop.

Plain functions over arrays, compiled through :func:`ecgcore._jit.jit`. All
state lives in the state record of :class:`ecgcore.detect.rpeaks.RPeakDetector`
(layout in :mod:`ecgcore.detect._rpeaks_state`), and batch detection is this
same kernel run over the whole record (one source), so any chunking of a
stream gives exactly the same peaks. This module holds steps 1-5 below; the
decision rules of steps 5-8 are in :mod:`ecgcore.detect._rpeaks_rules_numba`.

Written by hand because no maintained library offers a streaming,
chunk-invariant QRS detector. The decision rules follow Pan & Tompkins (IEEE
TBME 32(3), 1985) and Hamilton's open-source detector (median-of-8 peak levels,
pre-blanking, search-back, baseline-shift and T-wave checks), with the changes
documented here.

Per input sample (full rate ``fs``, O(1), no allocation)
--------------------------------------------------------
1. The sample goes into the ``raw`` ring, where peaks are placed at full
   resolution (copied in bulk when an event needs it and at the end of the
   chunk, not one at a time).
2. Decimation by ``D`` (``fs / D`` is the internal rate, 100 to 200 Hz): a
   triangular anti-alias window over ``2 D - 1`` samples (two multiply-adds per
   sample), evaluated once per block of ``D`` samples (blocks aligned to
   absolute sample indices, so chunking cannot matter). Like Hamilton's
   detector running at 200 Hz, detection needs no more than this, and all of
   the filtering below costs ``1 / D`` per input sample. The weights are
   passed as tuples, so the kernel is compiled (unrolled) once per ``D``.
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
   no more than 100 ms before the median RR is due; see ``hold_length``)
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
Most blocks need none of that: an inner loop without calls takes whole finite
blocks that end before the next timer is due, so the compiler keeps the
filter and feature state in registers (a call anywhere in a loop makes it
keep them in memory). It stops after a block in which a hump above the floor
ended, whose candidate the code after it holds; a block with a missing sample
or a due timer is left to the general path. Both compute a block with the
same helpers (``_block_sums``, ``_feature``, ``_hump``).

Positions (candidates, RR intervals, peaks) are full-rate sample indices; a
candidate found at internal sample ``m`` is at the last sample of its block,
``m * D + D - 1``. The state ``st`` is one record of ``STATE_DTYPE``:
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
from ecgcore.detect._rpeaks_rules_numba import (
    EV_EMIT,
    EV_END,
    EV_GAP,
    EV_TIMER,
    end_learning,
    flush_pending,
    hold_length,
    on_event,
    searchback,
    update_next_event,
)
from ecgcore.detect._rpeaks_state import (
    F_CARRY,
    F_CUR,
    F_EMIT_VAL,
    F_HOLD_VAL,
    F_M_LAST,
    F_NXT,
    F_PK_MAX,
    F_SUM,
    I_BLOCK_BAD,
    I_EMIT_POS,
    I_FIRST_OUT,
    I_HOLD_AT,
    I_HOLD_END,
    I_HOLD_POS,
    I_LEARNING,
    I_N,
    I_NCAND,
    I_NEXT_EVENT,
    I_NOW,
    I_NPEAKS,
    I_PK_POS,
    I_PK_TIME,
    I_RESTART,
    I_SB_REF,
    I_SEG_START,
    I_VALID_BLOCKS,
    P_FLOOR,
    P_K,
    P_PEAK_TIMEOUT,
    P_RAW_SIZE,
    P_RING_SIZE,
    P_W,
    R_D,
    R_Y,
)


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
    # plain loops over unsigned indices compile to a vectorised copy (slice
    # assignment checks every index against the bounds)
    for t in range(head):
        raw[np.uint64(pos + t)] = x[np.uint64(lo + t)]
    for t in range(n - lo - head):
        raw[np.uint64(t)] = x[np.uint64(lo + head + t)]


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
def _block_sums(
    x: np.ndarray, j: int, w_cur: tuple[float, ...], w_next: tuple[float, ...]
) -> tuple[float, float]:
    """The block ``x[j : j + D]`` weighted for the current and the next internal sample.

    The weights are tuples, so the compiled kernel is specialised (unrolled)
    for each decimation factor ``D``. Indices are unsigned: numba then omits
    its negative-index check. Every sample has a positive weight in the first
    sum, so it is finite only if they all are (or it overflowed: then the
    per-sample path, which adds up the same products in the same order, takes
    the block).
    """
    c_sum = 0.0
    n_sum = 0.0
    for p in range(len(w_cur)):
        v = x[np.uint64(j + p)]
        c_sum += w_cur[p] * v
        n_sum += w_next[p] * v
    return c_sum, n_sum


@jit
def _bandpass(
    u: float, z: tuple[float, float, float, float], c: tuple[float, ...]
) -> tuple[float, tuple[float, float, float, float]]:
    """One sample through the two band-pass sections (transposed direct form II).

    ``z`` is the state in scipy's ``zi`` layout (section 0, then 1), ``c`` the
    coefficients ``b0, b1, b2, a1, a2`` of each section. Returns the output
    and the new state.
    """
    b00, b01, b02, a01, a02, b10, b11, b12, a11, a12 = c
    z00, z01, z10, z11 = z
    o = b00 * u + z00
    t00 = b01 * u - a01 * o + z01
    t01 = b02 * u - a02 * o
    y = b10 * o + z10
    t10 = b11 * o - a11 * y + z11
    t11 = b12 * o - a12 * y
    return y, (t00, t01, t10, t11)


@jit
def _feature(
    u: float, fstate: tuple[tuple[float, float, float, float], float], mi: int,
    rings: np.ndarray, filt: tuple[tuple[float, ...], int, int, int, float],
) -> tuple[tuple[tuple[float, float, float, float], float], float]:  # fmt: skip
    """The feature at internal sample ``mi`` from the decimated sample ``u``.

    ``fstate`` is the band-pass state and the moving sum of ``|d|``; ``filt``
    the band-pass coefficients, the derivative lag ``K``, the window ``W``,
    the ring mask and ``1 / W``. The band-pass output and ``d`` go into the
    internal-rate rings. Returns the new ``fstate`` and the feature (mean
    ``|d|`` over the window, mV).
    """
    z, s = fstate
    coef, k, w, mask, inv_w = filt
    y, z = _bandpass(u, z, coef)
    d = y - rings[R_Y, np.uint64((mi - k) & mask)]
    s = max(s + abs(d) - abs(rings[R_D, np.uint64((mi - w) & mask)]), 0.0)
    rings[R_Y, np.uint64(mi & mask)] = y
    rings[R_D, np.uint64(mi & mask)] = d
    return (z, s), s * inv_w


@jit
def _hump(
    feat: float, f_last: float, pk: tuple[float, int, int], i: int, limits: tuple[float, int]
) -> tuple[bool, tuple[float, int, int]]:
    """Track the maxima of the feature through the sample ``feat`` (at sample ``i``).

    ``pk`` is the current hump: its maximum, the internal samples since it
    started (0: none) and the sample of its maximum. ``limits`` is the floor
    of a candidate (mean ``|d|``, mV) and the hump's timeout (internal
    samples). A hump ends when the feature falls below half its maximum or the
    timeout passes. Returns whether a hump above the floor ended (its peak,
    ``pk``, is then a candidate) and the updated hump. As selects rather than
    branches: on noise the feature turns up and down at random, which branches
    would mispredict.
    """
    pk_max, pk_time, pk_pos = pk
    floor, timeout = limits
    pk_time += pk_time > 0
    rise = (feat > f_last) & (feat > pk_max)
    end = (not rise) & ((feat < 0.5 * pk_max) | (pk_time > timeout))
    new = (
        feat if rise else (0.0 if end else pk_max),
        1 if rise & (feat > floor) else (0 if end else pk_time),
        i if rise else pk_pos,
    )
    return end & (pk_max > floor), new


@jit
def rpeaks_process(
    x: np.ndarray,
    state: np.ndarray,
    out: np.ndarray,
    w_cur: tuple[float, ...],
    w_next: tuple[float, ...],
) -> int:
    """Run the detector over the chunk ``x``; write confirmed peaks to ``out``.

    ``state`` is a one-element array of ``STATE_DTYPE``; ``out`` has room
    for every peak the chunk can confirm. Returns the number of peaks written.

    The hot loop (decimation, band-pass, feature, hump tracking and
    pre-blanking) keeps its state in local variables; the decision rules run in
    ``on_event`` only where they have work: a timer is due (a held peak's
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
    # the band-pass's two sections, coefficients and state in registers
    coef = (
        sos[0, 0], sos[0, 1], sos[0, 2], sos[0, 4], sos[0, 5],
        sos[1, 0], sos[1, 1], sos[1, 2], sos[1, 4], sos[1, 5],
    )  # fmt: skip
    z = (zi[0, 0], zi[0, 1], zi[1, 0], zi[1, 1])
    mask_raw = int(par[P_RAW_SIZE]) - 1
    mask = int(par[P_RING_SIZE]) - 1
    dec = len(w_cur)
    w = int(par[P_W])
    k = int(par[P_K])
    inv_w = 1.0 / w
    floor = par[P_FLOOR]
    limits = (floor, int(par[P_PEAK_TIMEOUT]))
    filt = (coef, k, w, mask, inv_w)

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
    ended = False
    pk = (pk_max, pk_time, pk_pos)
    feat = 0.0
    while j < n:
        tail = False  # the inner loop computed a block whose hump ended
        if phase == 0 and restart == 0 and first_out == 0 and (valid_blocks > 0 or dec == 1):
            # steady state: whole finite blocks that end before the next timer is
            # due, in a loop without calls (the compiler keeps its state in
            # registers); it stops after a block in which a hump above the floor
            # ended, which the rules below take over
            j_stop = min(n, next_event - i0)
            while j + dec <= j_stop:
                c_sum, n_sum = _block_sums(x, j, w_cur, w_next)
                if c_sum - c_sum != 0.0:
                    break  # a missing sample: the general path takes the block
                (z, s), feat = _feature(c_sum + carry, (z, s), m, rings, filt)
                carry = n_sum
                valid_blocks += 1
                m += 1
                j += dec
                i += dec - 1  # the block's last sample
                ended, pk = _hump(feat, f_last, (pk_max, pk_time, pk_pos), i, limits)
                if ended:
                    tail = True
                    break
                pk_max, pk_time, pk_pos = pk
                f_last = feat
                i += 1
            if j >= n and not tail:
                break
        event = EV_END
        if not tail:
            if phase == 0 and restart == 0 and j + dec <= n:
                # a whole block of this chunk, taken here if all its samples are finite
                c_sum, n_sum = _block_sums(x, j, w_cur, w_next)
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
                        update_next_event(st)
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
                        on_event(st, EV_GAP)
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
                z = (zi_unit[0, 0] * u, zi_unit[0, 1] * u, zi_unit[1, 0] * u, zi_unit[1, 1] * u)
                for t in range(mi - w - k, mi):
                    rings[R_Y, t & mask] = 0.0
                    rings[R_D, t & mask] = 0.0
                s = 0.0
                f_last = 0.0
            (z, s), feat = _feature(u, (z, s), mi, rings, filt)
            ended, pk = _hump(feat, f_last, (pk_max, pk_time, pk_pos), i, limits)
        if ended:  # a hump above the floor ended (rare)
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
                hold_end = i + hold_length(st, pk_pos, pk_max)
                next_event = min(next_event, hold_end)
        pk_max, pk_time, pk_pos = pk
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
            on_event(st, event)
            n_out = _drain(st, out, n_out)
            hold_at = ist[I_HOLD_AT]
            hold_end = ist[I_HOLD_END]
            hold_pos = ist[I_HOLD_POS]
            hold_val = fst[F_HOLD_VAL]
            next_event = ist[I_NEXT_EVENT]
        i += 1

    _to_ring(raw, mask_raw, x[copied:], i0 + copied)
    zi[0, 0], zi[0, 1], zi[1, 0], zi[1, 1] = z
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

    Writes the peaks this confirms to ``out`` (room for ``PEAK_CAP``) and
    returns their number.
    """
    st = state[0]
    ist = st.ist[:]
    ist[I_NOW] = ist[I_N] - 1
    if ist[I_RESTART] == 0:
        flush_pending(st)
    if ist[I_LEARNING] == 1 and ist[I_NCAND] > 0:
        end_learning(st)
    if ist[I_LEARNING] == 0 and ist[I_NCAND] > 0 and ist[I_SB_REF] >= 0:
        searchback(st, ist[I_N])
    ist[I_RESTART] = 1
    return _drain(st, out, 0)
