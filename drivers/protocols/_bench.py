"""Throughput of the pure protocol parsers (bytes/s), in sync and with 5% noise.

Run: ``python -m ecgcore.drivers.protocols._bench [seconds_per_case]``.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable

from ecgcore.drivers.protocols import ad8232, bitalino, openbci, protocentral, spikerbox
from ecgcore.drivers.simulators.bitalino import BITalinoSimulator
from ecgcore.drivers.simulators.openbci import OpenBCISimulator
from ecgcore.drivers.simulators.protocentral import ProtoCentralSimulator
from ecgcore.drivers.simulators.spikerbox import encode_frame


def _streams() -> dict[str, tuple[Callable[[], object], bytes]]:
    import tempfile  # noqa: PLC0415

    tmp = tempfile.gettempdir()
    obci = OpenBCISimulator(link_dir=tmp)
    bit = BITalinoSimulator(link_dir=tmp)
    bit.channels = [0, 1, 2, 3, 4, 5]
    pc = ProtoCentralSimulator(board="healthypi5", link_dir=tmp)
    return {
        "openbci": (openbci.OpenBCIParser, b"".join(obci.encode_frame(k)[0] for k in range(4000))),
        "bitalino(6ch)": (
            lambda: bitalino.BITalinoParser(6),
            b"".join(bit.encode_frame(k)[0] for k in range(8000)),
        ),
        "protocentral(healthypi5)": (
            lambda: protocentral.ProtoCentralParser(protocentral.BOARDS["healthypi5"]),
            b"".join(pc.encode_frame(k)[0] for k in range(3000)),
        ),
        "ad8232": (
            ad8232.AD8232Parser,
            b"".join(f"{k % 1024}\r\n".encode() for k in range(20000)),
        ),
        "spikerbox(2ch)": (
            lambda: spikerbox.SpikerBoxParser(2),
            b"".join(encode_frame((k % 1024, (3 * k) % 1024)) for k in range(20000)),
        ),
    }


def _noisy(data: bytes, fraction: float, seed: int = 0) -> bytes:
    rng = random.Random(seed)
    out = bytearray(data)
    for _ in range(int(len(out) * fraction)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def main(seconds: float = 1.0) -> None:
    """Print bytes/s per parser, clean and with 5% of bytes overwritten."""
    for name, (factory, clean) in _streams().items():
        for label, data in (("clean", clean), ("5% noise", _noisy(clean, 0.05))):
            n_bytes = 0
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < seconds:
                p = factory()
                for i in range(0, len(data), 4096):
                    p.feed(data[i : i + 4096])  # type: ignore[attr-defined]
                n_bytes += len(data)
            rate = n_bytes / (time.perf_counter() - t0)
            print(f"{name:<26} {label:<9} {rate / 1e6:8.2f} MB/s")  # noqa: T201


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
