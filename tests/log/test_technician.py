"""Technician record: certification expiry, CE credits, live recordings, exams."""

from __future__ import annotations

import pytest

from ecgcore.errors import LogError
from ecgcore.log import add_ce_credits, certify, technician_status


def test_certification_expiry_and_warnings(log):
    entry = certify(log, "T-01", certified_on="2024-02-29")
    assert entry.details["expires_on"] == "2026-02-28"

    def status(today):
        return technician_status(log, "T-01", today=today, ce_required=0, min_live_recordings=0)

    assert status("2025-12-29").warnings == ()  # 61 days left
    s = status("2025-12-30")  # 60 days left
    assert s.days_to_expiry == 60 and "expires on 2026-02-28 (in 60 days)" in s.warnings[0]
    assert "expired" in status("2026-03-01").warnings[0]
    certify(log, "T-01", certified_on="2026-02-01", expires_on="2028-02-01", programme="NHA CET")
    s = status("2026-03-01")
    assert (s.certified_on, s.expires_on, s.programme, s.warnings) == (
        "2026-02-01", "2028-02-01", "NHA CET", ()
    )  # fmt: skip
    with pytest.raises(LogError, match="not after"):
        certify(log, "T-01", certified_on="2024-01-01", expires_on="2023-01-01")
    with pytest.raises(LogError, match="date"):
        certify(log, "T-01", certified_on="01/02/2024")


def test_ce_credits_since_certification(log):
    certify(log, "T-01", certified_on="2024-06-01")
    add_ce_credits(log, "T-01", credits=4, course="before", completed_on="2024-05-31")
    add_ce_credits(log, "T-01", credits=3.5, course="Arrhythmia review", completed_on="2024-07-01")
    add_ce_credits(log, "T-02", credits=20, course="someone else", completed_on="2024-07-01")
    s = technician_status(log, "T-01", today="2025-01-01")
    assert s.ce_credits == 3.5 and s.ce_courses == (("2024-07-01", "Arrhythmia review", 3.5),)
    assert any("3.5 of 10 credits" in w for w in s.warnings)
    s = technician_status(log, "T-01", today="2025-01-01", ce_required=3.5)
    assert not any("continuing education" in w for w in s.warnings)
    for bad in (0, -1, float("nan"), "x"):
        with pytest.raises(LogError, match="credits"):
            add_ce_credits(log, "T-01", credits=bad, course="c")
    with pytest.raises(LogError, match="course"):
        add_ce_credits(log, "T-01", credits=1, course="  ")


def test_live_recordings_and_exams(log):
    for n in range(10):
        log.append(technician="T-01", subject="live" if n < 9 else "simulator", source="record")
    log.append(technician="T-01", source="grade", subject="simulator",
               grade={"score": 92, "max_score": 100, "passed": True})  # fmt: skip
    log.append(technician="T-01", source="grade", grade={"score": 55, "passed": False})
    log.append(technician="T-02", subject="live")
    s = technician_status(log, "T-01", today="2025-01-01")
    assert (s.recordings, s.live_recordings) == (12, 9)
    assert [(e.score, e.max_score, e.passed) for e in s.exams] == [
        (92.0, 100.0, True), (55.0, None, False)
    ]  # fmt: skip
    assert any("9 of the 10 required" in w for w in s.warnings)
    assert any("no certification" in w for w in s.warnings)
    # An amendment that corrects the subject counts.
    log.amend(10, reason="was a volunteer, not the simulator", author="SUP", subject="live")
    s = technician_status(log, "T-01", today="2025-01-01")
    assert s.live_recordings == 10 and not any("required" in w for w in s.warnings)
