"""Rhythm alarms: ventricular fibrillation/flutter, ventricular tachycardia, asystole, pause.

Alarms are raised by :class:`~ecgcore.rhythm.analyzer.RhythmAnalyzer` as soon
as the stage that decides them is final:

=========  ====================================================================
``VF``     first segment of a run of VF/VFL-like waveform segments (no R-peaks
           needed); ``onset_s`` is the start of the run
``VT``     third consecutive ventricular beat of a run faster than 100 bpm;
           ``onset_s`` is the first ventricular beat
``ASYS``   no QRS for more than ``asystole_s`` after a beat (``onset_s``)
``PAUSE``  an RR interval longer than ``pause_s`` (and at most ``asystole_s``)
=========  ====================================================================

Each alarm carries ``raised_s``: the stream position (seconds of signal
processed) when it was raised, so ``raised_s - onset_s`` is the alarm delay of
a live monitor fed in chunks. For a whole record analysed at once, every alarm
is raised at the record end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

__all__ = ["ALARM_KINDS", "ALARM_RHYTHMS", "NO_RATE_ALARMS", "Alarm"]

#: Alarm kinds and their meaning, gravest first.
ALARM_KINDS: Final = {
    "VF": "ventricular fibrillation/flutter",
    "VT": "ventricular tachycardia",
    "ASYS": "asystole",
    "PAUSE": "pause",
}

#: Alarm kind -> rhythm codes (episodes) during which the alarm's condition lasts.
#: A live monitor keeps an alarm raised while the rhythm is one of these and
#: clears it once the episodes show another (:class:`ecgcore.rhythm.stage.RhythmStage`).
ALARM_RHYTHMS: Final = {
    "VF": ("VF", "VFL"),
    "VT": ("VT",),
    "ASYS": ("ASYS",),
    "PAUSE": ("PAUSE",),
}

#: Alarm kinds during which no heart rate is shown: there is no organised QRS
#: to count, so a rate from detected peaks would mislead (bedside monitors
#: blank it too).
NO_RATE_ALARMS: Final = ("VF", "ASYS")


@dataclass(frozen=True)
class Alarm:
    """One alarm.

    Attributes
    ----------
    kind : str
        One of :data:`ALARM_KINDS`.
    onset_s : float
        When the condition began (s from the start of the analysed signal).
    raised_s : float
        Stream position when the alarm was raised (s).
    message : str
        Human-readable summary.
    """

    kind: str
    onset_s: float
    raised_s: float
    message: str

    @property
    def delay_s(self) -> float:
        """Seconds between onset and alarm."""
        return self.raised_s - self.onset_s

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "kind": self.kind,
            "onset_s": round(self.onset_s, 3),
            "raised_s": round(self.raised_s, 3),
            "message": self.message,
        }
