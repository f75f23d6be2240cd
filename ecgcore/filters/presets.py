"""Registry of named filter presets.

=============  ==============  ===========================================================
preset         band (-3 dB)    purpose
=============  ==============  ===========================================================
diagnostic     0.05-150 Hz     IEC 60601-2-25 diagnostic bandwidth; first-order high-pass
                               (single pole, as the AHA recommends for 0.05 Hz) so the
                               ST segment passes the standard's 0.3 mV·s impulse test
monitoring     0.5-40 Hz       bedside/ambulatory monitoring: stable baseline, less EMG
detection      5-30 Hz         band of the QRS complex used by R-peak detectors; removes
                               baseline, P and T waves and most muscle noise
=============  ==============  ===========================================================

No preset has a notch by default, because the mains frequency depends on the
country: add one with ``get_preset("monitoring").replace(notch_hz=50)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ecgcore.errors import SignalError
from ecgcore.filters.spec import FilterSpec

__all__ = ["PRESETS", "get_preset", "list_presets", "register_preset", "resolve_spec"]

_REGISTRY: dict[str, FilterSpec] = {}

#: Read-only view of the registered presets, by name.
PRESETS: Mapping[str, FilterSpec] = MappingProxyType(_REGISTRY)


def register_preset(spec: FilterSpec, *, replace: bool = False) -> FilterSpec:
    """Add ``spec`` to the registry under ``spec.name`` and return it.

    Raises :class:`SignalError` if the name is taken and ``replace`` is False.
    """
    if not isinstance(spec, FilterSpec):
        raise TypeError(f"expected a FilterSpec, got {type(spec).__name__}")
    if spec.name in _REGISTRY and not replace:
        raise SignalError(f"filter preset {spec.name!r} already exists (pass replace=True)")
    _REGISTRY[spec.name] = spec
    return spec


def list_presets() -> tuple[str, ...]:
    """Names of the registered presets."""
    return tuple(_REGISTRY)


def get_preset(name: str) -> FilterSpec:
    """Return the preset called ``name``; :class:`SignalError` lists the choices otherwise."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        choices = ", ".join(repr(n) for n in _REGISTRY)
        raise SignalError(f"unknown filter preset {name!r}; expected one of {choices}") from None


def resolve_spec(spec_or_preset: FilterSpec | str) -> FilterSpec:
    """Return ``spec_or_preset`` as a :class:`FilterSpec` (a preset name is looked up)."""
    if isinstance(spec_or_preset, FilterSpec):
        return spec_or_preset
    if isinstance(spec_or_preset, str):
        return get_preset(spec_or_preset)
    raise TypeError(f"expected a FilterSpec or a preset name, got {type(spec_or_preset).__name__}")


register_preset(
    FilterSpec(
        highpass_hz=0.05, lowpass_hz=150.0, highpass_order=1, lowpass_order=2, name="diagnostic"
    )
)
register_preset(
    FilterSpec(
        highpass_hz=0.5, lowpass_hz=40.0, highpass_order=2, lowpass_order=4, name="monitoring"
    )
)
register_preset(
    FilterSpec(
        highpass_hz=5.0, lowpass_hz=30.0, highpass_order=2, lowpass_order=2, name="detection"
    )
)
