"""Shared fixtures: where the real PhysioNet data is, small synthetic signals."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ecgcore.datasets._paths import ENV_DATA_DIR, data_root


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--data-dir",
        default=None,
        help=f"PhysioNet data root (default: ${ENV_DATA_DIR}, then ../shared/datasets)",
    )


@pytest.fixture(scope="session")
def data_dir(request: pytest.FixtureRequest) -> Path:
    """Root of the real PhysioNet data; skips the test when it is absent.

    In CI (``CI=true``) absence is an error, so accuracy floors never pass by skipping.
    """
    root = data_root(request.config.getoption("--data-dir"))
    if not (root / "mitdb").is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PhysioNet data not found at {root} (set {ENV_DATA_DIR})")
        pytest.skip(f"PhysioNet data not found at {root}")
    return root
