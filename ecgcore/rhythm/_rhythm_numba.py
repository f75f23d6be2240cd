"""Numba kernels of the rhythm stage (plain functions over arrays).

* :func:`rr_context`: running RR statistics per beat (causal);
* :func:`template_features`: running per-patient beat templates (morphology
  clusters), the morphology features of each beat against the dominant one and
  the running prematurity and score share of the cluster each beat joins;
* :func:`dominant_rr_dispersion`: per beat, the beat-to-beat spread of the
  recent intervals between consecutive beats of the dominant morphology;
* :func:`running_percentile`: per beat, a percentile of the previous beats'
  values (a sliding history kept sorted);
* :func:`gbt_decision`: evaluation of a gradient-boosted tree ensemble stored as
  flat arrays (the shipped beat model);
* :func:`sample_entropy`: SampEn(m, r) of a short series.

Grid constants mirror :mod:`ecgcore.rhythm._preprocess` (4 ms steps, fiducial
point at index 75 of 201).
"""

from __future__ import annotations

import numpy as np

from ecgcore._jit import jit

_DT = 0.004
_R = 75
_N = 201
_QRS_A = _R - 25  # -100 ms
_QRS_B = _R + 38  # +152 ms
_FULL_A = _R - 62  # -248 ms
_FULL_B = _R + 112  # +448 ms
_P_A = _R - 62
_P_B = _R - 17  # -68 ms
_T_A = _R + 38
_T_B = _R + 112
_WID_A = _R - 37  # -148 ms
_WID_B = _R + 50  # +200 ms
_MAXLAG = 7  # 28 ms

#: Number of columns written by :func:`template_features`.
N_MORPH = 16


@jit
def rr_context(
    rr_pre: np.ndarray, history: np.ndarray, n_hist: np.ndarray, out: np.ndarray
) -> None:
    """Running RR context of each beat from the RR intervals before it.

    Parameters
    ----------
    rr_pre : ndarray, shape (n,)
        RR interval ending at each beat (s); NaN when unknown.
    history : ndarray, shape (n_max,)
        Ring of the most recent known RR intervals (s), oldest first in the
        first ``n_hist[0]`` entries; updated in place.
    n_hist : ndarray of int64, shape (1,)
        Number of valid entries in ``history``; updated in place.
    out : ndarray, shape (n, 4)
        Written: local RR (median of the previous 10, s), average RR (median of
        the previous ``n_max``, s), RR of the previous beat (s), irregularity
        (median absolute successive difference of the last 16 including this
        one, over the local RR).
    """
    n_max = history.shape[0]
    for k in range(rr_pre.shape[0]):
        h = n_hist[0]
        if h >= 3:
            out[k, 0] = np.median(history[max(0, h - 10) : h])
            out[k, 1] = np.median(history[:h])
        else:
            out[k, 0] = np.nan
            out[k, 1] = np.nan
        out[k, 2] = history[h - 1] if h >= 1 else np.nan
        x = rr_pre[k]
        m = min(h, 15)
        if m >= 3 and not np.isnan(x) and out[k, 0] > 0:
            seq = np.empty(m + 1)
            seq[:m] = history[h - m : h]
            seq[m] = x
            out[k, 3] = np.median(np.abs(np.diff(seq))) / out[k, 0]
        else:
            out[k, 3] = np.nan
        if not np.isnan(x):
            if h == n_max:
                history[:-1] = history[1:]
                history[-1] = x
            else:
                history[h] = x
                n_hist[0] = h + 1


@jit
def _corr(a: np.ndarray, b: np.ndarray) -> float:
    n = a.shape[0]
    ma = 0.0
    mb = 0.0
    for i in range(n):
        ma += a[i]
        mb += b[i]
    ma /= n
    mb /= n
    sab = 0.0
    saa = 0.0
    sbb = 0.0
    for i in range(n):
        da = a[i] - ma
        db = b[i] - mb
        sab += da * db
        saa += da * da
        sbb += db * db
    if saa <= 0.0 or sbb <= 0.0:
        return 0.0
    return sab / np.sqrt(saa * sbb)


