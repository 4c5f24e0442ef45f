"""The data dictionary: dbt's documentation site as one static HTML file (``<out>/docs/index.html``).

Every source, model and column is described in Dutch with its protocol article, the personal-data classification is
in each node's ``meta`` (shown on the site), and the lineage graph is built in. ``dbt docs generate --static`` inlines
the manifest and catalog into a single page, so it opens from disk without a web server.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dbt.cli.main import dbtRunner

from pijler3 import leakscan
from pijler3.errors import Pijler3Error

STATIC_PAGE = "static_index.html"


def build_docs_site(
    project_dir: Path,
    profiles_dir: Path,
    out_dir: Path,
    *,
    target: str | None = None,
    target_path: Path | None = None,
    dbt_vars: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
) -> Path:
    """Generate dbt's static docs for ``project_dir`` and publish them atomically as ``out_dir/docs/index.html``."""
    target_path = target_path or project_dir / "target"
    args = [
        "docs", "generate", "--static",
        "--project-dir", str(project_dir),
        "--profiles-dir", str(profiles_dir),
        "--target-path", str(target_path),
        *extra_args,
    ]  # fmt: skip
    if target:
        args += ["--target", target]
    if dbt_vars:
        args += ["--vars", json.dumps(dict(dbt_vars))]
    result = dbtRunner().invoke(args)
    page = target_path / STATIC_PAGE
    if not result.success or not page.is_file():
        raise Pijler3Error(
            f"dbt docs generate failed for {project_dir} ({result.exception or 'no ' + STATIC_PAGE + ' written'}); "
            f"see the dbt log in {project_dir / 'logs'}"
        )
    return publish_page(page, out_dir / "docs", allowed=leakscan.project_fixture_numbers(project_dir))


def publish_page(page: Path, docs_dir: Path, *, allowed: frozenset[str] = frozenset()) -> Path:
    """Copy a generated static docs page to ``docs_dir/index.html`` atomically, readable by everyone: the data
    dictionary describes the data and holds none of it, and BI users open it from disk. The copy is scanned first
    (``leakscan.check_publication``, bidi characters only: dbt's bundled JavaScript carries C0 controls; ``allowed``:
    the made-up INSZ of the project's unit-test fixtures)."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    destination = docs_dir / "index.html"
    partial = docs_dir / f".index.html.{os.getpid()}.part"
    try:
        shutil.copyfile(page, partial)
        leakscan.check_publication(partial, destination, allowed=allowed, controls=False)
        partial.chmod(0o644)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return destination


def undescribed(manifest: Mapping[str, Any], *, only_paths: Sequence[str] = ()) -> list[str]:
    """Every model, seed, snapshot, source and column in a dbt manifest whose description is empty.

    ``only_paths`` limits the check to nodes whose original file path starts with one of the given prefixes.
    """
    missing: list[str] = []
    for group in ("nodes", "sources"):
        for unique_id, node in manifest.get(group, {}).items():
            if node.get("resource_type") not in {"model", "seed", "snapshot", "source"}:
                continue
            path = str(node.get("original_file_path", ""))
            if only_paths and not path.startswith(tuple(only_paths)):
                continue
            if not str(node.get("description") or "").strip():
                missing.append(f"{unique_id} ({path})")
            for column, spec in (node.get("columns") or {}).items():
                if not str(spec.get("description") or "").strip():
                    missing.append(f"{unique_id}.{column} ({path})")
    return sorted(missing)
