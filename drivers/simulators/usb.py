"""A pyusb backend that emulates USB devices, starting with the SpikerBox Pro (HID).

:class:`EmulatedBackend` implements :class:`usb.backend.IBackend`, so
``usb.core.find(backend=...)``, descriptors, string descriptors (serial
number), configuration, interface claiming and interrupt transfers all go
through pyusb's real code above it. Devices can be unplugged and plugged back
in (:meth:`EmulatedBackend.unplug` / :meth:`EmulatedBackend.plug`).

Open a driver against it by registering the backend under a name::

    backend = EmulatedBackend([SpikerBoxProEmulator(serial="SBP0001")])
    register_usb_backend("emulated", lambda: backend)
    open_device("usb://2E73:0001?serial=SBP0001&backend=emulated")
"""

from __future__ import annotations

import errno
import threading
import time
from types import SimpleNamespace
from typing import Any

import usb.backend
import usb.core

from ecgcore.drivers.simulators._waveform import ecg_mv
from ecgcore.drivers.simulators.spikerbox import encode_frame, escape

__all__ = ["EmulatedBackend", "SpikerBoxProEmulator"]

EP_IN = 0x81
EP_OUT = 0x01
REPORT_SIZE = 64


class SpikerBoxProEmulator:
    """Muscle (PID 0x0001) or Neuron (PID 0x0002) SpikerBox Pro, HID interface.

    Input reports: ``[report id, n, n stream bytes, padding]`` (64 bytes), the
    stream being SpikerBox frames and escaped messages. Output reports:
    ``[0x3F, 0x3E, ASCII command, NUL padding]``. Commands: ``?:;``,
    ``max:;``, ``start:;``, ``h:;``.
    """

    def __init__(
        self,
        *,
        serial: str = "SBP0001",
        pid: int = 0x0001,
        fs: float = 10000.0,
        channels: int = 2,
    ) -> None:
        self.vid, self.pid, self.serial = 0x2E73, int(pid), serial
        self.product = "Muscle SpikerBox Pro" if pid == 0x0001 else "Neuron SpikerBox Pro"
        self.fs = float(fs)
        self.channels = int(channels)
        self.lock = threading.Lock()
        self.power_on()

    def power_on(self) -> None:
        """Reset to the power-on state (idle, nothing queued)."""
        self.streaming = False
        self.queue = bytearray()
        self.frame_index = 0
        self.sent: dict[int, tuple[int, ...]] = {}
        self._t0 = time.monotonic()
        self._base = 0

    def values(self, k: int) -> tuple[int, ...]:
        """10-bit values of frame ``k``."""
        return tuple(
            min(max(512 + round(ecg_mv(k, self.fs, c) * 200), 0), 1023)
            for c in range(self.channels)
        )

    def command(self, report: bytes) -> None:
        """Handle one output report."""
        text = bytes(report[2:]).split(b"\0", 1)[0].decode("ascii", errors="replace")
        for part in text.split(";"):
            name = part.partition(":")[0].strip()
            if name == "?":
                self.queue += escape("FWV:1.6;HWT:MUSCLEPRO;HWV:0.6;")
            elif name == "max":
                self.queue += escape(f"MSF:{int(self.fs)};MNC:{self.channels};")
            elif name == "start" and not self.streaming:
                self.streaming = True
                self._t0, self._base = time.monotonic(), self.frame_index
            elif name == "h":
                self.streaming = False

    def report(self) -> bytes | None:
        """Next input report, or None when nothing is due yet."""
        if self.streaming:
            due = self._base + int((time.monotonic() - self._t0) * self.fs)
            while self.frame_index < due and len(self.queue) < 4096:
                values = self.values(self.frame_index)
                self.sent[self.frame_index] = values
                self.queue += encode_frame(values)
                self.frame_index += 1
        if not self.queue:
            return None
        n = min(len(self.queue), REPORT_SIZE - 2)
        data = bytes(self.queue[:n])
        del self.queue[:n]
        return bytes([0x01, n]) + data + bytes(REPORT_SIZE - 2 - n)

    # descriptors ---------------------------------------------------------
    def strings(self) -> dict[int, str]:
        """String descriptor index -> text."""
        return {1: "Backyard Brains", 2: self.product, 3: self.serial}


def _desc(**fields: Any) -> SimpleNamespace:
    fields.setdefault("extra_descriptors", [])
    return SimpleNamespace(**fields)


