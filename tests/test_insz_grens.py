"""The INSZ border, read from dbt's manifest: no INSZ column may leave the restricted layers.

The restricted layers (staging, intermediate, uitwisseling) live in the restricted database that a run deletes once it
succeeded; every other model lives in the persistent monitoring database. The check fails closed: it does not trust a
classification to be present, so outside the restricted layers it also refuses any column *named* like an INSZ, any
column sharing a name with a classified INSZ column, and any model whose declared columns are not enforced as its real
columns (a contract), because an undeclared column is invisible to the manifest. Each rule is shown to fail on a
throwaway variant of the real manifest.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
DBT = str(Path(sys.executable).parent / "dbt")
RESTRICTED_PATHS = ("models/staging/", "models/intermediate/", "models/uitwisseling/")
MONITORING_DATABASE = "monitoring"
INSZ_LIKE = re.compile(r"insz|rijksregister|bis_?nummer|national_?number|ssn", re.IGNORECASE)
# Inside the restricted layers a column that *holds* a number (`insz`, `oud_insz`, `insz_ruw`) must be classified;
# `insz_ongeldig_reden` only describes one.
HOLDS_INSZ = re.compile(r"(\w+_)?(insz|rijksregisternummer|bis_?nummer)(_ruw)?", re.IGNORECASE)
DATASET = "model.pijler3.gepseudonimiseerde_dataset"
HISTORY = "model.pijler3.golf_historiek"

Manifest = dict[str, Any]


def _classification(column: dict[str, Any]) -> str | None:
    """``gevoelig`` from the column's meta; dbt 1.10+ also keeps meta under ``config``."""
    for meta in (column.get("meta") or {}, (column.get("config") or {}).get("meta") or {}):
        if "gevoelig" in meta:
            return str(meta["gevoelig"])
    return None


def _nodes(manifest: Manifest) -> Iterator[tuple[str, dict[str, Any]]]:
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] in ("model", "snapshot", "seed"):
            yield unique_id, node


