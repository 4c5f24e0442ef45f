"""Append-only audit trail per party: the evidence a data protection officer shows for art. 6 of the protocol.

One JSON object per line, written with ``O_APPEND`` and fsync'd before ``record`` returns, so a crash never loses an
acknowledged event and never rewrites an earlier one. The log describes *that* something happened (connect, upload,
download, open, delete, failure) with time, party, user, remote path, size, sha-256, wave and kind — never personal
data: a value that looks like an INSZ is refused rather than written.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from pijler3.errors import ConfigError, InputError, Pijler3Error

Scalar = str | int | float | bool | None

_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# An INSZ in any of the spellings the extracts use (85073003328, 85.07.30-033.28); file names and messages never
# carry one, so a match means a caller is about to leak personal data into a log that is kept for years.
_INSZ_LIKE = re.compile(r"(?<!\d)\d{2}[.\s]?\d{2}[.\s]?\d{2}[-.\s]?\d{3}[.\s]?\d{2}(?!\d)")
# Hashes and key fingerprints are long hex strings that often contain 11 digits in a row by chance.
_HEX_DIGEST = re.compile(r"^[0-9a-f]{32,}$")
_RESERVED = frozenset({"time", "party", "event"})


class AuditLog:
    """``AuditLog(path, party).record("upload", user=..., remote_path=..., size=..., sha256=..., wave=..., kind=...)``.

    Safe to share between threads; every call appends exactly one line and fsyncs it.
    """

    def __init__(self, path: Path, party: str) -> None:
        if not _NAME.match(party):
            raise ConfigError(f"audit log {path}: party {party!r} must be a lower-case name such as 'agentschap'")
        self.path = Path(path)
        self.party = party
        self._lock = threading.Lock()

    def record(self, event: str, **fields: Scalar) -> dict[str, Scalar]:
        """Append one event and return it as written; ``InputError`` for a field that may hold personal data."""
        if not _NAME.match(event):
            raise InputError(f"audit event {event!r}: use a lower-case name such as 'upload' or 'delete'")
        entry: dict[str, Scalar] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "party": self.party,
            "event": event,
        }
        for name, value in fields.items():
            entry[name] = _checked(event, name, value)
        line = (json.dumps(entry, ensure_ascii=False, sort_keys=False) + "\n").encode()
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            except OSError as exc:
                raise Pijler3Error(f"audit log {self.path}: cannot open for appending ({exc.strerror})") from exc
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        return entry


def _checked(event: str, name: str, value: Scalar) -> Scalar:
    if name in _RESERVED or not _NAME.match(name):
        raise InputError(f"audit event {event!r}: field name {name!r} is reserved or not a lower-case name")
    if value is not None and not isinstance(value, str | int | float | bool):
        raise InputError(
            f"audit event {event!r}: field {name!r} must be a string or number, not {type(value).__name__}"
        )
    if name == "sha256" and value is not None and not (isinstance(value, str) and _SHA256.match(value)):
        raise InputError(f"audit event {event!r}: sha256 must be 64 lower-case hex digits, got {value!r}")
    if isinstance(value, str) and not _HEX_DIGEST.match(value) and _INSZ_LIKE.search(value):
        raise InputError(
            f"audit event {event!r}: field {name!r} looks like it holds an INSZ; the audit log never holds personal "
            "data — log the file's wave and kind instead"
        )
    return value


def read_audit_log(path: Path) -> Iterator[dict[str, Scalar]]:
    """The events in order; a line that is not a JSON object is an error naming the file and line."""
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}, line {number}: not a JSON audit record ({exc.msg})") from exc
            if not isinstance(entry, dict):
                raise InputError(f"{path}, line {number}: not a JSON audit record (expected an object)")
            yield entry
