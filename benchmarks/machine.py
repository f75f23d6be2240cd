"""Describe the machine a benchmark ran on (for reports)."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from pathlib import Path

__all__ = ["load_average", "machine_info", "package_versions"]

_PACKAGES = ("ecgcore", "numpy", "scipy", "numba", "wfdb", "neurokit2", "sleepecg", "dask")


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    return None


def package_versions(names: tuple[str, ...] = _PACKAGES) -> dict[str, str]:
    """Installed versions of the packages that matter for the figures."""
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def load_average() -> str:
    """The 1, 5 and 15 minute load averages as ``"a / b / c"`` (``"n/a"`` where unknown)."""
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except (AttributeError, OSError):  # not available on this OS
        return "n/a"


def machine_info() -> dict[str, object]:
    """CPU, cores usable by this process, memory, OS, Python and package versions."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1
    return {
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "cpus_usable": usable,
        "memory_gb": _memory_gb(),
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "packages": package_versions(),
    }
