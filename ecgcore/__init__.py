"""ecgcore: ECG acquisition from real hardware and cardiac rhythm analysis.

The public API is re-exported here; every other module is private unless its
package documents it (``ecgcore.drivers``, ``ecgcore.datasets``,
``ecgcore.benchmarks``, ``ecgcore.log``).
"""

from ecgcore._validate import set_log_level
from ecgcore._version import __version__
from ecgcore.errors import (
    DataError,
    DeviceError,
    ECGCoreError,
    FormatError,
    LogError,
    SignalError,
)
from ecgcore.recording import Recording

__all__ = [
    "DataError",
    "DeviceError",
    "ECGCoreError",
    "FormatError",
    "LogError",
    "Recording",
    "SignalError",
    "__version__",
    "set_log_level",
]

# --- io ---------------------------------------------------------------------
from ecgcore.io import (
    Annotations,
    RecordHeader,
    read_annotations,
    read_header,
    read_record,
    write_annotations,
    write_record,
)

__all__ += [
    "Annotations",
    "RecordHeader",
    "read_annotations",
    "read_header",
    "read_record",
    "write_annotations",
    "write_record",
]

# --- filters and heart rate ---------------------------------------------------
from ecgcore.filters import (
    PRESETS,
    FilterSpec,
    StreamingFilter,
    design_filter,
    filter_signal,
    get_preset,
    list_presets,
)
from ecgcore.heart_rate import (
    HeartRateSummary,
    HRVResult,
    RRCleaning,
    clean_rr,
    heart_rate_average,
    heart_rate_instantaneous,
    heart_rate_summary,
    hrv,
    rr_intervals,
)

__all__ += [
    "PRESETS",
    "FilterSpec",
    "HRVResult",
    "HeartRateSummary",
    "RRCleaning",
    "StreamingFilter",
    "clean_rr",
    "design_filter",
    "filter_signal",
    "get_preset",
    "heart_rate_average",
    "heart_rate_instantaneous",
    "heart_rate_summary",
    "hrv",
    "list_presets",
    "rr_intervals",
]

# --- quality ----------------------------------------------------------------
from ecgcore.quality import (
    LeadQuality,
    QualityMonitor,
    QualityReport,
    assess_quality,
    assess_recording,
)

__all__ += [
    "LeadQuality",
    "QualityMonitor",
    "QualityReport",
    "assess_quality",
    "assess_recording",
]

# --- detect -----------------------------------------------------------------
from ecgcore.detect import (
    PacingSpikeDetector,
    PacingSpikes,
    RPeakDetector,
    detect_pacing_spikes,
    detect_r_peaks,
)

__all__ += [
    "PacingSpikeDetector",
    "PacingSpikes",
    "RPeakDetector",
    "detect_pacing_spikes",
    "detect_r_peaks",
]

# --- rhythm -----------------------------------------------------------------
from ecgcore.rhythm import (
    RhythmAnalysis,
    RhythmAnalyzer,
    RhythmConfig,
    analyze_rhythm,
)

__all__ += ["RhythmAnalysis", "RhythmAnalyzer", "RhythmConfig", "analyze_rhythm"]

# --- analysis ---------------------------------------------------------------
from ecgcore.analysis import RecordAnalysis, analyze_recording

__all__ += ["RecordAnalysis", "analyze_recording"]

# --- grading ----------------------------------------------------------------
from ecgcore.grading import (
    FINDING_CODES,
    Finding,
    GradeResult,
    Rubric,
    grade_recording,
    load_rubric,
    parse_interpretation,
)

__all__ += [
    "FINDING_CODES",
    "Finding",
    "GradeResult",
    "Rubric",
    "grade_recording",
    "load_rubric",
    "parse_interpretation",
]
