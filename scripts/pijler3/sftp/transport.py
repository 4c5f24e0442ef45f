"""The SFTP client (paramiko): key authentication only, a pinned host key, atomic uploads, verified downloads.

* Authentication uses one private key file (0600); no passwords, no agent, no keys picked up from ``~/.ssh``.
* The server's host key must already be in the given ``known_hosts`` file (``RejectPolicy``). An unknown or changed
  key is refused with the offered fingerprint and the exact line to pin once the operator has confirmed it.
* Uploads write ``NAME.part``, compare the remote size with the local one, then rename over ``NAME`` with OpenSSH's
  atomic ``posix-rename``: the final name only ever holds a complete file, and uploading again replaces it whole.
* Downloads go to a hidden temp file beside the target, are size-checked (and sha-256-checked when the caller knows
  the hash from the manifest), fsync'd and only then renamed to the target.
* Connection failures (refused, reset, dropped, timed out) are retried with exponential backoff and reconnect;
  authentication and host-key failures, and errors the server reports about a file, are never retried.
* Every connect, upload, download, delete and failure goes to the party's ``AuditLog`` when one is given.
"""

from __future__ import annotations

import hashlib
import os
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar

import paramiko  # type: ignore[import-untyped, unused-ignore]
from paramiko.sftp import CMD_DATA, CMD_READ, CMD_STATUS, int64  # type: ignore[import-untyped, unused-ignore]
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from pijler3.audit import AuditLog
from pijler3.errors import ConfigError, InputError, Pijler3Error, TemporaryFailure
from pijler3.keys import check_private_file
from pijler3.sftp.keys import known_hosts_line, known_hosts_name
from pijler3.shown import printable

T = TypeVar("T")
ProgressCallback = Callable[[int, int], None]

PART_SUFFIX = ".part"
_CHUNK = 32768  # the SFTP read size every server grants (OpenSSH's sftp uses it too)
_READS_IN_FLIGHT = 64  # as OpenSSH's sftp: enough to fill loopback and LAN links, bounded memory


class SftpError(Pijler3Error):
    """An SFTP step failed; the message says which server, which file and what to do.

    Exit codes (``pijler3.errors``): 3 for what the configuration must fix (host key, login, no common algorithm, a
    missing or forbidden folder), 75 for what may pass (server unreachable, a file changing on the server), 4 for a
    download that differs from what the sender's manifest says.
    """

    exit_code = 3


class HostKeyError(SftpError):
    """The server's host key is unknown or differs from the pinned one. Never retried."""


class AuthError(SftpError):
    """The server refused our key. Never retried."""


class ConnectionFailed(SftpError, TemporaryFailure):
    """The server stayed unreachable or kept dropping the connection after every retry."""

    exit_code = TemporaryFailure.exit_code


class RemoteFileError(SftpError):
    """The server reported a problem with one file or folder (missing, no permission)."""


class RemoteFileChanged(RemoteFileError, TemporaryFailure):
    """A file appeared, disappeared or changed size on the server during a transfer; listing again sorts it out."""

    exit_code = TemporaryFailure.exit_code


class DownloadMismatch(RemoteFileError):
    """A complete download whose sha-256 differs from the one its manifest states (damaged or replaced on the
    server)."""

    exit_code = 4


@dataclass(frozen=True)
class Endpoint:
    """Where to connect and with which credentials (all secrets are file paths)."""

    host: str
    port: int
    user: str
    key: Path
    known_hosts: Path

    def __str__(self) -> str:
        return f"{self.user}@{known_hosts_name(self.host, self.port)}"


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying through transient failures: ``attempts`` tries, waits doubling up to ``max_delay_s``."""

    attempts: int = 5
    first_delay_s: float = 1.0
    max_delay_s: float = 20.0
    timeout_s: float = 30.0

    def delays(self) -> Iterator[float]:
        delay = self.first_delay_s
        for _ in range(self.attempts - 1):
            yield delay
            delay = min(delay * 2, self.max_delay_s)


@dataclass(frozen=True)
class RemoteFile:
    """A file on the server (path relative to the exchange root) and, after a transfer, its sha-256."""

    path: str
    size: int
    sha256: str | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


class _ModernTransport(paramiko.Transport):  # type: ignore[misc]
    """Prefers AEAD ciphers and encrypt-then-MAC, and offers nothing weaker than AES-CTR with SHA-2."""

    _preferred_ciphers = ("aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-ctr", "aes128-ctr")
    _preferred_macs = (
        "hmac-sha2-256-etm@openssh.com",
        "hmac-sha2-512-etm@openssh.com",
        "hmac-sha2-256",
        "hmac-sha2-512",
    )


class _PinnedHostKeyPolicy(paramiko.RejectPolicy):  # type: ignore[misc]
    """RejectPolicy whose refusal tells the operator the offered fingerprint and how to pin it."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        line = known_hosts_line(self.endpoint.host, self.endpoint.port, f"{key.get_name()} {key.get_base64()}")
        raise HostKeyError(
            f"{self.endpoint}: host key unknown — {hostname} is not pinned in {self.endpoint.known_hosts}. "
            f"The server offered {key.get_name()} {key.fingerprint}. Confirm this fingerprint with the server's "
            f"operator by another channel, then pin it by adding this line to {self.endpoint.known_hosts}:\n  {line}"
        )


