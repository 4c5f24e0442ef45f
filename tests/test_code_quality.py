"""The house style is checked, not hoped for: ruff (lint and format) and mypy --strict over the package and tests."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pijler3.dbt_runner import REPO


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "scripts", "tests", "bench"],
        ["ruff", "format", "--check", "scripts", "tests", "bench"],
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_clean(command: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", *command], cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
