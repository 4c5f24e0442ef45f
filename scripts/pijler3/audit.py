"""Tamper-evident audit trail per party: the evidence a data protection officer shows for art. 6 of the protocol.

One JSON object per line, written with ``O_APPEND`` under an exclusive lock and fsync'd before ``record`` returns, so
a crash never loses an acknowledged event and never rewrites an earlier one. The log describes *that* something
happened (connect, upload, download, open, delete, failure, purge, key rotation) with time, party, the operating-system
user and host that ran it, the SFTP account, remote path, size, sha-256, wave and kind — never personal data: a value
that looks like an INSZ is refused rather than written.

Hash chain. Every line carries ``seq`` (its line number when written), ``prev`` (the ``hash`` of the line before it,
64 zeros for the first) and ``hash`` (sha-256 of the line's JSON without ``hash``). ``verify_chain`` recomputes the
chain and names the first line that was changed, removed or moved, and checks that the lines' times do not go back
(more than ``CLOCK_STEP``).

Anchors. Whoever can write the file can also rebuild the whole chain, and cutting lines off the end leaves a valid
shorter chain. An *anchor* is a line's position and hash kept elsewhere: each wave's step records keep their own
``step-done`` line (*internal*: on the same machine, so rewritable with it), and two kinds live beyond the machine
(*external*): a head (``SEQ:HASH``) the DPO archived from the printed evidence report, and the heads the other party
received — every manifest carries its sender's current head, signed (``pijler3.envelope``), and the receiver records
it in its own log (``open`` events, fields ``sender_audit_seq`` and ``sender_audit_head``; ``received_heads``).
``verify_chain`` checks the anchors in line order; when one no longer matches it names the span between it and the
last earlier anchor that still does (for a failing external anchor only an external one counts: internal anchors may
have been rewritten along with the chain). What anchors cannot catch: lines appended after the newest anchor, and
lines cut after it (docs/maatregelen.md, "Grenzen van het auditlogboek").
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
import re
import socket
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pijler3.errors import ConfigError, InputError, Pijler3Error

Scalar = str | int | float | bool | None

GENESIS = "0" * 64
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# An INSZ in any of the spellings the extracts use (85073003328, 85.07.30-033.28); file names and messages never
# carry one, so a match means a caller is about to leak personal data into a log that is kept for years.
_INSZ_LIKE = re.compile(r"(?<!\d)\d{2}[.\s]?\d{2}[.\s]?\d{2}[-.\s]?\d{3}[.\s]?\d{2}(?!\d)")
# Hashes and key fingerprints are long hex strings that often contain 11 digits in a row by chance.
_HEX_DIGEST = re.compile(r"^[0-9a-f]{32,}$")
_RESERVED = frozenset({"seq", "time", "party", "event", "os_user", "os_host", "prev", "hash"})
_TAIL_CHUNK = 64 * 1024
CLOCK_STEP = timedelta(minutes=5)
"""How far a line's time may lie before an earlier line's (the clock corrected backwards); more means a line was
inserted or its time changed. Lines are appended in time order, so a line appended after an anchor cannot be
backdated to before it."""


class ChainBroken(Pijler3Error):
    """The audit log's hash chain does not verify: a line was changed, removed or moved."""

    exit_code = 6


def os_user() -> str:
    """The operating-system account running this process (for the audit log: who ran the command)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid-{os.getuid()}"


class AuditLog:
    """``AuditLog(path, party).record("upload", user=..., remote_path=..., size=..., sha256=..., wave=..., kind=...)``.

    Safe to share between threads and processes; every call appends exactly one chained line and fsyncs it. Each
    event names the operating-system user and host that wrote it (``os_user``, ``os_host``) next to whatever account
    the caller passes (``user``: the SFTP account).
    """

    def __init__(self, path: Path, party: str) -> None:
        if not _NAME.match(party):
            raise ConfigError(f"audit log {path}: party {party!r} must be a lower-case name such as 'agentschap'")
        self.path = Path(path)
        self.party = party
        self._lock = threading.Lock()
        self._who = {"os_user": os_user(), "os_host": socket.gethostname()}

    def record(self, event: str, **fields: Scalar) -> dict[str, Scalar]:
        """Append one event and return it as written; ``InputError`` for a field that may hold personal data."""
        if not _NAME.match(event):
            raise InputError(f"audit event {event!r}: use a lower-case name such as 'upload' or 'delete'")
        checked = {name: _checked(event, name, value) for name, value in fields.items()}
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
            except OSError as exc:
                raise Pijler3Error(f"audit log {self.path}: cannot open for appending ({exc.strerror})") from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                seq, prev = _last_link(fd, self.path)
                entry: dict[str, Scalar] = {
                    "seq": seq + 1,
                    "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                    "party": self.party,
                    "event": event,
                    **self._who,
                    **checked,
                    "prev": prev,
                }
                entry["hash"] = entry_hash(entry)
                os.write(fd, (_dumps(entry) + "\n").encode())
                os.fsync(fd)
            finally:
                os.close(fd)
        return entry


def event_time(entry: dict[str, Scalar]) -> datetime:
    """The ``time`` of an audit record; ``ValueError`` when it has none."""
    moment = datetime.fromisoformat(str(entry["time"]).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time {entry['time']!r} without a time zone")
    return moment


def _dumps(entry: dict[str, Scalar]) -> str:
    return json.dumps(entry, ensure_ascii=False, sort_keys=False)


def entry_hash(entry: dict[str, Scalar]) -> str:
    """sha-256 of the entry's JSON without its ``hash`` field, in the field order it was written in."""
    body = {name: value for name, value in entry.items() if name != "hash"}
    return hashlib.sha256(_dumps(body).encode()).hexdigest()


