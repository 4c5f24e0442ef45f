"""The data dictionary: every node and column described, and the static site renders in a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, require_tool
from pijler3.docs_site import build_docs_site, undescribed

STUBS = "models/_buiten_deze_tak"
MART = "mart_inschrijving_vdab"


def _project(tmp: Path) -> Path:
    """The repository's dbt project in a temp dir. A model it refers to that lives on a branch not merged here yet is
    replaced by an empty stand-in (outside the description check); once merged, nothing is stubbed."""
    project = tmp / "pijler3"
    project.mkdir()
    shutil.copy(REPO / "dbt_project.yml", project)
    for folder in ("models", "macros", "seeds", "snapshots", "tests/dbt"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, project / folder)
    bestaand = {p.stem for p in (REPO / "models").rglob("*.sql")} | {p.stem for p in (REPO / "seeds").rglob("*.csv")}
    gevraagd = {
        m for p in (REPO / "models").rglob("*.sql") for m in re.findall(r"ref\('([a-z0-9_]+)'\)", p.read_text())
    }
    (project / STUBS).mkdir(parents=True)
    for naam in sorted(gevraagd - bestaand):
        (project / STUBS / f"{naam}.sql").write_text("select 1 as stand_in\n")
    if not (REPO / "macros" / "vdab_actietypen.sql").exists():
        (project / "macros" / "_vdab_actietypen_stand_in.sql").write_text(
            "{% macro vdab_actietypen() %}{{ return(['orientatie', 'context', 'competentieversterking', "
            "'solliciteren']) }}{% endmacro %}\n"
        )
    (project / "profiles.yml").write_text(
        "pijler3:\n  target: lint\n  outputs:\n    lint:\n"
        "      type: duckdb\n      path: ':memory:'\n      threads: 1\n"
    )
    return project


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("docs")
    project = _project(tmp)
    index = build_docs_site(
        project, project, tmp / "out", extra_args=["--empty-catalog", "--log-path", str(tmp / "logs")]
    )
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    return {"index": index, "manifest": manifest, "tmp": tmp}


def test_every_model_source_and_column_has_a_description(site: dict[str, Any]) -> None:
    missing = [m for m in undescribed(site["manifest"]) if STUBS not in m]
    assert not missing, "empty descriptions:\n" + "\n".join(missing)


def test_the_description_check_fails_on_an_undescribed_column(site: dict[str, Any]) -> None:
    manifest = json.loads(json.dumps(site["manifest"]))
    node = manifest["nodes"][f"model.pijler3.{MART}"]
    node["columns"]["aantal_nieuwkomers"]["description"] = "  "
    assert undescribed(manifest, only_paths=["models/marts/"]) == [
        f"model.pijler3.{MART}.aantal_nieuwkomers ({node['original_file_path']})"
    ]


def test_marts_carry_a_sensitivity_classification_and_a_stated_grain(site: dict[str, Any]) -> None:
    marts = [n for n in site["manifest"]["nodes"].values() if n["resource_type"] == "model" and n["fqn"][1] == "marts"]
    assert len(marts) >= 6
    for node in marts:
        assert node["meta"].get("gevoelig") == "geaggregeerd", node["name"]
        assert node["meta"].get("grein"), node["name"]
        assert "Grein" in node["description"], node["name"]
        assert any(e["depends_on"]["nodes"] == [node["unique_id"]] or node["unique_id"] in e["depends_on"]["nodes"]
                   for e in site["manifest"]["exposures"].values()), f"{node['name']} has no exposure"  # fmt: skip


@pytest.mark.slow
@pytest.mark.needs_tool
def test_the_static_site_renders_in_chromium_with_a_mart_column_description(site: dict[str, Any]) -> None:
    chromium = require_tool("chromium", "/usr/bin/chromium")
    profiel = site["tmp"] / "chromium-profiel"
    url = f"file://{site['index']}#!/model/model.pijler3.{MART}"
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profiel}", "--virtual-time-budget=15000", "--dump-dom", url],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    # The static page inlines the manifest in a <script>; only text outside scripts proves the page rendered.
    dom = re.sub(r"<script\b.*?</script>", "", done.stdout, flags=re.DOTALL | re.IGNORECASE)
    dom = re.sub(r"<[^>]+>", " ", dom)
    kolom = site["manifest"]["nodes"][f"model.pijler3.{MART}"]["columns"]["aantal_ingeschreven_binnen_60_dagen"]
    fragment = " ".join(kolom["description"].split())[:60]
    assert MART in dom
    assert fragment in " ".join(dom.split()), "the mart's column description is not on the rendered page"
    assert "geaggregeerd" in dom  # the classification in meta is shown
