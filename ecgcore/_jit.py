"""The one numba helper.

Every numba kernel of ecgcore lives in a ``_*_numba.py`` module as a plain
Python function over arrays and is compiled through :func:`jit`, so caching,
``nogil`` and floating-point strictness are decided in one place:

* ``cache=True``: compiled code is kept on disk between runs;
* ``nogil=True``: kernels release the GIL so device reader threads keep running;
* ``fastmath=False``: results must not depend on instruction reordering, which
  is what makes chunked and whole-array processing bit-for-bit comparable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["jit"]


def jit(func: F) -> F:
    """Compile ``func`` in nopython mode with the project's fixed options."""
    return cast(F, numba.njit(cache=True, nogil=True, fastmath=False)(func))
