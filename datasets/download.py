"""Fetch PhysioNet databases with ``wfdb.dl_database``.

Downloads go to ``<data root>/<folder>`` so that :func:`get_database` finds
them. Without a network connection the download fails with a
:class:`~ecgcore.errors.DataError` saying so (no partial silent success).
``base_url`` points the download at a PhysioNet mirror.
"""

from __future__ import annotations

import contextlib
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence

from ecgcore.datasets.database import Database, get_database
from ecgcore.errors import DataError

__all__ = ["PHYSIONET_URL", "download_database"]

logger = logging.getLogger("ecgcore")

#: Default PhysioNet server.
PHYSIONET_URL = "https://physionet.org/"
_CHECK_TIMEOUT_S = 15.0


@contextlib.contextmanager
def _physionet_base(base_url: str) -> Iterator[None]:
    """Point wfdb's download functions at ``base_url`` for the duration."""
    from wfdb.io import download as wfdb_download  # noqa: PLC0415 - wfdb imports pandas

    base = base_url.rstrip("/") + "/"
    saved = (wfdb_download.PN_CONTENT_URL, wfdb_download.config.db_index_url)
    # wfdb reads the content URL from a module constant and the file URL from its config
    wfdb_download.PN_CONTENT_URL = base + "content/"
    wfdb_download.set_db_index_url(base + "files/")
    try:
        yield
    finally:
        wfdb_download.PN_CONTENT_URL = saved[0]
        wfdb_download.set_db_index_url(saved[1])


def _check_reachable(url: str, name: str) -> None:
    try:
        with urllib.request.urlopen(url, timeout=_CHECK_TIMEOUT_S):
            pass
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DataError(
            f"cannot download {name}: {url} is not reachable ({reason}); "
            "check the network connection (or use a mirror with --physionet-url), or copy "
            "the database into the data directory by hand"
        ) from exc


def download_database(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    records: Sequence[str] | None = None,
    base_url: str = PHYSIONET_URL,
    overwrite: bool = False,
) -> Database:
    """Download a database (or some of its records) from PhysioNet.

    Parameters
    ----------
    name : str
        Registry name (``mitdb``, ``afdb``...).
    data_dir : path, optional
        Data root (default as for :func:`get_database`).
    records : sequence of str, optional
        Only these records (default: all).
    base_url : str
        PhysioNet server or mirror.
    overwrite : bool
        Re-download files already present.

    Returns
    -------
    Database
        The database, now (partly) present.

    Raises
    ------
    DataError
        When the server cannot be reached, the download fails, or the
        database is distributed as an archive that must be fetched by hand.
    """
    db = get_database(name, data_dir)
    info = db.info
    if info.download == "archive":
        raise DataError(
            f"{info.name} is distributed as a zip archive, not as WFDB records: download it "
            f"from {info.archive_url} and unpack its records into {db.path}"
        )
    unknown = [r for r in records or () if info.records is not None and r not in info.records]
    if unknown:
        raise DataError(f"{info.name}: unknown record(s) {', '.join(unknown)}")

    import wfdb  # noqa: PLC0415 - wfdb imports pandas

    base = base_url.rstrip("/") + "/"
    _check_reachable(f"{base}content/{info.slug}/", info.name)
    db.path.mkdir(parents=True, exist_ok=True)
    with _physionet_base(base):
        try:
            if info.extra_files:
                wfdb.dl_files(info.slug, str(db.path), list(info.extra_files), overwrite=overwrite)
            wanted: list[str] | str = "all"
            if records is not None:
                wanted = [info.record_path(r) for r in records]
            elif info.index_file is not None:
                wanted = [info.record_path(r) for r in db._official() or ()]
            annotators: list[str] | str | None = list(info.annotation_extensions) or None
            wfdb.dl_database(
                info.slug,
                str(db.path),
                records=wanted,
                annotators=annotators,
                keep_subdirs=True,
                overwrite=overwrite,
            )
        except (OSError, ValueError) as exc:  # requests' errors derive from OSError
            raise DataError(f"downloading {info.name} from {base} failed: {exc}") from exc
    status = db.status()
    logger.info(
        "%s: %d of %d records present in %s", info.name, status.present, status.expected, db.path
    )
    return db
