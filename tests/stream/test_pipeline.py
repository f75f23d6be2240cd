"""The live pipeline: chunked == whole, R-peaks as the batch detector, HR, lead-off, gaps."""

from __future__ import annotations

import numpy as np
import pytest

from ecgcore.detect import detect_r_peaks
from ecgcore.drivers import ChannelInfo, DeviceInfo, SampleBlock
from ecgcore.drivers.sim import simulate_ecg
from ecgcore.errors import DeviceError, SignalError
from ecgcore.filters import StreamingFilter
from ecgcore.heart_rate import heart_rate_average
from ecgcore.stream import (
    EndEvent,
    HeartRateEvent,
    LeadStatusEvent,
    LivePipeline,
    PipelineConfig,
    QualityEvent,
    RPeakEvent,
)

FS = 500.0


def _info(names, unit="mV", gain=2000.0):
    return DeviceInfo(
        "test device", "T-1", "1.0", tuple(ChannelInfo(n, unit, gain) for n in names), FS
    )


def _blocks(x, lead_off, sizes, t0=1000.0):
    pos, out = 0, []
    for size in sizes:
        k = min(int(size), x.shape[0] - pos)
        if k <= 0:
            break
        host = t0 + np.arange(pos, pos + k) / FS
        lo = None if lead_off is None else lead_off[pos : pos + k]
        out.append(SampleBlock(pos, x[pos : pos + k], host, ("mV",) * x.shape[1], lo))
        pos += k
    return out


def _run(pipe, blocks):
    display, events = [], []
    for b in blocks:
        u = pipe.process(b, now=0.0)
        display.append(u.display)
        events += u.events
    events += pipe.finish(now=0.0)
    return np.vstack(display), events


def _plain(events):
    """Events without wall-clock fields, for comparison."""
    out = []
    for e in events:
        if isinstance(e, RPeakEvent):
            out.append(("peak", e.sample, e.rr_s, e.lead))
        elif isinstance(e, QualityEvent):
            out.append(("quality", e.sample, repr(e.report.as_dict())))
        else:
            out.append(e)
    return out


@pytest.fixture(scope="module")
def sim():
    return simulate_ecg(30, FS, rhythm="pvc", emg=0.02, lead_off="V2:8-12", seed=21)


def test_chunked_equals_whole(sim):
    x = sim.recording.physical()
    info = _info(sim.recording.lead_names)
    whole_display, whole_events = _run(LivePipeline(info), _blocks(x, sim.truth.lead_off, [10**9]))
    rng = np.random.default_rng(3)
    sizes = rng.integers(1, 300, size=2000)
    chunk_display, chunk_events = _run(LivePipeline(info), _blocks(x, sim.truth.lead_off, sizes))
    assert np.array_equal(whole_display, chunk_display)
    assert _plain(sorted(whole_events, key=repr)) == _plain(sorted(chunk_events, key=repr))
    assert sum(isinstance(e, QualityEvent) for e in whole_events) == 15
    assert isinstance(whole_events[-1], EndEvent) and whole_events[-1].sample == x.shape[0]


def test_display_is_the_streaming_filter_and_peaks_are_the_batch_detector(sim):
    x = sim.recording.physical()
    info = _info(sim.recording.lead_names)
    display, events = _run(LivePipeline(info), _blocks(x, sim.truth.lead_off, [137] * 200))
    ref = StreamingFilter("monitoring", FS, 12).process(x)
    assert np.array_equal(display, ref)
    peaks = [e.sample for e in events if isinstance(e, RPeakEvent)]
    assert np.array_equal(peaks, detect_r_peaks(x[:, 1], FS))  # lead II
    # ... and they are the simulator's beats.
    truth = sim.truth.r_peak_idx
    assert len(peaks) == len(truth)
    assert np.abs(np.asarray(peaks) - truth).max() <= 0.03 * FS
    hr = [e for e in events if isinstance(e, HeartRateEvent)]
    assert hr[-1].hr_bpm == pytest.approx(heart_rate_average(np.array(peaks), FS)[-1])
    assert all(e.lead == "II" for e in events if isinstance(e, RPeakEvent))


def test_lead_status_events_follow_the_device_flags(sim):
    x = sim.recording.physical()
    info = _info(sim.recording.lead_names)
    _, events = _run(LivePipeline(info), _blocks(x, sim.truth.lead_off, [333] * 100))
    status = [e for e in events if isinstance(e, LeadStatusEvent)]
    assert status == [LeadStatusEvent(4000, "V2", True), LeadStatusEvent(6000, "V2", False)]
    q = next(e.report for e in events if isinstance(e, QualityEvent) and e.sample == 5000)
    assert q.lead("V2").level == "off" and q.lead("II").level in ("good", "fair")


