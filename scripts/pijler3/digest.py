"""Streaming file digests (SHA-256, size, newline count, first bytes) in 1 MiB chunks, in this process or in a
helper process.

Why a helper process: pyrage 1.4 keeps the GIL for the whole of ``encrypt_file``/``decrypt_file``, so a Python thread
cannot hash while it runs, and hashing in the same thread doubles the time (SHA-256 runs at about twice the speed of
age's ChaCha20-Poly1305, and the manifest needs two of them). The helper runs on the other core, reads the file the
Rust side is writing as it grows (``follow``), and reports when told the writer is done. This module is also the
helper's program: ``python -I -S digest.py JOB…`` (each JOB a JSON object) imports only the standard library.
"""

from __future__ import annotations

import hashlib
import json
import select
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

CHUNK = 1 << 20
HEAD_BYTES = 4
POLL_SECONDS = 0.005


@dataclass(frozen=True)
class Digest:
    sha256: str
    size: int
    newlines: int
    head: str  # hex of the first HEAD_BYTES bytes (format sniffing, e.g. Parquet's PAR1)
    ends_with_newline: bool

    @property
    def lines(self) -> int:
        """``\\n``-terminated lines plus a final unterminated one."""
        return self.newlines + (1 if self.size and not self.ends_with_newline else 0)


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a whole file (the one file hash of the package; ``digest_file`` when more is needed)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def digest_file(path: Path, *, writer_done: Callable[[], bool] | None = None, count_lines: bool = True) -> Digest:
    """Digest ``path``; with ``writer_done``, the file is still growing: at its end, wait until the writer is done.

    Without ``count_lines`` (ciphertext has no lines) ``newlines`` is 0 and ``ends_with_newline`` False.
    """
    sha256 = hashlib.sha256()
    size = newlines = 0
    head = b""
    last = b""
    done = writer_done is None
    with path.open("rb", buffering=0) as handle:
        while True:
            chunk = handle.read(CHUNK)
            if chunk:
                sha256.update(chunk)
                if count_lines:
                    newlines += chunk.count(b"\n")
                if len(head) < HEAD_BYTES:
                    head = (head + chunk)[:HEAD_BYTES]
                size += len(chunk)
                last = chunk[-1:]
            elif done:
                break
            else:
                # One more pass after the writer finished picks up its last bytes.
                done = writer_done() if writer_done is not None else True
    return Digest(sha256.hexdigest(), size, newlines, head.hex(), count_lines and last == b"\n")


def _stdin_closed() -> bool:
    if select.select([sys.stdin], [], [], POLL_SECONDS)[0]:
        return sys.stdin.buffer.read(1) == b""
    return False


class DigestProcess:
    """Digests files in order in a helper process; ``jobs`` are (path, count_lines). With ``follow_last`` the last
    path is still being written: call ``writer_done`` once the writer has closed it, then ``results``."""

    def __init__(self, jobs: list[tuple[Path, bool]], *, follow_last: bool = False) -> None:
        args = [
            json.dumps({"path": str(path), "count_lines": count_lines, "follow": follow_last and i == len(jobs) - 1})
            for i, (path, count_lines) in enumerate(jobs)
        ]
        self._process = subprocess.Popen(
            [sys.executable, "-I", "-S", __file__, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def __enter__(self) -> DigestProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def writer_done(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()

    def results(self) -> list[Digest]:
        assert self._process.stdout is not None and self._process.stderr is not None
        stdout = self._process.stdout.read()
        stderr = self._process.stderr.read()
        if self._process.wait() != 0:
            raise OSError(f"digest helper failed: {stderr.decode(errors='replace').strip()}")
        return [Digest(**json.loads(line)) for line in stdout.splitlines()]

    def stop(self) -> None:
        """End the helper (a no-op once ``results`` returned); it must not outlive a failed seal or open."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        for pipe in (self._process.stdin, self._process.stdout, self._process.stderr):
            if pipe is not None:
                pipe.close()


def main(args: list[str]) -> None:
    for arg in args:
        job = json.loads(arg)
        digest = digest_file(
            Path(job["path"]), writer_done=_stdin_closed if job["follow"] else None, count_lines=job["count_lines"]
        )
        print(json.dumps(asdict(digest)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
