"""Devices API and the live WebSocket: frames from the simulated patient, in order."""

from __future__ import annotations

import itertools

import pytest
from starlette.websockets import WebSocketDisconnect

from ecgcore.web.frames import decode_frame


def _frames(ws, n):
    hello = ws.receive_json()
    assert hello["type"] == "hello"
    frames = []
    while len(frames) < n:
        msg = ws.receive()
        if msg.get("bytes") is not None:
            frames.append(decode_frame(msg["bytes"]))
    return hello, frames


def test_detected_devices_list_schemes_and_simulators(local_client):
    d = local_client.get("/api/devices").json()
    schemes = {s["scheme"] for s in d["schemes"]}
    assert {"sim", "file", "openbci"} <= schemes
    assert "openbci" in {s["name"] for s in d["simulators"]}
    assert any(p.startswith("sim://") for p in d["presets"])


def test_connect_stream_and_disconnect(local_client):
    r = local_client.post("/api/sessions", json={"url": "sim://ecg?leads=12&fs=500&lead_off=LA"})
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["info"]["fs"] == 500.0 and s["info"]["n_channels"] == 12
    assert s["info"]["channels"][1]["name"] == "II" and s["info"]["serial_number"] == "SIM-0"
    with local_client.websocket_connect(f"ws://127.0.0.1/ws/live/{s['id']}") as ws:
        hello, frames = _frames(ws, 8)
    assert hello["lead_names"][:2] == ["I", "II"] and hello["fs"] == 500.0
    for a, b in itertools.pairwise(frames):
        assert b.first_sample == a.first_sample + a.n_samples  # nothing skipped
    assert all(f.data.shape[0] == 12 for f in frames)
    assert 10 <= sum(f.n_samples for f in frames) / len(frames) <= 120  # ~80 ms batches
    last = frames[-1].meta
    # LA off: leads using the left arm electrode (I, III, aVL, aVR, aVF, V1-V6 via
    # the central terminal) are flagged; per lead, by name.
    assert last["lead_off"][0] is True
    assert set(last) >= {"peaks", "hr_bpm", "rhythm", "alarms", "lead_off", "quality", "status"}
    listed = local_client.get("/api/sessions").json()["sessions"]
    assert [x["id"] for x in listed] == [s["id"]]
    r = local_client.post("/api/sessions", json={"url": s["url"]})
    assert r.status_code == 409 and "already connected" in r.json()["detail"]
    assert local_client.delete(f"/api/sessions/{s['id']}").status_code == 200
    assert local_client.get(f"/api/sessions/{s['id']}").status_code == 404


def test_bad_device_urls_are_reported(local_client):
    r = local_client.post("/api/sessions", json={"url": "sim://ecg?bogus=1"})
    assert r.status_code == 409 and "bogus" in r.json()["detail"]
    r = local_client.post("/api/sessions", json={"url": "nosuch://x"})
    assert r.status_code == 409 and "unknown device scheme" in r.json()["detail"]


def test_websocket_refuses_other_origins_and_anonymous_users(local_client, client_as):
    sid = local_client.post("/api/sessions", json={"url": "sim://ecg?leads=1"}).json()["id"]
    with (
        pytest.raises(WebSocketDisconnect) as exc,
        local_client.websocket_connect(
            f"ws://127.0.0.1/ws/live/{sid}", headers={"Origin": "http://evil.example"}
        ) as ws,
    ):
        ws.receive_json()
    assert exc.value.code == 1008
    with (
        pytest.raises(WebSocketDisconnect),
        local_client.websocket_connect("ws://127.0.0.1/ws/live/nosuch") as ws,
    ):
        ws.receive_json()
    local_client.delete(f"/api/sessions/{sid}")


def test_exposed_station_streams_only_to_signed_in_users(exposed_app, client_as):
    from _web_util import client

    tech = client_as("tech1")
    sid = tech.post("/api/sessions", json={"url": "sim://ecg?leads=2"}).json()["id"]
    anon = client(exposed_app, "192.0.2.10")  # no `with`: the app's lifespan stays up
    with (
        pytest.raises(WebSocketDisconnect) as exc,
        anon.websocket_connect(f"ws://192.0.2.10/ws/live/{sid}") as ws,
    ):
        ws.receive_json()
    assert exc.value.code == 1008
    grader = client_as("grader1")
    with grader.websocket_connect(f"ws://192.0.2.10/ws/live/{sid}") as ws:
        assert ws.receive_json()["type"] == "hello"
    assert grader.post("/api/sessions", json={"url": "sim://ecg?leads=3"}).status_code == 403
    assert grader.delete(f"/api/sessions/{sid}").status_code == 403
    assert tech.delete(f"/api/sessions/{sid}").status_code == 200


