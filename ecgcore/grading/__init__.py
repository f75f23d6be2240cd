"""Grading of technicians' practical 12-lead recordings.

>>> from ecgcore.io import read_record
>>> from ecgcore.grading import grade_recording
>>> rec = read_record("exam/T17")                                     # doctest: +SKIP
>>> result = grade_recording(rec, interpretation="sinus rhythm 72 bpm")  # doctest: +SKIP
>>> result.score, result.passed, result.acceptable, result.codes        # doctest: +SKIP
(72.0, False, True, ('LIMB_REVERSAL_LA_RA', 'NO_CALIBRATION'))

Modules, one check each: :mod:`.settings` (leads, duration, sampling rate,
limb-lead gains), :mod:`.calibration` (pulse and gain), :mod:`.artefacts`
(contact and artefact from :mod:`ecgcore.quality`, acceptability),
:mod:`.reversal` with :mod:`.swaps` (electrode placement by lead algebra),
:mod:`.pacing` (ventricular pacing, when the limb classifier does not apply),
:mod:`.interpretation` (the technician's reading), :mod:`.rubric` and
:mod:`.score` (TOML rubric, itemised score), :mod:`.grade` (all together).
"""

from ecgcore.grading.artefacts import (
    ARTEFACT_LIMITS,
    AcceptabilityRule,
    ArtefactResult,
    beat_agreement,
    check_artefacts,
    load_acceptability_rule,
)
from ecgcore.grading.beats import MedianBeats, median_beats
from ecgcore.grading.calibration import CalibrationPulse, check_calibration, find_calibration_pulse
from ecgcore.grading.findings import FINDING_CODES, SEVERITIES, Finding, FindingCode, make_finding
from ecgcore.grading.grade import GradeResult, grade_recording
from ecgcore.grading.interpretation import (
    RHYTHMS,
    EngineReading,
    Interpretation,
    compare_interpretation,
    parse_interpretation,
)
from ecgcore.grading.leads import STANDARD_LEADS, standard_lead_name, standard_leads_mv
from ecgcore.grading.pacing import PacingResult, assess_pacing
from ecgcore.grading.reversal import PlacementResult, check_placement
from ecgcore.grading.rubric import Rubric, RubricItem, load_rubric, parse_rubric
from ecgcore.grading.score import ItemScore, PointLoss, Score, score_findings
from ecgcore.grading.settings import check_completeness, check_lead_gains
from ecgcore.grading.swaps import SWAPS, apply_swap, swap_finding_code

__all__ = [
    "ARTEFACT_LIMITS",
    "FINDING_CODES",
    "RHYTHMS",
    "SEVERITIES",
    "STANDARD_LEADS",
    "SWAPS",
    "AcceptabilityRule",
    "ArtefactResult",
    "CalibrationPulse",
    "EngineReading",
    "Finding",
    "FindingCode",
    "GradeResult",
    "Interpretation",
    "ItemScore",
    "MedianBeats",
    "PacingResult",
    "PlacementResult",
    "PointLoss",
    "Rubric",
    "RubricItem",
    "Score",
    "apply_swap",
    "assess_pacing",
    "beat_agreement",
    "check_artefacts",
    "check_calibration",
    "check_completeness",
    "check_lead_gains",
    "check_placement",
    "compare_interpretation",
    "find_calibration_pulse",
    "grade_recording",
    "load_acceptability_rule",
    "load_rubric",
    "make_finding",
    "median_beats",
    "parse_interpretation",
    "parse_rubric",
    "score_findings",
    "standard_lead_name",
    "standard_leads_mv",
    "swap_finding_code",
]
