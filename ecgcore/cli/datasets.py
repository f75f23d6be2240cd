"""``ecg datasets``: the PhysioNet databases, what is present locally, downloads."""

from __future__ import annotations

import argparse
import json
import sys

from ecgcore.datasets import (
    DATABASES,
    ENV_DATA_DIR,
    PHYSIONET_URL,
    data_root,
    database_info,
    download_database,
    get_database,
)


def _add_data_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir",
        default=None,
        help=f"data root (default: ${ENV_DATA_DIR}, then ../shared/datasets, then the user cache)",
    )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "datasets",
        help="PhysioNet databases: list, info, download",
        description="PhysioNet databases known to ecgcore: what is present locally, "
        "licences and citations, and downloads with wfdb.",
    )
    dsub = p.add_subparsers(dest="datasets_command", metavar="SUBCOMMAND")
    dsub.required = True

    p_list = dsub.add_parser("list", help="every known database and how much of it is present")
    _add_data_dir(p_list)
    p_list.add_argument("--json", action="store_true", help="machine-readable output")
    p_list.set_defaults(func=run_list)

    p_info = dsub.add_parser("info", help="details of one database (licence, citation, missing)")
    p_info.add_argument("name", help="database name, e.g. mitdb")
    _add_data_dir(p_info)
    p_info.add_argument("--json", action="store_true", help="machine-readable output")
    p_info.set_defaults(func=run_info)

    p_dl = dsub.add_parser(
        "download",
        help="download a database from PhysioNet (wfdb.dl_database)",
        description="Download a database into <data root>/<folder> with wfdb.dl_database. "
        "Fails with a clear message when PhysioNet cannot be reached.",
    )
    p_dl.add_argument("name", help="database name, e.g. mitdb")
    p_dl.add_argument("--records", nargs="+", default=None, metavar="REC", help="only these")
    _add_data_dir(p_dl)
    p_dl.add_argument(
        "--physionet-url",
        default=PHYSIONET_URL,
        metavar="URL",
        help=f"PhysioNet server or mirror (default {PHYSIONET_URL})",
    )
    p_dl.add_argument("--overwrite", action="store_true", help="re-download existing files")
    p_dl.set_defaults(func=run_download)


def run_list(args: argparse.Namespace) -> int:
    root = data_root(args.data_dir)
    statuses = [get_database(name, root).status() for name in DATABASES]
    if args.json:
        out = [
            {
                "name": s.name,
                "state": s.state,
                "present": s.present,
                "expected": s.expected,
                "path": str(s.path),
            }
            for s in statuses
        ]
        print(json.dumps({"data_root": str(root), "databases": out}, indent=2))
        return 0
    print(f"data root: {root}")
    print(f"{'name':<10} {'fs Hz':>6} {'present':>14}  {'state':<9} title")
    for s in statuses:
        info = DATABASES[s.name]
        count = f"{s.present}/{s.expected}"
        print(f"{s.name:<10} {info.fs:>6g} {count:>14}  {s.state:<9} {info.title}")
    partial = [s.name for s in statuses if s.state == "partial"]
    if partial:
        print(
            f"\npartial: {', '.join(partial)} - only some records are present; results on "
            "them cover those records only (`ecg datasets info NAME` lists what is missing)"
        )
    return 0


def run_info(args: argparse.Namespace) -> int:
    info = database_info(args.name)
    db = get_database(info.name, args.data_dir)
    s = db.status()
    if args.json:
        print(
            json.dumps(
                {
                    "name": info.name,
                    "title": info.title,
                    "url": info.url,
                    "folder": str(db.path),
                    "fs": info.fs,
                    "n_leads": info.n_leads,
                    "annotation_extensions": list(info.annotation_extensions),
                    "beat_reference": info.beat_reference,
                    "rhythm_reference": info.rhythm_reference,
                    "licence": info.licence,
                    "citation": info.citation,
                    "state": s.state,
                    "present": s.present,
                    "expected": s.expected,
                    "missing": list(s.missing),
                    "notes": info.notes,
                },
                indent=2,
            )
        )
        return 0
    print(f"{info.name}: {info.title}")
    print(f"  PhysioNet:   {info.url}")
    print(f"  folder:      {db.path}")
    print(f"  sampling:    {info.fs:g} Hz, {info.n_leads} lead(s)")
    ann = ", ".join(info.annotation_extensions) or "none"
    print(
        f"  annotations: {ann} (beat reference: {'yes' if info.beat_reference else 'no'}, "
        f"rhythm: {'yes' if info.rhythm_reference else 'no'})"
    )
    print(f"  licence:     {info.licence}")
    print(f"  cite:        {info.citation}")
    print(f"  present:     {s.present} of {s.expected} records ({s.state})")
    if s.missing:
        shown = ", ".join(s.missing[:30])
        more = f" ... (+{len(s.missing) - 30} more)" if len(s.missing) > 30 else ""
        print(f"  missing:     {shown}{more}")
    if info.notes:
        print(f"  notes:       {info.notes}")
    return 0


def run_download(args: argparse.Namespace) -> int:
    db = download_database(
        args.name,
        args.data_dir,
        records=args.records,
        base_url=args.physionet_url,
        overwrite=args.overwrite,
    )
    s = db.status()
    print(f"{s.name}: {s.present} of {s.expected} records present in {s.path} ({s.state})")
    sys.stdout.flush()
    return 0
