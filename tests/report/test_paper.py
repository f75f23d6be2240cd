"""ECG paper: the PDF is measured (page size, grid, calibration pulse, trace scale), and the
HTML report carries the same content."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from ecgcore.drivers._patient import simulate_ecg
from ecgcore.grading import STANDARD_LEADS, grade_recording
from ecgcore.recording import Recording
from ecgcore.report import PaperSpec, write_grade_report

pypdf = pytest.importorskip("pypdf")

PT_PER_MM = 72.0 / 25.4
_TOKEN = re.compile(rb"\((?:\\.|[^\\)])*\)|/[^\s/\[\]()<>]+|[-+]?\d*\.?\d+|[A-Za-z*'\"]+|\S")


def _stroked_paths(content: bytes) -> list[tuple[tuple[float, ...], list[tuple[float, float]]]]:
    """(stroke colour, vertices) of every stroked path drawn outside text objects.

    A minimal reader of the PDF content operators matplotlib writes (colour
    ``RG``/``G``, path ``m``/``l``/``S``, state ``q``/``Q``; no ``cm`` is used for
    lines). Written here because no maintained library exposes vector paths.
    """
    stack: list[bytes] = []
    color: tuple[float, ...] = (0.0,)
    saved: list[tuple[float, ...]] = []
    path: list[tuple[float, float]] = []
    out = []
    in_text = False
    for tok in _TOKEN.findall(content):
        if tok == b"BT":
            in_text = True
        elif tok == b"ET":
            in_text = False
        if in_text:
            continue
        if re.fullmatch(rb"[-+]?\d*\.?\d+", tok):
            stack.append(tok)
            continue
        op = tok.decode("latin1")
        nums = [float(t) for t in stack]
        if op == "RG":
            color = tuple(round(v, 3) for v in nums[-3:])
        elif op == "G":
            color = (round(nums[-1], 3),)
        elif op == "q":
            saved.append(color)
        elif op == "Q" and saved:
            color = saved.pop()
        elif op == "m":
            path = [(nums[-2], nums[-1])]
        elif op == "l":
            path.append((nums[-2], nums[-1]))
        elif op == "S":
            out.append((color, path))
            path = []
        elif op in ("n", "f", "B", "b", "s"):
            path = []
        stack = []
    return out


def _rgb(hex_color: str) -> tuple[float, ...]:
    return tuple(round(int(hex_color[i : i + 2], 16) / 255, 3) for i in (1, 3, 5))


@pytest.fixture(scope="module")
def square_report(tmp_path_factory: pytest.TempPathFactory):
    """Every lead a 1 mV square wave at 0.5 Hz (rising edges at 0.25 s + 2k s)."""
    fs = 500.0
    t = np.arange(round(10.0 * fs)) / fs
    wave = np.where(((t - 0.25) % 2.0) < 1.0, 1.0, 0.0)
    rec = Recording.from_physical(np.tile(wave[:, None], (1, 12)), fs, STANDARD_LEADS, name="sq")
    result = grade_recording(rec)
    files = write_grade_report(result, rec, tmp_path_factory.mktemp("sq"))
    return result, files


def test_pdf_page_is_a4_landscape(square_report) -> None:
    _, files = square_report
    reader = pypdf.PdfReader(str(files.pdf))
    assert len(reader.pages) == 2
    box = reader.pages[0].mediabox
    assert float(box.width) / PT_PER_MM == pytest.approx(297.0, abs=0.01)
    assert float(box.height) / PT_PER_MM == pytest.approx(210.0, abs=0.01)


def test_pdf_grid_is_1_mm_and_5_mm(square_report) -> None:
    _, files = square_report
    content = pypdf.PdfReader(str(files.pdf)).pages[0].get_contents().get_data()
    paths = _stroked_paths(content)
    minor = [p for c, p in paths if c == _rgb("#f6c6c6")]
    major = [p for c, p in paths if c == _rgb("#e58a8a")]
    assert minor and major
    vertical = lambda ps: sorted({round(p[0][0], 3) for p in ps if p[0][0] == p[-1][0]})  # noqa: E731
    xs_major = np.array(vertical(major))
    xs_all = np.array(sorted(set(vertical(minor)) | set(xs_major)))
    assert np.allclose(np.diff(xs_major) / PT_PER_MM, 5.0, atol=0.01)
    assert np.allclose(np.diff(xs_all) / PT_PER_MM, 1.0, atol=0.01)
    spec = PaperSpec()
    width_mm = (xs_all[-1] - xs_all[0]) / PT_PER_MM
    assert width_mm == pytest.approx(spec.grid_width_mm, abs=0.01)  # 10 mm + 10 s x 25 mm/s
    horizontal = lambda ps: sorted({round(p[0][1], 3) for p in ps if p[0][1] == p[-1][1]})  # noqa: E731
    ys_major = np.array(horizontal(major))
    ys_all = np.array(sorted(set(horizontal(minor)) | set(ys_major)))
    assert np.allclose(np.diff(ys_major) / PT_PER_MM, 5.0, atol=0.01)
    assert np.allclose(np.diff(ys_all) / PT_PER_MM, 1.0, atol=0.01)
    assert (ys_all[-1] - ys_all[0]) / PT_PER_MM == pytest.approx(spec.grid_height_mm, abs=0.01)


def _pulses_and_rhythm(pdf: Path) -> tuple[list[tuple[float, float]], np.ndarray]:
    """(height mm, width mm) of each calibration pulse, and the longest black trace (pt)."""
    content = pypdf.PdfReader(str(pdf)).pages[0].get_contents().get_data()
    black = [np.array(p) for c, p in _stroked_paths(content) if c == (0.0,) and len(p) >= 6]
    sizes = []
    for p in (p for p in black if len(p) == 6):
        height_mm = (p[:, 1].max() - p[:, 1].min()) / PT_PER_MM
        top = p[p[:, 1] == p[:, 1].max()]
        sizes.append((height_mm, (top[:, 0].max() - top[:, 0].min()) / PT_PER_MM))
    rhythm = max((p for p in black if len(p) > 6), key=lambda p: np.ptp(p[:, 0]))
    return sizes, rhythm


def test_pdf_calibration_pulse_and_trace_scale(square_report) -> None:
    _, files = square_report
    pulses, rhythm = _pulses_and_rhythm(files.pdf)
    assert len(pulses) == 4  # one per row
    for height_mm, width_mm in pulses:
        assert height_mm == pytest.approx(10.0, abs=0.01)  # 1 mV at 10 mm/mV
        assert width_mm == pytest.approx(5.0, abs=0.01)  # 0.2 s at 25 mm/s
    assert np.ptp(rhythm[:, 0]) / PT_PER_MM == pytest.approx(250.0, abs=0.1)  # 10 s
    y = rhythm[:, 1]
    assert np.ptp(y) / PT_PER_MM == pytest.approx(10.0, abs=0.01)  # the 1 mV square wave
    high = y > y.min() + np.ptp(y) / 2
    rises = rhythm[1:, 0][high[1:] & ~high[:-1]]
    assert np.allclose(np.diff(rises) / PT_PER_MM, 50.0, atol=0.1)  # 2 s apart at 25 mm/s


def test_pdf_measurement_sees_another_gain(square_report, tmp_path: Path) -> None:
    """The same page at 5 mm/mV measures 5 mm per mV: the measurement is not a constant."""
    result, _ = square_report
    fs = 500.0
    t = np.arange(round(10.0 * fs)) / fs
    wave = np.where(((t - 0.25) % 2.0) < 1.0, 1.0, 0.0)
    rec = Recording.from_physical(np.tile(wave[:, None], (1, 12)), fs, STANDARD_LEADS, name="sq")
    files = write_grade_report(result, rec, tmp_path, spec=PaperSpec(gain_mm_mv=5.0))
    pulses, rhythm = _pulses_and_rhythm(files.pdf)
    assert [round(h, 2) for h, _ in pulses] == [5.0] * 4
    assert np.ptp(rhythm[:, 1]) / PT_PER_MM == pytest.approx(5.0, abs=0.01)


def test_report_marks_findings_and_html(tmp_path: Path) -> None:
    rec = simulate_ecg(10.0, 500.0, calibration=True, seed=2, lead_off="V2").recording
    result = grade_recording(rec, interpretation="sinus rhythm 72 bpm", technician="T-7")
    files = write_grade_report(result, rec, tmp_path)
    assert files.pdf.stat().st_size > 10_000
    html = files.html.read_text(encoding="utf-8")
    assert files.svg.name in html and "width:297mm" in html
    assert "LEAD_OFF" in html and "T-7" in html and f"Score {result.score:g}/100" in html
    svg = files.svg.read_text(encoding="utf-8")
    assert "LEAD_OFF" in svg  # the code is printed next to the V2 label on the paper
    page2 = pypdf.PdfReader(str(files.pdf)).pages[1].extract_text()
    assert "LEAD_OFF" in page2 and "Per-lead signal-quality indices" in page2
