"""The web station: devices, live monitor, log book and grading in the browser.

Start it with ``ecg serve`` (``--host 127.0.0.1 --port 8000`` by default) and
open ``http://127.0.0.1:8000/``. From Python::

    >>> from ecgcore.web import WebSettings, create_app
    >>> app = create_app(WebSettings(data_dir="station"))     # doctest: +SKIP
    >>> import uvicorn; uvicorn.run(app, host="127.0.0.1")     # doctest: +SKIP

Pages (hand-written JS/CSS in ``static/``, Jinja2 templates, no build step):

* ``/devices`` - detected serial/USB devices, URL schemes and simulators;
  connect a device URL, see its :class:`~ecgcore.drivers.DeviceInfo` and
  counters, record with technician and patient (``recordings/NAME`` in the
  station folder, logged like ``ecg record``);
* ``/monitor`` - every lead scrolling on the ECG grid (25 mm/s, 10 mm/mV at
  100 %, calibrated CSS millimetres x ``devicePixelRatio``), R-peak marks, heart
  rate, rhythm, per-lead lead-off and quality warnings, alarms (also shown on
  every other page); fed by the WebSocket ``/ws/live/{session}`` with one binary
  frame per 80 ms batch (:mod:`ecgcore.web.frames`) from the same
  :class:`ecgcore.stream.LivePipeline` as ``ecg monitor``;
* ``/logbook`` - search the ECG log, open an entry (tracing read only while its
  files match their logged hashes, whole-record analysis, amendments, chain
  status), amend, verify, export CSV/JSON/PDF as ``ecg log export``;
* ``/grading`` and ``/gradebook`` - upload or pick a recording, choose a rubric,
  enter the technician's reading; itemised score, findings on the tracing, PDF
  report, the grading logged; every graded attempt per technician.

Security model:

* bound to loopback (the default) the person at the workstation is the only
  user (the implicit ``local`` admin); ``--login`` or any non-loopback address
  requires signing in with an account (``ecg serve --add-user NAME --role
  technician|grader|admin``; argon2id hashes in a 0600 file);
* roles are enforced on the server (:data:`~ecgcore.web.users.PERMISSIONS`):
  technicians record and amend recordings but never change grades; graders
  upload and grade, change grades, and cannot amend recordings;
* signed session cookies are ``HttpOnly`` and ``SameSite=Strict``; every
  state-changing request carries the session's CSRF token; WebSockets must come
  from the station's own origin; the ``Host`` header is checked on loopback
  (DNS rebinding); pages send a strict Content-Security-Policy;
* uploads are size-limited while they stream in, checked (plain file names,
  WFDB headers naming only uploaded files) and read with
  :func:`ecgcore.io.read_record` before they are kept; record names are one
  safe path component resolved inside the station folder.
"""

from ecgcore.web.app import Station, create_app
from ecgcore.web.settings import WebSettings, is_loopback
from ecgcore.web.users import PERMISSIONS, ROLES, User, UserStore

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "Station",
    "User",
    "UserStore",
    "WebSettings",
    "create_app",
    "is_loopback",
]