def _last_link(fd: int, path: Path) -> tuple[int, str]:
    """(seq, hash) of the last line of the open log; (0, GENESIS) when it is empty."""
    size = os.fstat(fd).st_size
    if size == 0:
        return 0, GENESIS
    tail = b""
    offset = size
    while offset > 0:
        start = max(0, offset - _TAIL_CHUNK)
        tail = os.pread(fd, offset - start, start) + tail
        offset = start
        if tail.rstrip(b"\n").count(b"\n") >= 1:
            break
    last = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    try:
        entry = json.loads(last)
        return int(entry["seq"]), str(entry["hash"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ChainBroken(
            f"{path}: its last line is not a chained audit record; run `pijler3 audit verify` and restore the log "
            "from backup before anything else is recorded"
        ) from exc


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


HEAD_SEQ_FIELD = "sender_audit_seq"
HEAD_HASH_FIELD = "sender_audit_head"
"""The fields of an ``open`` event that record the head the sender's signed manifest carried."""


@dataclass(frozen=True)
class Anchor:
    """A position and hash of the log kept elsewhere, and where it was kept (``source``, shown in messages).

    ``seq`` is None for a head given as a bare hash (its position unknown). ``external``: kept beyond this machine
    (an archived head, a head the other party received), so not rewritable together with the log.
    """

    seq: int | None
    hash: str
    source: str
    external: bool = False


@dataclass(frozen=True)
class ChainStatus:
    """The outcome of ``verify_chain``: ``problem`` is None when the chain and every anchor verified."""

    path: Path
    lines: int
    head: str
    anchors: int
    problem: str | None
    line: int | None
    """The first line that does not verify (1-based), when the problem is in a line."""
    span: tuple[int, int] | None = None
    """When only anchors can tell: the first and last line between which the log differs from what they recorded."""

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def head_token(self) -> str:
        """``SEQ:HASH`` of the last line, as the report prints it and ``audit verify --head`` takes it."""
        return f"{self.lines}:{self.head}"


def parse_head(text: str, source: str) -> Anchor:
    """An archived head, ``SEQ:HASH`` as the evidence report prints it or the 64-hex hash alone."""
    seq_text, _, digest = text.strip().lower().rpartition(":")
    if not _SHA256.match(digest) or (seq_text and not (seq_text.isdigit() and int(seq_text) > 0)):
        raise InputError(
            f"{source} {text[:80]!r}: expected SEQ:HASH as the evidence report prints the chain head (e.g. "
            "412:3f0c…, 64 hex digits after the colon), or the 64-hex hash alone"
        )
    return Anchor(int(seq_text) if seq_text else None, digest, f"{source} {text.strip()[:24]}…", external=True)


def current_head(path: Path) -> tuple[int, str]:
    """(seq, hash) of the log's last line, read under a shared lock; (0, GENESIS) while there is no log."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return 0, GENESIS
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        return _last_link(fd, Path(path))
    finally:
        os.close(fd)


def received_heads(peer_log: Path, party: str) -> list[Anchor]:
    """The heads of ``party``'s log that the other party received in signed manifests, from the other party's audit
    log (its ``open`` events of envelopes ``party`` sent); external anchors for ``party``'s log.

    The other party's log must verify itself (a broken one anchors nothing), must not be ``party``'s own, and a head
    field it holds must be a head; anything else is an ``InputError`` naming the file and line."""
    peer_log = Path(peer_log)
    if not peer_log.is_file():
        raise InputError(f"{peer_log}: not found; pass the other party's audit log (<audit>/<party>.jsonl)")
    status = verify_chain(peer_log)
    if not status.ok:
        raise InputError(
            f"{peer_log}: the other party's audit log does not verify itself ({status.problem}); it cannot anchor "
            "this log — ask the other party's DPO for an intact copy"
        )
    anchors = []
    for number, entry in enumerate(read_audit_log(peer_log), start=1):
        if entry.get("party") == party:
            raise InputError(f"{peer_log}, line {number}: written by {party} itself; pass the other party's audit log")
        if entry.get("event") != "open" or entry.get("sender") != party or HEAD_HASH_FIELD not in entry:
            continue
        seq, digest = entry.get(HEAD_SEQ_FIELD), entry.get(HEAD_HASH_FIELD)
        if type(seq) is not int or seq < 0 or not (isinstance(digest, str) and _SHA256.match(digest)):
            raise InputError(
                f"{peer_log}, line {number}: {HEAD_SEQ_FIELD} and {HEAD_HASH_FIELD} do not hold a chain head "
                "(a line number and 64 hex digits)"
            )
        if seq > 0:
            anchors.append(Anchor(seq, digest, f"{peer_log.name} line {number}", external=True))
    return anchors


def verify_chain(path: Path, anchors: Iterable[Anchor] = ()) -> ChainStatus:
    """Recompute the hash chain of the log at ``path`` and check ``anchors`` against it; stops at the first problem."""
    path = Path(path)
    anchors = list(anchors)
    hashes: list[str] = []
    prev = GENESIS
    latest: tuple[datetime, int] | None = None

    def broken(line: int | None, problem: str, span: tuple[int, int] | None = None) -> ChainStatus:
        return ChainStatus(path, len(hashes), prev, len(anchors), problem, line, span)

    if not path.is_file():
        if anchors:
            return broken(None, f"{path}: missing, yet {anchors[0].source} refers to it")
        return ChainStatus(path, 0, GENESIS, 0, None, None)
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                entry = json.loads(raw)
                seq, claimed, linked = int(entry["seq"]), str(entry["hash"]), str(entry["prev"])
                written = event_time(entry)
            except (ValueError, KeyError, TypeError):
                return broken(number, f"line {number} is not a chained audit record (changed, or written by hand)")
            if entry_hash(entry) != claimed:
                return broken(number, f"line {number} was changed: its content no longer matches its hash")
            if seq > number:
                return broken(
                    number,
                    f"line {number} was written as line {seq}: the line(s) written as {number}"
                    f"{f' to {seq - 1}' if seq - 1 > number else ''} were removed or moved",
                )
            if seq < number:
                return broken(number, f"line {number} was written as line {seq}: it was moved or copied")
            if linked != prev:
                return broken(
                    number - 1, f"line {number} does not follow the line before it: line {number - 1} was replaced"
                )
            if latest is not None and written < latest[0] - CLOCK_STEP:
                return broken(
                    number,
                    f"line {number} is dated {entry['time']}, before line {latest[1]} ({latest[0]:%Y-%m-%dT%H:%M:%S}Z)"
                    ": lines are appended in time order, so it was inserted or its time changed",
                )
            if latest is None or written >= latest[0]:
                latest = (written, number)
            hashes.append(claimed)
            prev = claimed
    positioned = sorted((a for a in anchors if a.seq is not None and a.seq > 0), key=lambda a: a.seq or 0)
    for index, anchor in enumerate(positioned):
        seq = anchor.seq or 0
        if seq <= len(hashes) and hashes[seq - 1] == anchor.hash:
            continue
        # Every earlier anchor matched. The last one as trustworthy as this one bounds the change from below.
        since = next((a for a in reversed(positioned[:index]) if a.external or not anchor.external), None)
        low = since.seq or 0 if since else 0
        after = f"after line {low} ({since.source}, which still matches)" if since else "from line 1 on"
        rewritten = sum(1 for a in positioned[:index] if not a.external and (a.seq or 0) > low)
        note = (
            f"; {rewritten} anchor(s) in step records in between still match: they were rewritten with the chain"
            if rewritten and anchor.external
            else ""
        )
        if seq > len(hashes):
            return broken(
                None,
                f"{anchor.source} recorded line {seq}, but the log ends at line {len(hashes)}: lines were cut from "
                f"its end; the log differs {after} up to line {seq}{note}",
                (low + 1, seq),
            )
        return broken(
            seq,
            f"line {seq} differs from the one {anchor.source} recorded: the log was changed {after} up to line "
            f"{seq}, and its hash chain rebuilt{note}",
            (low + 1, seq),
        )
    known = set(hashes)
    for anchor in anchors:
        if anchor.seq is None and anchor.hash not in known:
            return broken(
                None,
                f"{anchor.source} is not a line of this log: a line at or before its position was changed, or lines "
                "were cut from its end (give it as SEQ:HASH to learn between which lines)",
            )
    return ChainStatus(path, len(hashes), prev, len(anchors), None, None)
