"""VT against VF/VFL in VF-like segments of a real record: whole segments, alarms, streaming."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from _rhythm_synth import stream

from ecgcore.rhythm import analyze_rhythm

VF_CODES = ("VF", "VFL")


@pytest.mark.shared_data
def test_vt_inside_flutter_is_decided_per_segment_and_streams_like_batch(data_dir: Path) -> None:
    from ecgcore.datasets import get_database

    # vfdb 428 from 1900 s: ventricular runs inside a flutter-like waveform
    rec = get_database("vfdb", data_dir).load_record("428").recording.slice_s(1900, 1980)
    x = rec.lead_mv(0)
    fs = rec.fs
    whole = analyze_rhythm(x, fs)
    eps = whole.episodes
    assert {"VT", "VFL"} <= {e.rhythm for e in eps}
    # where VT meets VF/VFL the boundary is a segment (1 s) boundary: no segment is split
    meets = [
        b.start_idx
        for a, b in itertools.pairwise(eps)
        if {a.rhythm, b.rhythm} & {"VT"} and {a.rhythm, b.rhythm} & set(VF_CODES)
    ]
    assert meets
    assert all(m % round(fs) == 0 for m in meets)
    # VF/VFL after VT (which clears the VF alarm of a live display) raises the VF alarm again
    back = [
        b.start_idx
        for a, b in itertools.pairwise(eps)
        if a.rhythm == "VT" and b.rhythm in VF_CODES
    ]
    assert back
    vf_onsets = {round(a.onset_s * fs) for a in whole.alarms if a.kind == "VF"}
    assert set(back) <= vf_onsets
    for sizes in ([250], [97, 1, 611, 33]):
        streamed = stream(x, fs, sizes)
        assert streamed.episodes == eps
        assert sorted((a.kind, a.onset_s) for a in streamed.alarms) == sorted(
            (a.kind, a.onset_s) for a in whole.alarms
        )


def test_fibrillation_that_organises_is_not_called_vt() -> None:
    from ecgcore.drivers.sim import simulate_ecg

    # the simulator's VF: disorganised at first, then regular enough to be flutter-like,
    # while the detector finds irregular beats that the classifier calls V
    fs = 500.0
    rec = simulate_ecg(50.0, fs, leads=12, schedule="sinus:12,vf:12,sinus", seed=4).recording
    r = analyze_rhythm(rec.lead_mv("II"), fs)
    # 12-22 s: the VF-like segments (the last second of the VF is labelled by its beats)
    codes = {e.rhythm for e in r.episodes if e.start_s(fs) < 22.0 and e.end_s(fs) > 12.0}
    assert codes == {"VF", "VFL"}
