"""File digests in a helper process, including a file that is still being written (pijler3.digest)."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest

from pijler3.digest import Digest, DigestProcess, digest_file


def test_digest_of_a_static_file(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    content = b"insz\n85073003328\n93051822361"
    path.write_bytes(content)
    found = digest_file(path)
    assert found == Digest(hashlib.sha256(content).hexdigest(), len(content), 2, content[:4].hex(), False)
    assert found.lines == 3
    assert digest_file(path, count_lines=False).newlines == 0


def test_helper_follows_a_file_while_it_grows(tmp_path: Path) -> None:
    static, growing = tmp_path / "static.bin", tmp_path / "growing.csv"
    static.write_bytes(os.urandom(3 << 20))
    growing.touch()
    chunks = [os.urandom(1000) + b"\n" for _ in range(300)]

    def write_slowly() -> None:
        with growing.open("ab") as handle:
            for i, chunk in enumerate(chunks):
                handle.write(chunk)
                handle.flush()
                if i % 50 == 0:
                    time.sleep(0.02)

    with DigestProcess([(static, False), (growing, True)], follow_last=True) as helper:
        writer = threading.Thread(target=write_slowly)
        writer.start()
        writer.join()
        helper.writer_done()
        of_static, of_growing = helper.results()
    content = b"".join(chunks)
    assert of_static.sha256 == hashlib.sha256(static.read_bytes()).hexdigest()
    assert of_growing.sha256 == hashlib.sha256(content).hexdigest()
    assert of_growing.size == len(content)
    assert of_growing.newlines == content.count(b"\n")


def test_helper_failure_is_an_error(tmp_path: Path) -> None:
    with DigestProcess([(tmp_path / "absent", True)]) as helper, pytest.raises(OSError, match="digest helper failed"):
        helper.results()
