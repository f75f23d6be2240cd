"""``ecg devices``: list serial ports, USB devices, URL schemes and built-in simulators."""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

__all__ = ["list_serial_ports", "list_usb_devices", "register"]


def list_serial_ports() -> list[dict[str, Any]]:
    """Serial ports with their USB identity (where the OS knows it)."""
    from serial.tools import list_ports  # noqa: PLC0415 - only this command needs it

    out = []
    for p in sorted(list_ports.comports(), key=lambda p: p.device):
        out.append(
            {
                "port": p.device,
                "vid": p.vid,
                "pid": p.pid,
                "serial": p.serial_number or "",
                "description": p.description or "",
            }
        )
    return out


def list_usb_devices() -> tuple[list[dict[str, Any]], str]:
    """USB devices seen by pyusb, and an error text when no USB backend is available."""
    import usb.core  # noqa: PLC0415

    from ecgcore.drivers.usb import USB_MODELS  # noqa: PLC0415

    try:
        devices = list(usb.core.find(find_all=True))
    except usb.core.NoBackendError as exc:
        return [], f"no USB backend (libusb) available: {exc}"
    out = []
    for dev in devices:
        serial = ""
        with contextlib.suppress(Exception):
            serial = dev.serial_number or ""
        model = USB_MODELS.get((dev.idVendor, dev.idProduct))
        out.append(
            {
                "vid": dev.idVendor,
                "pid": dev.idProduct,
                "serial": serial,
                "bus": dev.bus,
                "address": dev.address,
                "supported": model.model if model else "",
            }
        )
    return out, ""


def _run(args: argparse.Namespace) -> int:
    from ecgcore.drivers import available_schemes  # noqa: PLC0415
    from ecgcore.drivers.simulators import SIMULATORS  # noqa: PLC0415

    ports = list_serial_ports()
    print(f"Serial ports ({len(ports)}):")
    for p in ports:
        ids = f"{p['vid']:04X}:{p['pid']:04X}" if p["vid"] is not None else "-"
        print(f"  {p['port']:<24} {ids:<10} serial={p['serial'] or '-'}  {p['description']}")
    usb_devices, usb_error = list_usb_devices()
    print(f"USB devices ({len(usb_devices)}):" if not usb_error else f"USB devices: {usb_error}")
    for d in usb_devices:
        mark = f"  -> usb://{d['vid']:04X}:{d['pid']:04X}" if d["supported"] else ""
        print(
            f"  {d['vid']:04X}:{d['pid']:04X}  serial={d['serial'] or '-'}  "
            f"bus {d['bus']} addr {d['address']}  {d['supported']}{mark}"
        )
    print("URL schemes:")
    for entry in available_schemes():
        print(f"  {entry.scheme + '://':<16} {entry.description}  e.g. {entry.example}")
    print("Built-in simulators (run one with `ecg sim serve NAME`):")
    for name, spec in SIMULATORS.items():
        print(f"  {name:<16} {spec.description}")
    print("  usb (pyusb)      SpikerBox Pro, emulated below pyusb (tests, Python only)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``ecg devices``."""
    parser = subparsers.add_parser(
        "devices",
        help="list serial ports, USB devices, device URL schemes and simulators",
        description="List detected serial ports and USB devices (VID:PID, serial number), "
        "the device URL schemes and the built-in protocol simulators.",
    )
    parser.set_defaults(func=_run)
