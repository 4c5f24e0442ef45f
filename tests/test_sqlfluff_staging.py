"""sqlfluff (dialect duckdb, dbt templater, the repo's .sqlfluff) finds nothing in models/ and macros/."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pijler3.dbt_runner import REPO, write_profiles


@pytest.mark.slow
def test_models_and_macros_lint_clean(tmp_path: Path) -> None:
    write_profiles(tmp_path / "profiles")
    env = {**os.environ, "DBT_PROFILES_DIR": str(tmp_path / "profiles"), "PIJLER3_TARGET": "lint"}
    done = subprocess.run(
        [sys.executable, "-m", "sqlfluff", "lint", "models", "macros", "--format", "github-annotation-native"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
