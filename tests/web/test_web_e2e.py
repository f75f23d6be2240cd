"""End to end: the station served by uvicorn on 127.0.0.1, driven in headless Chromium.

Screenshots of the live monitor and the grading page are checked pixel by
pixel (grid and trace colours inside the canvas, the alarm banner when the
simulated patient goes into VF) and kept in the test's temporary folder.
"""

from __future__ import annotations

import numpy as np
import pytest
from _browser import (
    browser,
    color_count,
    element_pixels,
    free_port,
    require_chromium,
    screenshot,
    serve,
    wait_for,
)
from _web_util import PASSWORD
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from ecgcore.web import create_app

pytestmark = pytest.mark.slow

GRID_MAJOR = "#e07a70"
GRID_MINOR = "#f5c9c4"
TRACE = "#0a1f5c"
ALARM = "#d50000"
ALARM_DARK = "#7f0000"


def assert_major_spacing_mm(column: np.ndarray, mm: float) -> None:
    """The 5 mm lines along a pixel column are ``mm`` apart at 96 CSS px per inch."""
    rgb = np.array([int(GRID_MAJOR[i : i + 2], 16) for i in (1, 3, 5)])
    hits = np.nonzero(np.all(np.abs(column - rgb) <= 12, axis=-1))[0]
    steps = np.diff(hits)
    steps = steps[steps > 2]
    assert steps.size > 10
    # a trace crossing the column can hide a grid line: that step spans two
    # intervals, so count intervals (multiples of the median step), not steps
    intervals = np.rint(steps / np.median(steps))
    assert np.all(intervals >= 1) and np.all(np.abs(steps - intervals * np.median(steps)) <= 2)
    assert abs(steps.sum() / intervals.sum() - mm * 96 / 25.4) < 0.2, steps


@pytest.fixture(scope="module")
def chromium():
    require_chromium()
    with browser() as driver:
        yield driver


@pytest.fixture
def station(make_settings):
    app = create_app(make_settings())
    with serve(app, free_port()) as url:
        yield app, url


