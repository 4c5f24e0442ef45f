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


# The vocabulary of meta `gevoelig` (dbt_project.yml, the docs site's overview), most sensitive first.
GEVOELIGHEID = [
    "insz", "geheim", "bijzondere_categorie", "pseudoniem", "profiel", "vdab", "ware_aantallen", "geaggregeerd",
    "intern", "publiek",
]  # fmt: skip


def sensitivity_problems(manifest: dict[str, Any]) -> list[str]:
    """Every model, seed and source without a known classification, or holding a column classified above itself."""
    problems = []
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")]
    for node in [*nodes, *manifest["sources"].values()]:
        if STUBS in node["original_file_path"]:
            continue
        eigen = node.get("config", {}).get("meta", {}).get("gevoelig") or node["meta"].get("gevoelig")
        if eigen not in GEVOELIGHEID:
            problems.append(f"{node['unique_id']}: gevoelig {eigen!r} is not in the vocabulary")
            continue
        for naam, kolom in node["columns"].items():
            klasse = kolom.get("meta", {}).get("gevoelig") or kolom.get("config", {}).get("meta", {}).get("gevoelig")
            if klasse and GEVOELIGHEID.index(klasse) < GEVOELIGHEID.index(eigen):
                problems.append(f"{node['unique_id']}.{naam}: classified {klasse}, above its node's {eigen}")
    return problems


def test_every_model_seed_and_source_carries_a_sensitivity_classification(site: dict[str, Any]) -> None:
    assert sensitivity_problems(site["manifest"]) == []
    dataset = site["manifest"]["nodes"]["model.pijler3.gepseudonimiseerde_dataset"]
    assert dataset["config"]["meta"]["gevoelig"] == "bijzondere_categorie"  # it holds the nationality (art. 2)


def test_the_sensitivity_check_fails_on_a_missing_or_too_low_classification(site: dict[str, Any]) -> None:
    manifest = json.loads(json.dumps(site["manifest"]))
    dataset = manifest["nodes"]["model.pijler3.gepseudonimiseerde_dataset"]
    dataset["config"]["meta"]["gevoelig"] = "profiel"
    dataset["meta"]["gevoelig"] = "profiel"
    bron = next(iter(manifest["sources"].values()))
    bron["config"]["meta"].pop("gevoelig")
    bron["meta"].pop("gevoelig", None)
    problems = sensitivity_problems(manifest)
    assert f"{bron['unique_id']}: gevoelig None is not in the vocabulary" in problems
    assert any(
        p.startswith("model.pijler3.gepseudonimiseerde_dataset.oudste_nationaliteit: classified") for p in problems
    )


def test_the_site_opens_on_the_dutch_overview(site: dict[str, Any]) -> None:
    overview = site["manifest"]["docs"]["doc.pijler3.__overview__"]["block_contents"]
    for kop in (
        "De gegevensstroom",
        "Welke databank bevat wat",
        "Hoe de cijfers beschermd zijn",
        "Hoe lees je een mart",
    ):
        assert kop in overview
    assert "Welcome" not in overview


def test_marts_carry_a_sensitivity_classification_and_a_stated_grain(site: dict[str, Any]) -> None:
    marts = [n for n in site["manifest"]["nodes"].values() if n["resource_type"] == "model" and n["fqn"][1] == "marts"]
    assert len(marts) >= 6
    for node in marts:
        # the reference tables that explain the codes hold no counts
        verwacht = "publiek" if node["fqn"][2] == "referentie" else "geaggregeerd"
        assert node["meta"].get("gevoelig") == verwacht, node["name"]
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
        capture_output=True, text=True,
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
