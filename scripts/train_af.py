"""Train the shipped AF model (logistic regression, P-wave veto) on the CinC 2017 records.

Reproduces ``ecgcore/rhythm/models/af-<version>.npz`` exactly. Rows are the
AF features (:mod:`ecgcore.rhythm.af`) of every beat of the PhysioNet/CinC
Challenge 2017 records labelled Normal, AF or Other (Noisy records are left
out), at the R-peaks of :func:`ecgcore.detect.detect_r_peaks`, with the
shipped beat classifier marking ventricular beats. No MIT-BIH record is used,
so the AF figures on mitdb are out-of-sample.

Usage::

    python scripts/train_af.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import sys
from pathlib import Path

from ecgcore.datasets import get_database
from ecgcore.rhythm.beats import default_beat_classifier
from ecgcore.rhythm.training import AF_VERSION, af_rows, export_af, fit_af, update_manifest
from ecgcore.rhythm.trees import MODEL_DIR


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=None, help="PhysioNet data root")
    p.add_argument("--cache", type=Path, default=None, help="feature cache folder (optional)")
    p.add_argument("--out", type=Path, default=MODEL_DIR)
    args = p.parse_args(argv)
    db = get_database("cinc2017", args.data_dir)
    bc = default_beat_classifier()
    records = db.records()
    rows = [af_rows(db, r, bc, cache=args.cache) for r in records]
    fit = fit_af(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"af-{AF_VERSION}.npz"
    sha = export_af(fit, path, records, beat_model=bc.version)
    update_manifest("af", path, sha, AF_VERSION, "scripts/train_af.py")
    print(f"{path}: {path.stat().st_size} bytes, sha256 {sha}")  # noqa: T201 - script output
    return 0


if __name__ == "__main__":
    sys.exit(main())
