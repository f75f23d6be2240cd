"""Record readers and writers.

* :func:`read_record` reads WFDB (every signal format wfdb reads, including
  ``.mat`` records), EDF/EDF+/BDF, CSV with a header row and the CinC 2011
  challenge text format into a :class:`~ecgcore.recording.Recording`; the
  format is chosen from the extension through :data:`FORMATS`.
* :func:`read_header` describes a record without loading samples where the
  format allows it.
* :func:`write_record` writes a WFDB record that ``wfdb.rdrecord`` reads back
  bit for bit.
* :class:`Annotations`, :func:`read_annotations`, :func:`write_annotations`
  read and write WFDB annotation files.
"""

from ecgcore.io._annotations import Annotations, read_annotations, write_annotations
from ecgcore.io._header import RecordHeader
from ecgcore.io._registry import (
    FORMATS,
    RecordFormat,
    read_header,
    read_record,
    register_format,
    resolve_record,
)
from ecgcore.io._wfdb_write import WRITE_FORMATS, write_record

__all__ = [
    "FORMATS",
    "WRITE_FORMATS",
    "Annotations",
    "RecordFormat",
    "RecordHeader",
    "read_annotations",
    "read_header",
    "read_record",
    "register_format",
    "resolve_record",
    "write_annotations",
    "write_record",
]
