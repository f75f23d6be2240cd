"""Rhythm kernels: cluster bookkeeping of the template kernel, running percentile, sums."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from ecgcore.rhythm._rhythm_numba import (
    N_MORPH,
    _pairwise_sum,
    running_percentile,
    template_features,
)

K = 8
GRID = np.arange(201)
CORR_JOIN, DECAY, PRE_ALPHA = 0.90, 0.99, 0.1
_SHAPES = (
    (75, 4, 1.0), (75, 10, -0.8), (78, 6, 0.6), (70, 14, 1.2), (75, 3, -1.0), (80, 8, 0.9),
    (72, 5, 0.5), (76, 12, -0.6), (74, 7, 1.5), (77, 9, 0.4), (73, 20, 1.0),
)  # fmt: skip


def _beats(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows of more beat shapes than clusters (mV), slowly changing width so
    that clusters drift into each other, with flat and missing windows; their
    prematurity and score weights."""
    rng = np.random.default_rng(seed)
    windows = np.empty((n, GRID.size))
    for i in range(n):
        r = rng.random()
        if r < 0.05:
            windows[i] = 0.1  # a flat window: no cluster can take it
            continue
        if r < 0.07:
            windows[i] = np.nan
            continue
        s = int(rng.integers(len(_SHAPES))) if rng.random() < 0.6 else 0
        c, w, a = _SHAPES[s]
        w *= 1.0 + 0.3 * np.sin(i / 40.0 + s)
        windows[i] = (
            a * np.exp(-0.5 * ((GRID - c) / w) ** 2)
            + 0.15 * np.exp(-0.5 * ((GRID - 30) / 8) ** 2)
            + rng.normal(0, 0.01, GRID.size)
        )
    pre = rng.uniform(0.5, 1.3, n)
    pre[rng.random(n) < 0.05] = np.nan
    return windows, np.where(pre < 0.85, 0.2, 1.0), pre


def _state() -> tuple[np.ndarray, ...]:
    return (np.zeros((K, GRID.size)), np.zeros(K), np.zeros(K, dtype=np.int64), np.full(K, np.nan))


def _run(windows: np.ndarray, weights: np.ndarray, pre: np.ndarray, state: tuple) -> tuple:
    n = windows.shape[0]
    morph, cluster, idx = np.empty((n, N_MORPH)), np.empty((n, 2)), np.empty(n, dtype=np.int64)
    template_features(
        windows, weights, pre, *state, morph, cluster, idx, CORR_JOIN, DECAY, PRE_ALPHA
    )
    return morph, cluster, idx


def _from_state_changes(
    windows: np.ndarray, weights: np.ndarray, pre: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int]:
    """Cluster features worked out from the template state before and after each beat.

    The beat's cluster is the one whose template or size changed (a merge also
    empties the merged clusters); a beat that changes nothing (a flat window
    replacing an identical one-beat cluster) counts for the first cluster with
    its template.
    """
    n = windows.shape[0]
    templates, scores, members, _ = _state()
    cpre = np.full(K, np.nan)
    out = np.full((n, 2), np.nan)
    booked = np.full(n, -1)
    n_merges = 0
    for i in range(n):
        m0, t0, s0 = members.copy(), templates.copy(), scores.copy()
        state = (templates, scores, members, np.full(K, np.nan))
        _run(windows[i : i + 1], weights[i : i + 1], pre[i : i + 1], state)
        out[i, 1] = 0.0
        changed = (members > 0) & ((members != m0) | np.any(templates != t0, axis=1))
        if not changed.any():
            if np.isnan(windows[i]).any():
                continue
            changed = np.all(templates == windows[i], axis=1)
        j = int(np.argmax(np.where(changed, members - m0, -np.inf)))
        booked[i] = j
        if m0[j] > 0 and members[j] > 1:
            out[i] = (cpre[j], s0[j] / s0.sum())
            if members[j] - m0[j] > 1:
                n_merges += 1
                gone = (m0 > 0) & (members == 0)
                w = np.concatenate(([m0[j]], m0[gone])).astype(float)
                v = np.concatenate(([cpre[j]], cpre[gone]))
                ok = ~np.isnan(v)
                cpre[j] = np.sum(w[ok] * v[ok]) / w[ok].sum() if ok.any() else np.nan
        else:
            cpre[j] = np.nan
        if not np.isnan(pre[i]):
            cpre[j] = pre[i] if np.isnan(cpre[j]) else cpre[j] + PRE_ALPHA * (pre[i] - cpre[j])
        cpre[members == 0] = np.nan
    return out, booked, n_merges


