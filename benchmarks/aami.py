"""AAMI EC57 beat classes and MIT-BIH rhythm labels.

Defined with the datasets (:mod:`ecgcore.datasets.labels`, which map reference
annotations to these labels) and re-exported here for the EC57 scoring.
"""

from ecgcore.datasets.labels import (
    AAMI_CLASSES,
    BEAT_SYMBOLS,
    RHYTHM_LABELS,
    AamiClass,
    aami_class,
    rhythm_label,
)

__all__ = [
    "AAMI_CLASSES",
    "BEAT_SYMBOLS",
    "RHYTHM_LABELS",
    "AamiClass",
    "aami_class",
    "rhythm_label",
]
