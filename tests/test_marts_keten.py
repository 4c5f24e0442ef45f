"""The marts on the real chain: two waves of the agencies' side (real loader, staging, pseudonymisation, history),
then the marts selector in the same run, then the BI file — the way the orchestration runs it.

Reuses the small synthetic population of test_agentschap_build so both tests describe the same agencies' run.
"""

from __future__ import annotations

import random
import secrets
from pathlib import Path

import duckdb
import pytest

from pijler3.bi import LEES_MIJ, marts_from_manifest, publish
from pijler3.dbt_runner import DbtPlugin, run_dbt
from pijler3.loading import load_exchange_csv, load_extract
from test_agentschap_build import REPO, VERRIJKING_COLUMNS, WAVES, make_population, write_kbi, write_verrijking

pytestmark = pytest.mark.slow


def test_two_waves_through_the_marts_into_the_bi_file(tmp_path: Path) -> None:
    pop = make_population(random.Random(7))
    write_kbi(pop, tmp_path / "kbi")
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text(secrets.token_bytes(32).hex() + "\n", encoding="ascii")
    key_file.chmod(0o600)
    monitoring, restricted, work = tmp_path / "monitoring.duckdb", tmp_path / "restricted.duckdb", tmp_path / "dbt"
    env = {"PIJLER3_RESTRICTED_DB": str(restricted), "PIJLER3_MONITORING_DB": str(monitoring)}
    plugin = DbtPlugin("pijler3.dbt_plugin", "pseudonym", {"key_file": str(key_file)})
    for wave, (golf, peildatum) in enumerate(WAVES):
        load_extract("kbi", tmp_path / "kbi", restricted)
        write_verrijking(pop, wave, tmp_path / f"verrijking_{golf}.csv")
        load_exchange_csv(
            tmp_path / f"verrijking_{golf}.csv", restricted, "uitwisseling.verrijking", columns=VERRIJKING_COLUMNS
        )
        dbt_vars = f"{{golf: '{golf}', peildatum: '{peildatum}'}}"
        for selector in ("agentschap_pseudonimisering", "agentschap_marts"):
            run_dbt(
                ["build", "--selector", selector, "--vars", dbt_vars],
                target="agentschap",
                env=env,
                work_dir=work,
                plugins=[plugin],
            )
        restricted.unlink()

    marts = marts_from_manifest(work / "target" / "manifest.json")
    assert {m.name for m in marts} == {p.stem for p in (REPO / "models" / "marts").rglob("*.sql")}
    bi = publish(monitoring, tmp_path / "bi" / "monitoring.duckdb", marts)
    with duckdb.connect(str(bi), read_only=True) as con:
        tabellen = {t for (t,) in con.sql("select table_name from duckdb_tables()").fetchall()}
        assert tabellen == {m.name for m in marts} | {LEES_MIJ}
        golven = {g for (g,) in con.sql("select distinct golf from mart_datakwaliteit").fetchall()}
        assert golven == {golf for golf, _ in WAVES}  # incremental: wave one's quality figures survive wave two
        kerncijfers = con.sql("select golf, aantal_noemer from mart_evolutie_kerncijfers").fetchall()
        assert {g for g, _ in kerncijfers} == {golf for golf, _ in WAVES}
        waarden = set()
        for tabel in tabellen:
            for (kolom,) in con.sql(
                f"select column_name from duckdb_columns() where table_name = '{tabel}'"
            ).fetchall():
                waarden |= {str(v) for (v,) in con.sql(f'select distinct "{kolom}" from {tabel}').fetchall()}
    nummers = pop.every_form()
    assert not waarden & nummers, "an INSZ reached the BI file"
