"""The exchange files hold only what protocol art. 3 allows, read from the manifest dbt builds them with.

The enforced contracts make the built tables equal their YAML; these tests pin the YAML to the protocol. Adding a
column to ``verrijking`` therefore needs an entry here that names the art. 3 attribute it serves, and the request file
can never hold more than the INSZ.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pijler3.dbt_runner import run_dbt
from pijler3.exchange_files import AANVRAAG_SCHEMA, VERRIJKING_SCHEMA

pytestmark = pytest.mark.slow

# Every column of the enriched file and the line of art. 3 ("Gegevens uit de VDAB-databank") it serves.
_ACTIES = "type acties (oriëntatie, context, competentieversterking, solliciteren)"
ART3_VERRIJKING: dict[str, str] = {
    "insz": "INSZ-nummer (gegevens uit KBI): the key the agencies asked for",
    "gekend_bij_vdab": "verantwoording 1: controleren of de inburgeraars al dan niet ingeschreven zijn bij VDAB",
    "eerste_inschrijving": "eerste en meest recente inschrijving bij VDAB",
    "meest_recente_inschrijving": "eerste en meest recente inschrijving bij VDAB",
    "huidige_categorie_werkzoekende": "huidige categorie werkzoekende",
    "huidige_categorie_werkzoekende_omschrijving": "huidige categorie werkzoekende",
    "status_dienstverlening": "status dienstverlening bij VDAB",
    **{
        f"{kolom}_{actietype}": _ACTIES
        for actietype in ("orientatie", "context", "competentieversterking", "solliciteren")
        for kolom in ("heeft_actie", "aantal_acties", "eerste_start_actie")
    },
    "uitstroom_naar_werk": "uitstroom naar werk",
    "uitstroom_naar_werk_binnen_6_maanden": "uitstroom naar werk",
    "uitstroom_naar_werk_binnen_12_maanden": "uitstroom naar werk",
}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("dbt-parse")
    run_dbt(["parse"], target="lint", env={}, work_dir=work)
    result: dict[str, Any] = json.loads((work / "target" / "manifest.json").read_text(encoding="utf-8"))
    return result


def model(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    node: dict[str, Any] = manifest["nodes"][f"model.pijler3.{name}"]
    return node


def test_verrijking_has_only_columns_art3_lists(manifest: dict[str, Any]) -> None:
    kolommen = list(model(manifest, "verrijking")["columns"])
    niet_in_art3 = [k for k in kolommen if k not in ART3_VERRIJKING]
    assert not niet_in_art3, f"verrijking has columns protocol art. 3 does not list: {niet_in_art3}"
    assert sorted(kolommen) == sorted(ART3_VERRIJKING)


def test_verrijking_contract_is_enforced_and_matches_the_export_schema(manifest: dict[str, Any]) -> None:
    node = model(manifest, "verrijking")
    assert node["config"]["contract"]["enforced"] is True
    contract = {naam: kolom["data_type"].upper() for naam, kolom in node["columns"].items()}
    assert list(contract.items()) == list(VERRIJKING_SCHEMA.items())


def test_aanvraag_has_exactly_one_column_insz(manifest: dict[str, Any]) -> None:
    node = model(manifest, "aanvraag")
    assert node["config"]["contract"]["enforced"] is True
    assert (
        {n: k["data_type"].upper() for n, k in node["columns"].items()} == dict(AANVRAAG_SCHEMA) == {"insz": "VARCHAR"}
    )


@pytest.mark.parametrize("naam", ["aanvraag", "verrijking", "stg_uitwisseling__aanvraag", "int_vdab_klanten_gekoppeld"])
def test_insz_columns_are_classified_sensitive(manifest: dict[str, Any], naam: str) -> None:
    kolommen = model(manifest, naam)["columns"]
    insz = [k for k in kolommen if k.startswith("insz") and k != "insz_ongeldig_reden"]
    assert insz
    for kolom in insz:
        assert kolommen[kolom]["config"]["meta"].get("gevoelig") == "insz", f"{naam}.{kolom}"


def test_the_descriptions_cite_the_protocol(repo: Path, manifest: dict[str, Any]) -> None:
    for naam in ("aanvraag", "verrijking"):
        node = model(manifest, naam)
        assert "art. 3" in node["description"] and "Grein" in node["description"]
        assert all("art. 3" in kolom["description"] for kolom in node["columns"].values()), naam
