"""Grade one technician's 12-lead recording: run every check, score it, explain it.

:func:`grade_recording` composes the checks of this package in order:

1. completeness and settings (:mod:`.settings`): leads, duration, sampling rate;
2. calibration pulse and gain (:mod:`.calibration`), per-lead gain from the
   limb-lead relations;
3. contact and artefact per lead (:mod:`.artefacts`, on :mod:`ecgcore.quality`)
   and the acceptability verdict;
4. electrode placement (:mod:`.reversal`) on the median beats (:mod:`.beats`),
   in each plane whose leads are all present and readable; in a
   ventricular-paced rhythm (:mod:`.pacing`) the limb electrodes are checked
   only by the lead algebra of the neutral electrode, the limb classifier being
   reported as not assessable;
5. the technician's reading against the engine's rhythm and rate
   (:mod:`.interpretation`, :func:`ecgcore.analysis.analyze_recording`);

then scores the findings with a rubric (:mod:`.rubric`, :mod:`.score`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from ecgcore._validate import logger
from ecgcore.analysis import analyze_recording
from ecgcore.errors import SignalError
from ecgcore.grading.artefacts import (
    AcceptabilityRule,
    ArtefactResult,
    check_artefacts,
    load_acceptability_rule,
    recording_rail_mv,
)
from ecgcore.grading.beats import median_beats
from ecgcore.grading.calibration import CalibrationPulse, check_calibration
from ecgcore.grading.findings import Finding, severity_rank
from ecgcore.grading.interpretation import (
    EngineReading,
    Interpretation,
    compare_interpretation,
    engine_rhythm_name,
    parse_interpretation,
)
from ecgcore.grading.leads import STANDARD_LEADS, standard_leads_mv
from ecgcore.grading.pacing import PacingResult, assess_pacing, pacing_finding
from ecgcore.grading.reversal import (
    PlacementResult,
    check_placement,
    neutral_swap,
    neutral_swap_finding,
)
from ecgcore.grading.rubric import Rubric, load_rubric
from ecgcore.grading.score import ItemScore, score_findings
from ecgcore.grading.settings import check_completeness, check_lead_gains
from ecgcore.recording import Recording

__all__ = ["GradeResult", "grade_recording"]

#: Version of the JSON layout of :meth:`GradeResult.to_json`.
SCHEMA_VERSION = 1


@dataclasses.dataclass(frozen=True)
class GradeResult:
    """The grading of one recording.

    Attributes
    ----------
    record : str
        Record name.
    score : float
        0-100 under the rubric.
    passed : bool
        Passed the practical (see :class:`~ecgcore.grading.score.Score`).
    acceptable : bool
        Diagnostically usable (signal quality).
    findings : tuple of Finding
        Everything found, most severe first.
    items : tuple of ItemScore
        The itemised score.
    fail_reasons : tuple of str
        Why it failed.
    rubric : Rubric
        The rubric used.
    quality : ArtefactResult or None
        Per-lead quality indices and the acceptability verdict.
    calibration : CalibrationPulse or None
        The calibration pulse, when found.
    placement : PlacementResult or None
        Electrode-placement classifier outputs.
    engine : EngineReading
        Rhythm and rate found by the engine.
    interpretation : Interpretation or None
        The technician's reading, when given.
    technician : str or None
        Technician identifier.
    fs : float
        Sampling rate (Hz).
    duration_s : float
        Duration (s).
    leads : tuple of str
        Standard leads present.
    analysis_start_s : float
        Start of the analysed part (after a calibration pulse), s; finding
        spans are relative to it.
    pacing : PacingResult or None
        Pacing spikes and ventricular-paced beats (:mod:`.pacing`), when looked for.
    """

    record: str
    score: float
    passed: bool
    acceptable: bool
    findings: tuple[Finding, ...]
    items: tuple[ItemScore, ...]
    fail_reasons: tuple[str, ...]
    rubric: Rubric
    quality: ArtefactResult | None
    calibration: CalibrationPulse | None
    placement: PlacementResult | None
    engine: EngineReading
    interpretation: Interpretation | None
    technician: str | None
    fs: float
    duration_s: float
    leads: tuple[str, ...]
    analysis_start_s: float = 0.0
    pacing: PacingResult | None = None

    def standard_signals(self, rec: Recording) -> dict[str, np.ndarray]:
        """The graded part of ``rec`` by standard lead name (mV), for reports."""
        signals, present = standard_leads_mv(rec)
        start = round(self.analysis_start_s * rec.fs)
        return {name: signals[start:, STANDARD_LEADS.index(name)] for name in present}

    @property
    def codes(self) -> tuple[str, ...]:
        """Finding codes, each once, in order."""
        return tuple(dict.fromkeys(f.code for f in self.findings))

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dictionary (the ``ecg grade --json`` document)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "record": self.record,
            "technician": self.technician,
            "score": self.score,
            "max_score": 100,
            "passed": self.passed,
            "acceptable": self.acceptable,
            "fail_reasons": list(self.fail_reasons),
            "rubric": {
                "name": self.rubric.name,
                "version": self.rubric.version,
                "pass_mark": self.rubric.pass_mark,
                "source": self.rubric.source,
            },
            "items": [item.to_json() for item in self.items],
            "findings": [f.to_json() for f in self.findings],
            "recording": {
                "fs": self.fs,
                "duration_s": round(self.duration_s, 4),
                "leads": list(self.leads),
                "analysis_start_s": round(self.analysis_start_s, 4),
            },
            "quality": None if self.quality is None else self.quality.to_json(),
            "calibration": None if self.calibration is None else self.calibration.to_json(),
            "placement": None if self.placement is None else self.placement.to_json(),
            "pacing": None if self.pacing is None else self.pacing.to_json(),
            "engine": {
                "rhythm": self.engine.rhythm,
                "heart_rate_bpm": _round(self.engine.heart_rate_bpm),
            },
            "interpretation": None
            if self.interpretation is None
            else self.interpretation.to_json(),
        }

    def log_grade(self) -> dict[str, Any]:
        """The ``grade`` field of an ECG-log entry."""
        return {
            "score": self.score,
            "max_score": 100,
            "passed": self.passed,
            "acceptable": self.acceptable,
            "rubric": f"{self.rubric.name} v{self.rubric.version}",
            "findings": [
                {"code": f.code, "leads": list(f.leads), "severity": f.severity}
                for f in self.findings
            ],
            "items": {i.id: round(i.kept, 3) for i in self.items},
        }


def _round(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, 2)


def _analysis_span(n: int, pulse: CalibrationPulse | None) -> slice:
    """Samples to analyse: everything but the calibration pulse (and the side it is on)."""
    if pulse is None:
        return slice(0, n)
    margin = round(0.1 * pulse.fs)
    if pulse.start_idx < n // 2:
        return slice(min(n, pulse.stop_idx + margin), n)
    return slice(0, max(0, pulse.start_idx - margin))


def _engine_reading(rec: Recording, signals: np.ndarray) -> EngineReading:
    """Rhythm and rate from the whole-record analysis (rhythm only if the engine gives one)."""
    try:
        analysis = analyze_recording(rec)
    except SignalError as exc:
        logger.info("%s: no rhythm analysis: %s", rec.name, exc)
        return EngineReading(None, None)
    rate = analysis.heart_rate.mean_bpm
    rate_value = float(rate) if math.isfinite(rate) else None
    rhythm = None
    result = analysis.rhythm
    if result is not None:
        label = getattr(result, "dominant_rhythm", None)
        if label is None and hasattr(result, "to_json"):
            label = result.to_json().get("dominant_rhythm")
        rhythm = engine_rhythm_name(label)
    if rhythm == "sinus" and rate_value is not None:
        rhythm = (
            "sinus_bradycardia"
            if rate_value < 60
            else "sinus_tachycardia"
            if rate_value > 100
            else "sinus"
        )
    return EngineReading(rhythm, rate_value)


def grade_recording(
    rec: Recording,
    *,
    rubric: Rubric | None = None,
    interpretation: Interpretation | str | Mapping[str, Any] | None = None,
    technician: str | None = None,
    acceptability: AcceptabilityRule | None = None,
    limb_model: str = "limb_reversal",
    precordial_model: str = "precordial_swap",
) -> GradeResult:
    """Grade a technician's 12-lead recording.

    Parameters
    ----------
    rec : Recording
        The recording as read from the file (any format :func:`ecgcore.io.read_record` reads).
    rubric : Rubric, optional
        Scoring rubric (the shipped CET-style default when omitted).
    interpretation : Interpretation, str or mapping, optional
        The technician's reading (see :func:`~.interpretation.parse_interpretation`).
    technician : str, optional
        Technician identifier, carried into the result.
    acceptability : AcceptabilityRule, optional
        Usability rule (the shipped, CinC 2011-fitted one by default).
    limb_model, precordial_model : str
        Placement classifiers (names of shipped models or ``.npz`` paths).

    Returns
    -------
    GradeResult
    """
    if rec.n_samples == 0:
        raise SignalError(f"record {rec.name!r} has no samples")
    rubric = rubric or load_rubric()
    reading = (
        interpretation
        if isinstance(interpretation, Interpretation) or interpretation is None
        else parse_interpretation(interpretation)
    )
    signals, present = standard_leads_mv(rec)
    findings: list[Finding] = []
    findings += check_completeness(signals, rec.fs, present)
    cal_findings, pulse = check_calibration(signals, rec.fs, rec.metadata)
    findings += cal_findings
    span = _analysis_span(rec.n_samples, pulse)
    body = signals[span]
    findings += check_lead_gains(body)
    cols = [STANDARD_LEADS.index(n) for n in present]
    quality: ArtefactResult | None = None
    placement: PlacementResult | None = None
    pacing: PacingResult | None = None
    engine = EngineReading(None, None)
    if cols and body.shape[0] >= round(2.0 * rec.fs):
        art_findings, quality = check_artefacts(
            body[:, cols],
            rec.fs,
            present,
            rail_mv=recording_rail_mv(rec),
            rule=acceptability or load_acceptability_rule(),
        )
        neutral = neutral_swap(body)
        if neutral is not None:
            # the flat lead is the signature of the swap, not a contact problem
            flat = "II" if neutral == "RA_RL" else "III"
            art_findings = _without_lead(art_findings, flat, ("LEAD_OFF", "LOW_AMPLITUDE"))
        findings += art_findings
        # placement is judged only when every lead's waveform can be trusted (both
        # classifiers compare limb with chest leads)
        bad = {lead for f in art_findings for lead in f.leads} - _mild_only(art_findings)
        bad |= {n for n in STANDARD_LEADS if n not in present}
        if neutral is not None:
            findings.append(neutral_swap_finding(neutral))
        if not bad:
            mb = median_beats(body, rec.fs)
            pacing = None if mb is None else assess_pacing(body, rec.fs, mb)
            paced = pacing is not None and pacing.ventricular_paced
            if pacing is not None and paced:
                # the limb cues assume normal conduction (see .pacing)
                findings.append(pacing_finding(pacing))
            place_findings, placement = check_placement(
                mb,
                limb=neutral is None and not paced,
                precordial=True,
                limb_model=limb_model,
                precordial_model=precordial_model,
            )
            findings += place_findings
            if paced:
                placement = dataclasses.replace(
                    placement, not_assessed=MappingProxyType({"limb": "ventricular-paced rhythm"})
                )
        engine = _engine_reading(rec.slice_idx(span.start, span.stop), body)
    elif cols:
        quality = ArtefactResult({}, (), False, ("too short to assess the signal",))
    if reading is not None:
        findings += compare_interpretation(
            reading,
            engine,
            rate_tolerance_bpm=rubric.rate_tolerance_bpm,
            rate_tolerance_fraction=rubric.rate_tolerance_fraction,
        )
    acceptable = (
        quality is not None
        and quality.acceptable
        and not any(f.code == "MISSING_LEAD" for f in findings)
        and not any(f.code == "SHORT_DURATION" and rec.duration_s < 2.5 for f in findings)
    )
    order = sorted(range(len(findings)), key=lambda k: (-severity_rank(findings[k].severity), k))
    ordered = [findings[k] for k in order]
    result = score_findings(ordered, rubric, acceptable=acceptable)
    return GradeResult(
        record=rec.name,
        score=result.score,
        passed=result.passed,
        acceptable=acceptable,
        findings=tuple(ordered),
        items=result.items,
        fail_reasons=result.fail_reasons,
        rubric=rubric,
        quality=quality,
        calibration=pulse,
        placement=placement,
        engine=engine,
        interpretation=reading,
        technician=technician,
        fs=rec.fs,
        duration_s=rec.duration_s,
        leads=present,
        analysis_start_s=span.start / rec.fs,
        pacing=pacing,
    )


def _without_lead(findings: list[Finding], lead: str, codes: tuple[str, ...]) -> list[Finding]:
    """``findings`` with ``lead`` removed from those of ``codes`` (dropped when none is left)."""
    out = []
    for f in findings:
        if f.code in codes and lead in f.leads:
            leads = tuple(x for x in f.leads if x != lead)
            if leads:
                out.append(dataclasses.replace(f, leads=leads))
            continue
        out.append(f)
    return out


def _mild_only(findings: list[Finding]) -> set[str]:
    """Leads whose only problem is mild artefact that does not hide the waveform."""
    mild = {"BASELINE_WANDER", "POWERLINE_NOISE"}
    by_lead: dict[str, set[str]] = {}
    for f in findings:
        for lead in f.leads:
            by_lead.setdefault(lead, set()).add(f.code)
    return {
        lead
        for lead, codes in by_lead.items()
        if codes <= mild and not any(f.severity == "critical" for f in findings if lead in f.leads)
    }
