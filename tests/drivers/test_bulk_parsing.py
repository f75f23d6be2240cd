"""In-sync runs of frames decoded as arrays give exactly what the per-frame path gives."""

from __future__ import annotations

import dataclasses
import random
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecgcore.drivers.protocols import FrameRun, openbci
from ecgcore.drivers.protocols._framing import expand_runs
from ecgcore.drivers.simulators.openbci import OpenBCISimulator


class PerFrameOpenBCIParser(openbci.OpenBCIParser):
    """The same parser with the array path switched off (the reference)."""

    bulk = False


def _frames(n: int, start: int = 0) -> list[bytes]:
    sim = OpenBCISimulator(link_dir=tempfile.gettempdir())
    return [sim.encode_frame(start + k)[0] for k in range(n)]


def _parse(parser: openbci.OpenBCIParser, stream: bytes, cut: int) -> list:
    out = []
    for i in range(0, len(stream), cut):
        out += parser.feed(stream[i : i + cut])
    return out


def _damage(frames: list[bytes], rng: random.Random) -> bytes:
    """Noise, dropped frames (sequence gaps), bad stop bytes, negative counts."""
    parts = []
    for frame in frames:
        r = rng.random()
        if r < 0.05:
            continue  # dropped: a gap in the sample numbers
        b = bytearray(frame)
        if r < 0.10:
            b[-1] = 0x55  # bad stop byte
        elif r < 0.15:
            b[2:5] = bytes([0xFF, rng.randrange(256), rng.randrange(256)])  # negative count
        parts.append(bytes(b))
        if rng.random() < 0.05:
            parts.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))))
    return b"".join(parts)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(seed=st.integers(0, 10_000), cut=st.integers(1, 700))
def test_array_path_equals_per_frame_path(seed: int, cut: int) -> None:
    stream = _damage(_frames(300, seed % 256), random.Random(seed))
    fast, slow = openbci.OpenBCIParser(), PerFrameOpenBCIParser()
    assert fast.bulk and not slow.bulk
    assert _parse(fast, stream, cut) == _parse(slow, stream, cut)
    assert dataclasses.asdict(fast.stats) == dataclasses.asdict(slow.stats)


def test_array_path_is_used_in_sync() -> None:
    stream = b"".join(_frames(200))
    parser = openbci.OpenBCIParser()
    calls = []
    original = parser._decode_run
    parser._decode_run = lambda rows, skipped: calls.append(len(rows)) or original(rows, skipped)  # type: ignore[method-assign]
    frames = parser.feed(stream)
    assert len(frames) == 200 and sum(calls) >= 198


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(seed=st.integers(0, 10_000), cut=st.integers(1, 700))
def test_runs_as_arrays_expand_to_the_frames(seed: int, cut: int) -> None:
    stream = _damage(_frames(300, seed % 256), random.Random(seed))
    runs, frames = openbci.OpenBCIParser(), openbci.OpenBCIParser()
    items = []
    for i in range(0, len(stream), cut):
        items += runs.feed_items(stream[i : i + cut])
    if cut >= 3 * openbci.FRAME_LEN:  # at least two whole frames reach the parser at once
        assert any(isinstance(item, FrameRun) for item in items)
    assert expand_runs(items) == _parse(frames, stream, cut)
    for run in (item for item in items if isinstance(item, FrameRun)):
        assert run.values.shape == (len(run), 8) and run.extra.shape == (len(run), 6)
