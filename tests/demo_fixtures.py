"""One demo run shared by the demo, wave, purge and audit-report tests, built once per test session (a full run takes
about a minute, mostly dbt).

Under pytest-xdist the first worker that needs it builds it under an exclusive lock in the session's shared temporary
folder; the others wait for the lock and reuse the folder with the result and progress the builder recorded. Tests
only read the shared folder (databases opened read-only); tests that change it work on a copy (``demo_copy``). Each
worker checks at the end of the session that the folder is unchanged (every file's path, size and modification
time), so a test that writes into it fails the run instead of silently changing what the others read.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from demo_helpers import PERSONS, SEED, Demo
from pijler3.demo import DemoResult, WaveSummary, run_demo
from pijler3.files import exclusive_lock, write_json

RECORD = "demo-fixture.json"  # beside the demo folder, not in it: the result, the progress and the fingerprint


def fingerprint(out: Path) -> dict[str, list[int]]:
    """Every file and folder under ``out`` with its size and modification time."""
    found = {}
    for path in sorted(out.rglob("*")):
        stat = path.lstat()
        found[str(path.relative_to(out))] = [stat.st_size if path.is_file() else 0, stat.st_mtime_ns]
    return found


def _record(result: DemoResult, progress: list[str]) -> dict[str, Any]:
    return {
        "result": {
            **dataclasses.asdict(result),
            "out": str(result.out),
            "paths": {label: str(path) for label, path in result.paths.items()},
        },
        "progress": progress,
        "fingerprint": fingerprint(result.out),
    }


def _result(recorded: dict[str, Any]) -> DemoResult:
    return DemoResult(
        out=Path(recorded["out"]),
        waves=tuple(WaveSummary(**wave) for wave in recorded["waves"]),
        seconds=recorded["seconds"],
        resumed=recorded["resumed"],
        paths={label: Path(path) for label, path in recorded["paths"].items()},
        meldingen=tuple(recorded["meldingen"]),
    )


def _shared_root(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The session's temporary folder all xdist workers share (without xdist: the session's own)."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Demo]:
    root = _shared_root(tmp_path_factory, worker_id) / "shared-demo"
    out, record = root / "demo", root / RECORD
    with exclusive_lock(record):
        if not record.is_file():
            shutil.rmtree(out, ignore_errors=True)  # an earlier builder that failed halfway
            progress: list[str] = []
            result = run_demo(out, persons=PERSONS, seed=SEED, sftp="embedded", progress=progress.append)
            write_json(record, _record(result, progress))
    recorded = json.loads(record.read_text(encoding="utf-8"))
    yield Demo(out, _result(recorded["result"]), recorded["progress"])
    now, then = fingerprint(out), recorded["fingerprint"]
    changed = sorted(path for path in now.keys() | then.keys() if now.get(path) != then.get(path))
    assert not changed, f"a test changed the shared demo folder (use demo_copy): {changed[:5]}"


@pytest.fixture
def demo_copy(demo: Demo, tmp_path: Path) -> Path:
    copy = tmp_path / "demo"
    shutil.copytree(demo.out, copy, symlinks=True)
    return copy
