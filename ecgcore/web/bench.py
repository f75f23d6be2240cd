"""Load figures of the web station: live monitors and API clients at once, on loopback.

Run::

    python -m ecgcore.web.bench [--monitors 4] [--api-clients 20] [--duration 30]
                                [--url "sim://ecg?leads=12&fs=500"]

Starts ``ecg serve`` as its own process on a free 127.0.0.1 port with a fresh
station folder and a log of 200 entries, connects the simulated patient
(12 leads x 500 Hz by default), then for ``--duration`` seconds runs

* ``--monitors`` WebSocket clients of the live monitor, each checking that
  every frame starts exactly where the previous one ended (no dropped
  samples) and counting samples, frames, bytes and frame intervals;
* ``--api-clients`` concurrent HTTP clients cycling through the log book,
  session, alarm and entry-detail endpoints, measuring latency.

With ``--browser`` one of the monitors is the real page in headless Chromium
(``/usr/bin/chromium``, selenium), which reports its animation frames per
second and the time it spends drawing each (12 leads on the grid).

It prints one table: samples expected vs received per monitor, gaps, frame
interval p50/p99, API requests/s, errors, latency p50/p99, the device's
overflow/missing counters and the server's CPU use. Only loopback is used.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ecgcore.web.frames import decode_frame

_ENDPOINTS = ("/api/log", "/api/sessions", "/api/alarms", "/api/log?q=sinus", "/api/me")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _fill_log(path: Path, n: int) -> None:
    from ecgcore.log import open_log  # noqa: PLC0415

    with open_log(str(path)) as log:
        log.append_many(
            [
                {
                    "technician": f"T{i % 7:02d}",
                    "patient": f"MRN-{i}",
                    "source": "record",
                    "subject": "simulator",
                    "rhythm": "sinus rhythm" if i % 3 else "atrial fibrillation",
                    "heart_rate_bpm": 60 + i % 40,
                }
                for i in range(n)
            ]
        )


async def _monitor(base: str, sid: str, stop_at: float) -> dict[str, Any]:
    from websockets.asyncio.client import connect  # noqa: PLC0415

    out: dict[str, Any] = {"samples": 0, "frames": 0, "bytes": 0, "gaps": 0, "intervals": []}
    url = base.replace("http://", "ws://") + f"/ws/live/{sid}"
    async with connect(url, max_size=1 << 22) as ws:
        hello = await ws.recv()
        assert isinstance(hello, str)
        expected = None
        last = None
        while time.monotonic() < stop_at:
            msg = await asyncio.wait_for(ws.recv(), timeout=5)
            if isinstance(msg, str):
                continue
            now = time.monotonic()
            frame = decode_frame(msg)
            if expected is not None and frame.first_sample != expected:
                out["gaps"] += 1
            if out["frames"] == 0:
                out["first_sample"] = frame.first_sample
            expected = frame.first_sample + frame.n_samples
            out["frames"] += 1
            out["samples"] += frame.n_samples
            out["bytes"] += len(msg)
            if last is not None:
                out["intervals"].append(now - last)
            last = now
        out["fs"] = frame.fs
    return out


async def _api_client(client: Any, stop_at: float, entry_ids: list[int]) -> dict[str, Any]:
    lat: list[float] = []
    errors = 0
    i = 0
    while time.monotonic() < stop_at:
        path = (
            _ENDPOINTS[i % len(_ENDPOINTS)]
            if i % 6
            else f"/api/log/{entry_ids[i % len(entry_ids)]}"
        )
        t0 = time.perf_counter()
        r = await client.get(path)
        lat.append(time.perf_counter() - t0)
        errors += r.status_code != 200
        i += 1
    return {"latencies": lat, "errors": errors}


async def _run(base: str, sid: str, args: argparse.Namespace) -> dict[str, Any]:
    import httpx  # noqa: PLC0415

    stop_at = time.monotonic() + args.duration
    limits = httpx.Limits(max_connections=max(1, args.api_clients))
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        entries = (await client.get("/api/log", params={"limit": 50})).json()["entries"]
        ids = [e["id"] for e in entries]
        monitors = [_monitor(base, sid, stop_at) for _ in range(args.monitors)]
        apis = [_api_client(client, stop_at, ids) for _ in range(args.api_clients)]
        results = await asyncio.gather(*monitors, *apis)
    return {"monitors": results[: args.monitors], "api": results[args.monitors :]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ecgcore.web.bench", description=__doc__)
    p.add_argument("--monitors", type=int, default=4)
    p.add_argument("--api-clients", type=int, default=20)
    p.add_argument("--duration", type=float, default=30.0)
    p.add_argument("--url", default="sim://ecg?leads=12&fs=500&hr=72")
    p.add_argument(
        "--browser", action="store_true", help="also open the monitor page in headless Chromium"
    )
    args = p.parse_args(argv)
    import httpx  # noqa: PLC0415

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="ecg-web-bench-") as tmp:
        root = Path(tmp)
        _fill_log(root / "log.sqlite", 200)
        env = {**os.environ, "XDG_CONFIG_HOME": str(root / "cfg")}
        cmd = [
            sys.executable, "-m", "ecgcore.cli.main", "serve", "--port", str(port),
            "--data-dir", str(root / "station"), "--log", str(root / "log.sqlite"),
        ]  # fmt: skip
        server = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    me = httpx.get(f"{base}/api/me", timeout=1)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("the server did not start") from None
                    time.sleep(0.2)
            token, cookies = me.json()["csrf_token"], me.cookies
            r = httpx.post(
                f"{base}/api/sessions",
                json={"url": args.url},
                headers={"X-CSRF-Token": token},
                cookies=cookies,
                timeout=60,  # the first device opened compiles the pipeline's kernels
            )
            r.raise_for_status()
            sid = r.json()["id"]
            page = _open_page(base, sid, root) if args.browser else None
            cpu0, t0 = _cpu_s(server.pid), time.monotonic()
            result = asyncio.run(_run(base, sid, args))
            cpu = (_cpu_s(server.pid) - cpu0) / (time.monotonic() - t0)
            if page is not None:
                result["browser"] = _page_figures(page, args.duration)
            status = httpx.get(f"{base}/api/sessions/{sid}", timeout=30).json()["status"]
        finally:
            server.terminate()
            server.wait(timeout=20)
    _report(args, result, status, cpu)
    bad = any(m["gaps"] for m in result["monitors"]) or any(a["errors"] for a in result["api"])
    bad = bad or bool(result.get("browser", {}).get("gaps"))
    return 1 if bad or status["overflow_samples"] or status["missing_samples"] else 0


def _say(text: str) -> None:
    print(text, flush=True)  # noqa: T201 - this module is a command-line benchmark


def _open_page(base: str, sid: str, root: Path) -> Any:
    from selenium import webdriver  # noqa: PLC0415 - only with --browser
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--window-size=1400,1100", f"--user-data-dir={root / 'chromium'}",
    ):  # fmt: skip
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.get(f"{base}/monitor?session={sid}")
    deadline = time.monotonic() + 20
    while not driver.execute_script("return !!(window.ecgMonitorState || {}).paints"):
        if time.monotonic() > deadline:
            raise RuntimeError("the monitor page did not start drawing")
        time.sleep(0.1)
    driver.execute_script("window.ecgMonitorState.paints = 0;")
    return driver


def _page_figures(driver: Any, duration_s: float) -> dict[str, Any]:
    try:
        st = driver.execute_script(
            "const s = window.ecgMonitorState;"
            "return {paints: s.paints, drawMs: s.drawMs, frames: s.frames, gaps: s.gaps,"
            " leads: s.leads.length, fs: s.fs};"
        )
    finally:
        driver.quit()
    st["fps"] = st["paints"] / duration_s
    return st


def _report(args: argparse.Namespace, result: dict[str, Any], status: dict, cpu: float) -> None:
    _say(
        f"web station load: {args.monitors} monitors + {args.api_clients} API clients, "
        f"{args.duration:g} s, {args.url}"
    )
    for i, m in enumerate(result["monitors"]):
        iv = np.asarray(m["intervals"]) * 1e3
        expect = m["fs"] * args.duration
        _say(
            f"  monitor {i}: {m['samples']} samples/lead in {m['frames']} frames "
            f"(~{expect:.0f} in {args.duration:g} s), gaps {m['gaps']}, frame interval "
            f"p50 {np.percentile(iv, 50):.0f} ms p99 {np.percentile(iv, 99):.0f} ms, "
            f"{m['bytes'] / args.duration / 1024:.1f} KiB/s"
        )
    if result["api"]:
        lat = np.concatenate([np.asarray(a["latencies"]) for a in result["api"]]) * 1e3
        errors = sum(a["errors"] for a in result["api"])
        _say(
            f"  API: {lat.size} requests ({lat.size / args.duration:.0f}/s), errors {errors}, "
            f"latency p50 {np.percentile(lat, 50):.1f} ms p99 {np.percentile(lat, 99):.1f} ms"
        )
    _say(
        f"  device: overflow {status['overflow_samples']} samples, missing "
        f"{status['missing_samples']}, dropped frames {status['dropped_frames']}"
    )
    _say(f"  server CPU: {cpu * 100:.0f}% of one core (this machine: {os.cpu_count()} cores)")
    page = result.get("browser")
    if page:
        _say(
            f"  browser monitor ({page['leads']} leads x {page['fs']:g} Hz): {page['fps']:.0f} "
            f"frames/s drawn, {page['drawMs']:.1f} ms per frame (moving average), "
            f"{page['frames']} socket frames, gaps {page['gaps']}"
        )


if __name__ == "__main__":
    sys.exit(main())
