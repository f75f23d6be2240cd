"""Beat classes, rhythm episodes and alarms (batch and live).

>>> from ecgcore.rhythm import analyze_rhythm
>>> result = analyze_rhythm(recording)                   # doctest: +SKIP
>>> result.to_json()["burden"]                           # doctest: +SKIP
{'N': 93.1, 'AFIB': 6.9}

Live: :class:`RhythmAnalyzer` takes chunks and returns final beats, closed
episodes and alarms with at most about 9 s delay, identical to the batch result.
"""

from ecgcore.rhythm.alarms import ALARM_KINDS, Alarm
from ecgcore.rhythm.analyzer import (
    LabelledBeat,
    RhythmAnalysis,
    RhythmAnalyzer,
    RhythmConfig,
    RhythmUpdate,
    analyze_rhythm,
)
from ecgcore.rhythm.beats import BeatClassifier, default_beat_classifier, load_beat_classifier
from ecgcore.rhythm.episodes import RHYTHM_CODES, Episode
from ecgcore.rhythm.features import FEATURE_NAMES, BeatFeatureExtractor, beat_features

__all__ = [
    "ALARM_KINDS",
    "FEATURE_NAMES",
    "RHYTHM_CODES",
    "Alarm",
    "BeatClassifier",
    "BeatFeatureExtractor",
    "Episode",
    "LabelledBeat",
    "RhythmAnalysis",
    "RhythmAnalyzer",
    "RhythmConfig",
    "RhythmUpdate",
    "analyze_rhythm",
    "beat_features",
    "default_beat_classifier",
    "load_beat_classifier",
]
