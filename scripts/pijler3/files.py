"""Files written whole or not at all: the one durable atomic write of the package, JSON records written with it, and
the lock that serialises read-modify-write cycles on such a record."""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

from pijler3.errors import ConfigError


@contextmanager
def atomic_write(path: Path, mode: int = 0o666) -> Iterator[IO[bytes]]:
    """Write ``path`` through a temp file beside it (created with ``mode``, less the umask), fsync, then rename it into
    place: a reader sees the old file or the new one, never a part, and after a crash the new one is on disk. On any
    error the temp file is removed and ``path`` is left as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Mapping[str, Any], mode: int = 0o666) -> None:
    """``data`` as indented JSON (a step record, a ledger), written atomically and durably (``mode`` as in
    ``atomic_write``)."""
    with atomic_write(path, mode) as handle:
        handle.write((json.dumps(data, indent=2) + "\n").encode("utf-8"))


def read_json_entries(path: Path, *, format: str, field: str, what: str, hint: str = "") -> list[Any]:
    """The list ``field`` of a JSON record ``write_json`` wrote with ``{"format": format, ...}`` (a ledger, a
    register); ``[]`` while the file does not exist. A damaged file or one of another format is a ``ConfigError``
    naming ``what`` the file is, with ``hint`` (why it matters) after the advice to restore it."""
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return []
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: the {what} is damaged ({exc}); restore it from backup{hint}") from None
    if not isinstance(data, dict) or data.get("format") != format or not isinstance(data.get(field), list):
        raise ConfigError(f"{path}: not a pijler3 {what}; restore it from backup{hint}")
    return cast(list[Any], data[field])


_held = threading.local()


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``PATH.lock`` beside ``path`` (``path`` itself is replaced by rename, so it cannot
    carry the lock): one read-modify-write of the record at a time, across threads and processes. Re-entrant within a
    thread: a command that holds the lock for a whole sequence (``pijler3 meldingen``) can call code that takes it."""
    lock = path.with_name(path.name + ".lock")
    held: set[str] = _held.__dict__.setdefault("paths", set())
    key = os.path.abspath(lock)
    if key in held:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise ConfigError(
            f"{lock}: cannot be opened as the lock file of {path.name} ({exc.strerror}); it must be a plain file or"
            " absent: move away what is there"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        held.add(key)
        yield
    finally:
        held.discard(key)
        os.close(fd)
