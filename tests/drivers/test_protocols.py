"""Pure protocol parsers: known answers, chunking, resync counts and fuzzing."""

from __future__ import annotations

import struct
import tempfile
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecgcore.drivers.protocols import (
    Frame,
    Message,
    ad8232,
    bitalino,
    openbci,
    protocentral,
    spikerbox,
)
from ecgcore.drivers.simulators.bitalino import BITalinoSimulator, bitwise_crc4
from ecgcore.drivers.simulators.openbci import OpenBCISimulator
from ecgcore.drivers.simulators.protocentral import ProtoCentralSimulator
from ecgcore.drivers.simulators.spikerbox import encode_frame as sb_encode
from ecgcore.drivers.simulators.spikerbox import escape

TMP = tempfile.gettempdir()


def frames_of(items):
    return [i for i in items if isinstance(i, Frame)]


# ------------------------------------------------------------ known answers
def test_openbci_known_packet():
    body = bytes([0xA0, 0x07])
    body += bytes.fromhex("000001FFFFFF7FFFFF800000123456000000000010FF0000")
    pkt = body + bytes(6) + b"\xc1"
    nxt = bytes([0xA0, 0x08]) + bytes(30) + b"\xc0"  # a first packet is confirmed by the next
    f, f2 = openbci.OpenBCIParser().feed(pkt + nxt)
    assert f2.seq == 8 and f2.values == (0,) * 8
    assert f.seq == 7 and f.kind == 0xC1
    assert f.values == (1, -1, 2**23 - 1, -(2**23), 0x123456, 0, 16, -65536)
    assert openbci.counts_to_uv(2**23 - 1, 24) == pytest.approx(4.5 / 24 * 1e6)
    assert openbci.channel_settings_command(3, 24) == b"x3060110X"
    assert openbci.channel_settings_command(9, 1) == b"xQ000110X"


def test_bitalino_crc_table_equals_bitwise_crc():
    sim = BITalinoSimulator(link_dir=TMP)
    for n in range(1, 7):
        sim.channels = list(range(n))
        for k in range(40):
            wire, _ = sim.encode_frame(k)
            assert bitalino.crc4(wire) == bitwise_crc4(wire) == wire[-1] & 0x0F


def test_bitalino_known_frame_and_layout():
    # 2 channels: ceil((12 + 20) / 8) = 4 bytes; A1 = 0x3FF, A2 = 0x001, digital 0b1010, seq 5.
    frame = bytearray(4)
    frame[2] = (0b1010 << 4) | (0x3FF >> 6)
    frame[1] = ((0x3FF & 0x3F) << 2) | (0x001 >> 8)
    frame[0] = 0x001 & 0xFF
    frame[3] = 5 << 4
    frame[3] |= bitwise_crc4(bytes(frame))
    f = bitalino.BITalinoParser(2)._decode(frame, 0, 0)
    assert f.values == (0x3FF, 0x001) and f.seq == 5 and f.extra == (1, 0, 1, 0)
    assert [bitalino.frame_length(n) for n in range(1, 7)] == [3, 4, 6, 7, 8, 8]
    assert bitalino.rate_command(1000) == 0xC3 and bitalino.rate_command(1) == 0x03
    assert bitalino.start_command([1]) == 0b00001001
    assert bitalino.ecg_mv(512, 10) == pytest.approx(0.0)
    assert bitalino.ecg_mv(1024, 10) == pytest.approx(0.5 * 3.3 / 1100 * 1000)


def test_protocentral_known_packet():
    payload = struct.pack("<hhhh", -1234, 5, 72, 16)
    pkt = b"\x0a\xfa\x08\x00\x02" + payload + b"\x00\x0b"
    (f,) = protocentral.ProtoCentralParser(protocentral.BOARDS["ads1292r"]).feed(pkt)
    assert f.values == (-1234,) and f.kind == 2


