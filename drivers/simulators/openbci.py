"""OpenBCI Cyton (+ Daisy) simulator: 33-byte packets, ``v``/``b``/``s``/``x...X`` commands."""

from __future__ import annotations

from ecgcore.drivers.simulators._pty import PtySimulator
from ecgcore.drivers.simulators._waveform import ecg_mv

__all__ = ["OpenBCISimulator"]

_GAINS = (1, 2, 4, 6, 8, 12, 24)
_KEYS = "12345678QWERTYUI"


class OpenBCISimulator(PtySimulator):
    """Cyton at 250 Hz (8 channels) or Cyton + Daisy (16 channels, packets alternate).

    A detached electrode rails its channel at +(2**23 - 1) counts, as the ADS1299
    input does when it floats. ``values`` recorded per packet are the 8 counts.
    """

    name = "openbci"

    def __init__(self, *, daisy: bool = False, firmware: str = "v3.1.2", **kwargs: object) -> None:
        super().__init__(250.0, **kwargs)  # type: ignore[arg-type]
        self.daisy = daisy
        self.firmware = firmware
        self.gains = [24] * (16 if daisy else 8)

    def power_on(self) -> None:
        super().power_on()
        self.gains = [24] * (16 if self.daisy else 8)

    def counts(self, index: int) -> tuple[int, ...]:
        """The 8 channel counts of packet ``index`` (device packet counter)."""
        sample = index // 2 if self.daisy else index
        half = (index % 2) if self.daisy else 0  # packet 0 of a pair: Cyton (odd number)
        out = []
        for c in range(8):
            ch = c + 8 * half
            if ch in self.lead_off:
                out.append(2**23 - 1)
                continue
            uv = ecg_mv(sample, 250.0 / (2 if self.daisy else 1), ch) * 1000.0
            lsb = 4.5 / self.gains[ch] / (2**23 - 1) * 1e6
            out.append(round(uv / lsb))
        return tuple(out)

    def encode_frame(self, index: int) -> tuple[bytes, tuple[int, ...]]:
        # Sample numbers: the Cyton's packets carry odd numbers, the Daisy's even ones.
        number = (index + 1) & 0xFF
        values = self.counts(index)
        body = b"".join(v.to_bytes(3, "big", signed=True) for v in values)
        aux = bytes(6)
        return bytes([0xA0, number]) + body + aux + b"\xc0", values

    def corrupt(self, wire: bytes) -> bytes:
        return wire[:32] + b"\x00"  # bad stop byte

    def handle_input(self, data: bytes) -> None:
        self._cmd_buf += data
        buf = self._cmd_buf
        while buf:
            c = buf[:1]
            if c == b"x":
                end = buf.find(b"X")
                if end < 0:
                    break
                self._channel_settings(buf[: end + 1])
                buf = buf[end + 1 :]
                continue
            buf = buf[1:]
            if c == b"v":
                self.streaming = False
                lines = [
                    "OpenBCI V3 8-16 channel",
                    "On Board ADS1299 Device ID: 0x3E",
                ]
                if self.daisy:
                    lines.append("On Daisy ADS1299 Device ID: 0x3E")
                lines += ["LIS3DH Device ID: 0x33", f"Firmware: {self.firmware}", "$$$"]
                self.reply("\n".join(lines).encode("ascii"))
            elif c == b"b":
                self.begin_stream()
            elif c == b"s":
                self.streaming = False
        self._cmd_buf = buf

    def _channel_settings(self, cmd: bytes) -> None:
        text = cmd.decode("ascii", errors="replace")
        if len(text) != 9 or text[1] not in _KEYS:
            self.reply(b"Failure: too few chars$$$")
            return
        ch = _KEYS.index(text[1])
        code = int(text[3]) if text[3].isdigit() else -1
        if ch >= len(self.gains) or not 0 <= code < len(_GAINS):
            self.reply(b"Failure: invalid channel settings$$$")
            return
        self.gains[ch] = _GAINS[code]
        if not self.streaming:
            self.reply(f"Success: Channel set for {ch + 1}$$$".encode("ascii"))
