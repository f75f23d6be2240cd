"""Where PhysioNet data lives on this machine.

Resolution order (first that applies wins):

1. an explicit path (``--data-dir`` on the command line, ``data_dir=`` in Python);
2. the environment variable ``ECGCORE_DATA_DIR``;
3. ``../shared/datasets`` beside the project root, when it exists (searched
   upwards from the current directory and from the installed sources);
4. a per-user cache directory (``platformdirs.user_cache_dir("ecgcore")/physionet``).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = ["ENV_DATA_DIR", "data_root", "shared_data_dir", "user_cache_root"]

ENV_DATA_DIR = "ECGCORE_DATA_DIR"


def shared_data_dir() -> Path | None:
    """Return the ``shared/datasets`` folder beside the project root, if there is one."""
    starts = [Path.cwd(), Path(__file__).resolve().parent]
    for start in starts:
        for folder in (start, *start.parents):
            candidate = folder.parent / "shared" / "datasets"
            if (folder / "pyproject.toml").exists() and candidate.is_dir():
                return candidate
    return None


def user_cache_root() -> Path:
    """Per-user folder where downloaded databases go."""
    return Path(platformdirs.user_cache_dir("ecgcore")) / "physionet"


def data_root(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the data root following the documented resolution order."""
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser()
    shared = shared_data_dir()
    if shared is not None:
        return shared
    return user_cache_root()