class _HashingReader:
    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self.digest.update(data)
        return data


class _HashingWriter:
    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self._handle.write(data)


class _ReadPipeline:
    """Keeps up to ``_READS_IN_FLIGHT`` read requests outstanding on one open remote file; yields its data in order.

    Paramiko's own prefetch gives up prefetching for the rest of the file as soon as the reader catches up with its
    request thread (paramiko issue #2418). On a busy machine that happens, and a download falls to one 32 KiB round
    trip at a time: measured here at 6 MB/s instead of 150 MB/s, at random. Here a sender thread keeps the pipeline
    full, bounded by a semaphore (at most 64 chunks in memory), and the reader simply waits for the next offset, so
    catching up only means waiting. It uses paramiko's request/response internals (``_async_request``,
    ``_read_response``, stable since paramiko 1.x); the transport tests run it against both servers.
    """

    def __init__(self, sftp: paramiko.SFTPClient, handle: bytes, size: int, remote_path: str) -> None:
        self._sftp, self._handle, self._size, self._remote_path = sftp, handle, size, remote_path
        self._requested: dict[int, tuple[int, int]] = {}
        self._arrived: dict[int, bytes] = {}
        self._error: BaseException | None = None
        # Held while a request is sent and recorded, so a fast answer never arrives before its record.
        self._lock = threading.Lock()
        self._slots = threading.Semaphore(_READS_IN_FLIGHT)
        self._stop = threading.Event()

    def _request(self, offset: int, length: int) -> None:
        with self._lock:
            number = self._sftp._async_request(self, CMD_READ, self._handle, int64(offset), int(length))
            self._requested[number] = (offset, length)

    def _send_requests(self) -> None:
        offset = 0
        try:
            while offset < self._size:
                self._slots.acquire()
                if self._stop.is_set():
                    return
                length = min(_CHUNK, self._size - offset)
                self._request(offset, length)
                offset += length
        except Exception as exc:  # the reader re-raises it; this thread must not die silently
            self._error = exc

    def _async_response(self, kind: int, msg: paramiko.Message, number: int) -> None:
        """Called by paramiko's ``_read_response`` for each answer to one of our requests."""
        with self._lock:
            offset, length = self._requested.pop(number)
        self._slots.release()
        if kind == CMD_STATUS:
            try:
                self._sftp._convert_status(msg)
            except EOFError:
                self._error = RemoteFileChanged(f"{self._remote_path} became shorter on the server during the download")
            except OSError as exc:
                self._error = exc
            return
        data = msg.get_string() if kind == CMD_DATA else b""
        if not data:
            self._error = RemoteFileChanged(f"{self._remote_path}: the server sent no data at offset {offset}")
            return
        self._arrived[offset] = data
        if len(data) < length:
            self._request(offset + len(data), length - len(data))

    def chunks(self) -> Iterator[bytes]:
        sender = threading.Thread(target=self._send_requests, name="sftp-read-requests", daemon=True)
        sender.start()
        position = 0
        try:
            while position < self._size:
                while position not in self._arrived:
                    if self._error is not None:
                        raise self._error
                    self._sftp._read_response()
                data = self._arrived.pop(position)
                position += len(data)
                yield data
        finally:
            self._stop.set()
            self._slots.release(_READS_IN_FLIGHT)
            sender.join()


