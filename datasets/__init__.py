"""PhysioNet databases: a registry, local presence, lazy record loading, download.

>>> from ecgcore.datasets import get_database
>>> db = get_database("mitdb")                      # doctest: +SKIP
>>> db.status().present, db.status().expected       # doctest: +SKIP
(26, 48)
>>> for rec in db.iter_records(["101"]):            # doctest: +SKIP
...     rec.recording.fs, len(rec.beat_idx), rec.beat_classes[:3]

The data root comes from ``data_dir=``, ``$ECGCORE_DATA_DIR``,
``../shared/datasets`` or the per-user cache, in that order
(:mod:`ecgcore.datasets._paths`).
"""

from ecgcore.datasets._paths import ENV_DATA_DIR, data_root
from ecgcore.datasets.database import (
    Database,
    DatabaseStatus,
    RecordData,
    get_database,
    iter_records,
)
from ecgcore.datasets.download import PHYSIONET_URL, download_database
from ecgcore.datasets.registry import DATABASES, DatabaseInfo, database_info

__all__ = [
    "DATABASES",
    "ENV_DATA_DIR",
    "PHYSIONET_URL",
    "Database",
    "DatabaseInfo",
    "DatabaseStatus",
    "RecordData",
    "data_root",
    "database_info",
    "download_database",
    "get_database",
    "iter_records",
]
