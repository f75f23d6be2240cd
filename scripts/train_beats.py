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

``--loo`` runs ``ecg bench beats --db mitdb`` (``--peaks detected`` with
``--detected``): it refits the classifier without each DS1 record in turn and runs the
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
from pathlib import Path

import numpy as np

from ecgcore.datasets import get_database
from ecgcore.rhythm.training import (
    BEAT_VERSION,
    DS1,
    beat_rows,
    check_beats_export,
    export_beats,
    fit_beats,
    update_manifest,
)
from ecgcore.rhythm.trees import MODEL_DIR


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


def loo(args: argparse.Namespace) -> int:
    """The leave-one-record-out figures: ``ecg bench beats --db mitdb``."""
    from ecgcore.cli.main import main as ecg_main  # noqa: PLC0415

    argv = ["bench", "beats", "--db", "mitdb"]
    if args.detected:
        argv += ["--peaks", "detected"]
    if args.data_dir is not None:
        argv += ["--data-dir", args.data_dir]
    return ecg_main(argv)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=None, help="PhysioNet data root")
    p.add_argument("--out", type=Path, default=MODEL_DIR)
    p.add_argument("--loo", action="store_true", help="leave-one-record-out evaluation")
    p.add_argument("--detected", action="store_true", help="LOO on detected R-peaks")
    args = p.parse_args(argv)
    if args.loo:
        return loo(args)
    train(args, get_database("mitdb", args.data_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