class SftpTransport:
    """One party's connection to the exchange server; use as a context manager.

    ``progress`` shows rich progress bars; by default only in an interactive terminal outside CI. ``on_progress``
    (bytes done, total) is called during every transfer, in addition to the bar.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        audit: AuditLog | None = None,
        retry: RetryPolicy | None = None,
        progress: bool | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.audit = audit
        self.retry = retry or RetryPolicy()
        if progress is None:
            progress = sys.stderr.isatty() and os.environ.get("CI", "").lower() not in {"1", "true", "yes"}
        self.progress = progress
        self._client: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self._pkey = self._load_key()
        if not Path(endpoint.known_hosts).is_file():
            raise ConfigError(
                f"known_hosts file {endpoint.known_hosts} does not exist; create it with the server's pinned host key "
                f"line ({known_hosts_name(endpoint.host, endpoint.port)} ssh-ed25519 AAAA...)"
            )

    # -- connection ---------------------------------------------------------------------------------------------

    def __enter__(self) -> SftpTransport:
        self._retrying("connect", None, lambda sftp: None)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    @property
    def cipher(self) -> str | None:
        """The negotiated cipher of the open connection (for the audit log and the benchmark)."""
        transport = self._client.get_transport() if self._client is not None else None
        return str(transport.local_cipher) if transport is not None else None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = self._sftp = None

    def _load_key(self) -> paramiko.PKey:
        return load_login_key(self.endpoint.key)

    def _connect(self) -> paramiko.SFTPClient:
        if self._sftp is not None:
            return self._sftp
        endpoint = self.endpoint
        client = paramiko.SSHClient()
        client.load_host_keys(str(endpoint.known_hosts))
        client.set_missing_host_key_policy(_PinnedHostKeyPolicy(endpoint))
        try:
            client.connect(
                endpoint.host,
                port=endpoint.port,
                username=endpoint.user,
                pkey=self._pkey,
                allow_agent=False,
                look_for_keys=False,
                timeout=self.retry.timeout_s,
                banner_timeout=self.retry.timeout_s,
                auth_timeout=self.retry.timeout_s,
                channel_timeout=self.retry.timeout_s,
                transport_factory=_ModernTransport,
            )
            sftp = client.open_sftp()
        except paramiko.BadHostKeyException as exc:
            client.close()
            line = known_hosts_line(endpoint.host, endpoint.port, f"{exc.key.get_name()} {exc.key.get_base64()}")
            raise HostKeyError(
                f"{endpoint}: HOST KEY CHANGED — the server offered {exc.key.get_name()} {exc.key.fingerprint}, but "
                f"{endpoint.known_hosts} pins {exc.expected_key.fingerprint}. This is either a reinstalled server or "
                "someone intercepting the connection: nothing was sent. Ask the server's operator; only when they "
                f"confirm the new fingerprint, replace the line for {known_hosts_name(endpoint.host, endpoint.port)} "
                f"in {endpoint.known_hosts} with:\n  {line}"
            ) from None
        except paramiko.AuthenticationException as exc:
            client.close()
            raise AuthError(
                f"{endpoint}: the server refused key {self.endpoint.key} ({self._pkey.fingerprint}): {exc}. "
                f"Check that its public key is authorised for user {endpoint.user!r} on the server."
            ) from None
        except paramiko.IncompatiblePeer as exc:
            client.close()
            raise SftpError(f"{endpoint}: no common modern algorithm with the server ({exc})") from None
        except BaseException:
            client.close()
            raise
        sftp.get_channel().settimeout(self.retry.timeout_s)
        self._client, self._sftp = client, sftp
        server_key = client.get_transport().get_remote_server_key()
        self._record(
            "connect",
            user=endpoint.user,
            host=endpoint.host,
            port=endpoint.port,
            host_key=server_key.fingerprint,
            cipher=self.cipher,
        )
        return sftp

    def _transient(self, exc: BaseException) -> bool:
        if isinstance(exc, SftpError):
            return False
        if isinstance(exc, paramiko.SSHException | EOFError | ConnectionError | TimeoutError | socket.timeout):
            return True
        # The server reports file problems as OSError on a healthy connection; the same type on a dead one is
        # the connection itself failing.
        transport = self._client.get_transport() if self._client is not None else None
        return isinstance(exc, OSError) and (transport is None or not transport.is_active())

    def _retrying(self, action: str, remote_path: str | None, operation: Callable[[paramiko.SFTPClient], T]) -> T:
        delays = self.retry.delays()
        attempt = 0
        while True:
            attempt += 1
            try:
                return operation(self._connect())
            except Exception as exc:
                if not self._transient(exc):
                    self._record(
                        "failure",
                        action=action,
                        remote_path=remote_path,
                        attempt=attempt,
                        error=_describe(exc),
                        retried=False,
                    )
                    if isinstance(exc, OSError):  # the server refused an operation on a healthy connection
                        where = f"{action} of {remote_path}" if remote_path else action
                        raise RemoteFileError(
                            f"{self.endpoint}: {where} refused ({exc.strerror or exc}); check that the folder exists"
                            f" and that {self.endpoint.user} may read and write it (docs/sftp.md)"
                        ) from exc
                    raise
                self.close()
                delay = next(delays, None)
                self._record(
                    "failure",
                    action=action,
                    remote_path=remote_path,
                    attempt=attempt,
                    error=_describe(exc),
                    retried=delay is not None,
                )
                if delay is None:
                    raise ConnectionFailed(
                        f"{self.endpoint}: {action}{' of ' + remote_path if remote_path else ''} failed after "
                        f"{attempt} attempts ({_describe(exc)}). Check that the server is running and reachable, then "
                        "run the command again: completed files are kept and unfinished ones start over."
                    ) from exc
                time.sleep(delay)

    # -- operations ---------------------------------------------------------------------------------------------

    def listdir(self, remote_dir: str) -> list[RemoteFile]:
        """Complete files in ``remote_dir`` (unfinished ``.part`` uploads and folders left out), sorted by name."""

        def list_files(sftp: paramiko.SFTPClient) -> list[RemoteFile]:
            try:
                entries = sftp.listdir_attr(remote_dir)
            except FileNotFoundError:
                raise RemoteFileError(f"{self.endpoint}: remote folder {remote_dir}/ does not exist") from None
            files = [
                RemoteFile(f"{remote_dir}/{e.filename}", e.st_size or 0)
                for e in entries
                if not e.filename.endswith(PART_SUFFIX) and e.st_mode is not None and not stat.S_ISDIR(e.st_mode)
            ]
            return sorted(files, key=lambda remote: remote.path)

        return self._retrying("list", remote_dir, list_files)

    def exists(self, remote_path: str) -> bool:
        def stat(sftp: paramiko.SFTPClient) -> bool:
            try:
                sftp.stat(remote_path)
            except FileNotFoundError:
                return False
            return True

        return self._retrying("stat", remote_path, stat)

    def upload(
        self,
        local: Path,
        remote_dir: str,
        *,
        wave: str | None = None,
        kind: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> RemoteFile:
        """Upload ``local`` as ``remote_dir/<its name>`` atomically; uploading the same file again replaces it whole."""
        local = Path(local)
        try:
            size = local.stat().st_size
        except OSError as exc:
            raise InputError(f"cannot upload {local}: {exc.strerror}") from exc
        final = f"{remote_dir}/{local.name}"
        part = final + PART_SUFFIX

        def put(sftp: paramiko.SFTPClient) -> RemoteFile:
            with local.open("rb") as handle, self._bar(f"↑ {local.name}", size, on_progress) as callback:
                reader = _HashingReader(handle)
                sftp.putfo(reader, part, file_size=size, callback=callback, confirm=False)
            remote_size = sftp.stat(part).st_size
            if remote_size != size:
                raise RemoteFileChanged(
                    f"{self.endpoint}: {part} has {remote_size} bytes on the server but {local} has {size}; the "
                    "upload was not published. Run it again."
                )
            sftp.posix_rename(part, final)
            return RemoteFile(final, size, reader.digest.hexdigest())

        uploaded = self._retrying("upload", final, put)
        self._record(
            "upload",
            user=self.endpoint.user,
            remote_path=final,
            size=size,
            sha256=uploaded.sha256,
            wave=wave,
            kind=kind,
        )
        return uploaded

    def download(
        self,
        remote_path: str,
        local: Path,
        *,
        expected_sha256: str | None = None,
        wave: str | None = None,
        kind: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> RemoteFile:
        """Download to ``local`` via a temp file; ``local`` appears only complete and size-checked (and sha-checked)."""
        local = Path(local)
        local.parent.mkdir(parents=True, exist_ok=True)
        temp = local.with_name(f".{local.name}.{os.getpid()}{PART_SUFFIX}")

        def get(sftp: paramiko.SFTPClient) -> RemoteFile:
            try:
                size = sftp.stat(remote_path).st_size or 0
            except FileNotFoundError:
                raise RemoteFileChanged(
                    f"{self.endpoint}: {remote_path} is no longer on the server (another run may have processed and "
                    "removed it); list the folder again"
                ) from None
            try:
                with temp.open("wb") as handle, self._bar(f"↓ {local.name}", size, on_progress) as callback:
                    writer = _HashingWriter(handle)
                    try:
                        remote = sftp.open(remote_path, "rb")
                    except FileNotFoundError:
                        raise RemoteFileChanged(
                            f"{self.endpoint}: {remote_path} disappeared from the server during the download"
                        ) from None
                    written = 0
                    with remote:
                        for data in _ReadPipeline(sftp, remote.handle, size, remote_path).chunks():
                            written += writer.write(data)
                            callback(written, size)
                    handle.flush()
                    os.fsync(handle.fileno())
                if written != size:
                    raise RemoteFileChanged(
                        f"{self.endpoint}: {remote_path} should have {size} bytes but {written} arrived; "
                        f"{local} was not written. Run the download again."
                    )
                sha256 = writer.digest.hexdigest()
                if expected_sha256 is not None and sha256 != expected_sha256:
                    raise DownloadMismatch(
                        f"{self.endpoint}: {remote_path} has sha-256 {sha256}, its manifest says {expected_sha256}; "
                        f"{local} was not written. Damaged or replaced: ask the sender to upload it again."
                    )
                os.replace(temp, local)
            finally:
                temp.unlink(missing_ok=True)
            return RemoteFile(remote_path, size, sha256)

        downloaded = self._retrying("download", remote_path, get)
        self._record(
            "download",
            user=self.endpoint.user,
            remote_path=remote_path,
            size=downloaded.size,
            sha256=downloaded.sha256,
            wave=wave,
            kind=kind,
        )
        return downloaded

    def remove(self, remote_path: str, *, wave: str | None = None, kind: str | None = None) -> bool:
        """Delete a processed file from the server; False when it was already gone (removing is idempotent)."""

        def delete(sftp: paramiko.SFTPClient) -> bool:
            try:
                sftp.remove(remote_path)
            except FileNotFoundError:
                return False
            return True

        removed = self._retrying("delete", remote_path, delete)
        self._record("delete", user=self.endpoint.user, remote_path=remote_path, removed=removed, wave=wave, kind=kind)
        return removed

    # -- helpers ------------------------------------------------------------------------------------------------

    @contextmanager
    def _bar(self, label: str, total: int, on_progress: ProgressCallback | None) -> Iterator[ProgressCallback]:
        if not self.progress:
            yield on_progress or _ignore
            return
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task(label, total=total)

            def update(done: int, total: int) -> None:
                bar.update(task, completed=done)
                if on_progress is not None:
                    on_progress(done, total)

            yield update

    def _record(self, event: str, **fields: Any) -> None:
        if self.audit is not None:
            # Names on the server are chosen by whoever can write there: kept escaped, so no report shows them raw.
            if isinstance(fields.get("remote_path"), str):
                fields["remote_path"] = printable(fields["remote_path"], limit=None)
            self.audit.record(event, **fields)


def load_login_key(path: Path) -> paramiko.PKey:
    """The SSH login key at ``path``: private (0600), unencrypted, readable by paramiko; else a ``ConfigError``."""
    check_private_file(path, "SSH login key", created_by="ssh-keygen -t ed25519")
    try:
        key: paramiko.PKey = paramiko.PKey.from_path(str(path))
    except paramiko.PasswordRequiredException:
        raise ConfigError(
            f"private key {path} is passphrase-protected; this unattended client needs an "
            "unencrypted key protected by its file mode (0600)"
        ) from None
    except (paramiko.SSHException, ValueError, OSError) as exc:
        raise ConfigError(f"private key {path}: cannot read it as an SSH private key ({exc})") from None
    return key


def _ignore(done: int, total: int) -> None:
    """Progress sink when nobody watches."""


def _describe(exc: BaseException) -> str:
    text = str(exc) or repr(exc)
    return f"{type(exc).__name__}: {text}"