def test_ad8232_lines():
    p = ad8232.AD8232Parser()
    out = p.feed(b"512\r\n!\r\n-3\r\nab\r\n1023\n")
    assert [f.values for f in out] == [(512,), (), (-3,), (1023,)]
    assert out[1].extra == "leads_off"
    assert out[3].kind == 1  # one corrupt line before it
    assert p.stats.corrupt_frames == 1 and p.stats.corrupt_bytes == 4


def test_spikerbox_frames_and_messages():
    p = spikerbox.SpikerBoxParser(2)
    data = sb_encode((1023, 0)) + escape("EVNT:3;") + sb_encode((512, 7)) + sb_encode((1, 2))
    out = p.feed(data)
    assert [type(i).__name__ for i in out] == ["Frame", "Message", "Frame", "Frame"]
    assert out[0].values == (1023, 0) and out[2].values == (512, 7)
    assert out[1].text == "EVNT:3;"
    assert spikerbox.parse_fields("FWV:1.6;HWT:X;") == {"FWV": "1.6", "HWT": "X"}


# ---------------------------------------------------------- stream builders
def openbci_stream(n, start=0):
    sim = OpenBCISimulator(link_dir=TMP)
    return [sim.encode_frame(start + k) for k in range(n)]


def bitalino_stream(n, start=0, channels=3):
    sim = BITalinoSimulator(link_dir=TMP)
    sim.channels = list(range(channels))
    return [sim.encode_frame(start + k) for k in range(n)]


def protocentral_stream(n, start=0, board="ads1292r"):
    sim = ProtoCentralSimulator(board=board, link_dir=TMP)
    return [sim.encode_frame(start + k) for k in range(n)]


def spikerbox_stream(n, start=0):
    return [
        (sb_encode(v), v)
        for v in ((k * 37 % 1024, k * 11 % 1024) for k in range(start, start + n))
    ]


def ad8232_stream(n, start=0):
    return [
        (f"{(k * 13) % 1024}\r\n".encode(), ((k * 13) % 1024,)) for k in range(start, start + n)
    ]


PROTOCOLS = {
    # name: (parser factory, stream builder, key of a frame for comparison)
    "openbci": (openbci.OpenBCIParser, openbci_stream, lambda f: (f.seq, f.values)),
    "bitalino": (lambda: bitalino.BITalinoParser(3), bitalino_stream, lambda f: (f.seq, f.values)),
    "protocentral": (
        lambda: protocentral.ProtoCentralParser(protocentral.BOARDS["ads1292r"]),
        protocentral_stream,
        lambda f: f.values,
    ),
    "healthypi": (
        lambda: protocentral.ProtoCentralParser(protocentral.BOARDS["healthypi5"]),
        lambda n, start=0: protocentral_stream(n, start, "healthypi5"),
        lambda f: (f.kind, f.values),
    ),
    "spikerbox": (lambda: spikerbox.SpikerBoxParser(2), spikerbox_stream, lambda f: f.values),
    "ad8232": (ad8232.AD8232Parser, ad8232_stream, lambda f: f.values),
}


@pytest.mark.parametrize("name", list(PROTOCOLS))
def test_chunked_equals_whole(name):
    factory, build, key = PROTOCOLS[name]
    stream = b"".join(w for w, _ in build(60))
    whole = [key(f) for f in frames_of(factory().feed(stream))]
    for size in (1, 3, 7, 50):
        p = factory()
        got = []
        for i in range(0, len(stream), size):
            got += [key(f) for f in frames_of(p.feed(stream[i : i + size]))]
        assert got == whole, f"chunk size {size}"
    assert len(whole) >= 58  # frames needing confirmation may wait for the next ones