@jit
def _best_lag(w: np.ndarray, t: np.ndarray, a: int, b: int) -> tuple[float, int]:
    best = -2.0
    lag = 0
    for lg in range(-_MAXLAG, _MAXLAG + 1):
        c = _corr(w[a + lg : b + lg], t[a:b])
        if c > best:
            best = c
            lag = lg
    return best, lag


@jit
def _pp(w: np.ndarray, a: int, b: int) -> float:
    return np.max(w[a:b]) - np.min(w[a:b])


@jit
def _qrs_width(w: np.ndarray) -> float:
    """Span holding the central 90 % of the slope energy around the fiducial point (s)."""
    d = np.diff(w[_WID_A:_WID_B])
    e = d * d
    tot = e.sum()
    if tot <= 0.0:
        return np.nan
    c = np.cumsum(e)
    i05 = np.searchsorted(c, 0.05 * tot)
    i95 = np.searchsorted(c, 0.95 * tot)
    return (i95 - i05) * _DT


@jit
def _merge_similar(
    j: int,
    templates: np.ndarray,
    scores: np.ndarray,
    n_members: np.ndarray,
    corr_join: float,
) -> int:
    """Merge every cluster that has become similar to cluster ``j`` into the better scored.

    Returns the index of the cluster that holds cluster ``j``'s beats at the end.
    """
    for i in range(templates.shape[0]):
        if i == j or n_members[i] == 0 or n_members[j] == 0:
            continue
        c, _ = _best_lag(templates[i], templates[j], _QRS_A, _QRS_B)
        pp_i = _pp(templates[i], _QRS_A, _QRS_B)
        pp_j = _pp(templates[j], _QRS_A, _QRS_B)
        if pp_j <= 0 or c < corr_join or not 0.5 <= pp_i / pp_j <= 2.0:
            continue
        keep, drop = (i, j) if scores[i] >= scores[j] else (j, i)
        scores[keep] += scores[drop]
        n_members[keep] += n_members[drop]
        scores[drop] = 0.0
        n_members[drop] = 0
        if keep == i:
            j = i
    return j


@jit
def _dominant(templates: np.ndarray, scores: np.ndarray, n_members: np.ndarray) -> int:
    """Index of the dominant cluster (-1 when none).

    The best-scored cluster, except that clusters whose QRS is more than 40 ms
    wider than the narrowest well-populated cluster (score >= 20 % of the best)
    count half: a run of wide ectopic beats must not become the reference.
    """
    n_k = templates.shape[0]
    top = 0.0
    for j in range(n_k):
        if n_members[j] > 0 and scores[j] > top:
            top = scores[j]
    if top <= 0.0:
        for j in range(n_k):
            if n_members[j] > 0:
                return j
        return -1
    widths = np.full(n_k, np.nan)
    narrow = np.inf
    for j in range(n_k):
        if n_members[j] > 0 and scores[j] >= 0.2 * top:
            widths[j] = _qrs_width(templates[j])
            narrow = min(narrow, widths[j])
    dom = -1
    best = -1.0
    for j in range(n_k):
        if n_members[j] == 0 or np.isnan(widths[j]):
            continue
        eff = scores[j] * (0.5 if widths[j] > narrow + 0.04 else 1.0)
        if eff > best:
            best = eff
            dom = j
    return dom


@jit
def _pairwise_sum(a: np.ndarray) -> float:
    """Sum of up to 128 values in numpy's pairwise order (equal to ``numpy.sum`` bit for bit).

    Written out because the cluster features of the shipped beat model were
    computed with ``numpy.sum``, whose rounding depends on this order.
    """
    n = a.shape[0]
    if n > 128:
        raise ValueError("_pairwise_sum takes at most 128 values")
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[0], a[1], a[2], a[3]
    r4, r5, r6, r7 = a[4], a[5], a[6], a[7]
    i = 8
    while i < n - n % 8:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[i]
        i += 1
    return res


