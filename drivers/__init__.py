"""ecgcore.drivers: acquisition devices behind one lifecycle, opened by URL.

>>> from ecgcore.drivers import open_device
>>> with open_device("openbci:///dev/ttyUSB0") as dev:   # doctest: +SKIP
...     dev.start()
...     block = dev.read(timeout=1.0)

See :mod:`ecgcore.drivers.base` for the device model and
:mod:`ecgcore.drivers.registry` for URL schemes.
"""

from ecgcore.drivers.base import (
    ChannelInfo,
    Device,
    DeviceEvent,
    DeviceInfo,
    DeviceStatus,
    SampleBlock,
)
from ecgcore.drivers.paced import PacedDevice
from ecgcore.drivers.registry import (
    DeviceURL,
    available_schemes,
    common_options,
    open_device,
    register_scheme,
)

__all__ = [
    "ChannelInfo",
    "Device",
    "DeviceEvent",
    "DeviceInfo",
    "DeviceStatus",
    "DeviceURL",
    "PacedDevice",
    "SampleBlock",
    "available_schemes",
    "common_options",
    "open_device",
    "register_scheme",
]