def _wait_for_recording(c, sid, timeout=15.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = c.get(f"/api/sessions/{sid}").json()
        if s["recording"] is None and s["last_recording"]:
            return s["last_recording"]
        time.sleep(0.1)
    raise AssertionError("the recording did not finish")


def test_timed_recording_is_written_exactly_and_logged(client_as, exposed_app):
    from ecgcore.io import read_record

    tech = client_as("tech1")
    url = "sim://ecg?leads=12&fs=500&seed=3"
    sid = tech.post("/api/sessions", json={"url": url}).json()["id"]
    body = {"technician": "tech1", "patient": "P-17", "subject": "simulator", "duration_s": 1.5}
    r = tech.post(f"/api/sessions/{sid}/recording", json=body)
    assert r.status_code == 201, r.text
    again = tech.post(f"/api/sessions/{sid}/recording", json=body)
    assert again.status_code == 409 and "already running" in again.json()["detail"]
    done = _wait_for_recording(tech, sid)
    assert done["n_samples"] == 750 and done["missing_samples"] == 0
    assert done["log_entry"] is not None, done["log_error"]
    station_dir = exposed_app.state.station.settings.data_dir
    name = done["record"].split("/")[1]
    rec = read_record(station_dir / "recordings" / name / f"{name}.hea")
    assert rec.n_samples == 750 and rec.lead_names[1] == "II"
    entry = tech.get(f"/api/log/{done['log_entry']}").json()
    cur = entry["current"]
    assert cur["technician"] == "tech1" and cur["source"] == "record"
    assert cur["subject"] == "simulator" and cur["patient_ref_kind"] == "pseudonym"
    assert cur["device"]["model"] == "ecgcore simulated patient"
    assert cur["duration_s"] == 1.5 and entry["chain"]["ok"]
    assert all(f["ok"] for f in entry["files"])
    keys = [x["key"] for x in tech.get("/api/grading/records").json()["records"]]
    assert done["record"] in keys
    tech.delete(f"/api/sessions/{sid}")


def test_open_recording_stops_on_request_and_graders_cannot_record(client_as):
    import time

    tech = client_as("tech1")
    sid = tech.post("/api/sessions", json={"url": "sim://ecg?leads=3&fs=250"}).json()["id"]
    grader = client_as("grader1")
    body = {"technician": "tech1", "subject": "simulator"}
    assert grader.post(f"/api/sessions/{sid}/recording", json=body).status_code == 403
    assert tech.post(f"/api/sessions/{sid}/recording", json={"technician": " "}).status_code == 422
    assert tech.post(f"/api/sessions/{sid}/recording", json=body).status_code == 201
    time.sleep(0.6)
    assert grader.delete(f"/api/sessions/{sid}/recording").status_code == 403
    done = tech.delete(f"/api/sessions/{sid}/recording").json()
    assert done["n_samples"] > 50 and done["log_entry"] is not None
    tech.delete(f"/api/sessions/{sid}")


def test_file_playback_stays_inside_the_station_when_exposed(client_as, exposed_app, tmp_path):
    from _web_util import write_wfdb

    outside = write_wfdb(tmp_path / "elsewhere", "private", seconds=2.0)
    tech = client_as("tech1")
    for url in (f"file://{outside}", f"file://{exposed_app.state.station.settings.data_dir}/../"
                "elsewhere/private.hea"):  # fmt: skip
        r = tech.post("/api/sessions", json={"url": url})
        assert r.status_code == 403 and "station folder" in r.json()["detail"]
    inside = write_wfdb(
        exposed_app.state.station.settings.data_dir / "uploads" / "ok", "ok", seconds=2.0
    )
    r = tech.post("/api/sessions", json={"url": f"file://{inside}"})
    assert r.status_code == 201, r.text
    tech.delete(f"/api/sessions/{r.json()['id']}")


def test_a_client_that_falls_behind_is_closed_not_fed_with_holes():
    import asyncio

    from ecgcore.web.live import Subscriber

    async def scenario():
        sub = Subscriber(asyncio.get_running_loop(), max_items=5)
        for i in range(5):
            sub._put(b"frame%d" % i)
        assert not sub.overflowed
        sub._put(b"one too many")
        assert sub.overflowed
        sub._put(b"after")  # nothing more is queued once it overflowed
        items = [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]
        return items

    assert asyncio.run(scenario()) == [None]


def test_alarms_reach_the_frames_and_the_station_wide_list(local_client):
    import time

    from _web_util import ScriptedAlarmStage

    sessions = local_client.app.state.station.sessions
    stage = ScriptedAlarmStage("ASYS", on_sample=100, off_sample=10**9)
    s = sessions.connect("sim://ecg?leads=3&fs=250&speed=4", opened_by="t", stages=[stage])
    deadline = time.monotonic() + 10
    while not local_client.get("/api/alarms").json()["alarms"]:
        assert time.monotonic() < deadline, "no alarm listed"
        time.sleep(0.05)
    (alarm,) = local_client.get("/api/alarms").json()["alarms"]
    assert alarm["kind"] == "ASYS" and alarm["key"] == f"{s.id}:ASYS"
    assert alarm["device"] == "ecgcore simulated patient"
    with local_client.websocket_connect(f"ws://127.0.0.1/ws/live/{s.id}") as ws:
        _, frames = _frames(ws, 2)
    assert [a["kind"] for a in frames[-1].meta["alarms"]] == ["ASYS"]
    assert frames[-1].meta["rhythm"] == "asystole"  # the active alarm's rhythm is shown
    sessions.disconnect(s.id)
    assert local_client.get("/api/alarms").json()["alarms"] == []


def test_no_heart_rate_is_shown_during_a_vf_alarm(local_client):
    from _web_util import ScriptedAlarmStage

    sessions = local_client.app.state.station.sessions
    stage = ScriptedAlarmStage("VF", on_sample=250 * 12, off_sample=10**9)
    s = sessions.connect("sim://ecg?leads=3&fs=250&speed=10", opened_by="t", stages=[stage])
    rates_before, rates_during = [], []
    with local_client.websocket_connect(f"ws://127.0.0.1/ws/live/{s.id}") as ws:
        ws.receive_json()
        while len(rates_during) < 3:
            msg = ws.receive()
            if msg.get("bytes") is None:
                continue
            meta = decode_frame(msg["bytes"]).meta
            (rates_during if meta["alarms"] else rates_before).append(meta["hr_bpm"])
    sessions.disconnect(s.id)
    assert any(hr is not None and 50 < hr < 100 for hr in rates_before)  # the sinus rate first
    assert rates_during == [None, None, None]


def test_lead_changes_and_device_events_are_listed_in_the_frames(local_client):
    sessions = local_client.app.state.station.sessions
    s = sessions.connect("sim://ecg?leads=12&fs=500&lead_off=LA:0.5-1&speed=2", opened_by="t")
    with local_client.websocket_connect(f"ws://127.0.0.1/ws/live/{s.id}") as ws:
        _, frames = _frames(ws, 20)
    texts = [e["message"] for f in frames for e in f.meta["events"] if e["kind"] == "lead"]
    assert any(t.endswith(" off") for t in texts) and any(t.endswith("back on") for t in texts)
    sessions.disconnect(s.id)


def test_the_end_of_a_playback_reaches_the_monitor(local_client, tmp_path):
    import time

    from _web_util import write_wfdb

    hea = write_wfdb(tmp_path / "rec", "short", seconds=1.0)
    sessions = local_client.app.state.station.sessions
    s = sessions.connect(f"file://{hea}?speed=4", opened_by="t")
    with local_client.websocket_connect(f"ws://127.0.0.1/ws/live/{s.id}") as ws:
        assert ws.receive_json()["type"] == "hello"
        n, end = 0, None
        while end is None:
            msg = ws.receive()
            if msg.get("bytes") is not None:
                n += decode_frame(msg["bytes"]).n_samples
            elif msg.get("text"):
                end = msg["text"]
    assert '"type":"end"' in end.replace(" ", "") and n == 500
    deadline = time.monotonic() + 5
    while not local_client.get(f"/api/sessions/{s.id}").json()["ended"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    sessions.disconnect(s.id)