@jit
def _book_cluster(  # noqa: PLR0917 - numba kernel over arrays
    j: int,
    members_before: np.ndarray,
    scores_before: np.ndarray,
    n_members: np.ndarray,
    cluster_pre: np.ndarray,
    pre_local: float,
    pre_alpha: float,
    out: np.ndarray,
) -> None:
    """Cluster features of a beat that joined cluster ``j``, then the running prematurity.

    ``out`` gets the running mean prematurity of the cluster's earlier beats
    and the cluster's share of the scores before the beat (NaN and 0 when the
    beat starts the cluster). Clusters merged into ``j`` by this beat pool
    their prematurity (weighted by their beats); then ``j`` takes in the
    beat's prematurity ``pre_local`` (exponential mean with ``pre_alpha``), and
    unused clusters forget theirs.
    """
    n_k = n_members.shape[0]
    if members_before[j] == 0 or n_members[j] == 1:  # a new cluster
        out[0] = np.nan
        out[1] = 0.0
        cluster_pre[j] = np.nan
    else:
        total = _pairwise_sum(scores_before)
        out[0] = cluster_pre[j]
        out[1] = scores_before[j] / total if total > 0 else 0.0
        if n_members[j] - members_before[j] > 1:  # clusters merged into j
            wv = np.empty(n_k)
            ww = np.empty(n_k)
            m = 0
            if not np.isnan(cluster_pre[j]):
                ww[0] = float(members_before[j])
                wv[0] = ww[0] * cluster_pre[j]
                m = 1
            for k in range(n_k):  # the clusters this beat's merges emptied
                if members_before[k] > 0 and n_members[k] == 0 and not np.isnan(cluster_pre[k]):
                    ww[m] = float(members_before[k])
                    wv[m] = ww[m] * cluster_pre[k]
                    m += 1
            cluster_pre[j] = _pairwise_sum(wv[:m]) / _pairwise_sum(ww[:m]) if m > 0 else np.nan
    if not np.isnan(pre_local):
        c = cluster_pre[j]
        cluster_pre[j] = pre_local if np.isnan(c) else c + pre_alpha * (pre_local - c)
    for k in range(n_k):
        if n_members[k] == 0:
            cluster_pre[k] = np.nan


