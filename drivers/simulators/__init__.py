"""Device simulators that speak the real wire protocols.

Serial devices run on a pseudo-terminal (:class:`PtySimulator`) that drivers
open with pyserial like hardware; the USB SpikerBox Pro is emulated below
pyusb by a backend (:mod:`ecgcore.drivers.simulators.usb`).
:data:`SIMULATORS` maps each serial protocol to its simulator and the URL a
driver opens it with (``{path}`` is the simulator's port).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from ecgcore.drivers.simulators._pty import PtySimulator
from ecgcore.drivers.simulators.ad8232 import AD8232Simulator
from ecgcore.drivers.simulators.bitalino import BITalinoSimulator
from ecgcore.drivers.simulators.openbci import OpenBCISimulator
from ecgcore.drivers.simulators.protocentral import ProtoCentralSimulator
from ecgcore.drivers.simulators.spikerbox import SpikerBoxSimulator

__all__ = ["SIMULATORS", "PtySimulator", "SimulatorSpec", "make_simulator"]


@dataclasses.dataclass(frozen=True)
class SimulatorSpec:
    """A serial protocol simulator and the driver URL that talks to it."""

    name: str
    factory: Callable[..., PtySimulator]
    url: str
    description: str

    def url_for(self, sim: PtySimulator) -> str:
        """Driver URL for a running simulator."""
        return self.url.format(path=sim.path)


SIMULATORS: Mapping[str, SimulatorSpec] = MappingProxyType(
    {
        "openbci": SimulatorSpec(
            "openbci", OpenBCISimulator, "openbci://{path}", "OpenBCI Cyton, 8 ch, 250 Hz"
        ),
        "openbci-daisy": SimulatorSpec(
            "openbci-daisy",
            lambda **kw: OpenBCISimulator(daisy=True, **kw),
            "openbci://{path}?daisy=1",
            "OpenBCI Cyton + Daisy, 16 ch, 125 Hz",
        ),
        "bitalino": SimulatorSpec(
            "bitalino",
            BITalinoSimulator,
            "bitalino://{path}?fs=1000&channels=A1,A2",
            "BITalino (r)evolution, ECG on A1/A2, 1000 Hz",
        ),
        "protocentral": SimulatorSpec(
            "protocentral",
            ProtoCentralSimulator,
            "protocentral://{path}?board=ads1292r",
            "ProtoCentral ADS1292R breakout, 125 Hz",
        ),
        "healthypi": SimulatorSpec(
            "healthypi",
            lambda **kw: ProtoCentralSimulator(board="healthypi5", **kw),
            "protocentral://{path}?board=healthypi5",
            "ProtoCentral HealthyPi 5, 125 Hz, 8 samples per packet",
        ),
        "ad8232": SimulatorSpec(
            "ad8232",
            AD8232Simulator,
            "ad8232://{path}?fs=250",
            "Arduino + AD8232 sketch, ASCII lines, 250 Hz",
        ),
        "spikerbox": SimulatorSpec(
            "spikerbox",
            SpikerBoxSimulator,
            "spikerbox://{path}?fs=1000&channels=1",
            "Backyard Brains SpikerBox (serial), 1 ch, 1000 Hz",
        ),
    }
)


def make_simulator(name: str, **kwargs: Any) -> PtySimulator:
    """Create (not start) the simulator for protocol ``name``."""
    try:
        spec = SIMULATORS[name]
    except KeyError:
        raise ValueError(
            f"no simulator for {name!r}; available: {', '.join(SIMULATORS)}"
        ) from None
    return spec.factory(**kwargs)
