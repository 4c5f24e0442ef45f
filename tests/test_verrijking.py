"""One wave of the request and enrichment legs on hand-made extracts, with real loading, dbt, export and clean-up.

The agencies build and export the request from a small KBI extract; VDAB loads it, builds the enrichment against a
small VDAB extract, exports it, and cleans up. Every person in the extracts is there for one edge case (see comments).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pijler3.dbt_runner import run_dbt
from pijler3.errors import Pijler3Error
from pijler3.exchange_files import VERRIJKING_SCHEMA, exporteer_aanvraag, exporteer_verrijking
from pijler3.loading import KBI_CSV_COLUMNS, VDAB_PARQUET_COLUMNS, load_exchange_csv, load_extract
from pijler3.vdab import ruim_aanvraag_op
from staging_fixtures import csv_text, write_parquet

pytestmark = pytest.mark.slow

D = dt.date
PEILDATUM = "2026-06-30"
VARS = f"{{golf: '2026-S1', peildatum: '{PEILDATUM}'}}"


def kbi_rij(insz: str, contract: str) -> tuple[str, ...]:
    values = dict.fromkeys(KBI_CSV_COLUMNS["personen"], "")
    values.update(insz=insz, datum_inburgeringscontract=contract, doelgroep="verplicht")
    return tuple(values[c] for c in KBI_CSV_COLUMNS["personen"])


KBI_PERSONEN = [
    kbi_rij("85073003328", "01/03/2023"),  # in the population
    kbi_rij("85073003328", "01/03/2023"),  # duplicate line: asked once
    kbi_rij("90.02.15-124.69", "01/02/2023"),  # formatted: asked normalised
    kbi_rij("02441008789", "01/08/2024"),  # bis number replaced by 02041008703: asked under the new number
    kbi_rij("12345678901", "01/05/2023"),  # invalid checksum: not asked
    kbi_rij("77010134585", "15/01/2022"),  # contract before 1 March 2022: not in the population
    kbi_rij("17073003384", "01/07/2026"),  # contract after the reference date: not yet
    kbi_rij("98472899765", "01/06/2026"),  # unknown at VDAB
]
KBI_VERVANGINGEN = [("02441008789", "02041008703", "15/06/2025")]
VERWACHTE_AANVRAAG = ["02041008703", "85073003328", "90021512469", "98472899765"]

VDAB: dict[str, list[tuple[object, ...]]] = {
    "personen": [
        (1, "85073003328"),
        (2, "90.02.15-124.69"),  # the same person under two client records
        (3, "90021512469"),
        (4, "02041008703"),  # only an action before the reference date: known, never registered
        (5, "77010134585"),  # not requested
        (6, None),
    ],
    "inschrijvingen": [
        (1, D(2023, 4, 1), D(2023, 10, 1)),
        (1, D(2024, 2, 1), None),  # re-registration
        (2, D(2023, 3, 1), None),
        (3, D(2025, 1, 1), None),
        (4, D(2026, 7, 15), None),  # after the reference date
        (5, D(2022, 1, 1), None),
    ],
    "categorie_historiek": [
        (1, "00", D(2023, 4, 1), D(2026, 6, 30)),
        (1, "03", D(2026, 6, 30), None),  # change exactly on the reference date
        (2, "02", D(2023, 3, 1), None),
        (3, "05", D(2025, 1, 1), None),  # the later period of the second client record wins
    ],
    "dienstverlening_historiek": [
        (1, "in bemiddeling", D(2024, 2, 1), None),
        (3, "In opleiding", D(2025, 1, 1), D(2026, 6, 30)),  # ends on the reference date: still valid
    ],
    "acties": [
        (1, 1, "Oriëntatie", "A1", D(2023, 5, 1), D(2023, 6, 1)),
        (2, 1, "orientatie", "A2", D(2024, 3, 1), D(2024, 4, 1)),
        (3, 1, "solliciteren", "S1", D(2026, 6, 1), D(2026, 8, 31)),  # spans the reference date
        (4, 1, "context", "C1", D(2026, 7, 2), None),  # starts after it
        (5, 2, "competentie versterking", "K1", D(2023, 9, 1), None),
        (6, 3, "context", "C2", D(2025, 2, 1), D(2025, 3, 1)),
        (7, 4, "orientatie", "A3", D(2026, 5, 1), None),
    ],
    "werkhervattingen": [
        (1, D(2023, 1, 15)),  # before registration: not outflow
        (1, D(2023, 8, 1)),
        (1, D(2025, 1, 1)),
        (2, D(2024, 6, 1)),  # 15 months after the first registration
        (4, D(2026, 5, 20)),  # never registered: no outflow
    ],
}

LEEG_ACTIES = {
    f"{k}_{t}": v
    for t in ("orientatie", "context", "competentieversterking", "solliciteren")
    for k, v in (("heeft_actie", False), ("aantal_acties", 0), ("eerste_start_actie", None))
}
VERWACHT: dict[str, dict[str, Any]] = {
    "85073003328": {
        "gekend_bij_vdab": True,
        "eerste_inschrijving": D(2023, 4, 1),
        "meest_recente_inschrijving": D(2024, 2, 1),
        "huidige_categorie_werkzoekende": "03",
        "status_dienstverlening": "bemiddeling",
        **LEEG_ACTIES,
        "heeft_actie_orientatie": True,
        "aantal_acties_orientatie": 2,
        "eerste_start_actie_orientatie": D(2023, 5, 1),
        "heeft_actie_solliciteren": True,
        "aantal_acties_solliciteren": 1,
        "eerste_start_actie_solliciteren": D(2026, 6, 1),
        "uitstroom_naar_werk": D(2023, 8, 1),
        "uitstroom_naar_werk_binnen_6_maanden": True,
        "uitstroom_naar_werk_binnen_12_maanden": True,
    },
    "90021512469": {
        "gekend_bij_vdab": True,
        "eerste_inschrijving": D(2023, 3, 1),
        "meest_recente_inschrijving": D(2025, 1, 1),
        "huidige_categorie_werkzoekende": "05",
        "status_dienstverlening": "opleiding",
        **LEEG_ACTIES,
        "heeft_actie_context": True,
        "aantal_acties_context": 1,
        "eerste_start_actie_context": D(2025, 2, 1),
        "heeft_actie_competentieversterking": True,
        "aantal_acties_competentieversterking": 1,
        "eerste_start_actie_competentieversterking": D(2023, 9, 1),
        "uitstroom_naar_werk": D(2024, 6, 1),
        "uitstroom_naar_werk_binnen_6_maanden": False,
        "uitstroom_naar_werk_binnen_12_maanden": False,
    },
    "02041008703": {
        "gekend_bij_vdab": True,
        "eerste_inschrijving": None,
        "meest_recente_inschrijving": None,
        "huidige_categorie_werkzoekende": None,
        "status_dienstverlening": None,
        **LEEG_ACTIES,
        "heeft_actie_orientatie": True,
        "aantal_acties_orientatie": 1,
        "eerste_start_actie_orientatie": D(2026, 5, 1),
        "uitstroom_naar_werk": None,
        "uitstroom_naar_werk_binnen_6_maanden": None,
        "uitstroom_naar_werk_binnen_12_maanden": None,
    },
    "98472899765": {
        "gekend_bij_vdab": False,
        "eerste_inschrijving": None,
        "meest_recente_inschrijving": None,
        "huidige_categorie_werkzoekende": None,
        "status_dienstverlening": None,
        **LEEG_ACTIES,
        "uitstroom_naar_werk": None,
        "uitstroom_naar_werk_binnen_6_maanden": None,
        "uitstroom_naar_werk_binnen_12_maanden": None,
    },
}


@dataclass(frozen=True)
class Golf:
    root: Path
    aanvraag_csv: Path
    ontvangen_csv: Path
    vdab_db: Path
    verrijking: Path
    manifest: Path


def write_kbi(folder: Path) -> None:
    folder.mkdir(parents=True)
    for stem, rows in (("personen", KBI_PERSONEN), ("insz_vervangingen", KBI_VERVANGINGEN)):
        text = "\ufeff" + csv_text(KBI_CSV_COLUMNS[stem], rows)
        (folder / f"{stem}.csv").write_bytes(text.encode("utf-8"))


def write_vdab(folder: Path, extra: dict[str, list[tuple[object, ...]]] | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, rows in VDAB.items():
        write_parquet(
            folder / f"{stem}.parquet", dict(VDAB_PARQUET_COLUMNS[stem]), [*rows, *(extra or {}).get(stem, [])]
        )


def bouw_vdab(root: Path, vdab_map: Path, aanvraag_csv: Path) -> tuple[Path, Path]:
    """Load VDAB's extract and the request into a fresh database and build the enrichment; (database, manifest)."""
    db = root / "vdab.duckdb"
    load_extract("vdab", vdab_map, db)
    load_exchange_csv(aanvraag_csv, db, "uitwisseling.aanvraag")
    work = root / "dbt-vdab"
    run_dbt(
        ["build", "--selector", "vdab_verrijking", "--vars", VARS],
        target="vdab",
        env={"PIJLER3_VDAB_DB": str(db)},
        work_dir=work,
    )
    return db, work / "target" / "manifest.json"