@jit
def template_features(  # noqa: PLR0917 - numba kernel over arrays
    windows: np.ndarray,
    weights: np.ndarray,
    pre_local: np.ndarray,
    templates: np.ndarray,
    scores: np.ndarray,
    n_members: np.ndarray,
    cluster_pre: np.ndarray,
    out: np.ndarray,
    cluster_out: np.ndarray,
    cluster_idx: np.ndarray,
    corr_join: float,
    decay: float,
    pre_alpha: float,
) -> None:
    """Morphology of each beat against the running dominant template, then update.

    Each beat joins the most similar cluster (correlation of the QRS part
    >= ``corr_join`` at the best lag, peak-to-peak ratio within 0.5-2) or
    starts a new one (replacing the least-scored cluster when all are in use).
    Cluster scores decay by ``decay`` per beat and grow by the beat's weight;
    the dominant template is the best-scored cluster *before* the beat is
    added, so every feature depends on earlier beats only. Each cluster also
    keeps the running mean prematurity of its beats (see :func:`_book_cluster`).

    Parameters
    ----------
    windows : ndarray, shape (n, 201)
        Beat windows on the grid (mV); rows with NaN get NaN features and no update.
    weights : ndarray, shape (n,)
        Score increment of each beat (premature beats count less).
    pre_local : ndarray, shape (n,)
        Prematurity of each beat: RR before over local RR (NaN when unknown).
    templates : ndarray, shape (K, 201)
        Cluster templates (mV), updated in place.
    scores : ndarray, shape (K,)
        Cluster scores, updated in place.
    n_members : ndarray of int64, shape (K,)
        Beats per cluster (0 = slot unused), updated in place.
    cluster_pre : ndarray, shape (K,)
        Running mean prematurity of each cluster (NaN when unknown or unused),
        updated in place.
    out : ndarray, shape (n, N_MORPH)
        Features, written.
    cluster_out : ndarray, shape (n, 2)
        Written: the running mean prematurity of the earlier beats of the
        cluster each beat joins and that cluster's share of the scores before
        the beat (NaN and 0 for a beat that starts a cluster or has no window).
    cluster_idx : ndarray of int64, shape (n,)
        Written: the cluster each beat ends up in after any merge (-1 when the
        window has NaN).
    corr_join : float
        Correlation needed to join a cluster.
    decay : float
        Score decay per beat.
    pre_alpha : float
        Weight of a new beat in its cluster's running mean prematurity.
    """
    n_k = templates.shape[0]
    members_before = np.empty(n_k, dtype=np.int64)
    scores_before = np.empty(n_k)
    for i in range(windows.shape[0]):
        w = windows[i]
        out[i, :] = np.nan
        cluster_out[i, 0] = np.nan
        cluster_out[i, 1] = 0.0
        cluster_idx[i] = -1
        if np.any(np.isnan(w)):
            continue
        for j in range(n_k):
            members_before[j] = n_members[j]
            scores_before[j] = scores[j]
        dom = _dominant(templates, scores, n_members)
        pp_w = _pp(w, _QRS_A, _QRS_B)
        width_w = _qrs_width(w)
        out[i, 0] = width_w
        # cluster assignment
        assign = -1
        assign_c = -2.0
        assign_lag = 0
        for j in range(n_k):
            if n_members[j] == 0:
                continue
            c, lg = _best_lag(w, templates[j], _QRS_A, _QRS_B)
            pp_t = _pp(templates[j], _QRS_A, _QRS_B)
            ratio = pp_w / pp_t if pp_t > 0 else np.inf
            if c >= corr_join and 0.5 <= ratio <= 2.0 and c > assign_c:
                assign = j
                assign_c = c
                assign_lag = lg
        if dom >= 0:
            t = templates[dom]
            c_qrs, lag = _best_lag(w, t, _QRS_A, _QRS_B)
            ws = w[_FULL_A + lag : _FULL_B + lag]
            ts = t[_FULL_A:_FULL_B]
            pp_t = _pp(t, _QRS_A, _QRS_B)
            out[i, 1] = _qrs_width(t)
            out[i, 2] = c_qrs
            out[i, 3] = _corr(ws, ts)
            out[i, 4] = _corr(w[_P_A + lag : _P_B + lag], t[_P_A:_P_B])
            out[i, 5] = _corr(w[_T_A + lag : _T_B + lag], t[_T_A:_T_B])
            if pp_t > 0:
                wq = w[_QRS_A + lag : _QRS_B + lag]
                tq = t[_QRS_A:_QRS_B]
                out[i, 6] = pp_w / pp_t
                area_t = np.sum(np.abs(tq))
                out[i, 7] = np.sum(np.abs(wq)) / area_t if area_t > 0 else np.nan
                slope_t = np.max(np.abs(np.diff(tq)))
                out[i, 8] = np.max(np.abs(np.diff(wq))) / slope_t if slope_t > 0 else np.nan
                pos_w = np.max(wq) / pp_w if pp_w > 0 else np.nan
                pos_t = np.max(tq) / pp_t
                out[i, 9] = pos_w
                out[i, 10] = pos_w - pos_t
                out[i, 11] = np.sum((wq - tq) ** 2) / np.sum(tq * tq)
                sa_w = np.sum(wq) / np.sum(np.abs(wq)) if pp_w > 0 else np.nan
                sa_t = np.sum(tq) / area_t if area_t > 0 else np.nan
                out[i, 12] = sa_w - sa_t
            sp_t = np.std(t[_P_A:_P_B])
            out[i, 13] = np.std(w[_P_A + lag : _P_B + lag]) / sp_t if sp_t > 0 else np.nan
            tt = _pp(t, _T_A, _T_B)
            out[i, 14] = _pp(w, _T_A + lag, _T_B + lag) / tt if tt > 0 else np.nan
            out[i, 15] = 1.0 if assign == dom else 0.0
        # update
        for j in range(n_k):
            scores[j] *= decay
        if assign >= 0:
            m = n_members[assign]
            alpha = 1.0 / (m + 1.0) if m < 20 else 0.05
            t = templates[assign]
            for q in range(_N):
                src = min(max(q + assign_lag, 0), _N - 1)
                t[q] += alpha * (w[src] - t[q])
            n_members[assign] = m + 1
            scores[assign] += weights[i]
            joined = _merge_similar(assign, templates, scores, n_members, corr_join)
        else:
            slot = -1
            low = np.inf
            for j in range(n_k):
                if n_members[j] == 0:
                    slot = j
                    break
                if scores[j] < low:
                    low = scores[j]
                    slot = j
            templates[slot, :] = w
            n_members[slot] = 1
            scores[slot] = weights[i]
            joined = slot
        cluster_idx[i] = joined
        _book_cluster(
            joined, members_before, scores_before, n_members, cluster_pre, pre_local[i],
            pre_alpha, cluster_out[i],
        )  # fmt: skip