def insz_border_violations(manifest: Manifest) -> list[str]:
    """Every way an INSZ could reach a model outside the restricted layers, as readable lines (empty: none)."""
    violations: list[str] = []
    classified_names: set[str] = set()
    for unique_id, node in _nodes(manifest):
        if not node["original_file_path"].startswith(RESTRICTED_PATHS):
            continue
        if node.get("database") == MONITORING_DATABASE:
            violations.append(f"{unique_id}: a restricted-layer model is configured into the monitoring database")
        for name, column in node["columns"].items():
            if _classification(column) == "insz":
                classified_names.add(name.lower())
            elif HOLDS_INSZ.fullmatch(name):
                violations.append(
                    f"{unique_id}.{name}: named like an INSZ but not classified; add meta gevoelig: insz (or rename)"
                )
    for unique_id, node in _nodes(manifest):
        if node["original_file_path"].startswith(RESTRICTED_PATHS):
            continue
        for name, column in node["columns"].items():
            if _classification(column) == "insz":
                violations.append(f"{unique_id}.{name}: classified gevoelig: insz outside the restricted layers")
            elif INSZ_LIKE.search(name):
                violations.append(f"{unique_id}.{name}: a column named like an INSZ outside the restricted layers")
            elif name.lower() in classified_names:
                violations.append(f"{unique_id}.{name}: same name as an INSZ column of the restricted layers")
        if node["resource_type"] == "seed":
            continue
        if not (node.get("config", {}).get("contract") or {}).get("enforced"):
            violations.append(f"{unique_id}: outside the restricted layers without an enforced contract")
        if node.get("database") != MONITORING_DATABASE:
            violations.append(f"{unique_id}: outside the restricted layers but not in the monitoring database")
    return violations


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    """A fresh manifest of the real project (``dbt parse``, target agentschap of the committed profile: no connection
    is opened)."""
    work = tmp_path_factory.mktemp("parse")
    env = {
        **os.environ,
        "PIJLER3_TARGET": "agentschap",
        "PIJLER3_RESTRICTED_DB": str(work / "restricted.duckdb"),
        "PIJLER3_MONITORING_DB": str(work / "monitoring.duckdb"),
    }
    command = [DBT, "parse", "--project-dir", str(REPO), "--profiles-dir", str(REPO)]
    command += ["--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    loaded: Manifest = json.loads((work / "target" / "manifest.json").read_text(encoding="utf-8"))
    return loaded


def test_real_project_keeps_every_insz_in_the_restricted_layers(manifest: Manifest) -> None:
    assert insz_border_violations(manifest) == []
    # The check must have had something to check: classified INSZ columns inside, the dataset outside.
    inside = [
        name
        for _, node in _nodes(manifest)
        if node["original_file_path"].startswith(RESTRICTED_PATHS)
        for name, column in node["columns"].items()
        if _classification(column) == "insz"
    ]
    assert len(inside) >= 3
    assert manifest["nodes"][DATASET]["database"] == MONITORING_DATABASE


def _variant(manifest: Manifest) -> Manifest:
    return copy.deepcopy(manifest)


def test_fails_on_a_classified_insz_column_in_the_dataset(manifest: Manifest) -> None:
    variant = _variant(manifest)
    variant["nodes"][DATASET]["columns"]["persoon"] = {"name": "persoon", "meta": {"gevoelig": "insz"}}
    assert insz_border_violations(variant) == [
        f"{DATASET}.persoon: classified gevoelig: insz outside the restricted layers"
    ]


def test_fails_closed_on_an_unclassified_column_named_like_an_insz(manifest: Manifest) -> None:
    variant = _variant(manifest)
    variant["nodes"][HISTORY]["columns"]["rijksregisternummer"] = {"name": "rijksregisternummer", "meta": {}}
    assert insz_border_violations(variant) == [
        f"{HISTORY}.rijksregisternummer: a column named like an INSZ outside the restricted layers"
    ]


def test_fails_on_a_column_named_as_a_classified_insz_column(manifest: Manifest) -> None:
    variant = _variant(manifest)
    classified = {"name": "persoonsnummer", "meta": {"gevoelig": "insz"}}
    variant["nodes"]["model.pijler3.int_profielen_verrijkt"]["columns"]["persoonsnummer"] = classified
    variant["nodes"][DATASET]["columns"]["persoonsnummer"] = {"name": "persoonsnummer", "meta": {}}
    assert insz_border_violations(variant) == [
        f"{DATASET}.persoonsnummer: same name as an INSZ column of the restricted layers"
    ]


def test_fails_on_a_model_outside_without_an_enforced_contract(manifest: Manifest) -> None:
    variant = _variant(manifest)
    variant["nodes"][HISTORY]["config"]["contract"] = {"enforced": False}
    assert insz_border_violations(variant) == [f"{HISTORY}: outside the restricted layers without an enforced contract"]


def test_fails_on_an_unclassified_insz_column_inside(manifest: Manifest) -> None:
    variant = _variant(manifest)
    node = variant["nodes"]["model.pijler3.int_profielen_verrijkt"]
    node["columns"]["insz"]["meta"] = {}
    node["columns"]["insz"].get("config", {}).pop("meta", None)
    assert insz_border_violations(variant) == [
        "model.pijler3.int_profielen_verrijkt.insz: named like an INSZ but not classified; "
        "add meta gevoelig: insz (or rename)"
    ]


def test_fails_on_a_model_in_the_wrong_database(manifest: Manifest) -> None:
    variant = _variant(manifest)
    variant["nodes"][DATASET]["database"] = "restricted"
    variant["nodes"]["model.pijler3.int_profielen_verrijkt"]["database"] = MONITORING_DATABASE
    assert sorted(insz_border_violations(variant)) == sorted(
        [
            f"{DATASET}: outside the restricted layers but not in the monitoring database",
            "model.pijler3.int_profielen_verrijkt: a restricted-layer model is configured into the monitoring database",
        ]
    )
