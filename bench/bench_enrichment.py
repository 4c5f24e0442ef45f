"""Benchmark VDAB's enrichment: dbt against the same compiled SQL run directly in DuckDB, in one run.

Generates VDAB's loaded extract (``bron_vdab.*``, the shape ``pijler3.loading`` writes) and a request
(``uitwisseling.aanvraag``) with DuckDB ``range()``, then times

1. ``dbt run --selector vdab_verrijking`` on an empty copy of the database: dbt's fixed cost (start-up, parsing,
   per-model bookkeeping) with no data to process;
2. ``dbt run --selector vdab_verrijking`` on the generated data;
3. the compiled SQL of the same models, taken from dbt's manifest and run in dbt's completion order on one DuckDB
   connection, creating the same views and tables.

Target (DESIGN.md): dbt adds no more than its fixed cost, i.e. (2) - (3) is about (1). Prints figures, asserts nothing.

    uv run python bench/bench_enrichment.py                # 60 000 requested, 2 000 000 persons, 20 000 000 actions
    uv run python bench/bench_enrichment.py --schaal 0.01  # a quick run at 1 %
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from pijler3.dbt_runner import run_dbt

PEILDATUM = "2026-06-30"
VARS = f"{{golf: '2026-S1', peildatum: '{PEILDATUM}'}}"
LINEAGE = "'bench' as _bronbestand, r + 2 as _regelnummer, 'bench' as _bestand_sha256"


def insz(n: str) -> str:
    """SQL for a valid register number (born 1950-1999) for every integer ``n`` < 16 million: YYMMDD, a day counter
    and the check digits."""
    negen = (
        f"((50 + ({n}) // 335328 % 50) * 10000000 + (1 + ({n}) % 335328 // 27944) * 100000"
        f" + (1 + ({n}) % 335328 // 998 % 28) * 1000 + 1 + ({n}) % 335328 % 998)"
    )
    return f"(lpad(cast({negen} as varchar), 9, '0') || lpad(cast(97 - {negen} % 97 as varchar), 2, '0'))"


def genereer(db: Path, personen: int, acties: int, aanvraag: int) -> None:
    """VDAB's extract in loaded form and a request: 3/4 of the requested persons are VDAB clients."""
    datum = "date '2015-01-01' + cast(({expr}) % 4200 as integer)"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema bron_vdab")
        con.execute("create schema uitwisseling")
        con.execute(
            f"create table bron_vdab.personen as select cast(r + 1 as bigint) as klant_id,"
            f" {insz('r + 1')} as insz, {LINEAGE} from range({personen}) t(r)"
        )
        con.execute(
            f"create table bron_vdab.inschrijvingen as select cast(1 + r % {personen} as bigint) as klant_id,"
            f" {datum.format(expr='r * 7919')} as inschrijvingsdatum,"
            f" case when r % 3 = 0 then {datum.format(expr='r * 7919')} + 200 end as uitschrijvingsdatum, {LINEAGE}"
            f" from range({personen * 5 // 4}) t(r)"
        )
        codes = "['00', '02', '03', '04', '05', '06', '07', '10', '11', '14', '18', '19', '30', '80', '82', '93']"
        con.execute(
            f"create table bron_vdab.categorie_historiek as select cast(1 + r % {personen} as bigint) as klant_id,"
            f" {codes}[1 + r % 16] as categorie_code, {datum.format(expr='r * 31')} as geldig_van,"
            f" case when r % 2 = 0 then {datum.format(expr='r * 31')} + 180 end as geldig_tot, {LINEAGE}"
            f" from range({personen * 2}) t(r)"
        )
        statussen = "['in bemiddeling', 'In opleiding', 'niet inzetbaar op lange termijn']"
        con.execute(
            f"create table bron_vdab.dienstverlening_historiek as select cast(1 + r % {personen} as bigint) as"
            f" klant_id, {statussen}[1 + r % 3] as status_dienstverlening, {datum.format(expr='r * 37')} as geldig_van,"
            f" case when r % 2 = 0 then {datum.format(expr='r * 37')} + 120 end as geldig_tot, {LINEAGE}"
            f" from range({personen * 3 // 2}) t(r)"
        )
        labels = "['Oriëntatie', 'context', 'competentie versterking', 'solliciteren', 'opleiding', 'koffie']"
        con.execute(
            f"create table bron_vdab.acties as select cast(r as bigint) as actie_id,"
            f" cast(1 + (r * 2654435761) % {personen} as bigint) as klant_id, {labels}[1 + r % 6] as actietype,"
            f" 'A' || (r % 500) as actiecode, {datum.format(expr='r * 13')} as startdatum,"
            f" {datum.format(expr='r * 13')} + 30 as einddatum, {LINEAGE} from range({acties}) t(r)"
        )
        con.execute(
            f"create table bron_vdab.werkhervattingen as select cast(1 + (r * 48271) % {personen} as bigint)"
            f" as klant_id, {datum.format(expr='r * 101')} as startdatum_werk, {LINEAGE}"
            f" from range({personen * 3 // 4}) t(r)"
        )
        gekend = aanvraag * 3 // 4
        stap = max(personen // gekend, 1)
        con.execute(
            f"create table uitwisseling.aanvraag as select {insz('n')} as insz, {LINEAGE} from ("
            f" select r, 1 + r * {stap} as n from range({gekend}) t(r)"
            f" union all select r, {personen} + 1 + r as n from range({aanvraag - gekend}) t(r))"
        )


def leeg_kopie(bron: Path, doel: Path) -> None:
    shutil.copy(bron, doel)
    with duckdb.connect(str(doel)) as con:
        for schema, naam in con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall():
            con.execute(f'delete from "{schema}"."{naam}"')
        con.execute("checkpoint")


def dbt_run(db: Path, work: Path) -> float:
    start = time.perf_counter()
    env = {"PIJLER3_VDAB_DB": str(db)}
    run_dbt(["run", "--selector", "vdab_verrijking", "--vars", VARS], target="vdab", env=env, work_dir=work)
    return time.perf_counter() - start


def direct(db: Path, work: Path) -> tuple[float, dict[str, float]]:
    """The models dbt ran, from the manifest's compiled code, in the order dbt completed them; (total, per model)."""
    manifest = json.loads((work / "target" / "manifest.json").read_text(encoding="utf-8"))
    volgorde = [r["unique_id"] for r in json.loads((work / "target" / "run_results.json").read_text())["results"]]
    statements = {}
    for uid in volgorde:
        node = manifest["nodes"][uid]
        soort = "view" if node["config"]["materialized"] == "view" else "table"
        relatie = f'"{node["schema"]}"."{node["alias"]}"'
        statements[node["name"]] = f"create or replace {soort} {relatie} as ({node['compiled_code']})"
    per_model = {}
    with duckdb.connect(str(db)) as con:
        # The settings the vdab profile gives dbt's connection (profiles.yml.example), so only dbt differs.
        con.execute("set threads = 2")
        con.execute(f"set memory_limit = '{os.environ.get('PIJLER3_MEMORY_LIMIT', '6GB')}'")
        start = time.perf_counter()
        for naam, statement in statements.items():
            begin = time.perf_counter()
            con.execute(statement)
            per_model[naam] = time.perf_counter() - begin
        duur = time.perf_counter() - start
    return duur, per_model


def dbt_per_model(work: Path) -> dict[str, float]:
    results = json.loads((work / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    return {r["unique_id"].split(".")[-1]: float(r["execution_time"]) for r in results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schaal", type=float, default=1.0, help="fraction of the realistic wave (default 1.0)")
    parser.add_argument("--herhalingen", type=int, default=2, help="alternating dbt/direct runs, best kept")
    parser.add_argument("--werkmap", type=Path, help="keep the databases here instead of a temporary folder")
    args = parser.parse_args()
    personen, acties, aanvraag = (int(n * args.schaal) for n in (2_000_000, 20_000_000, 60_000))
    with tempfile.TemporaryDirectory(prefix="bench-enrichment-") as tmp:
        root = args.werkmap or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        db = root / "vdab.duckdb"
        db.unlink(missing_ok=True)
        start = time.perf_counter()
        genereer(db, personen, acties, aanvraag)
        generatie = time.perf_counter() - start
        leeg = root / "leeg.duckdb"
        leeg_kopie(db, leeg)
        run_dbt(["seed", "--vars", VARS], target="vdab", env={"PIJLER3_VDAB_DB": str(leeg)}, work_dir=root / "seed")
        run_dbt(["seed", "--vars", VARS], target="vdab", env={"PIJLER3_VDAB_DB": str(db)}, work_dir=root / "seed")

        vast = dbt_run(leeg, root / "dbt-leeg")
        # Alternate dbt and direct runs and keep each one's best, so neither profits alone from a warm cache.
        met_dbt, zonder_dbt = float("inf"), float("inf")
        for _ in range(args.herhalingen):
            met_dbt = min(met_dbt, dbt_run(db, root / "dbt"))
            duur, direct_per_model = direct(db, root / "dbt")
            zonder_dbt = min(zonder_dbt, duur)
        dbt_modellen = dbt_per_model(root / "dbt")
        with duckdb.connect(str(db)) as con:
            sql = "select count(*), count(*) filter (where gekend_bij_vdab) from main.verrijking"
            rijen = con.execute(sql).fetchone()
        assert rijen is not None
        piek_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"wave: {aanvraag:,} requested INSZ, {personen:,} VDAB persons, {acties:,} actions")
    print(f"generating the extract with DuckDB range():     {generatie:7.1f} s")
    print(f"dbt run (vdab_verrijking), empty tables (fixed):{vast:7.1f} s")
    print(f"dbt run (vdab_verrijking), the wave:           {met_dbt:7.1f} s")
    print(f"same compiled SQL directly in DuckDB:           {zonder_dbt:7.1f} s")
    print(f"dbt overhead on the wave (dbt - direct):        {met_dbt - zonder_dbt:7.1f} s  (fixed cost {vast:.1f} s)")
    print("per model (last run), seconds:  dbt (execution_time)   direct")
    for naam, seconden in sorted(direct_per_model.items(), key=lambda kv: -kv[1]):
        print(f"  {naam:45s} {dbt_modellen.get(naam, float('nan')):8.2f} {seconden:8.2f}")
    print(f"enriched rows: {rijen[0]:,} ({rijen[1]:,} known at VDAB); peak RSS of this process {piek_mb:,.0f} MB")


if __name__ == "__main__":
    main()
