"""The staging layer on a small synthetic extract (pijler3.synth): every defect the generator injected and recorded in
its truth (waarheid/defecten.parquet) is caught or reported on exactly the row it was put in."""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pijler3.dbt_runner import REPO, run_dbt
from pijler3.loading import load_extract
from pijler3.synth import generate
from pijler3.synth.codes import LABEL_SPELLINGEN

VARS = ["--vars", "{peildatum: '2026-06-30'}"]
JA_NEE = {"toeleiding_diplomagelijkschakeling", "heeft_ocmw_leefloon"}


def label_sleutel(text: str) -> str:
    """The Python twin of macro label_sleutel (lower case, accents removed, white space collapsed)."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", bare).strip().lower()


def test_seeds_map_every_spelling_the_generator_writes() -> None:
    seeds: dict[str, dict[str, str]] = {}
    for name in ("kbi_labels.csv", "vdab_labels.csv"):
        with (REPO / "seeds" / name).open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                seeds.setdefault(row["kenmerk"], {})[row["label"]] = row["code"]
    for kolom, spellingen in LABEL_SPELLINGEN.items():
        kenmerk = "ja_nee" if kolom in JA_NEE else kolom
        for label, varianten in spellingen.items():
            codes = {seeds[kenmerk].get(label_sleutel(s)) for s in (label, *varianten)}
            assert len(codes) == 1 and None not in codes, (kolom, label, codes)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("synth")
    generate(root / "extract", 1_000, 20260630, vdab_persons=10_000)
    out: dict[str, Any] = {"truth": root / "extract" / "waarheid" / "defecten.parquet"}
    for target, bron, db_var in (("agentschap", "kbi", "PIJLER3_RESTRICTED_DB"), ("vdab", "vdab", "PIJLER3_VDAB_DB")):
        database = root / f"{target}.duckdb"
        load_extract(bron, root / "extract" / bron, database)  # type: ignore[arg-type]
        env = {db_var: str(database), "PIJLER3_MONITORING_DB": str(root / "monitoring.duckdb")}
        run_dbt(["build", "--selector", target, *VARS], target=target, env=env, work_dir=root / target)
        results = json.loads((root / target / "target" / "run_results.json").read_text())["results"]
        out[target] = (database, {r["unique_id"].split(".")[2]: (r["status"], r["failures"]) for r in results})
    return out


def caught(database: Path, truth: Path, bestand: str, model: str, defect: str, evidence: str) -> tuple[int, int]:
    """(defects of this kind in the truth for this file, how many of them the staging row shows by ``evidence``)."""
    sql = f"""
        select count(*), count(*) filter (where {evidence})
        from read_parquet('{truth}') as d
        join {model} as s on s._regelnummer = d.regelnummer
        where d.bestand = '{bestand}' and d.defect = '{defect}'
    """
    with duckdb.connect(str(database), read_only=True) as con:
        # the agencies' staging views read the code lists kept in the monitoring database beside it
        if database.name == "agentschap.duckdb":
            con.execute(f"attach '{database.with_name('monitoring.duckdb')}' as monitoring (read_only)")
        row = con.execute(sql).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("bestand", "defect", "evidence"),
    [
        ("kbi/personen.csv", "insz_checksum", "s.insz_ongeldig_reden = 'controlegetal'"),
        ("kbi/personen.csv", "insz_opgemaakt", "s.insz is not null and s.insz <> s.insz_ruw"),
        ("kbi/personen.csv", "datum_onmogelijk", "s.datum_fouten like '%' || d.kolom || '%'"),
        ("kbi/personen.csv", "spelling", "s.onbekende_labels is null"),
        ("kbi/personen.csv", "datum_volgorde", "s.datum_inburgeringscontract < s.datum_aanmelding"),
        ("vdab/personen.parquet", "insz_checksum", "s.insz_ongeldig_reden = 'controlegetal'"),
        ("vdab/personen.parquet", "insz_opgemaakt", "s.insz is not null and s.insz <> s.insz_ruw"),
        ("vdab/personen.parquet", "leeg", "s.insz_ongeldig_reden = 'leeg'"),
        ("vdab/acties.parquet", "spelling", "s.actietype_code is not null"),
        ("vdab/acties.parquet", "datum_volgorde", "s.einddatum < s.startdatum"),
        ("vdab/dienstverlening_historiek.parquet", "spelling", "s.status_dienstverlening_code is not null"),
        ("vdab/dienstverlening_historiek.parquet", "leeg", "s.status_dienstverlening_ruw is null"),
        ("vdab/inschrijvingen.parquet", "datum_volgorde", "s.uitschrijvingsdatum < s.inschrijvingsdatum"),
    ],
)
def test_every_recorded_defect_shows_on_its_row(
    built: dict[str, Any], bestand: str, defect: str, evidence: str
) -> None:
    bron, name = bestand.split("/")
    database, _ = built["agentschap" if bron == "kbi" else "vdab"]
    model = f"stg_{bron}__{name.split('.')[0]}"
    total, shown = caught(database, built["truth"], bestand, model, defect, evidence)
    assert total > 0, f"the synthetic set has no {defect} in {bestand}; raise its size or rate"
    assert shown == total


@pytest.mark.slow
def test_builds_are_green_and_the_warnings_fire(built: dict[str, Any]) -> None:
    for target in ("agentschap", "vdab"):
        _, results = built[target]
        assert {status for status, _ in results.values()} <= {"success", "pass", "warn"}, target
    warned = {name for t in ("agentschap", "vdab") for name, (status, _) in built[t][1].items() if status == "warn"}
    assert {
        "not_null_stg_kbi__personen_insz",
        "unique_stg_kbi__personen_insz",
        "is_leeg_stg_kbi__personen_datum_fouten",
        "not_null_stg_vdab__personen_insz",
        "unique_stg_vdab__acties_actie_id",
        "niet_voor_stg_vdab__acties_startdatum__einddatum",
    } <= warned
