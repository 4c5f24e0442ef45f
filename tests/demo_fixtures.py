"""One demo run shared by the demo, wave, purge and audit-report tests (a full run takes about a minute, mostly dbt).

Tests that change the demo folder work on a copy (``demo_copy``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from demo_helpers import PERSONS, SEED, Demo
from pijler3.demo import run_demo


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    out = tmp_path_factory.mktemp("demo") / "demo"
    progress: list[str] = []
    result = run_demo(out, persons=PERSONS, seed=SEED, sftp="embedded", progress=progress.append)
    return Demo(out, result, progress)


@pytest.fixture
def demo_copy(demo: Demo, tmp_path: Path) -> Path:
    copy = tmp_path / "demo"
    shutil.copytree(demo.out, copy, symlinks=True)
    return copy
