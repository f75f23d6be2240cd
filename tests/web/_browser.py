"""A real server on loopback and a real headless Chromium for the end-to-end tests.

Chromium (Debian's ``chromium`` + ``chromium-driver``) is required in CI
(``CI=true``: a missing browser fails the tests); locally they skip without it.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1100",
    "--force-device-scale-factor=1",
)


def require_chromium() -> None:
    """Skip (locally) or fail (CI) when Chromium or its driver is missing."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("python package selenium")
    if missing:
        msg = f"end-to-end tests need {', '.join(missing)} (apt-get install chromium " + (
            "chromium-driver)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(app, port: int) -> Iterator[str]:
    """Run ``app`` with uvicorn in a thread on 127.0.0.1:port; yields the base URL."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@contextmanager
def browser() -> Iterator:
    """A fresh headless Chromium (own profile directory, removed afterwards)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="ecg-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver, script: str, timeout: float = 15.0, what: str = ""):
    """Poll a JS expression until it is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script(f"return ({script});")
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or script}")
        time.sleep(0.1)


def screenshot(driver, path) -> np.ndarray:
    """Save a PNG screenshot and return it as an RGB array (rows, cols, 3)."""
    from PIL import Image

    png = driver.get_screenshot_as_png()
    path.write_bytes(png)
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.int16)


def element_pixels(driver, image: np.ndarray, element) -> np.ndarray:
    """The part of a screenshot covered by ``element`` (CSS px == device px here)."""
    r = driver.execute_script(
        "const b = arguments[0].getBoundingClientRect();"
        "return [b.left, b.top, b.right, b.bottom];",
        element,
    )
    x0, y0, x1, y1 = (round(v) for v in r)
    return image[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]


def color_count(pixels: np.ndarray, hex_color: str, tol: int = 12) -> int:
    """Pixels within ``tol`` (per channel) of ``hex_color``."""
    rgb = np.array([int(hex_color[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    return int(np.count_nonzero(np.all(np.abs(pixels - rgb) <= tol, axis=-1)))
