"""R-peak detectors compared side by side: ecgcore and its peers.

A detector is named ``family`` or ``family:option`` (``neurokit2:pantompkins1985``).
Each family is registered with the modules it needs; its implementation is
imported only when the detector is built, so a peer that is not installed is
reported (:func:`detector_status`) instead of breaking the run.

Every detector is called as ``detect(signal_mv, fs) -> sample indices`` on the
raw (unfiltered) signal and does its own filtering, so timings compare
complete detectors. What a detector returns (a list, an int32 array, ...) is
turned into sorted unique int64 indices by :func:`as_indices`, which the
benchmark calls after the clock stops, the same for every detector.

=========================== =====================================================
name                        what runs
=========================== =====================================================
``ecgcore``                 :func:`ecgcore.detect.detect_r_peaks`
``neurokit2:METHOD``        ``nk.ecg_clean(method=METHOD)`` then
                            ``nk.ecg_peaks(method=METHOD)`` (NeuroKit2's pipeline)
``sleepecg``                ``sleepecg.detect_heartbeats`` (C backend)
``wfdb-xqrs``               ``wfdb.processing.xqrs_detect``
=========================== =====================================================
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

import numpy as np

__all__ = [
    "DEFAULT_DETECTORS",
    "DETECTOR_FAMILIES",
    "DetectFn",
    "DetectorFamily",
    "as_indices",
    "build_detector",
    "detector_status",
    "parse_detector",
    "register_detector_family",
]

DetectFn = Callable[[np.ndarray, float], np.ndarray]

#: Detectors of ``ecg bench detect`` when none are named.
DEFAULT_DETECTORS: Final[tuple[str, ...]] = (
    "ecgcore",
    "neurokit2:neurokit",
    "neurokit2:pantompkins1985",
    "neurokit2:kalidas2017",
    "sleepecg",
    "wfdb-xqrs",
)


@dataclass(frozen=True)
class DetectorFamily:
    """A family of detectors sharing an implementation.

    Attributes
    ----------
    name : str
        Family name (the part before ``:``).
    description : str
        One line for ``ecg bench detect --list``.
    requires : tuple of str
        Importable modules the family needs.
    build : callable
        ``build(option) -> detect(signal_mv, fs)``; imports lazily.
    option_required : bool
        The name must carry ``:option``.
    default_option : str or None
        Option used when the name has none.
    install_hint : str
        How to install the requirements.
    """

    name: str
    description: str
    requires: tuple[str, ...]
    build: Callable[[str | None], DetectFn]
    option_required: bool = False
    default_option: str | None = None
    install_hint: str = "pip install 'ecgcore[bench]'"


_FAMILIES: dict[str, DetectorFamily] = {}
#: Registered families by name (read-only view).
DETECTOR_FAMILIES: Final = MappingProxyType(_FAMILIES)


def register_detector_family(family: DetectorFamily) -> None:
    """Add a detector family (e.g. a new peer library) to the registry."""
    if family.name in _FAMILIES:
        raise ValueError(f"detector family {family.name!r} is already registered")
    _FAMILIES[family.name] = family


def parse_detector(name: str) -> tuple[DetectorFamily, str | None]:
    """Split ``family[:option]`` and look the family up.

    Raises
    ------
    ValueError
        Unknown family, or a missing/forbidden option.
    """
    family_name, _, option = name.strip().partition(":")
    family = _FAMILIES.get(family_name)
    if family is None:
        raise ValueError(
            f"unknown detector {name!r}; known families: {', '.join(sorted(_FAMILIES))}"
        )
    opt = option or family.default_option
    if family.option_required and not opt:
        raise ValueError(f"detector {name!r}: expected {family.name}:OPTION")
    if option and not family.option_required and family.default_option is None:
        raise ValueError(f"detector {name!r}: {family.name} takes no option")
    return family, opt


def detector_status(name: str) -> tuple[bool, str]:
    """Whether a detector can run here, and why not.

    Returns
    -------
    (bool, str)
        ``(True, "")`` or ``(False, reason)`` naming the missing module.
    """
    family, _ = parse_detector(name)
    for module in family.requires:
        if importlib.util.find_spec(module) is None:
            return False, f"{module} is not installed ({family.install_hint})"
    return True, ""


def build_detector(name: str) -> DetectFn:
    """Return the callable of detector ``name`` (imports its library now)."""
    family, option = parse_detector(name)
    ok, reason = detector_status(name)
    if not ok:
        raise ImportError(f"detector {name!r} unavailable: {reason}")
    return family.build(option)


def as_indices(peaks: object) -> np.ndarray:
    """A detector's output as sorted unique int64 sample indices."""
    return np.unique(np.asarray(peaks, dtype=np.int64))


# ----------------------------------------------------------------------- families
def _build_ecgcore(_: str | None) -> DetectFn:
    from ecgcore.detect import detect_r_peaks

    def detect(signal: np.ndarray, fs: float) -> np.ndarray:
        return detect_r_peaks(signal, fs)

    return detect


def _build_neurokit(method: str | None) -> DetectFn:
    import neurokit2 as nk

    if method is None:  # parse_detector supplies the default; guard direct calls
        raise ValueError("neurokit2 detector needs a method")

    def detect(signal: np.ndarray, fs: float) -> np.ndarray:
        cleaned = nk.ecg_clean(signal, sampling_rate=fs, method=method)
        _, info = nk.ecg_peaks(cleaned, sampling_rate=fs, method=method)
        return np.asarray(info["ECG_R_Peaks"])

    return detect


def _build_sleepecg(_: str | None) -> DetectFn:
    import sleepecg

    def detect(signal: np.ndarray, fs: float) -> np.ndarray:
        return np.asarray(sleepecg.detect_heartbeats(signal, fs))

    return detect


def _build_xqrs(_: str | None) -> DetectFn:
    from wfdb import processing

    def detect(signal: np.ndarray, fs: float) -> np.ndarray:
        return np.asarray(processing.xqrs_detect(signal, fs, verbose=False))

    return detect


register_detector_family(
    DetectorFamily(
        name="ecgcore",
        description="ecgcore.detect.detect_r_peaks (numba, own band-pass)",
        requires=("numba",),
        build=_build_ecgcore,
        install_hint="pip install ecgcore",
    )
)
register_detector_family(
    DetectorFamily(
        name="neurokit2",
        description="NeuroKit2 ecg_clean + ecg_peaks with METHOD "
        "(neurokit, pantompkins1985, kalidas2017, hamilton2002, elgendi2010, ...)",
        requires=("neurokit2",),
        build=_build_neurokit,
        default_option="neurokit",
    )
)
register_detector_family(
    DetectorFamily(
        name="sleepecg",
        description="sleepecg.detect_heartbeats (C backend)",
        requires=("sleepecg",),
        build=_build_sleepecg,
    )
)
register_detector_family(
    DetectorFamily(
        name="wfdb-xqrs",
        description="wfdb.processing.xqrs_detect",
        requires=("wfdb",),
        build=_build_xqrs,
    )
)
