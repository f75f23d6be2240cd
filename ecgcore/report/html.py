"""HTML page of a grading: the ECG paper (SVG at physical size) and the tables.

Written with the standard library (:mod:`html` escaping); the page is self-
contained apart from the SVG file it shows next to it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

from ecgcore.report.paper import PaperSpec

__all__ = ["render_html"]

_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #111; }
h1 { font-size: 1.3em; margin-bottom: 0.2em; }
.pass { color: #126b12; } .fail { color: #b00000; }
table { border-collapse: collapse; margin: 0.8em 0 1.2em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; }
tr.loss td { color: #b00000; border-top: none; }
.sev-critical { color: #fff; background: #b00000; padding: 0 0.3em; }
.sev-major { color: #b00000; font-weight: bold; }
.sev-minor { color: #8a5a00; }
.paper { overflow-x: auto; border: 1px solid #ddd; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _num(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.3g}" if isinstance(value, float) else _e(value)


def render_html(
    result: Any, svg_name: str, spec: PaperSpec, quality_columns: Sequence[tuple[str, str]]
) -> str:
    """The report page as HTML text.

    Parameters
    ----------
    result : GradeResult
        The grading.
    svg_name : str
        File name of the tracing SVG (shown at ``spec`` width in mm).
    spec : PaperSpec
        Paper geometry (for the physical size of the image).
    quality_columns : sequence of (index, heading)
        Quality indices to tabulate.
    """
    verdict = "passed" if result.passed else "failed"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>ECG grading {_e(result.record)}</title><style>{_CSS}</style></head><body>",
        f"<h1>ECG practical grading: record {_e(result.record)}</h1>",
        f"<p>Technician <b>{_e(result.technician or '-')}</b>; rubric "
        f"{_e(result.rubric.name)} v{result.rubric.version} (pass mark "
        f"{result.rubric.pass_mark:g}).</p>",
        f'<p class="{"pass" if result.passed else "fail"}"><b>Score {result.score:g}/100: '
        f"{verdict}</b>; the tracing is "
        f"{'diagnostically usable' if result.acceptable else '<b>not</b> diagnostically usable'}"
        ".</p>",
    ]
    if result.fail_reasons:
        parts.append("<ul>" + "".join(f"<li>{_e(r)}</li>" for r in result.fail_reasons) + "</ul>")
    reading = "-" if result.interpretation is None else result.interpretation.describe()
    parts.append(
        f"<p>{result.fs:g} Hz, {result.duration_s:.1f} s, leads {_e(', '.join(result.leads))}. "
        f"Engine: {_e(result.engine.describe())}. Technician's reading: {_e(reading)}.</p>"
    )
    parts.append(
        f'<div class="paper"><img src="{_e(svg_name)}" alt="12-lead ECG on paper" '
        f'style="width:{spec.width_mm:g}mm;height:{spec.height_mm:g}mm"></div>'
        f"<p><small>Printed at {spec.speed_mm_s:g} mm/s and {spec.gain_mm_mv:g} mm/mV "
        "(1 mm / 5 mm grid); findings are marked in red on their leads.</small></p>"
    )
    parts.append("<h2>Score by item</h2><table><tr><th>item</th><th class=num>points</th>"
                 "<th class=num>lost</th><th class=num>kept</th></tr>")  # fmt: skip
    for item in result.items:
        parts.append(
            f"<tr><td>{_e(item.title)}</td><td class=num>{item.points:g}</td>"
            f"<td class=num>{item.lost:g}</td><td class=num>{item.kept:g}</td></tr>"
        )
        for loss in item.losses:
            leads = f" ({_e(', '.join(loss.leads))})" if loss.leads else ""
            parts.append(
                f'<tr class="loss"><td>&minus;{loss.points:g} {_e(loss.code)}{leads}</td>'
                f"<td colspan=3>{_e(loss.message)}</td></tr>"
            )
    parts.append(
        f"<tr><th>total</th><th class=num>100</th><th class=num>"
        f"{100 - result.score:g}</th><th class=num>{result.score:g}</th></tr></table>"
    )
    parts.append("<h2>Findings</h2>")
    if result.findings:
        parts.append(
            "<table><tr><th>severity</th><th>code</th><th>leads</th><th>message</th></tr>"
        )
        for f in result.findings:
            parts.append(
                f'<tr><td><span class="sev-{_e(f.severity)}">{_e(f.severity)}</span></td>'
                f"<td>{_e(f.code)}</td><td>{_e(', '.join(f.leads))}</td>"
                f"<td>{_e(f.message)}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p>No findings.</p>")
    if result.quality is not None and result.quality.indices:
        parts.append("<h2>Per-lead signal-quality indices</h2><table><tr><th>lead</th>")
        parts.extend(f"<th class=num>{_e(h)}</th>" for _, h in quality_columns)
        parts.append("</tr>")
        for lead, values in result.quality.indices.items():
            cells = "".join(
                f"<td class=num>{_num(values.get(k))}</td>" for k, _ in quality_columns
            )
            parts.append(f"<tr><td>{_e(lead)}</td>{cells}</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
