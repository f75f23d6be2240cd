"""Verification of the hash chain and of the record files it names.

:class:`ChainVerifier` is fed stored rows in id order. For each row it checks

* order: ids run 1, 2, 3, ... and ``prev_hash`` equals the previous entry's hash;
* content: the SHA-256 of the stored canonical body text is the stored
  ``entry_hash``, the body has the entry layout and the filter columns agree
  with it;

then :meth:`ChainVerifier.finish` checks the chain head row (entries removed
from the end) and re-hashes every record file (as last amended).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from ecgcore.errors import LogError
from ecgcore.log._canonical import GENESIS_HASH, hash_text
from ecgcore.log.entry import BODY_VERSION, LogEntry
from ecgcore.log.files import FileRef, hash_files

__all__ = ["ChainVerifier", "Problem", "VerifyReport"]

_MAX_PROBLEMS = 1000


@dataclasses.dataclass(frozen=True)
class Problem:
    """One mismatch found by ``verify``.

    ``what`` is ``"order"`` (missing, extra or reordered entries), ``"content"``
    (an entry's stored data no longer matches its hash), ``"file"`` (a record
    file is missing or changed) or ``"head"`` (the chain head disagrees).
    """

    entry_id: int | None
    what: str
    message: str

    def __str__(self) -> str:
        where = f"entry {self.entry_id}" if self.entry_id is not None else "log"
        return f"{where}: {self.what}: {self.message}"


@dataclasses.dataclass(frozen=True)
class VerifyReport:
    """Result of verifying a log.

    Attributes
    ----------
    ok : bool
        True only if the chain, the head and every checked file match.
    n_entries : int
        Entries read.
    head_id, head_hash : int, str
        Id and hash of the last entry read (0 and the genesis hash if empty).
    n_files : int
        Distinct record files re-hashed (0 when files were not checked).
    files_checked : bool
        Whether record files were re-hashed.
    problems : tuple of Problem
        Every mismatch found (at most 1000), in entry order.
    """

    ok: bool
    n_entries: int
    head_id: int
    head_hash: str
    n_files: int
    files_checked: bool
    problems: tuple[Problem, ...]

    @property
    def first_bad_id(self) -> int | None:
        """Id of the first entry whose content, order or file does not match."""
        ids = [p.entry_id for p in self.problems if p.entry_id is not None]
        return min(ids) if ids else None


_COLUMNS = ("kind", "logged_utc", "technician", "patient_ref", "amends")
_BODY_KEYS = frozenset({"v"} | {f.name for f in dataclasses.fields(LogEntry)} - {"entry_hash"})


class ChainVerifier:
    """Incremental verifier; feed rows in id order, then call :meth:`finish`."""

    def __init__(self) -> None:
        self._expected_id = 1
        self._prev_hash = GENESIS_HASH
        self._problems: list[Problem] = []
        self._files: dict[int, tuple[FileRef, ...]] = {}
        self.n_entries = 0
        self.last_id = 0

    def _problem(self, entry_id: int | None, what: str, message: str) -> None:
        if len(self._problems) < _MAX_PROBLEMS:
            self._problems.append(Problem(entry_id, what, message))

    def feed(self, row: Mapping[str, Any]) -> None:
        """Check one stored row (mapping with the ``log_entries`` columns)."""
        entry_id = row["id"]
        self.n_entries += 1
        if entry_id != self._expected_id:
            self._problem(
                entry_id,
                "order",
                f"expected entry {self._expected_id} here, found entry {entry_id} "
                "(entries missing or reordered)",
            )
        if row["prev_hash"] != self._prev_hash:
            self._problem(
                entry_id,
                "order",
                "prev_hash does not match the hash of the entry before it",
            )
        self._check_content(row)
        self._expected_id = entry_id + 1
        self._prev_hash = row["entry_hash"]
        self.last_id = entry_id

    def _check_content(self, row: Mapping[str, Any]) -> None:
        entry_id = row["id"]
        text = row["body"]
        # The stored body is the canonical text that was hashed when the entry
        # was appended, so hashing it as stored re-checks the content exactly.
        if hash_text(text) != row["entry_hash"]:
            self._problem(entry_id, "content", "entry content does not match its hash")
            return
        try:
            body = json.loads(text)
            fields_ok = isinstance(body, dict) and body.get("v") == BODY_VERSION
        except ValueError as exc:
            self._problem(entry_id, "content", f"body is not valid JSON: {exc}")
            return
        if not fields_ok or not _BODY_KEYS.issuperset(body):
            self._problem(entry_id, "content", "body does not have the entry layout")
            return
        if body.get("id") != entry_id or body.get("prev_hash") != row["prev_hash"]:
            self._problem(entry_id, "order", "id or prev_hash columns differ from the body")
        for column in _COLUMNS:
            if body.get(column) != row[column]:
                self._problem(entry_id, "content", f"column {column!r} differs from the body")
        if row["when_utc"] != (body.get("acquired_utc") or body.get("logged_utc")):
            self._problem(entry_id, "content", "column 'when_utc' differs from the body")
        files = None
        target = entry_id
        if body.get("kind") == "amendment":
            changes = body.get("changes") or {}
            if "files" in changes and body.get("amends") is not None:
                files, target = changes["files"], body["amends"]
        elif body.get("files"):
            files = body["files"]
        if files is not None:
            try:
                self._files[target] = tuple(FileRef(**f) for f in files)
            except TypeError:
                self._problem(entry_id, "content", "malformed 'files' in the body")

    def finish(
        self,
        head: tuple[int, str] | None,
        *,
        check_files: bool = True,
        expect_head: str | None = None,
        workers: int = 4,
    ) -> VerifyReport:
        """Check the chain head and (optionally) the files; return the report.

        Parameters
        ----------
        head : (last_id, last_hash) or None
            The stored chain head row.
        check_files : bool
            Re-hash every record file (as last amended).
        expect_head : str, optional
            A head hash recorded elsewhere (e.g. the footer of a printed log
            book); a mismatch is reported, which reveals entries removed from
            the end even if the head row was rewritten too.
        workers : int
            Threads used to hash files.
        """
        if head is None:
            self._problem(None, "head", "chain head row is missing")
        elif head != (self.last_id, self._prev_hash):
            self._problem(
                head[0] if head[0] > self.last_id else self.last_id + 1,
                "head",
                f"chain head says entry {head[0]} ({head[1][:12]}...) is last, but the last "
                f"entry is {self.last_id} ({self._prev_hash[:12]}...): entries removed "
                "from the end or head tampered with",
            )
        if expect_head is not None and expect_head.lower() != self._prev_hash:
            self._problem(
                None,
                "head",
                f"head hash {self._prev_hash} differs from the expected {expect_head}",
            )
        n_files = 0
        if check_files:
            paths = [ref.path for refs in self._files.values() for ref in refs]
            hashed = hash_files(paths, workers=workers)
            n_files = len(hashed)
            for entry_id in sorted(self._files):
                for ref in self._files[entry_id]:
                    now = hashed[ref.path]
                    if isinstance(now, LogError):
                        self._problem(entry_id, "file", f"{ref.path}: missing or unreadable")
                    elif now.sha256 != ref.sha256 or now.size != ref.size:
                        self._problem(entry_id, "file", f"{ref.path}: content changed")
        problems = sorted(self._problems, key=lambda p: (p.entry_id is None, p.entry_id or 0))
        return VerifyReport(
            ok=not problems,
            n_entries=self.n_entries,
            head_id=self.last_id,
            head_hash=self._prev_hash,
            n_files=n_files,
            files_checked=check_files,
            problems=tuple(problems),
        )