def test_cluster_features_follow_the_cluster_state() -> None:
    windows, weights, pre = _beats(600, 3)
    expected, booked, n_merges = _from_state_changes(windows, weights, pre)
    _, cluster, idx = _run(windows, weights, pre, _state())
    # the data exercise merges, evictions and flat windows; a flat window that
    # replaces an identical one-beat cluster changes no state, so the state
    # changes put it on the first such cluster: flat clusters never grow or
    # merge, so the features agree all the same
    assert n_merges > 0
    flat = np.all(windows == 0.1, axis=1)
    assert np.any(booked[flat] != idx[flat])
    np.testing.assert_array_equal(cluster, expected)
    missing = np.isnan(windows).any(axis=1)
    assert np.all(idx[missing] == -1)
    np.testing.assert_array_equal(idx[~flat], booked[~flat])
    assert np.all((idx[~missing] >= 0) & (idx[~missing] < K))


def test_template_features_in_pieces_equals_whole() -> None:
    windows, weights, pre = _beats(300, 4)
    whole_state = _state()
    whole = _run(windows, weights, pre, whole_state)
    state = _state()
    cuts = [0, 1, 2, 40, 41, 170, 300]
    parts = [_run(windows[a:b], weights[a:b], pre[a:b], state) for a, b in pairwise(cuts)]
    for k in range(3):
        np.testing.assert_array_equal(np.concatenate([p[k] for p in parts]), whole[k])
    for a, b in zip(state, whole_state, strict=True):
        np.testing.assert_array_equal(a, b)


def _percentile_state(n_max: int, n_col: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros((n_max, n_col)), np.zeros((n_max, n_col)), np.zeros(2, dtype=np.int64)


@pytest.mark.parametrize("q", [25.0, 50.0, 90.0])
def test_running_percentile_equals_numpy_over_the_last_rows(q: float) -> None:
    rng = np.random.default_rng(int(q))
    values = np.round(rng.gamma(2.0, 1.0, (700, 4)), 1)  # with ties
    values[rng.random(700) < 0.1, rng.integers(0, 4)] = np.nan
    values[rng.random(700) < 0.01, 0] = np.inf
    n_max, min_n = 100, 8
    expected = np.full(values.shape, np.nan)
    rows: list[np.ndarray] = []
    for k, row in enumerate(values):
        if len(rows) >= min_n:
            expected[k] = np.percentile(np.asarray(rows[-n_max:]), q, axis=0)
        if not np.isnan(row).any():
            rows.append(row)
    state = _percentile_state(n_max, 4)
    got = np.empty_like(values)
    for a, b in ((0, 5), (5, 6), (6, 230), (230, 700)):  # the history carries over
        running_percentile(values[a:b], *state, q, min_n, got[a:b])
    np.testing.assert_array_equal(got, expected)
    assert np.array_equal(got, expected, equal_nan=True)


@pytest.mark.parametrize("n", [0, 1, 3, 7, 8, 9, 15, 16, 17, 100, 128])
def test_pairwise_sum_equals_numpy_sum(n: int) -> None:
    rng = np.random.default_rng(n)
    for _ in range(50):
        a = rng.standard_normal(n) * 10.0 ** rng.integers(-4, 5, n)
        assert _pairwise_sum(a) == np.sum(a)
