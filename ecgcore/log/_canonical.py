"""Canonical JSON and the entry hash of the ECG log's hash chain.

The hashed form of an entry is its body serialised as canonical JSON: keys
sorted by code point, no insignificant whitespace, UTF-8 text, no NaN or
infinity, floats in Python's shortest round-trip form. Bodies only hold
``str``, ``int``, ``float``, ``bool``, ``None``, lists and string-keyed dicts
(checked when an entry is built), for which the standard :mod:`json` module
with these options is deterministic; written here because this restricted
subset does not need a full RFC 8785 implementation.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["GENESIS_HASH", "canonical_json", "hash_text"]

#: ``prev_hash`` of the first entry of every log.
GENESIS_HASH = "0" * 64


def canonical_json(obj: Any) -> str:
    """Serialise ``obj`` as canonical JSON text (see module docstring)."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def hash_text(text: str) -> str:
    """SHA-256 hex digest of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
