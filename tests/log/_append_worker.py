"""Child process for the concurrency tests: append entries to a log.

Usage: python _append_worker.py URL WORKER_INDEX COUNT START_FILE
Opens the log, creates ``ready-<index>`` next to START_FILE, waits until
START_FILE exists (so all workers start together), then appends
COUNT entries whose notes are "w<index>-<n>".
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ecgcore.log import open_log


def main() -> None:
    url, index, count, start = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
    with open_log(url) as log:
        start.with_name(f"ready-{index}").touch()
        deadline = time.monotonic() + 60
        while not start.exists():
            if time.monotonic() > deadline:
                raise SystemExit("start file never appeared")
            time.sleep(0.005)
        for n in range(count):
            log.append(
                technician=f"tech-{index}",
                patient=f"patient-{n % 3}",
                source="manual",
                notes=f"w{index}-{n}",
            )


if __name__ == "__main__":
    main()
