"""ANSI/AAMI EC57 beat-by-beat comparison (the ``bxb`` rules).

:func:`compare_beats` pairs reference and test beat annotations the way the
WFDB ``bxb`` program does (EC57:1998 section 4.2 / EC38):

* the match window is 150 ms (``window_s``); a reference beat at ``T`` and a
  test beat at ``t`` are paired when ``|T - t| <= window`` and neither has a
  closer partner among the *next* annotation of the other stream (one-to-one,
  nearest first);
* comparison starts after a learning period (``start_s``, 5 min by default);
  a test beat just before the start may still match the first reference beat
  after it, and a test beat within the window after the start that belongs to
  a reference beat in the learning period is not counted;
* reference ventricular flutter/fibrillation intervals (``[`` ... ``]``) are
  removed: reference annotations inside them are ignored, and unmatched test
  beats inside them are not counted as false positives;
* the confusion matrix uses the AAMI classes (:func:`aami_class`) and gives
  QRS Se/+P, VEB and SVEB Se/+P/FPR exactly as ``bxb`` defines them (e.g. a
  reference F or Q beat called ``v`` is neither a VEB true nor false positive).

Shutdown intervals (``NOISE`` annotations with subtype bits 4 and 5 set) need
the annotation subtype, which the record's annotations do not carry here;
they are not modelled, so no ``X`` column exists.

The pairing is a direct, documented transcription of the ``bxb`` loop: no
maintained Python library implements the EC57 start-of-test rules and class
matrix (``wfdb.processing.compare_annotations`` matches beat times only; the
tests cross-check both on real records).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

import numpy as np

from ecgcore.benchmarks.aami import AAMI_CLASSES, aami_class

__all__ = [
    "MITDB_PACED_RECORDS",
    "REF_ROWS",
    "TEST_COLUMNS",
    "BeatComparison",
    "BeatSummary",
    "QrsScores",
    "aami_class",
    "compare_beats",
    "summarize_beats",
]

#: MIT-BIH records with paced beats; EC57 leaves them out of VEB/SVEB reporting.
MITDB_PACED_RECORDS: Final[frozenset[str]] = frozenset({"102", "104", "107", "217"})

#: Row labels of the confusion matrix: reference class, ``O`` = no reference beat.
REF_ROWS: Final[tuple[str, ...]] = (*AAMI_CLASSES, "O")
#: Column labels: test class, ``o`` = no test beat.
TEST_COLUMNS: Final[tuple[str, ...]] = tuple(c.lower() for c in REF_ROWS)

_ROW = {c: k for k, c in enumerate(REF_ROWS)}
_N, _S, _V, _F, _Q, _O = range(6)
_BEATS = [_N, _S, _V, _F, _Q]
_NOT_COUNTED = "*"  # test beat during reference VF: ignored, as in bxb
_HUGE = 1 << 62


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


class QrsScores:
    """QRS Se, +P and F1 from the counts ``tp``, ``fn``, ``fp`` of a subclass."""

    tp: int
    fn: int
    fp: int

    @property
    def se(self) -> float:
        """QRS sensitivity TP / (TP + FN), 0..1 (NaN when undefined)."""
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def ppv(self) -> float:
        """QRS positive predictivity TP / (TP + FP), 0..1 (NaN when undefined)."""
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def f1(self) -> float:
        """QRS F1 = 2 TP / (2 TP + FN + FP), 0..1 (NaN when undefined)."""
        return _ratio(2 * self.tp, 2 * self.tp + self.fn + self.fp)


@dataclass(frozen=True)
class BeatComparison(QrsScores):
    """Result of an EC57 beat-by-beat comparison.

    Attributes
    ----------
    matrix : tuple of tuple of int
        6 x 6 confusion matrix, rows :data:`REF_ROWS` (reference ``N S V F Q O``),
        columns :data:`TEST_COLUMNS` (test ``n s v f q o``). Cell ``(O, o)`` is 0.
    classified : bool
        True when both reference and test beat labels were given, so the VEB
        and SVEB statistics are meaningful (otherwise they are ``None``).
    window_samples, start_sample : int
        Match window and start of the test period actually used (samples).
    """

    matrix: tuple[tuple[int, ...], ...]
    classified: bool = False
    window_samples: int = 0
    start_sample: int = 0

    def _m(self) -> np.ndarray:
        return np.asarray(self.matrix, dtype=np.int64)

    # -- QRS detection -------------------------------------------------------
    @property
    def tp(self) -> int:
        """Reference beats matched by a test beat (any class)."""
        return int(self._m()[:_O, :_O].sum())

    @property
    def fn(self) -> int:
        """Reference beats without a matching test beat."""
        return int(self._m()[:_O, _O].sum())

    @property
    def fp(self) -> int:
        """Test beats without a matching reference beat."""
        return int(self._m()[_O, :_O].sum())

    # -- ectopic beat classes (bxb definitions) -------------------------------
    def _class_counts(self, cls: int) -> tuple[int, int, int, int]:
        m = self._m()
        if cls == _V:
            tp = m[_V, _V]
            fn = m[_V, [_N, _S, _F, _Q, _O]].sum()
            fp = m[[_N, _S, _O], _V].sum()
            tn = m[np.ix_([_N, _S, _F, _Q, _O], [_N, _S, _F, _Q])].sum()
        else:  # SVEB, by analogy (bxb reports no SVEB FPR; the TN set mirrors VEB's)
            tp = m[_S, _S]
            fn = m[_S, [_N, _V, _F, _Q, _O]].sum()
            fp = m[[_N, _V, _F, _O], _S].sum()
            tn = m[np.ix_([_N, _V, _F, _Q, _O], [_N, _V, _F, _Q])].sum()
        return int(tp), int(fn), int(fp), int(tn)

    def veb_counts(self) -> tuple[int, int, int, int]:
        """VEB (TP, FN, FP, TN) as ``bxb`` counts them."""
        return self._class_counts(_V)

    def sveb_counts(self) -> tuple[int, int, int, int]:
        """SVEB (TP, FN, FP, TN) as ``bxb`` counts them."""
        return self._class_counts(_S)

    def _class_stat(self, cls: int, which: str) -> float | None:
        if not self.classified:
            return None
        tp, fn, fp, tn = self._class_counts(cls)
        if which == "se":
            return _ratio(tp, tp + fn)
        if which == "ppv":
            return _ratio(tp, tp + fp)
        return _ratio(fp, tn + fp)

    @property
    def veb_se(self) -> float | None:
        """VEB sensitivity (None without beat labels)."""
        return self._class_stat(_V, "se")

    @property
    def veb_ppv(self) -> float | None:
        """VEB positive predictivity (None without beat labels)."""
        return self._class_stat(_V, "ppv")

    @property
    def veb_fpr(self) -> float | None:
        """VEB false-positive rate FP / (TN + FP) (None without beat labels)."""
        return self._class_stat(_V, "fpr")

    @property
    def sveb_se(self) -> float | None:
        """SVEB sensitivity (None without beat labels)."""
        return self._class_stat(_S, "se")

    @property
    def sveb_ppv(self) -> float | None:
        """SVEB positive predictivity (None without beat labels)."""
        return self._class_stat(_S, "ppv")

    @property
    def sveb_fpr(self) -> float | None:
        """SVEB false-positive rate FP / (TN + FP) (None without beat labels)."""
        return self._class_stat(_S, "fpr")

    def stats(self) -> dict[str, float | int | None]:
        """All counts and statistics as a flat dict (fractions 0..1)."""
        return {
            "tp": self.tp,
            "fn": self.fn,
            "fp": self.fp,
            "se": self.se,
            "ppv": self.ppv,
            "f1": self.f1,
            "veb_se": self.veb_se,
            "veb_ppv": self.veb_ppv,
            "veb_fpr": self.veb_fpr,
            "sveb_se": self.sveb_se,
            "sveb_ppv": self.sveb_ppv,
            "sveb_fpr": self.sveb_fpr,
        }

    def __add__(self, other: BeatComparison) -> BeatComparison:
        """Sum two comparisons (gross statistics add the confusion matrices)."""
        if not isinstance(other, BeatComparison):
            return NotImplemented
        total = self._m() + other._m()
        return BeatComparison(
            matrix=tuple(tuple(int(v) for v in row) for row in total),
            classified=self.classified and other.classified,
            window_samples=self.window_samples,
            start_sample=self.start_sample,
        )


def _as_sample_list(idx: object, name: str) -> list[int]:
    arr = np.asarray(idx)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of sample indices, got shape {arr.shape}")
    if (
        arr.size
        and not np.issubdtype(arr.dtype, np.integer)
        and (not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)))
    ):
        raise ValueError(f"{name}: expected integer sample indices, got dtype {arr.dtype}")
    values = arr.astype(np.int64)
    if values.size and np.any(values < 0):
        raise ValueError(f"{name}: sample indices must be >= 0")
    if values.size > 1 and np.any(np.diff(values) < 0):
        k = int(np.flatnonzero(np.diff(values) < 0)[0])
        raise ValueError(
            f"{name}: sample indices must be in time order; index {k + 1} "
            f"({values[k + 1]}) comes before index {k} ({values[k]})"
        )
    return values.tolist()


def _beat_stream(
    idx: object, symbols: Sequence[str] | None, name: str
) -> tuple[list[int], list[str], list[tuple[int, int]]]:
    """Beat times, AAMI classes and VF intervals of one annotation stream."""
    times = _as_sample_list(idx, name)
    if symbols is None:
        return times, ["N"] * len(times), []
    if len(symbols) != len(times):
        raise ValueError(
            f"{name}: {len(times)} sample indices but {len(symbols)} symbols; "
            "expected equal lengths"
        )
    beat_t: list[int] = []
    beat_c: list[str] = []
    vf: list[tuple[int, int]] = []
    vf_on: int | None = None
    for t, sym in zip(times, symbols, strict=True):
        if vf_on is not None:  # everything between VFON and VFOFF is skipped
            if sym == "]":
                vf.append((vf_on, t))
                vf_on = None
            continue
        if sym == "[":
            vf_on = t
            continue
        cls = aami_class(sym)
        if cls is not None:
            beat_t.append(t)
            beat_c.append(cls)
    if vf_on is not None:  # unterminated VF: the rest of the stream is VF
        vf.append((vf_on, _HUGE))
    return beat_t, beat_c, vf


def compare_beats(
    ref_idx: object,
    test_idx: object,
    fs: float,
    *,
    window_s: float = 0.15,
    start_s: float = 300.0,
    end_s: float | None = None,
    ref_symbols: Sequence[str] | None = None,
    test_symbols: Sequence[str] | None = None,
) -> BeatComparison:
    """Compare test beats with reference beats, EC57 beat by beat.

    Parameters
    ----------
    ref_idx, test_idx : array_like of int
        Reference and test annotation sample indices, in time order.
    fs : float
        Sampling rate in Hz (converts the window and the test period to samples).
    window_s : float
        Match window in seconds (EC57: 0.15 s).
    start_s : float
        Start of the test period in seconds (EC57: 300 s; the first 5 min are a
        learning period). With 0 every annotation is compared.
    end_s : float or None
        End of the test period in seconds; None compares to the end of both
        annotation streams (the usual case: the whole record).
    ref_symbols, test_symbols : sequence of str, optional
        WFDB annotation symbols, one per index. When given, non-beat
        annotations are dropped (:func:`aami_class` is None), ``[``/``]``
        ventricular flutter intervals are honoured, and beats carry their AAMI
        class. Without symbols every index is a beat of class ``N``. VEB/SVEB
        statistics are computed only when both are given.

    Returns
    -------
    BeatComparison
    """
    if not (fs > 0 and math.isfinite(fs)):
        raise ValueError(f"fs: expected a positive sampling rate in Hz, got {fs!r}")
    if not window_s > 0:
        raise ValueError(f"window_s: expected > 0 s, got {window_s!r}")
    if start_s < 0:
        raise ValueError(f"start_s: expected >= 0 s, got {start_s!r}")
    if end_s is not None and end_s < start_s:
        raise ValueError(f"end_s: expected >= start_s ({start_s} s), got {end_s!r}")

    ref_t, ref_c, ref_vf = _beat_stream(ref_idx, ref_symbols, "ref_idx")
    test_t, test_c, _test_vf = _beat_stream(test_idx, test_symbols, "test_idx")
    # Rounded like WFDB strtim(): 0.15 s at 360 Hz -> 54 samples.
    dt = math.floor(window_s * fs + 0.5)
    start = math.floor(start_s * fs + 0.5)
    end = _HUGE - 1 if end_s is None else math.floor(end_s * fs + 0.5)

    matrix = np.zeros((6, 6), dtype=np.int64)
    R = [*ref_t, _HUGE, _HUGE]
    Rc = [*ref_c, "O", "O"]
    S = [*test_t, _HUGE, _HUGE]
    Sc = [*test_c, "O", "O"]

    def pair(ref_cls: str, test_cls: str) -> None:
        if ref_cls == _NOT_COUNTED:
            return
        matrix[_ROW[ref_cls], _ROW[test_cls]] += 1

    def rpann(t: int) -> str:
        for on, off in ref_vf:
            if on <= t <= off:
                return _NOT_COUNTED
        return "O"

    i = bisect_left(ref_t, start)
    j = bisect_left(test_t, start)
    if start > 0:
        T = R[i]
        if j > 0 and T - S[j - 1] < abs(T - S[j]) and T - S[j - 1] <= dt:
            # the last test beat of the learning period matches the first reference beat
            pair(Rc[i], Sc[j - 1])
            i += 1
        elif S[j] - start <= dt and abs(T - S[j + 1]) < abs(T - S[j]):
            # the first test beat belongs to a reference beat of the learning period
            j += 1

    while min(R[i], S[j]) <= end:
        T, t = R[i], S[j]
        if t < T:
            if T - t <= dt and T - t < abs(T - S[j + 1]):
                pair(Rc[i], Sc[j])
                i += 1
                j += 1
            else:
                pair(rpann(t), Sc[j])
                j += 1
        elif t - T <= dt and t - T < abs(t - R[i + 1]):
            pair(Rc[i], Sc[j])
            i += 1
            j += 1
        else:
            pair(Rc[i], "O")
            i += 1

    return BeatComparison(
        matrix=tuple(tuple(int(v) for v in row) for row in matrix),
        classified=ref_symbols is not None and test_symbols is not None,
        window_samples=dt,
        start_sample=start,
    )


@dataclass(frozen=True)
class BeatSummary:
    """Gross and average EC57 statistics over several records.

    Attributes
    ----------
    records : tuple of str
        Every record in the QRS statistics.
    class_records : tuple of str
        Records in the VEB/SVEB statistics (paced records left out).
    gross_qrs : BeatComparison
        Sum over ``records`` (gross QRS Se/+P come from here).
    gross_class : BeatComparison
        Sum over ``class_records`` (gross VEB/SVEB statistics come from here).
    average : Mapping[str, float]
        Mean of the per-record statistics (records where a statistic is
        undefined are left out of that mean; NaN when none is defined).
    """

    records: tuple[str, ...]
    class_records: tuple[str, ...]
    gross_qrs: BeatComparison
    gross_class: BeatComparison
    average: Mapping[str, float | None]

    def gross(self) -> dict[str, float | int | None]:
        """Gross statistics: QRS from all records, VEB/SVEB without paced records."""
        out = self.gross_qrs.stats()
        cls = self.gross_class.stats()
        for key in ("veb_se", "veb_ppv", "veb_fpr", "sveb_se", "sveb_ppv", "sveb_fpr"):
            out[key] = cls[key]
        return out


_QRS_KEYS = ("se", "ppv", "f1")
_CLASS_KEYS = ("veb_se", "veb_ppv", "veb_fpr", "sveb_se", "sveb_ppv", "sveb_fpr")


def _mean(values: Iterable[float | int | None]) -> float:
    vals = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    return float(np.mean(vals)) if vals else math.nan


def summarize_beats(
    per_record: Mapping[str, BeatComparison],
    *,
    paced_records: Iterable[str] = MITDB_PACED_RECORDS,
) -> BeatSummary:
    """Aggregate per-record comparisons into EC57 gross and average statistics.

    Parameters
    ----------
    per_record : Mapping[str, BeatComparison]
        One comparison per record name.
    paced_records : iterable of str
        Records left out of the VEB/SVEB statistics (EC57 excludes paced
        records; default: MIT-BIH 102, 104, 107, 217). QRS statistics use
        every record.
    """
    if not per_record:
        raise ValueError("per_record: expected at least one record comparison")
    paced = set(paced_records)
    records = tuple(per_record)
    class_records = tuple(r for r in records if r not in paced)
    comps = list(per_record.values())
    gross_qrs = sum(comps[1:], comps[0])
    class_comps = [per_record[r] for r in class_records]
    if class_comps:
        gross_class = sum(class_comps[1:], class_comps[0])
    else:
        gross_class = BeatComparison(
            matrix=tuple((0,) * 6 for _ in range(6)), classified=gross_qrs.classified
        )
    average: dict[str, float | None] = {}
    for key in _QRS_KEYS:
        average[key] = _mean(c.stats()[key] for c in comps)
    for key in _CLASS_KEYS:
        if not gross_class.classified:
            average[key] = None
        else:
            average[key] = _mean(c.stats()[key] for c in class_comps)
    return BeatSummary(
        records=records,
        class_records=class_records,
        gross_qrs=gross_qrs,
        gross_class=gross_class,
        average=MappingProxyType(average),
    )
