"""Filtering: design with scipy, run with numba kernels, streaming or zero-phase.

Public API
----------
FilterSpec
    What a filter removes (high-pass, low-pass, mains notch with harmonics).
PRESETS, list_presets, get_preset, register_preset
    Named specs: ``"diagnostic"`` (0.05-150 Hz), ``"monitoring"`` (0.5-40 Hz),
    ``"detection"`` (5-30 Hz).
design_filter(spec_or_preset, fs)
    Second-order sections for a sampling rate.
StreamingFilter(spec_or_preset, fs, n_channels=1)
    Causal filter with explicit state: ``process(chunk)``, ``reset()``.
filter_signal(signal, fs, preset="monitoring", zero_phase=True)
    Whole-signal filtering, zero-phase by default.
"""

from ecgcore.filters.design import FilterDesign, design_filter
from ecgcore.filters.offline import filter_signal
from ecgcore.filters.presets import (
    PRESETS,
    get_preset,
    list_presets,
    register_preset,
    resolve_spec,
)
from ecgcore.filters.spec import FilterSpec
from ecgcore.filters.streaming import StreamingFilter

__all__ = [
    "PRESETS",
    "FilterDesign",
    "FilterSpec",
    "StreamingFilter",
    "design_filter",
    "filter_signal",
    "get_preset",
    "list_presets",
    "register_preset",
    "resolve_spec",
]
