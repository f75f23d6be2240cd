"""The live monitor's binary frame: round trip and refusal of malformed frames."""

from __future__ import annotations

import numpy as np
import pytest

from ecgcore.web.frames import decode_frame, encode_frame


def test_round_trip_keeps_samples_nan_and_meta():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(40, 12)).astype(np.float32)
    data[5, 3] = np.nan
    meta = {"peaks": [1234567, 1234590], "hr_bpm": 71.5, "alarms": [{"kind": "vf"}]}
    payload = encode_frame(1_234_560, 500.0, data, meta)
    assert len(payload) == 32 + 4 * data.size + len(
        b'{"peaks":[1234567,1234590],"hr_bpm":71.5,"alarms":[{"kind":"vf"}]}'
    )
    frame = decode_frame(payload)
    assert frame.first_sample == 1_234_560 and frame.fs == 500.0 and frame.n_samples == 40
    np.testing.assert_array_equal(frame.data, data.T)  # lead-major on the wire
    assert np.isnan(frame.data[3, 5])
    assert frame.meta == meta


def test_large_sample_counters_are_exact():
    first = 2**52 + 7  # a month of 1 kHz samples is far below this
    assert decode_frame(encode_frame(first, 1000.0, np.zeros((1, 1)), {})).first_sample == first


def test_nan_in_meta_is_refused():
    with pytest.raises(ValueError):
        encode_frame(0, 500.0, np.zeros((2, 2)), {"hr_bpm": float("nan")})


@pytest.mark.parametrize("cut", [0, 10, 31, 40])
def test_truncated_or_foreign_frames_are_refused(cut):
    payload = encode_frame(0, 250.0, np.ones((5, 2)), {"a": 1})
    with pytest.raises(ValueError):
        decode_frame(payload[:cut])
    with pytest.raises(ValueError, match="not an ECG frame"):
        decode_frame(b"XXXX" + payload[4:])
