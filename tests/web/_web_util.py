"""Helpers shared by the web tests (imported by name; tests/web is on sys.path)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

PASSWORD = "correct horse battery"
#: Account name -> role of the accounts every test station has.
ACCOUNTS = {"tech1": "technician", "grader1": "grader", "admin1": "admin"}


def client(app, host: str = "127.0.0.1"):
    from fastapi.testclient import TestClient

    return TestClient(app, base_url=f"http://{host}")


def csrf_of(client) -> str:
    """The session's CSRF token (as the pages get it)."""
    return client.get("/api/me").json()["csrf_token"]


def login(client, name: str, password: str = PASSWORD) -> None:
    token = csrf_of(client)
    r = client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/", r.text


def write_wfdb(
    directory: Path, name: str = "rec1", *, fs: float = 500.0, seconds: float = 10.0, **sim
):
    """A small synthetic 12-lead WFDB record written with wfdb (returns the .hea path)."""
    import wfdb

    from ecgcore.drivers.sim import simulate_ecg

    rec = simulate_ecg(seconds, fs, **{"leads": 12, "hr": 72, "seed": 1, **sim}).recording
    directory.mkdir(parents=True, exist_ok=True)
    wfdb.wrsamp(
        name,
        fs=fs,
        units=["mV"] * rec.n_leads,
        sig_name=list(rec.lead_names),
        p_signal=np.nan_to_num(rec.physical("mV")),
        fmt=["16"] * rec.n_leads,
        adc_gain=[1000.0] * rec.n_leads,
        baseline=[0] * rec.n_leads,
        write_dir=str(directory),
    )
    return directory / f"{name}.hea"


@dataclasses.dataclass(frozen=True)
class AlarmNotice:
    """An alarm event in the fields the station reads from the rhythm stage."""

    sample: int
    alarm: str
    active: bool
    message: str
    rhythm: str | None = None


class ScriptedAlarmStage:
    """A pipeline stage that raises one alarm between two sample indices.

    It stands in for the rhythm stage to test the station's alarm display
    (banner, title, every page), independently of rhythm detection.
    """

    def __init__(self, alarm: str, on_sample: int, off_sample: int) -> None:
        self.alarm, self.on, self.off = alarm, on_sample, off_sample
        self.state = False

    def process(self, data):
        stop = data.first_sample + data.mv.shape[0]
        want = self.on <= stop < self.off
        if want == self.state:
            return []
        self.state = want
        label = self.alarm if want else "sinus rhythm"
        return [AlarmNotice(stop, self.alarm, want, f"{self.alarm} (scripted)", label)]

    def finish(self):
        return []
