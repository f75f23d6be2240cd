"""Per-lead signal-quality indices shared by the monitor, analysis and grading.

>>> from ecgcore.quality import assess_quality
>>> report = assess_quality(signal_mv, fs=500, lead_names=("I", "II"))  # doctest: +SKIP
>>> report.lead("II").level, report.lead("II").indices["powerline_mv"]   # doctest: +SKIP
('good', 0.003)

Indices (numbers with units) are in :mod:`ecgcore.quality.indices`, the
limits that turn them into issues and levels in :mod:`ecgcore.quality.assess`,
and the sliding-window version for live streams in
:mod:`ecgcore.quality.streaming`.
"""

from ecgcore.quality.assess import (
    LEVELS,
    QUALITY_LIMITS,
    LeadQuality,
    QualityLimit,
    QualityReport,
    assess_quality,
    assess_recording,
    register_limit,
)
from ecgcore.quality.indices import QUALITY_INDICES, QualityIndex, compute_indices, register_index
from ecgcore.quality.streaming import QualityMonitor

__all__ = [
    "LEVELS",
    "QUALITY_INDICES",
    "QUALITY_LIMITS",
    "LeadQuality",
    "QualityIndex",
    "QualityLimit",
    "QualityMonitor",
    "QualityReport",
    "assess_quality",
    "assess_recording",
    "compute_indices",
    "register_index",
    "register_limit",
]
