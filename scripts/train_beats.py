"""Train the shipped beat classifier and measure it leave-one-record-out.

Reproduces ``ecgcore/rhythm/models/beats-<version>.npz`` exactly (same bytes,
same SHA-256) from the MIT-BIH Arrhythmia Database records of the de Chazal
DS1 training half; nothing else is used for training. Paced records (102,
104, 107, 217) are excluded, as in de Chazal et al. (2004). Recipe and
settings: :mod:`ecgcore.rhythm.training`.

Usage::

    python scripts/train_beats.py              # train, export, update MANIFEST.json
    python scripts/train_beats.py --loo        # leave-one-record-out EC57 figures
    python scripts/train_beats.py --loo --detected

``--loo`` refits the classifier without each DS1 record in turn and runs the
whole rhythm analysis (:func:`ecgcore.rhythm.analyze_rhythm`, with its
rhythm-context rules) on the held-out record, at the reference beat positions
or, with ``--detected``, at the R-peaks of :func:`ecgcore.detect.detect_r_peaks`;
the beat labels are scored with the EC57 ``bxb`` rules (gross statistics,
5-minute learning period).
"""

from __future__ import annotations

import os

# One thread: histogram gradient boosting then sums in a fixed order, so the
# exported model is bit-for-bit reproducible.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ecgcore.benchmarks.ec57 import compare_beats
from ecgcore.datasets import get_database
from ecgcore.detect import detect_r_peaks
from ecgcore.rhythm import analyze_rhythm
from ecgcore.rhythm.beats import load_beat_classifier
from ecgcore.rhythm.training import (
    BEAT_VERSION,
    DS1,
    beat_rows,
    check_beats_export,
    export_beats,
    fit_beats,
    record_lead,
    update_manifest,
)
from ecgcore.rhythm.trees import MODEL_DIR

#: AAMI class -> a MIT-BIH symbol of that class, for the bxb comparison.
_SYMBOL = {"N": "N", "S": "A", "V": "V", "F": "F", "Q": "Q"}


def emit(*parts: object) -> None:
    """Write one line of the script's report to stdout."""
    print(*parts, flush=True)  # noqa: T201 - command-line script


def train(args: argparse.Namespace, db) -> None:
    rows = [beat_rows(db, r) for r in DS1]  # computed afresh: what is shipped
    fit = fit_beats(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"beats-{BEAT_VERSION}.npz"
    sha = export_beats(fit, path, DS1)
    check_beats_export(path, sha, fit, np.vstack([d["F"] for d in rows]))
    update_manifest("beats", path, sha, BEAT_VERSION, "scripts/train_beats.py")
    emit(f"{path}: {path.stat().st_size} bytes, sha256 {sha}")


def loo(args: argparse.Namespace, db) -> None:
    rows = {r: beat_rows(db, r, cache=args.cache) for r in DS1}
    total = None
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        for r in DS1:
            train_records = [q for q in DS1 if q != r]
            path = Path(tmp) / f"loo-{r}.npz"
            sha = export_beats(fit_beats([rows[q] for q in train_records]), path, train_records)
            classifier = load_beat_classifier(path, sha256=sha)
            rd = db.load_record(r)
            rec = rd.recording
            lead = record_lead(rec)
            peaks = detect_r_peaks(rec.lead_mv(lead), rec.fs) if args.detected else rd.beat_idx
            result = analyze_rhythm(rec, peaks=peaks, lead=lead, beat_classifier=classifier)
            ann = rd.annotations
            c = compare_beats(
                ann.sample, result.beats_idx, rec.fs, ref_symbols=ann.symbol,
                test_symbols=[_SYMBOL[x] for x in result.beat_classes.tolist()],
            )  # fmt: skip
            total = c if total is None else total + c
            nan = float("nan")
            emit(
                f"{r}: VEB Se {c.veb_se or nan:.3f} +P {c.veb_ppv or nan:.3f}"
                f"  SVEB Se {c.sveb_se or nan:.3f} +P {c.sveb_ppv or nan:.3f}"
            )
    emit(f"LOO over {len(DS1)} records in {time.time() - t0:.0f} s")
    emit("confusion (rows reference N S V F Q O, columns test n s v f q o):")
    for row, name in zip(total.matrix, "NSVFQO", strict=True):
        emit(name, " ".join(f"{v:6d}" for v in row))
    emit(
        f"gross: QRS Se {total.se:.4f} +P {total.ppv:.4f}; "
        f"VEB Se {total.veb_se:.4f} +P {total.veb_ppv:.4f} FPR {total.veb_fpr:.4f}; "
        f"SVEB Se {total.sveb_se:.4f} +P {total.sveb_ppv:.4f} FPR {total.sveb_fpr:.4f}"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=None, help="PhysioNet data root")
    p.add_argument(
        "--cache", type=Path, default=Path("/tmp/ecgcore-rhythm"), help="feature cache (--loo)"
    )
    p.add_argument("--out", type=Path, default=MODEL_DIR)
    p.add_argument("--loo", action="store_true", help="leave-one-record-out evaluation")
    p.add_argument("--detected", action="store_true", help="LOO on detected R-peaks")
    args = p.parse_args(argv)
    db = get_database("mitdb", args.data_dir)
    if args.loo:
        loo(args, db)
    else:
        train(args, db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