@pytest.mark.parametrize("name", list(PROTOCOLS))
def test_garbage_resync_and_counts(name):
    factory, build, key = PROTOCOLS[name]
    frames = build(40)
    garbage = b"\x13\x37\x42" * 5  # 15 bytes with no frame structure in any protocol
    if name == "ad8232":
        garbage += b"\r\n"  # in a line protocol garbage is a (bad) line of its own
    stream = b"".join(w for w, _ in frames[:20]) + garbage + b"".join(w for w, _ in frames[20:])
    p = factory()
    got = frames_of(p.feed(stream))
    whole = frames_of(factory().feed(b"".join(w for w, _ in frames)))
    assert [key(f) for f in got] == [key(f) for f in whole]
    assert p.stats.corrupt_bytes == len(garbage)
    assert p.stats.corrupt_frames == 1
    resumed = [f for f in got if f.skipped]
    assert len(resumed) == 1 and resumed[0].skipped == len(garbage)


@pytest.mark.parametrize("name", list(PROTOCOLS))
def test_corrupted_frame_is_counted(name):
    factory, build, key = PROTOCOLS[name]
    frames = build(30)
    bad = bytearray(frames[10][0])
    # damage the frame where each protocol checks it: stop byte, CRC, trailer, flags, digits
    idx = -1 if name in ("openbci", "bitalino", "protocentral", "healthypi") else 0
    bad[idx] ^= 0x7A
    stream = b"".join(w for w, _ in frames[:10]) + bytes(bad) + b"".join(w for w, _ in frames[11:])
    p = factory()
    got = [key(f) for f in frames_of(p.feed(stream))]
    whole = frames_of(factory().feed(b"".join(w for w, _ in frames)))
    without = b"".join(w for w, _ in frames[:10]) + b"".join(w for w, _ in frames[11:])
    ref = [key(f) for f in frames_of(factory().feed(without))]
    assert p.stats.corrupt_frames == 1
    assert got == ref
    assert len(ref) < len(whole)


# ------------------------------------------------------------------ fuzzing
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.parametrize("name", list(PROTOCOLS))
@FUZZ
@given(data=st.binary(max_size=3000), cut=st.integers(1, 64))
def test_arbitrary_bytes_never_crash_or_hang(name, data, cut):
    factory = PROTOCOLS[name][0]
    p = factory()
    t0 = time.perf_counter()
    for i in range(0, len(data), cut):
        for item in p.feed(data[i : i + cut]):
            assert isinstance(item, Frame | Message)
    assert time.perf_counter() - t0 < 2.0
    st_ = p.stats
    assert st_.bytes_in == len(data)
    assert 0 <= st_.corrupt_bytes <= len(data)


segment = st.tuples(st.binary(min_size=1, max_size=80), st.integers(3, 12))


@pytest.mark.parametrize("name", list(PROTOCOLS))
@FUZZ
@given(segments=st.lists(segment, min_size=1, max_size=6), cut=st.integers(1, 97))
def test_valid_frames_in_noise_are_all_recovered(name, segments, cut):
    """Runs of >= 3 valid frames separated by random noise: every valid frame comes out,
    in order (noise may add frames of its own only where it happens to be valid)."""
    factory, build, key = PROTOCOLS[name]
    if name == "ad8232":  # a line protocol: noise is a line of its own
        segments = [(b"#" + noise.replace(b"\n", b"") + b"\n", n) for noise, n in segments]
    stream = b""
    want = []
    k = 0
    for noise, run in segments:
        frames = build(run, k)
        k += run
        stream += noise + b"".join(w for w, _ in frames)
        want += [key(f) for f in frames_of(factory().feed(b"".join(w for w, _ in frames)))]
    p = factory()
    got = []
    for i in range(0, len(stream), cut):
        got += [key(f) for f in frames_of(p.feed(stream[i : i + cut]))]
    # Parsers that confirm a frame by the next one(s) cannot release the very last
    # frames of the stream; every other valid frame must be there, in order.
    hold = {"openbci": 0, "bitalino": 2, "spikerbox": 1}.get(name, 0)
    need = want[: len(want) - hold] if hold else want
    it = iter(got)
    missing = [w for w in need if not any(w == g for g in it)]
    assert not missing, f"{len(missing)} valid frame(s) lost, first {missing[0]}"