def test_live_monitor_draws_grid_traces_and_alarm_banner(chromium, station, tmp_path):
    from _web_util import ScriptedAlarmStage

    app, url = station
    sessions = app.state.station.sessions
    # The alarm comes from a scripted stage (on at 6 s, off at 11 s) so this test is about
    # the station's display; the simulator's VF through the rhythm stage is tested below.
    stage = ScriptedAlarmStage("VF", on_sample=3000, off_sample=5500)
    session = sessions.connect("sim://ecg?leads=12&fs=500", opened_by="test", stages=[stage])
    chromium.get(f"{url}/monitor?session={session.id}")
    wait_for(chromium, "window.ecgMonitorState && window.ecgMonitorState.frames > 25", 20,
             "25 live frames")  # fmt: skip
    state = chromium.execute_script(
        "const s = window.ecgMonitorState; return {leads: s.leads, fs: s.fs, gaps: s.gaps,"
        " stop: s.stop, banner: !document.getElementById('alarm-banner').hidden};"
    )
    if state["stop"] < 3000:  # before the alarm: no banner
        assert state["banner"] is False
    assert state["leads"][:3] == ["I", "II", "III"] and len(state["leads"]) == 12
    assert state["fs"] == 500 and state["gaps"] == 0
    canvas = chromium.find_element(By.ID, "trace-canvas")
    img = screenshot(chromium, tmp_path / "monitor.png")
    px = element_pixels(chromium, img, canvas)
    assert px.shape[0] > 500 and px.shape[1] > 600
    assert color_count(px, GRID_MAJOR) > 5_000, "5 mm grid lines missing"
    assert color_count(px, GRID_MINOR) > 20_000, "1 mm grid lines missing"
    # The newest seconds are at the right; 12 traces there (calibration pulses are left).
    assert color_count(px[:, int(0.75 * px.shape[1]) :], TRACE, tol=30) > 1_000, "no trace"
    # 25 mm/s and 10 mm/mV at 96 dpi: the 5 mm lines are 18.9 CSS px apart.
    assert_major_spacing_mm(px[:, px.shape[1] // 2], 5.0)

    wait_for(chromium, "!document.getElementById('alarm-banner').hidden", 15, "alarm banner")
    banner = chromium.find_element(By.ID, "alarm-banner")
    assert "VF" in banner.text.upper()
    img = screenshot(chromium, tmp_path / "monitor-alarm.png")
    bpx = element_pixels(chromium, img, banner)
    red = color_count(bpx, ALARM, tol=20) + color_count(bpx, ALARM_DARK, tol=20)
    assert red > 0.5 * bpx.shape[0] * bpx.shape[1], "alarm banner is not red"
    assert chromium.title.startswith("⚠ ALARM")
    assert chromium.find_element(By.ID, "rhythm-value").text == "ventricular fibrillation"
    # Every page shows it, not only the monitor, until the alarm ends.
    chromium.get(f"{url}/logbook")
    wait_for(chromium, "!document.getElementById('alarm-banner').hidden", 10, "banner on log book")
    wait_for(chromium, "document.getElementById('alarm-banner').hidden", 15, "alarm cleared")
    sessions.disconnect(session.id)


def test_simulated_vf_raises_the_alarm_through_the_rhythm_stage(chromium, station, tmp_path):
    app, url = station
    session = app.state.station.sessions.connect(
        "sim://ecg?leads=12&fs=500&schedule=sinus:6,vf", opened_by="test"
    )
    chromium.get(f"{url}/monitor?session={session.id}")
    wait_for(chromium, "!document.getElementById('alarm-banner').hidden", 25, "VF alarm")
    banner = chromium.find_element(By.ID, "alarm-banner")
    assert "VF:" in banner.text  # the alarm's kind, then the analyzer's message
    assert chromium.find_element(By.ID, "rhythm-value").text == "ventricular fibrillation"
    img = screenshot(chromium, tmp_path / "monitor-vf.png")
    bpx = element_pixels(chromium, img, banner)
    red = color_count(bpx, ALARM, tol=20) + color_count(bpx, ALARM_DARK, tol=20)
    assert red > 0.5 * bpx.shape[0] * bpx.shape[1], "alarm banner is not red"
    app.state.station.sessions.disconnect(session.id)


def test_devices_page_connects_records_and_the_log_book_shows_it(chromium, station, tmp_path):
    app, url = station
    chromium.get(f"{url}/devices")
    field = chromium.find_element(By.ID, "device-url")
    field.clear()
    field.send_keys("sim://ecg?leads=12&fs=500&seed=5", Keys.ESCAPE)  # close the suggestions
    chromium.find_element(By.ID, "connect-btn").click()
    wait_for(chromium, "document.querySelector('#sessions article.session')", 10, "session card")
    card = chromium.find_element(By.CSS_SELECTOR, "#sessions article.session")
    assert "ecgcore simulated patient" in card.find_element(By.CSS_SELECTOR, ".model").text
    info = card.find_element(By.CSS_SELECTOR, "dl.info").text
    assert "SIM-5" in info and "500 Hz" in info
    assert len(card.find_elements(By.CSS_SELECTOR, ".channels tbody tr")) == 12
    form = card.find_element(By.CSS_SELECTOR, ".record-form")
    form.find_element(By.NAME, "technician").send_keys("T01")
    form.find_element(By.NAME, "patient").send_keys("P-42")
    form.find_element(By.NAME, "duration_s").send_keys("2")
    form.find_element(By.CSS_SELECTOR, ".start-rec").click()
    wait_for(
        chromium,
        "(document.querySelector('#sessions .rec-status') || {}).textContent"
        " && document.querySelector('#sessions .rec-status').textContent.includes('log entry')",
        20,
        "recording logged",
    )
    status = chromium.find_element(By.CSS_SELECTOR, "#sessions .rec-status").text
    assert "2.0 s" in status and "log entry #1" in status
    screenshot(chromium, tmp_path / "devices.png")
    for s in app.state.station.sessions.active():
        app.state.station.sessions.disconnect(s.id)

    chromium.get(f"{url}/logbook")
    wait_for(chromium, "document.querySelectorAll('#entries tbody tr').length === 1", 10, "row")
    chromium.find_element(By.CSS_SELECTOR, "#entries tbody tr").click()
    wait_for(chromium, "document.getElementById('tracing-note').textContent.includes('R-peaks')",
             20, "tracing")  # fmt: skip
    assert "chain intact" in chromium.find_element(By.ID, "detail-chain").text
    assert "T01" in chromium.find_element(By.ID, "detail-fields").text
    img = screenshot(chromium, tmp_path / "logbook.png")
    canvas = chromium.find_element(By.ID, "tracing-canvas")
    chromium.execute_script("arguments[0].scrollIntoView();", canvas)
    img = screenshot(chromium, tmp_path / "logbook-tracing.png")
    px = element_pixels(chromium, img, canvas)
    assert color_count(px, GRID_MAJOR) > 2_000 and color_count(px, TRACE, tol=40) > 1_000
    # Amend as the local user (admin): the change and its author appear.
    form = chromium.find_element(By.ID, "amend-form")
    form.find_element(By.NAME, "value").send_keys("sinus rhythm, checked")
    form.find_element(By.NAME, "reason").send_keys("reviewed")
    chromium.find_element(By.ID, "amend-btn").click()
    wait_for(chromium, "document.querySelectorAll('#detail-amendments li').length === 1", 10)
    assert "by local" in chromium.find_element(By.ID, "detail-amendments").text


def test_exposed_station_sign_in_page(chromium, make_settings):
    app = create_app(make_settings(require_login=True))
    with serve(app, free_port()) as url:
        chromium.delete_all_cookies()
        chromium.get(f"{url}/gradebook")
        assert "/login?next=" in chromium.current_url
        chromium.find_element(By.ID, "username").send_keys("grader1")
        chromium.find_element(By.ID, "password").send_keys("wrong password")
        chromium.find_element(By.ID, "login-submit").click()
        assert chromium.find_element(By.ID, "login-error").is_displayed()
        chromium.find_element(By.ID, "username").send_keys("grader1")
        chromium.find_element(By.ID, "password").send_keys(PASSWORD)
        chromium.find_element(By.ID, "login-submit").click()
        wait_for(chromium, "location.pathname === '/'", 10, "signed in")
        assert "grader1" in chromium.find_element(By.CSS_SELECTOR, ".who").text
        cookies = {c["name"]: c for c in chromium.get_cookies()}
        assert cookies["ecg_session"]["httpOnly"] is True
        assert cookies["ecg_session"]["sameSite"] == "Strict"
        assert chromium.execute_script("return document.cookie") == ""


def test_monitor_warns_per_lead_for_lead_off_and_noise(chromium, station, tmp_path):
    app, url = station
    session = app.state.station.sessions.connect(
        "sim://ecg?leads=12&fs=500&lead_off=V3&mains=0.4", opened_by="test"
    )
    chromium.get(f"{url}/monitor?session={session.id}")
    wait_for(
        chromium,
        "(document.getElementById('lead-8') || {}).className === 'lead-off'",
        15,
        "V3 off",
    )
    wait_for(
        chromium,
        "(document.getElementById('lead-1') || {}).className === 'lead-poor'",
        15,
        "II noisy",
    )
    assert chromium.find_element(By.ID, "lead-8").text.split() == ["V3", "LEAD", "OFF"]
    assert "mains interference" in chromium.find_element(By.ID, "lead-1").text
    img = screenshot(chromium, tmp_path / "monitor-lead-off.png")
    px = element_pixels(chromium, img, chromium.find_element(By.ID, "trace-canvas"))
    assert color_count(px, "#c62828", tol=30) > 50, "no red LEAD OFF label on the trace"
    # 200 % zoom magnifies the paper: 5 mm boxes become 10 mm on the screen.
    Select(chromium.find_element(By.ID, "zoom")).select_by_value("2")
    img = screenshot(chromium, tmp_path / "monitor-200.png")
    px = element_pixels(chromium, img, chromium.find_element(By.ID, "trace-canvas"))
    assert_major_spacing_mm(px[:, px.shape[1] // 2], 10.0)
    app.state.station.sessions.disconnect(session.id)


# rgba(255, 179, 0, 0.28) over the paper: once for the lead a finding names, twice
# within the time spans it gives.
FINDING_TINTS = ("#ffe6b2", "#ffd880")


def test_grading_page_uploads_grades_and_marks_findings(chromium, station, tmp_path):
    from _web_util import write_wfdb

    _, url = station
    hea = write_wfdb(tmp_path / "src", "exam07", seconds=12.0, lead_off="V3")
    chromium.get(f"{url}/grading")
    files = chromium.find_element(By.ID, "upload-files")
    files.send_keys(f"{hea}\n{hea.with_suffix('.dat')}")
    chromium.find_element(By.ID, "upload-btn").click()
    wait_for(chromium, "document.getElementById('record-select').value === 'uploads/exam07'", 15,
             "uploaded record selected")  # fmt: skip
    chromium.find_element(By.ID, "grade-technician").send_keys("T07")
    chromium.find_element(By.ID, "interpretation").send_keys("sinus rhythm 72 bpm")
    chromium.find_element(By.ID, "grade-btn").click()
    result = wait_for(chromium, "window.ecgGradeResult", 60, "grading result")
    assert chromium.find_element(By.ID, "score-value").text == f"{result['score']:.1f}"
    rows = chromium.find_elements(By.CSS_SELECTOR, "#findings-table tbody tr")
    assert len(rows) == len(result["findings"]) > 0
    assert any("V3" in r.text for r in rows)
    assert len(chromium.find_elements(By.CSS_SELECTOR, "#items-table tbody tr")) == len(
        result["items"]
    )
    canvas = chromium.find_element(By.ID, "grade-canvas")
    chromium.execute_script("arguments[0].scrollIntoView();", canvas)
    img = screenshot(chromium, tmp_path / "grading.png")
    px = element_pixels(chromium, img, canvas)
    assert color_count(px, GRID_MAJOR, tol=16) > 2_000, "grid missing"
    assert color_count(px, TRACE, tol=40) > 2_000, "trace missing"
    tinted = sum(color_count(px, tint, tol=10) for tint in FINDING_TINTS)
    assert tinted > 5_000, "no finding marked on the tracing"
    chromium.execute_script("window.scrollTo(0, 0);")
    screenshot(chromium, tmp_path / "grading-top.png")
    chromium.get(f"{url}/gradebook")
    wait_for(chromium, "document.querySelectorAll('#attempts-table tbody tr').length === 1", 10)
    row = chromium.find_element(By.CSS_SELECTOR, "#attempts-table tbody tr").text
    assert "T07" in row and "exam07" in row
    assert "T07" in chromium.find_element(By.ID, "class-table").text