class EmulatedBackend(usb.backend.IBackend):
    """pyusb backend serving :class:`SpikerBoxProEmulator` objects."""

    def __init__(self, devices: list[SpikerBoxProEmulator] | None = None) -> None:
        self.devices = list(devices or [])
        self.plugged = {id(d) for d in self.devices}

    # plug management -----------------------------------------------------
    def unplug(self, device: SpikerBoxProEmulator) -> None:
        """Remove ``device``: transfers fail with ENODEV, enumeration skips it."""
        self.plugged.discard(id(device))

    def plug(self, device: SpikerBoxProEmulator) -> None:
        """(Re)attach ``device`` in its power-on state."""
        device.power_on()
        if device not in self.devices:
            self.devices.append(device)
        self.plugged.add(id(device))

    def _alive(self, device: SpikerBoxProEmulator) -> None:
        if id(device) not in self.plugged:
            raise usb.core.USBError(
                "No such device (it may have been disconnected)", -4, errno.ENODEV
            )

    # IBackend ------------------------------------------------------------
    def enumerate_devices(self) -> Any:
        return [d for d in self.devices if id(d) in self.plugged]

    def get_device_descriptor(self, dev: SpikerBoxProEmulator) -> SimpleNamespace:
        index = self.devices.index(dev)
        return _desc(
            bLength=18, bDescriptorType=1, bcdUSB=0x0200, bDeviceClass=0, bDeviceSubClass=0,
            bDeviceProtocol=0, bMaxPacketSize0=64, idVendor=dev.vid, idProduct=dev.pid,
            bcdDevice=0x0100, iManufacturer=1, iProduct=2, iSerialNumber=3, bNumConfigurations=1,
            address=index + 2, bus=1, port_number=index + 1, port_numbers=(index + 1,), speed=2,
        )  # fmt: skip

    def get_configuration_descriptor(self, dev: Any, config: int) -> SimpleNamespace:
        return _desc(
            bLength=9, bDescriptorType=2, wTotalLength=41, bNumInterfaces=1,
            bConfigurationValue=1, iConfiguration=0, bmAttributes=0x80, bMaxPower=50,
        )  # fmt: skip

    def get_interface_descriptor(self, dev: Any, intf: int, alt: int, config: int) -> Any:
        return _desc(
            bLength=9, bDescriptorType=4, bInterfaceNumber=0, bAlternateSetting=0,
            bNumEndpoints=2, bInterfaceClass=3, bInterfaceSubClass=0, bInterfaceProtocol=0,
            iInterface=0,
        )  # fmt: skip

    def get_endpoint_descriptor(self, dev: Any, ep: int, intf: int, alt: int, config: int) -> Any:
        address = (EP_IN, EP_OUT)[ep]
        return _desc(
            bLength=7, bDescriptorType=5, bEndpointAddress=address, bmAttributes=3,
            wMaxPacketSize=REPORT_SIZE, bInterval=1, bRefresh=0, bSynchAddress=0,
        )  # fmt: skip

    def open_device(self, dev: SpikerBoxProEmulator) -> SpikerBoxProEmulator:
        self._alive(dev)
        return dev

    def close_device(self, dev_handle: Any) -> None:
        return None

    def set_configuration(self, dev_handle: SpikerBoxProEmulator, config_value: int) -> None:
        self._alive(dev_handle)

    def get_configuration(self, dev_handle: SpikerBoxProEmulator) -> int:
        self._alive(dev_handle)
        return 1

    def claim_interface(self, dev_handle: SpikerBoxProEmulator, intf: int) -> None:
        self._alive(dev_handle)

    def release_interface(self, dev_handle: Any, intf: int) -> None:
        return None

    def is_kernel_driver_active(self, dev_handle: Any, intf: int) -> bool:
        return False

    def detach_kernel_driver(self, dev_handle: Any, intf: int) -> None:
        return None

    def intr_write(
        self, dev_handle: SpikerBoxProEmulator, ep: int, intf: int, data: Any, timeout: int
    ) -> int:
        self._alive(dev_handle)
        with dev_handle.lock:
            dev_handle.command(bytes(data))
        return len(data)

    def intr_read(
        self, dev_handle: SpikerBoxProEmulator, ep: int, intf: int, buff: Any, timeout: int
    ) -> int:
        deadline = time.monotonic() + (timeout or 1000) / 1000.0
        while True:
            self._alive(dev_handle)
            with dev_handle.lock:
                report = dev_handle.report()
            if report is not None:
                n = min(len(buff), len(report))
                buff[:n] = type(buff)(buff.typecode, report[:n])
                return n
            if time.monotonic() >= deadline:
                raise usb.core.USBTimeoutError("Operation timed out", -7, errno.ETIMEDOUT)
            time.sleep(0.001)

    def ctrl_transfer(  # noqa: PLR0917 - signature fixed by usb.backend.IBackend
        self, dev_handle: SpikerBoxProEmulator, bmRequestType: int, bRequest: int,
        wValue: int, wIndex: int, data: Any, timeout: int,
    ) -> int:  # fmt: skip
        self._alive(dev_handle)
        if bmRequestType & 0x80 and bRequest == 0x06 and wValue >> 8 == 3:  # GET_DESCRIPTOR string
            index = wValue & 0xFF
            if index == 0:
                raw = bytes([4, 3, 0x09, 0x04])  # LANGID en-US
            else:
                text = dev_handle.strings().get(index, "").encode("utf-16-le")
                raw = bytes([2 + len(text), 3]) + text
            n = min(len(data), len(raw))
            data[:n] = type(data)(data.typecode, raw[:n])
            return n
        if bmRequestType & 0x80:
            raise usb.core.USBError("Pipe error", -9, errno.EPIPE)
        return len(data) if data is not None else 0
