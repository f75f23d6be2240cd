"""``usb://VID:PID[?serial=...]`` - USB devices through pyusb, starting with the SpikerBox Pro.

Supported models are data (:data:`USB_MODELS`): Backyard Brains Muscle
SpikerBox Pro (2E73:0001) and Neuron SpikerBox Pro (2E73:0002), HID class,
64-byte input reports ``[id, n, n stream bytes]`` carrying the SpikerBox
stream protocol, commands as output reports ``[0x3F, 0x3E, ASCII]``.

URL parameters: ``serial`` (pick one device by USB serial number; also used
to find it again after an unplug), ``channels`` (default: the model's),
``fs`` (default: the ``MSF`` the device reports), ``vref`` / ``gain`` (see
``spikerbox://``), ``backend`` (a name given to :func:`register_usb_backend`;
default: pyusb's libusb backend), ``timeout_s=1``, plus the common options.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import usb.core
import usb.util

from ecgcore.drivers.base import DeviceDisconnected, DeviceInfo
from ecgcore.drivers.protocols import Message
from ecgcore.drivers.protocols import spikerbox as proto
from ecgcore.drivers.registry import DeviceURL, common_options, register_scheme
from ecgcore.drivers.spikerbox import SpikerBoxMixin
from ecgcore.errors import DeviceError

__all__ = ["USB_MODELS", "UsbModel", "UsbSpikerBoxDevice", "register_usb_backend"]


@dataclasses.dataclass(frozen=True)
class UsbModel:
    """A supported USB device model."""

    vid: int
    pid: int
    model: str
    protocol: str
    channels: int
    report_size: int = 64


USB_MODELS: Mapping[tuple[int, int], UsbModel] = MappingProxyType(
    {
        (0x2E73, 0x0001): UsbModel(0x2E73, 0x0001, "Muscle SpikerBox Pro", "spikerbox-hid", 2),
        (0x2E73, 0x0002): UsbModel(0x2E73, 0x0002, "Neuron SpikerBox Pro", "spikerbox-hid", 2),
    }
)

_BACKENDS: dict[str, Callable[[], Any]] = {}
_GONE = {errno.ENODEV, errno.EIO, errno.EPIPE, errno.ESHUTDOWN}


def register_usb_backend(name: str, factory: Callable[[], Any]) -> None:
    """Make a pyusb backend available as ``usb://...?backend=name``."""
    _BACKENDS[name] = factory


def _backend(name: str | None) -> Any:
    if name is None:
        return None  # pyusb picks libusb1 / libusb0 / openusb
    try:
        return _BACKENDS[name]()
    except KeyError:
        known = ", ".join(sorted(_BACKENDS)) or "none registered"
        raise DeviceError(f"unknown USB backend {name!r} ({known})") from None


def parse_vid_pid(target: str) -> tuple[int, int]:
    """Parse ``"2E73:0001"`` (hex) into ``(vid, pid)``."""
    vid, sep, pid = target.partition(":")
    try:
        if not sep:
            raise ValueError
        return int(vid, 16), int(pid, 16)
    except ValueError:
        raise DeviceError(f"USB target {target!r} is not VID:PID in hex, e.g. 2E73:0001") from None