@jit
def dominant_rr_dispersion(  # noqa: PLR0917 - numba kernel over arrays
    rr_pre: np.ndarray, in_dominant: np.ndarray, ring: np.ndarray, state: np.ndarray,
    min_n: int, out: np.ndarray,
) -> None:  # fmt: skip
    """Beat-to-beat spread of the RR intervals between consecutive dominant beats.

    An interval joins the history when the beat that ends it and the beat
    before both joined the dominant morphology cluster, so ectopic beats and
    their pauses do not count: the spread is that of the patient's own
    conduction (small in sinus rhythm even with frequent ectopic beats, large
    in atrial fibrillation).

    Parameters
    ----------
    rr_pre : ndarray, shape (n,)
        RR interval ending at each beat (s); NaN when unknown.
    in_dominant : ndarray, shape (n,)
        1.0 when the beat joined the dominant cluster (0.0 or NaN otherwise).
    ring : ndarray, shape (n_max,)
        The most recent dominant-to-dominant intervals (s), oldest first in
        the first ``state[0]`` entries; updated in place.
    state : ndarray of int64, shape (2,)
        Number of valid entries of ``ring``, and 1 when the previous beat was
        dominant; updated in place.
    min_n : int
        Fewest intervals needed (NaN before).
    out : ndarray, shape (n,)
        Written, after the beat's own interval joined: median absolute
        difference of successive intervals over their median.
    """
    n_max = ring.shape[0]
    for k in range(rr_pre.shape[0]):
        dom = in_dominant[k] == 1.0
        x = rr_pre[k]
        if dom and state[1] == 1 and not np.isnan(x):
            h = state[0]
            if h == n_max:
                ring[:-1] = ring[1:]
                ring[-1] = x
            else:
                ring[h] = x
                state[0] = h + 1
        state[1] = 1 if dom else 0
        h = state[0]
        if h >= min_n:
            med = np.median(ring[:h])
            out[k] = np.median(np.abs(np.diff(ring[:h]))) / med if med > 0 else np.nan
        else:
            out[k] = np.nan