def test_detection_lead_off_gives_no_false_beats_and_combined_detection_works():
    sim = simulate_ecg(20, FS, lead_off="LL:6-12", seed=5)
    x = sim.recording.physical()
    info = _info(sim.recording.lead_names)
    _, events = _run(LivePipeline(info), _blocks(x, sim.truth.lead_off, [250] * 100))
    peaks = np.array([e.sample for e in events if isinstance(e, RPeakEvent)])
    # II uses LL: no beats while it is off (saturated rail is not signal).
    assert not np.any((peaks > 6 * FS) & (peaks < 12 * FS))
    # Detecting on I+V5 (both without LL) finds the beats in that stretch too.
    cfg = PipelineConfig(detection_leads=("I", "V5"))
    pipe = LivePipeline(info, cfg)
    assert pipe.detection_lead == "combined"
    _, events = _run(pipe, _blocks(x, sim.truth.lead_off, [250] * 100))
    got = np.array([e.sample for e in events if isinstance(e, RPeakEvent)])
    truth = sim.truth.r_peak_idx
    matched = sum(np.abs(got - t).min() <= 0.08 * FS for t in truth if t > 1.5 * FS)
    assert matched >= sum(truth > 1.5 * FS) - 1
    assert len(got) <= len(truth) + 1


def test_heart_rate_becomes_unknown_in_asystole():
    # Noise-free: the detector itself may fire on noise in asystole; this tests the timeout.
    sim = simulate_ecg(25, FS, schedule="sinus:10,asystole", noise=0.0, wander=0.0, seed=6)
    info = _info(sim.recording.lead_names)
    _, events = _run(LivePipeline(info), _blocks(sim.recording.physical(), None, [500] * 60))
    hr = [e for e in events if isinstance(e, HeartRateEvent)]
    assert hr[-1].hr_bpm is None
    last_peak = max(e.sample for e in events if isinstance(e, RPeakEvent))
    assert hr[-1].sample == last_peak + 5 * FS


def test_gap_between_blocks_goes_through_as_missing_samples():
    sim = simulate_ecg(10, FS, seed=7)
    x = sim.recording.physical()
    info = _info(sim.recording.lead_names)
    blocks = _blocks(x, None, [500] * 20)
    del blocks[5]  # samples 2500..2999 never arrive
    pipe = LivePipeline(info)
    updates = [pipe.process(b, now=0.0) for b in blocks]
    assert updates[5].first_sample == 2500 and updates[5].n_samples == 1000
    assert np.isnan(updates[5].display[:500]).all()
    assert np.isfinite(updates[5].display[500:]).all()
    assert pipe.state().sample == 5000
    with pytest.raises(SignalError, match="repeat"):
        pipe.process(blocks[0])


def test_units_are_converted_to_mv_and_non_voltage_units_refused():
    sim = simulate_ecg(10, FS, leads=1, seed=8)
    uv = sim.recording.physical("uV")
    info_uv = _info(("II",), unit="uV", gain=2.0)
    blocks = [
        SampleBlock(b.first_sample, b.data, b.host_time_s, ("uV",), None)
        for b in _blocks(uv, None, [400] * 20)
    ]
    _, events_uv = _run(LivePipeline(info_uv), blocks)
    _, events_mv = _run(LivePipeline(_info(("II",))), _blocks(uv / 1000.0, None, [400] * 20))
    assert _plain(events_uv) == _plain(events_mv)
    with pytest.raises(DeviceError, match="not a voltage"):
        LivePipeline(_info(("resp",), unit="Ohm"))
    with pytest.raises(SignalError, match="V7"):
        LivePipeline(_info(("II",)), PipelineConfig(detection_leads="V7"))


def test_latency_is_measured_from_the_peak_sample_host_time():
    sim = simulate_ecg(14, FS, leads=1, seed=9)
    pipe = LivePipeline(_info(("II",)))
    events = []
    for b in _blocks(sim.recording.physical(), None, [100] * int(14 * FS // 100), t0=5000.0):
        arrival = float(b.host_time_s[-1])
        events += pipe.process(b, now=arrival + 0.01).events
    peaks = [e for e in events if isinstance(e, RPeakEvent)]
    assert len(peaks) >= 6
    for e in peaks:
        assert e.host_time_s == pytest.approx(5000.0 + e.sample / FS)
        assert e.latency_s > 0.0
    # Past the detector's 8 s learning period peaks are confirmed within a second.
    late = [e for e in peaks if e.sample > 9 * FS]
    assert late
    assert all(e.latency_s < 1.0 for e in late)