class UsbSpikerBoxDevice(SpikerBoxMixin):
    """SpikerBox Pro over USB HID (pyusb interrupt transfers)."""

    def __init__(
        self,
        url: str,
        model: UsbModel,
        *,
        serial: str | None = None,
        channels: int | None = None,
        fs: float | None = None,
        vref: float = 5.0,
        gain: float = 1.0,
        backend: str | None = None,
        timeout_s: float = 1.0,
        **options: Any,
    ) -> None:
        super().__init__(url, **options)
        self.model = model
        self.serial = serial
        self.n_channels = int(channels or model.channels)
        self._fs = fs
        self.vref, self.gain = float(vref), float(gain)
        self._backend_name = backend
        self._timeout_s = float(timeout_s)
        self._dev: Any = None
        self._ep_in: Any = None
        self._ep_out: Any = None
        self._reset_parser(proto.SpikerBoxParser(self.n_channels))

    @classmethod
    def from_url(cls, url: DeviceURL) -> UsbSpikerBoxDevice:
        """Build from ``usb://2E73:0001?serial=...``."""
        vid, pid = parse_vid_pid(url.target)
        try:
            model = USB_MODELS[(vid, pid)]
        except KeyError:
            known = ", ".join(f"{v:04X}:{p:04X} ({m.model})" for (v, p), m in USB_MODELS.items())
            raise DeviceError(
                f"{url.raw}: no driver for USB {vid:04X}:{pid:04X}; supported: {known}"
            ) from None
        return cls(
            url.raw,
            model,
            serial=url.get_str("serial"),
            channels=url.get_int("channels"),
            fs=url.get_float("fs"),
            vref=url.get_float("vref", 5.0),
            gain=url.get_float("gain", 1.0),
            backend=url.get_str("backend"),
            timeout_s=url.get_float("timeout_s", 1.0),
            **common_options(url),
        )

    # ------------------------------------------------------------- transport
    def _find(self) -> Any:
        m = self.model
        try:
            found = list(
                usb.core.find(
                    find_all=True,
                    idVendor=m.vid,
                    idProduct=m.pid,
                    backend=_backend(self._backend_name),
                )
            )
        except usb.core.NoBackendError as exc:
            raise DeviceError(f"{self.url}: no USB backend (install libusb): {exc}") from exc
        for dev in found:
            if self.serial is None:
                return dev
            with contextlib.suppress(usb.core.USBError, ValueError):
                if dev.serial_number == self.serial:
                    return dev
        which = f" with serial {self.serial!r}" if self.serial else ""
        raise DeviceError(f"{self.url}: no USB device {m.vid:04X}:{m.pid:04X}{which} found")

    def _write_command(self, text: str) -> None:
        report = bytes([0x3F, 0x3E]) + text.encode("ascii").ljust(
            self.model.report_size - 2, b"\0"
        )
        try:
            self._ep_out.write(report, timeout=round(self._timeout_s * 1000))
        except usb.core.USBError as exc:
            raise DeviceDisconnected(f"USB write failed: {exc}") from exc

    def _read_bytes(self, timeout_s: float) -> bytes:
        if self._ep_in is None:
            raise DeviceDisconnected("USB device is not open")
        try:
            report = self._ep_in.read(
                self.model.report_size, timeout=max(1, round(timeout_s * 1000))
            )
        except usb.core.USBTimeoutError:
            return b""
        except usb.core.USBError as exc:
            if exc.errno in _GONE:
                raise DeviceDisconnected(f"USB device gone: {exc}") from exc
            raise DeviceDisconnected(f"USB read failed: {exc}") from exc
        n = min(report[1], len(report) - 2) if len(report) > 1 else 0
        return bytes(report[2 : 2 + n])

    # ----------------------------------------------------------------- hooks
    def _open(self) -> DeviceInfo:
        dev = self._find()
        try:
            with contextlib.suppress(NotImplementedError, usb.core.USBError):
                if dev.is_kernel_driver_active(0):
                    dev.detach_kernel_driver(0)
            dev.set_configuration()
            usb.util.claim_interface(dev, 0)
            intf = dev.get_active_configuration()[(0, 0)]
            self._ep_in = usb.util.find_descriptor(
                intf,
                custom_match=lambda e: (
                    usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_IN
                ),
            )
            self._ep_out = usb.util.find_descriptor(
                intf,
                custom_match=lambda e: (
                    usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_OUT
                ),
            )
            if self._ep_in is None or self._ep_out is None:
                raise DeviceError(f"{self.url}: HID interface without IN/OUT interrupt endpoints")
            self._dev = dev
            serial = ""
            with contextlib.suppress(usb.core.USBError, ValueError):
                serial = dev.serial_number or ""
            self._write_command("h:;")
            self._write_command("?:;")
            self._write_command("max:;")
            fields = self._collect(("FWV", "MSF"))
        except usb.core.USBError as exc:
            self._close()
            raise DeviceError(f"{self.url}: USB setup failed: {exc}") from exc
        except Exception:
            self._close()
            raise
        fs = self._fs or float(fields.get("MSF", "nan"))
        if not fs > 0:
            raise DeviceError(f"{self.url}: device did not report its rate (MSF); give fs=")
        return DeviceInfo(
            model=f"Backyard Brains {self.model.model}",
            serial_number=serial,
            firmware=fields.get("FWV", ""),
            channels=self._spikerbox_channels(),
            fs=fs,
            extra={"usb": f"{self.model.vid:04X}:{self.model.pid:04X}", "hardware": fields},
        )

    def _collect(self, keys: tuple[str, ...]) -> dict[str, str]:
        probe = proto.SpikerBoxParser(self.n_channels)
        fields: dict[str, str] = {}
        deadline = time.monotonic() + self._timeout_s
        while time.monotonic() < deadline and not all(k in fields for k in keys):
            for item in probe.feed(self._read_bytes(0.02)):
                if isinstance(item, Message):
                    fields.update(proto.parse_fields(item.text))
        return fields

    def _start(self) -> None:
        self.parser.reset()
        self._fresh = True
        self._write_command("start:;")

    def _stop(self) -> None:
        if self._dev is not None:
            with contextlib.suppress(DeviceDisconnected):
                self._write_command("h:;")

    def _close(self) -> None:
        dev, self._dev = self._dev, None
        self._ep_in = self._ep_out = None
        if dev is not None:
            with contextlib.suppress(usb.core.USBError):
                usb.util.release_interface(dev, 0)
            usb.util.dispose_resources(dev)


def _open_usb(url: DeviceURL) -> UsbSpikerBoxDevice:
    return UsbSpikerBoxDevice.from_url(url)


register_scheme(
    "usb",
    _open_usb,
    description="USB HID devices via pyusb: Backyard Brains SpikerBox Pro (2E73:0001/0002)",
    example="usb://2E73:0001?serial=SBP0001",
)