@jit
def running_percentile(  # noqa: PLR0917 - numba kernel over arrays
    values: np.ndarray,
    history: np.ndarray,
    ordered: np.ndarray,
    state: np.ndarray,
    q: float,
    min_n: int,
    out: np.ndarray,
) -> None:
    """Per row, the ``q``-th percentile of each column over the previous rows.

    The percentile is taken over the last ``n_max`` earlier rows without NaN
    and equals ``numpy.percentile(rows, q, axis=0)`` (linear interpolation) bit
    for bit; then the row joins the history when it has no NaN. Written by
    hand to keep each column sorted as rows come and go (one insertion and one
    removal per row instead of a sort).

    Parameters
    ----------
    values : ndarray, shape (n, m)
        The rows, in order.
    history : ndarray, shape (n_max, m)
        Ring of the history rows (oldest at ``state[1]``), updated in place.
    ordered : ndarray, shape (n_max, m)
        Each column of the history sorted, in the first ``state[0]`` rows;
        updated in place.
    state : ndarray of int64, shape (2,)
        Number of history rows and index of the oldest in ``history``; updated
        in place.
    q : float
        Percentile (0-100).
    min_n : int
        Rows with fewer history rows get NaN.
    out : ndarray, shape (n, m)
        Percentiles, written.
    """
    n_max, n_col = history.shape
    frac = q / 100.0
    for k in range(values.shape[0]):
        cnt = state[0]
        if cnt >= max(min_n, 1):
            # numpy.percentile, method "linear": virtual index (n - 1) * q / 100,
            # lerp a + (b - a) g, or b - (b - a) (1 - g) when g >= 0.5
            vi = (cnt - 1) * frac
            lo = int(np.floor(vi))
            g = vi - lo
            hi = lo + 1
            if vi >= cnt - 1:
                lo = cnt - 1
                hi = cnt - 1
            for c in range(n_col):
                a = ordered[lo, c]
                b = ordered[hi, c]
                d = b - a
                out[k, c] = b - d * (1.0 - g) if g >= 0.5 else a + d * g
        else:
            out[k, :] = np.nan
        row = values[k]
        if np.any(np.isnan(row)):
            continue
        head = state[1]
        if cnt == n_max:  # drop the oldest row
            for c in range(n_col):
                col = ordered[:cnt, c]
                p = np.searchsorted(col, history[head, c])
                col[p:-1] = col[p + 1 :].copy()
            cnt -= 1
            slot = head
            state[1] = (head + 1) % n_max
        else:
            slot = (head + cnt) % n_max
        for c in range(n_col):
            history[slot, c] = row[c]
            col = ordered[: cnt + 1, c]
            p = np.searchsorted(col[:cnt], row[c])
            col[p + 1 :] = col[p:-1].copy()
            col[p] = row[c]
        state[0] = cnt + 1


@jit
def gbt_decision(  # noqa: PLR0917 - numba kernel over arrays
    x: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    missing_left: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    is_leaf: np.ndarray,
    value: np.ndarray,
    roots: np.ndarray,
    tree_class: np.ndarray,
    baseline: np.ndarray,
) -> np.ndarray:
    """Raw scores of a tree ensemble: ``baseline[c] + sum of leaf values of class c``.

    Node ``k`` sends a sample left when ``x[feature[k]] <= threshold[k]``, or
    when the value is NaN and ``missing_left[k]`` is set (the scikit-learn
    histogram gradient-boosting convention).
    """
    n = x.shape[0]
    n_c = baseline.shape[0]
    out = np.empty((n, n_c))
    for i in range(n):
        for c in range(n_c):
            out[i, c] = baseline[c]
        for t in range(roots.shape[0]):
            node = roots[t]
            while not is_leaf[node]:
                v = x[i, feature[node]]
                go_left = missing_left[node] if np.isnan(v) else v <= threshold[node]
                node = left[node] if go_left else right[node]
            out[i, tree_class[t]] += value[node]
    return out


@jit
def sample_entropy(x: np.ndarray, m: int, r: float) -> float:
    """Sample entropy SampEn(m, r) of ``x`` (NaN when undefined)."""
    n = x.shape[0]
    if n <= m + 1:
        return np.nan
    a = 0
    b = 0
    for i in range(n - m):
        for j in range(i + 1, n - m):
            match = True
            for q in range(m):
                if abs(x[i + q] - x[j + q]) > r:
                    match = False
                    break
            if match:
                b += 1
                if abs(x[i + m] - x[j + m]) <= r:
                    a += 1
    if a == 0 or b == 0:
        return np.nan
    return -np.log(a / b)
