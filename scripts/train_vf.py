"""Train the shipped VF/VFL window model on vfdb and mitdb.

Reproduces ``ecgcore/rhythm/models/vf-<version>.npz`` exactly: 8 s windows (and their central 4 s)
every second of every vfdb and mitdb record present, labelled VF when the
reference rhythm is VF/VFL/VFIB (or inside ``[``...``]``), VT windows left
out. Because the model sees vfdb, the vfdb figures of the rhythm benchmark
are computed leave-one-record-out (``ecg bench rhythm --db vfdb``).

Usage::

    python scripts/train_vf.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import sys
from pathlib import Path

from ecgcore.datasets import get_database
from ecgcore.rhythm.training import VF_VERSION, export_vf, fit_vf, update_manifest, vf_rows
from ecgcore.rhythm.trees import MODEL_DIR


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=None, help="PhysioNet data root")
    p.add_argument("--cache", type=Path, default=None, help="feature cache folder (optional)")
    p.add_argument("--out", type=Path, default=MODEL_DIR)
    args = p.parse_args(argv)
    names = []
    rows = []
    for dbname in ("vfdb", "mitdb"):
        db = get_database(dbname, args.data_dir)
        for r in db.records():
            rows.append(vf_rows(db, r, cache=args.cache))
            names.append(f"{dbname}/{r}")
    clf = fit_vf(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"vf-{VF_VERSION}.npz"
    sha = export_vf(clf, path, names)
    update_manifest("vf", path, sha, VF_VERSION, "scripts/train_vf.py")
    print(f"{path}: {path.stat().st_size} bytes, sha256 {sha}")  # noqa: T201 - script output
    return 0


if __name__ == "__main__":
    sys.exit(main())
