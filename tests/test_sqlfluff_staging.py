"""sqlfluff (dialect duckdb, dbt templater, the repo's .sqlfluff and its one profiles.yml) finds nothing in models/ and
macros/.

sqlfluff's dbt templater skips the macro files themselves ("because it is a macro"): they are linted as they render
in the models that call them. Only what needs it is linted: a model found clean before (pytest's cache,
``.pytest_cache/``) is linted again only when it, or anything that changes how it is templated or which rules apply
(the macros, seeds, the project and sqlfluff configuration, the sqlfluff and dbt versions), changed since. A clean
clone lints every model.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from pijler3.dbt_runner import REPO

CACHE_KEY = "pijler3/sqlfluff-clean"
# What templates every file: a change here relints them all.
SHARED = (".sqlfluff", "dbt_project.yml", "profiles.yml", "selectors.yml")


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


def lint_keys(repo: Path) -> dict[str, str]:
    """Per SQL file of models/ the hash of what its lint result depends on."""
    files = sorted((repo / "models").rglob("*.sql"))
    project = sorted(
        [
            *(repo / name for name in SHARED if (repo / name).is_file()),
            *(repo / "macros").rglob("*"),
            *(repo / "seeds").rglob("*"),
        ]
    )
    shared = _digest(
        version("sqlfluff").encode(),
        version("sqlfluff-templater-dbt").encode(),
        version("dbt-core").encode(),
        *(str(p.relative_to(repo)).encode() + b"\0" + p.read_bytes() for p in project if p.is_file()),
    )
    return {str(p.relative_to(repo)): _digest(shared.encode(), p.read_bytes()) for p in files}


@pytest.mark.slow
def test_models_and_macros_lint_clean(request: pytest.FixtureRequest) -> None:
    keys = lint_keys(REPO)
    clean: dict[str, str] = request.config.cache.get(CACHE_KEY, {})
    todo = sorted(path for path, key in keys.items() if clean.get(path) != key)
    if todo:
        # As an analyst runs it: .sqlfluff names the repository's profiles.yml and its `lint` target.
        env = {k: v for k, v in os.environ.items() if k not in ("DBT_PROFILES_DIR", "PIJLER3_TARGET")}
        done = subprocess.run(
            [sys.executable, "-m", "sqlfluff", "lint", *todo, "--format", "github-annotation-native"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    request.config.cache.set(CACHE_KEY, {path: keys[path] for path in keys})


def test_a_changed_model_is_linted_again_and_a_changed_macro_relints_everything(tmp_path: Path) -> None:
    for name in ("models", "macros", "seeds"):
        (tmp_path / name).mkdir()
    (tmp_path / ".sqlfluff").write_text("[sqlfluff]\ndialect = duckdb\n")
    (tmp_path / "models" / "a.sql").write_text("select 1 as a\n")
    (tmp_path / "models" / "b.sql").write_text("select 2 as b\n")
    (tmp_path / "macros" / "m.sql").write_text("{% macro m() %}1{% endmacro %}\n")
    before = lint_keys(tmp_path)
    assert set(before) == {"models/a.sql", "models/b.sql"}

    (tmp_path / "models" / "a.sql").write_text("select 1 as  a\n")
    after_model = lint_keys(tmp_path)
    assert [p for p in before if before[p] != after_model[p]] == ["models/a.sql"]

    (tmp_path / "macros" / "m.sql").write_text("{% macro m() %}2{% endmacro %}\n")
    after_macro = lint_keys(tmp_path)
    assert all(after_model[p] != after_macro[p] for p in before)

    (tmp_path / ".sqlfluff").write_text("[sqlfluff]\ndialect = ansi\n")
    assert all(after_macro[p] != v for p, v in lint_keys(tmp_path).items())