@pytest.fixture(scope="module")
def golf(tmp_path_factory: pytest.TempPathFactory) -> Golf:
    root = tmp_path_factory.mktemp("golf")
    write_kbi(root / "bron" / "kbi")
    write_vdab(root / "bron" / "vdab")

    agentschap = root / "agentschap"
    agentschap.mkdir()
    restricted = agentschap / "restricted.duckdb"
    load_extract("kbi", root / "bron" / "kbi", restricted)
    run_dbt(
        ["build", "--select", "+aanvraag", "resource_type:seed", "--vars", VARS],
        target="agentschap",
        env={"PIJLER3_RESTRICTED_DB": str(restricted), "PIJLER3_MONITORING_DB": str(agentschap / "monitoring.duckdb")},
        work_dir=agentschap / "dbt",
    )
    aanvraag_csv = root / "aanvraag.csv"
    assert exporteer_aanvraag(restricted, aanvraag_csv).aantal_rijen == len(VERWACHTE_AANVRAAG)

    # VDAB receives the request with two defects added, as a faulty export would have them: a duplicate and an
    # invalid number. Both must be reported, and the enrichment must still have one row per valid number.
    ontvangen_csv = root / "ontvangen.csv"
    ontvangen_csv.write_bytes(aanvraag_csv.read_bytes() + b"85073003328\n12345678901\n")

    vdab = root / "vdab"
    vdab.mkdir()
    db, manifest = bouw_vdab(vdab, root / "bron" / "vdab", ontvangen_csv)
    verrijking = root / "verrijking.parquet"
    exporteer_verrijking(db, verrijking)
    return Golf(root, aanvraag_csv, ontvangen_csv, db, verrijking, manifest)


