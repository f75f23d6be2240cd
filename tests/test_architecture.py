"""The layout rules of ARCHITECTURE.md, enforced by reading imports.

Command-line scripts (the `ecg` CLI, `bench` modules run with `python -m`) may print.
"""

from __future__ import annotations

import ast
import configparser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Where each installed package lives in the repository.
PACKAGE_DIRS = {
    "ecgcore": ROOT / "ecgcore",
    "ecgcore.drivers": ROOT / "drivers",
    "ecgcore.datasets": ROOT / "datasets",
    "ecgcore.benchmarks": ROOT / "benchmarks",
}

#: Core stages and what they must never import.
FORBIDDEN = {
    "recording.py": ("drivers", "log", "grading", "cli", "web", "benchmarks"),
    "errors.py": ("drivers", "log", "grading", "cli", "web", "benchmarks"),
    "_jit.py": ("drivers", "log", "grading", "cli", "web", "benchmarks"),
    "filters": ("drivers", "log", "grading", "cli", "web", "benchmarks"),
    "detect": ("drivers", "log", "grading", "cli", "web", "benchmarks"),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("stage", sorted(FORBIDDEN))
def test_core_stages_do_not_import_higher_layers(stage: str) -> None:
    target = ROOT / "ecgcore" / stage
    files = [target] if target.is_file() else sorted(target.rglob("*.py"))
    assert files, f"no sources found for {stage}"
    for path in files:
        for name in _imports(path):
            for layer in FORBIDDEN[stage]:
                assert not name.startswith(f"ecgcore.{layer}"), (
                    f"{path.relative_to(ROOT)} imports {name}: {stage} must not depend on {layer}"
                )


def test_drivers_know_nothing_about_analysis() -> None:
    for path in sorted((ROOT / "drivers").rglob("*.py")):
        for name in _imports(path):
            for layer in ("detect", "rhythm", "grading", "log", "benchmarks", "web", "cli"):
                assert not name.startswith(f"ecgcore.{layer}"), (
                    f"{path.relative_to(ROOT)} imports {name}"
                )


def test_every_package_is_listed_in_setup_cfg() -> None:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    listed = {line.strip() for line in cfg["options"]["packages"].splitlines() if line.strip()}
    found = set()
    for package, folder in PACKAGE_DIRS.items():
        for init in folder.rglob("__init__.py"):
            rel = init.parent.relative_to(folder)
            found.add(".".join([package, *rel.parts]))
    assert found - listed == set(), f"packages missing from setup.cfg: {sorted(found - listed)}"
    assert listed - found == set(), (
        f"setup.cfg lists packages that do not exist: {sorted(listed - found)}"
    )


def test_no_print_in_library_code() -> None:
    for package, folder in PACKAGE_DIRS.items():
        for path in folder.rglob("*.py"):
            rel = path.relative_to(ROOT)
            if (
                rel.parts[:2] == ("ecgcore", "cli")
                or "bench" in path.stem
                or path.stem == "__main__"
            ):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                    pytest.fail(f"{rel}:{node.lineno} calls print() in library code ({package})")
