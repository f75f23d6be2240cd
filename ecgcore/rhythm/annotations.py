"""A rhythm analysis as a WFDB annotation file (beat labels and rhythm changes).

Beats are written with one MIT-BIH symbol per AAMI class (``N`` normal, ``A``
supraventricular premature, ``V`` ventricular, ``F`` fusion, ``Q``
unclassifiable). Each episode start is a rhythm-change annotation (symbol
``+``) with the aux note ``(CODE`` (``(AFIB``, ``(VT``...), the MIT-BIH
convention, so ``wfdb.rdann`` and the EC57 tools read it like a reference file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np

from ecgcore.io import Annotations, write_annotations
from ecgcore.rhythm.analyzer import RhythmAnalysis

__all__ = ["AAMI_SYMBOL", "PACED_SYMBOL", "rhythm_annotations", "write_rhythm_annotations"]

#: MIT-BIH symbol written for each AAMI class.
AAMI_SYMBOL: Final = {"N": "N", "S": "A", "V": "V", "F": "F", "Q": "Q"}

#: MIT-BIH symbol of a paced beat (AAMI class Q).
PACED_SYMBOL: Final = "/"


def rhythm_annotations(result: RhythmAnalysis, *, extension: str = "rhy") -> Annotations:
    """Beats and rhythm changes of ``result`` as one annotation set, in time order.

    A rhythm change at the same sample as a beat comes first (as in the
    MIT-BIH reference files). A paced beat is written ``/`` as in MIT-BIH.
    """
    samples = [int(ep.start_idx) for ep in result.episodes]
    symbols = ["+"] * len(samples)
    aux = [f"({ep.rhythm}" for ep in result.episodes]
    order_key = [0] * len(samples)
    paced = result.beats_paced
    if paced is None:
        paced = np.zeros(result.beats_idx.size, dtype=bool)
    beats = zip(
        result.beats_idx.tolist(), result.beat_classes.tolist(), paced.tolist(), strict=True
    )
    for s, c, p in beats:
        samples.append(int(s))
        symbols.append(PACED_SYMBOL if p else AAMI_SYMBOL[c])
        aux.append("")
        order_key.append(1)
    order = np.lexsort((np.asarray(order_key), np.asarray(samples, dtype=np.int64)))
    return Annotations(
        sample=np.asarray(samples, dtype=np.int64)[order],
        symbol=tuple(symbols[i] for i in order),
        aux_note=tuple(aux[i] for i in order),
        fs=result.fs,
        extension=extension,
    )


def write_rhythm_annotations(
    result: RhythmAnalysis, directory: str | Path, record_name: str, *, extension: str = "rhy"
) -> Path:
    """Write :func:`rhythm_annotations` as ``<directory>/<record_name>.<extension>``."""
    return write_annotations(
        directory, record_name, extension, rhythm_annotations(result, extension=extension)
    )