def parquet_rijen(path: Path) -> dict[str, dict[str, Any]]:
    with duckdb.connect() as con:
        cursor = con.execute(f"select * from read_parquet('{path}')")
        names = [d[0] for d in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def test_aanvraag_is_one_sorted_column_of_normalised_insz(golf: Golf) -> None:
    data = golf.aanvraag_csv.read_bytes()
    assert data == ("insz\n" + "".join(f"{n}\n" for n in VERWACHTE_AANVRAAG)).encode()


def test_verrijking_has_one_row_per_requested_insz_with_the_attributes(golf: Golf) -> None:
    rijen = parquet_rijen(golf.verrijking)
    assert sorted(rijen) == VERWACHTE_AANVRAAG
    for insz, verwacht in VERWACHT.items():
        werkelijk = {k: v for k, v in rijen[insz].items() if k in verwacht}
        assert werkelijk == verwacht, insz
    assert rijen["85073003328"]["huidige_categorie_werkzoekende_omschrijving"]
    assert list(next(iter(rijen.values()))) == list(VERRIJKING_SCHEMA)


def test_same_wave_rebuilt_later_gives_the_same_answer(golf: Golf, tmp_path: Path) -> None:
    """Facts dated after the reference date (a new client, a registration, an action, a category, work) change
    nothing: the wave is reproducible from a later extract."""
    later = {
        "personen": [(7, "98472899765")],
        "inschrijvingen": [(7, D(2026, 8, 1), None), (1, D(2026, 7, 1), None)],
        "categorie_historiek": [(2, "00", D(2026, 7, 1), None)],
        "acties": [(8, 1, "orientatie", "A9", D(2026, 9, 1), None), (9, 7, "context", "C9", D(2026, 8, 2), None)],
        "werkhervattingen": [(4, D(2026, 7, 20)), (3, D(2026, 7, 1))],
    }
    write_vdab(tmp_path / "bron", later)
    db, _ = bouw_vdab(tmp_path, tmp_path / "bron", golf.ontvangen_csv)
    exporteer_verrijking(db, tmp_path / "verrijking.parquet")
    assert parquet_rijen(tmp_path / "verrijking.parquet") == parquet_rijen(golf.verrijking)


def relaties(db: Path) -> set[str]:
    with duckdb.connect(str(db)) as con:
        rows = con.execute("select table_schema || '.' || table_name from information_schema.tables").fetchall()
    return {r[0] for r in rows}


def test_cleanup_drops_the_request_and_everything_linked_and_keeps_vdab_data(golf: Golf, tmp_path: Path) -> None:
    db = tmp_path / "vdab.duckdb"
    shutil.copy(golf.vdab_db, db)
    voor = relaties(db)
    gekoppeld = {
        "uitwisseling.aanvraag",
        "main.stg_uitwisseling__aanvraag",
        "main.verrijking",
        "main.int_aanvraag_insz_gededupliceerd",
        "main.int_vdab_klanten_gekoppeld",
    }
    assert gekoppeld <= voor

    rapport = ruim_aanvraag_op(db, golf.manifest)

    na = relaties(db)
    assert not {r for r in na if r.startswith("uitwisseling.") or "verrijking" in r or r.startswith("main.int_")}
    assert set(rapport.verwijderd) == voor - na
    assert rapport.aantal_aangevraagd == len(VERWACHTE_AANVRAAG) + 1  # the invalid number is looked for too
    assert {"bron_vdab.personen", "main.stg_vdab__personen", "main.stg_vdab__acties"} <= na
    with duckdb.connect(str(db)) as con:
        assert con.execute("select count(*) from main.stg_vdab__personen").fetchone() == (len(VDAB["personen"]),)
    assert ruim_aanvraag_op(db, golf.manifest).verwijderd == ()


def test_cleanup_leaves_no_requested_number_in_the_database_file(golf: Golf, tmp_path: Path) -> None:
    """Dropped tables stay in DuckDB's free blocks: who the agencies asked about, including people VDAB does not
    know, would stay readable in the file's bytes."""
    db = tmp_path / "vdab.duckdb"
    shutil.copy(golf.vdab_db, db)
    niet_bij_vdab = [b"98472899765", b"12345678901"]
    assert all(n in db.read_bytes() for n in niet_bij_vdab), "precondition: the built database holds them"

    ruim_aanvraag_op(db, golf.manifest)

    inhoud = db.read_bytes()
    assert [n for n in niet_bij_vdab if n in inhoud] == []
    assert not db.with_name(db.name + ".wal").exists()
    assert {"bron_vdab.personen", "main.stg_vdab__personen"} <= relaties(db)
    with duckdb.connect(str(db)) as con:
        assert con.execute("select count(*) from main.stg_vdab__personen").fetchone() == (len(VDAB["personen"]),)


def test_cleanup_refuses_when_a_copy_of_the_request_remains(golf: Golf, tmp_path: Path) -> None:
    db = tmp_path / "vdab.duckdb"
    shutil.copy(golf.vdab_db, db)
    with duckdb.connect(str(db)) as con:
        con.execute("create table main.kopie_voor_analyse as select 'x' as nota, insz from main.verrijking")
    with pytest.raises(Pijler3Error, match=r"main\.kopie_voor_analyse\.insz holds 4 requested INSZ"):
        ruim_aanvraag_op(db, golf.manifest)
    assert "uitwisseling.aanvraag" in relaties(db), "the request is kept so a second run can check again"
    assert "main.verrijking" not in relaties(db)

    with duckdb.connect(str(db)) as con:
        con.execute("drop table main.kopie_voor_analyse")
    assert ruim_aanvraag_op(db, golf.manifest).verwijderd == ("uitwisseling.aanvraag",)
    assert "uitwisseling.aanvraag" not in relaties(db)


def test_duplicates_and_invalid_numbers_in_the_request_are_reported(golf: Golf) -> None:
    results = json.loads((golf.manifest.parent / "run_results.json").read_text(encoding="utf-8"))["results"]
    waarschuwingen = {r["unique_id"].split(".")[2] for r in results if r["status"] == "warn"}
    assert {"unique_stg_uitwisseling__aanvraag_insz", "not_null_stg_uitwisseling__aanvraag_insz"} <= waarschuwingen
    with duckdb.connect(str(golf.vdab_db)) as con:
        redenen = con.execute(
            "select insz_ruw, insz_ongeldig_reden from main.stg_uitwisseling__aanvraag where insz is null"
        ).fetchall()
    assert redenen == [("12345678901", "controlegetal")]
