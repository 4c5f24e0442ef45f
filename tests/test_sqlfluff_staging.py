"""sqlfluff (dialect duckdb, dbt templater, the repo's .sqlfluff and its one profiles.yml) finds nothing in models/ and
macros/."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pijler3.dbt_runner import REPO


@pytest.mark.slow
def test_models_and_macros_lint_clean() -> None:
    # As an analyst runs it: .sqlfluff names the repository's profiles.yml and its `lint` target.
    env = {k: v for k, v in os.environ.items() if k not in ("DBT_PROFILES_DIR", "PIJLER3_TARGET")}
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
