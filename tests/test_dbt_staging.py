"""dbt build of the staging layer on the hand-written fixtures, for each party's target and selector.

The build must be green (warnings allowed) and every defect in the fixtures must be *reported*: the warn-level tests
named below fire (read from run_results.json) and the rows carry the reason. An error-level problem fails the run
with the failing node named.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pijler3 import insz
from pijler3.dbt_runner import run_dbt
from pijler3.errors import Pijler3Error
from pijler3.loading import VDAB_PARQUET_COLUMNS, load_extract
from staging_fixtures import KBI_PERSONEN, VDAB, write_kbi, write_parquet, write_vdab

PEILDATUM = dt.date(2026, 6, 30)
VARS = ["--vars", f"{{peildatum: '{PEILDATUM.isoformat()}'}}"]


def statuses(work: Path) -> dict[str, tuple[str, int | None]]:
    """Test or model name (without the hash) -> (status, failures) from run_results.json."""
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    out: dict[str, tuple[str, int | None]] = {}
    for r in results:
        name = r["unique_id"].split(".")[2]
        out[name] = (r["status"], r["failures"])
    return out


def query(database: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(database), read_only=True) as con:
        # the agencies' staging views read the code lists kept in the monitoring database beside it
        if (monitoring := database.with_name("monitoring.duckdb")).is_file():
            con.execute(f"attach '{monitoring}' as monitoring (read_only)")
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def agentschap(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[str, int | None]]]:
    root = tmp_path_factory.mktemp("agentschap")
    database = root / "restricted.duckdb"
    load_extract("kbi", write_kbi(root / "extract" / "kbi"), database)
    env = {"PIJLER3_RESTRICTED_DB": str(database), "PIJLER3_MONITORING_DB": str(root / "monitoring.duckdb")}
    run_dbt(["build", "--selector", "agentschap", *VARS], target="agentschap", env=env, work_dir=root / "work")
    return database, statuses(root / "work")


@pytest.fixture(scope="module")
def vdab(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[str, int | None]]]:
    root = tmp_path_factory.mktemp("vdab")
    database = root / "vdab.duckdb"
    load_extract("vdab", write_vdab(root / "extract" / "vdab"), database)
    run_dbt(
        ["build", "--selector", "vdab", *VARS],
        target="vdab",
        env={"PIJLER3_VDAB_DB": str(database)},
        work_dir=root / "work",
    )
    return database, statuses(root / "work")


def warned(results: dict[str, tuple[str, int | None]]) -> dict[str, int | None]:
    return {name: failures for name, (status, failures) in results.items() if status == "warn"}


@pytest.mark.slow
def test_agentschap_build_is_green_and_only_builds_its_side(agentschap: tuple[Path, Any]) -> None:
    _, results = agentschap
    assert {s for s, _ in results.values()} <= {"success", "pass", "warn"}
    assert "stg_kbi__personen" in results
    assert not [name for name in results if "vdab__" in name]


@pytest.mark.slow
def test_agentschap_reports_every_kbi_defect(agentschap: tuple[Path, Any]) -> None:
    database, results = agentschap
    invalid = [r[0] for r in KBI_PERSONEN if not insz.is_valid(r[0], today=PEILDATUM)]
    assert (
        warned(results).items()
        >= {
            "not_null_stg_kbi__personen_insz": len(invalid),  # checksum (line 4) and empty (line 5)
            "unique_stg_kbi__personen_insz": 1,  # line 6 duplicates line 2
            "is_leeg_stg_kbi__personen_datum_fouten": 2,  # 31/02/2024 (line 4) and 2024-08-01 (line 7)
            "is_leeg_stg_kbi__personen_onbekende_labels": 1,  # line 7
            "not_null_stg_kbi__personen_geslacht_ruw": 1,  # empty values (line 5)
            "not_null_stg_kbi__insz_vervangingen_oud_insz": 1,
            "is_leeg_stg_kbi__insz_vervangingen_datum_fouten": 1,
        }.items()
    )
    rows = query(
        database,
        "select _regelnummer, insz, insz_ongeldig_reden, datum_fouten, onbekende_labels from stg_kbi__personen"
        " order by _regelnummer",
    )
    assert rows == [
        (2, "85073003328", None, None, None),
        (3, "90021512469", None, None, None),
        (4, None, "controlegetal", "datum_toeleiding_vdab", None),
        (5, None, "leeg", None, None),
        (6, "85073003328", None, None, None),
        (7, "02441008789", None, "datum_inburgeringscontract", "geslacht,plo_reden_besluit,verblijfsstatus"),
    ]


@pytest.mark.slow
def test_kbi_spelling_variants_map_to_codes_and_dates_are_typed(agentschap: tuple[Path, Any]) -> None:
    database, _ = agentschap
    line3 = query(
        database,
        "select leeftijdscategorie_code, geslacht_code, scholingsniveau_code, oudste_nationaliteit_code,"
        " doelgroep_code, kbi_regio_code, plo_besluit_code, ingeschat_taalleervermogen_code,"
        " hoogst_behaald_niveau_nt2_code, trajecttype_code, resultaat_diplomagelijkschakeling_code,"
        " toeleiding_diplomagelijkschakeling, heeft_ocmw_leefloon, verblijfsstatus_code, verblijfsstatus_ruw,"
        " datum_toeleiding_vdab from stg_kbi__personen where _regelnummer = 3",
    )
    assert line3 == [
        ("35-44", "V", "midden", "SYR", "verplicht", "oost_vlaanderen", "toeleiding_vdab", "traag", "A2",
         "standaard", "lopend", True, False, "erkend_vluchteling", "Erkend  Vluchteling", dt.date(2023, 5, 2)),
    ]  # fmt: skip
    vervangingen = query(
        database, "select oud_insz, nieuw_insz, datum_vervanging from stg_kbi__insz_vervangingen order by 1"
    )
    assert vervangingen == [
        ("02441008789", "02041008703", dt.date(2025, 6, 15)),
        ("98472899765", "98072809706", None),
        (None, "85073003328", None),
    ]


@pytest.mark.slow
def test_vdab_build_is_green_and_reports_every_defect(vdab: tuple[Path, Any]) -> None:
    database, results = vdab
    assert {s for s, _ in results.values()} <= {"success", "pass", "warn"}
    assert not [name for name in results if "kbi__" in name]
    assert (
        warned(results).items()
        >= {
            "not_null_stg_vdab__personen_insz": 4,  # checksum, NULL, blank, month 13
            "unique_stg_vdab__personen_klant_id": 1,
            "relationships_stg_vdab__inschrijvingen_klant_id__klant_id__ref_stg_vdab__personen_": 1,
            "niet_voor_stg_vdab__inschrijvingen_inschrijvingsdatum__uitschrijvingsdatum": 1,
            "niet_voor_stg_vdab__categorie_historiek_geldig_van__geldig_tot": 1,
            "is_leeg_stg_vdab__categorie_historiek_onbekende_labels": 1,
            "is_leeg_stg_vdab__dienstverlening_historiek_onbekende_labels": 1,
            "not_null_stg_vdab__dienstverlening_historiek_status_dienstverlening_ruw": 1,
            "niet_voor_stg_vdab__acties_startdatum__einddatum": 1,
            "is_leeg_stg_vdab__acties_onbekende_labels": 1,
            "not_null_stg_vdab__acties_actietype_ruw": 1,
            "not_null_stg_vdab__werkhervattingen_startdatum_werk": 1,
        }.items()
    )
    personen = query(database, "select insz_ruw, insz, insz_ongeldig_reden from stg_vdab__personen")
    for ruw, normalised, reden in personen:
        valid = ruw is not None and insz.is_valid(ruw, today=PEILDATUM)
        assert (normalised, reden is None) == ((insz.normalise(ruw, today=PEILDATUM), True) if valid else (None, False))
    acties = query(database, "select actie_id, actietype_code, onbekende_labels from stg_vdab__acties order by 1")
    assert acties == [
        (1, "orientatie", None),
        (2, "competentieversterking", None),
        (3, "solliciteren", None),
        (4, "context", None),
        (5, None, "actietype"),
        (6, None, None),
    ]


@pytest.mark.slow
def test_error_level_problem_fails_the_build_naming_the_node(tmp_path: Path) -> None:
    folder = write_vdab(tmp_path / "vdab")
    write_parquet(folder / "personen.parquet", dict(VDAB_PARQUET_COLUMNS["personen"]), [*VDAB["personen"], (None, "x")])
    database = tmp_path / "vdab.duckdb"
    load_extract("vdab", folder, database)
    with pytest.raises(Pijler3Error, match=r"dbt build failed for target vdab: .*not_null_stg_vdab__personen_klant_id"):
        run_dbt(
            ["build", "--selector", "vdab", "--select", "stg_vdab__personen", *VARS],
            target="vdab",
            env={"PIJLER3_VDAB_DB": str(database)},
            work_dir=tmp_path / "work",
        )
