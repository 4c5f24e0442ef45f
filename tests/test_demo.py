"""``pijler3 demo`` end to end on the embedded server: layout, summary, no INSZ and no pseudonym secret outside the
source extracts and the key file, and what a second run does."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from demo_helpers import PERSONS, SEED, Demo, population_forms
from pijler3 import meldingen
from pijler3.bi import LEES_MIJ
from pijler3.cli import cli
from pijler3.config import load_config
from pijler3.demo import STATE_FILE, WAVES, dbt_start_up_seconds, exchange, format_ratio, format_summary, run_demo
from pijler3.errors import ConfigError
from pijler3.wave import run_wave

pytest_plugins = ["demo_fixtures"]
pytestmark = pytest.mark.slow

NUMBERISH = re.compile(r"\d[\d. -]{9,16}\d")


def files_outside_sources(out: Path) -> Iterator[Path]:
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.relative_to(out).parts[0] != "sources":
            yield path


def numbers_in_text(text: str) -> set[str]:
    """Every 11-digit window of every digit run, after dropping the separators the extracts use."""
    found = set()
    for match in NUMBERISH.finditer(text):
        digits = re.sub(r"[. -]", "", match.group())
        found |= {digits[i : i + 11] for i in range(len(digits) - 10)}
    return found


def values_in_duckdb(path: Path, exempt_schemas: set[str]) -> Iterator[tuple[str, str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "select c.schema_name, c.table_name, c.column_name from duckdb_columns() as c inner join duckdb_tables()"
            " as t on c.table_oid = t.table_oid where c.database_name = current_database() and c.data_type = 'VARCHAR'"
        ).fetchall()
        for schema, table, column in columns:
            if schema in exempt_schemas:
                continue
            rows = con.execute(f'select distinct "{column}" from "{schema}"."{table}"').fetchall()
            yield f"{schema}.{table}.{column}", "\n".join(str(v) for (v,) in rows)


def test_layout_as_in_design(demo: Demo) -> None:
    out = demo.out
    for path in (
        "sources/kbi/personen.csv",
        "sources/vdab/personen.parquet",
        "keys/agentschap/pseudonym.key",
        "keys/agentschap/bundle.json",
        "keys/vdab/bundle.json",
        "sftp/naar-vdab",
        "sftp/naar-agentschap",
        "agentschap/monitoring.duckdb",
        "agentschap/agentschap.toml",
        "vdab/vdab.toml",
        "bi/monitoring.duckdb",
        "docs/index.html",
        "audit/agentschap.jsonl",
        "audit/vdab.jsonl",
        "audit/rapport-agentschap.html",
        "audit/rapport-vdab.md",
    ):
        assert (out / path).exists(), path
    assert not (out / "keys" / "vdab" / "pseudonym.key").exists()
    # Nothing INSZ-bearing survives: no restricted database, no request or enrichment in clear, an empty server.
    assert not (out / "agentschap" / "restricted.duckdb").exists()
    leftovers = [p.name for p in out.glob("*/[iu]*/*") if p.is_file() and "gepseudonimiseerd" not in p.name]
    assert [n for n in leftovers if not n.startswith(".")] == []
    assert sorted(p.name for p in (out / "sftp").rglob("*") if p.is_file()) == []
    assert sorted(p.name for p in (out / "vdab" / "in").glob("*.parquet")) == [
        f"{wave}.gepseudonimiseerd.parquet" for wave in WAVES
    ]
    assert json.loads((out / STATE_FILE).read_text())["completed"] is True


def test_wave_outputs_are_private_and_the_public_artefacts_readable(demo: Demo) -> None:
    """Databases, exchange files and dbt logs of a wave are for the party's account only (umask 077 in run_wave);
    the BI file and the data dictionary are meant to be opened by the BI working group."""
    out = demo.out
    private = [out / "agentschap" / "monitoring.duckdb", out / "vdab" / "vdab.duckdb"]
    # Sealed envelopes (ciphertext, manifest, signature) are made to travel and stay 0644, as seal writes them.
    sealed = (".age", ".manifest.json", ".manifest.sig")
    private += [p for p in (out / "agentschap" / "werk").rglob("*") if p.is_file() and not p.name.endswith(sealed)]
    private += [p for p in (out / "vdab" / "in").glob("*.parquet")]
    assert len(private) > 10
    readable_by_others = [str(p.relative_to(out)) for p in private if p.stat().st_mode & 0o077]
    assert readable_by_others == []
    for public in (out / "bi" / "monitoring.duckdb", out / "docs" / "index.html"):
        assert public.stat().st_mode & 0o777 == 0o644, public


def test_bi_file_holds_only_marts_for_both_waves(demo: Demo) -> None:
    with duckdb.connect(str(demo.out / "bi" / "monitoring.duckdb"), read_only=True) as con:
        tables = {t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()}
        views = con.execute("select count(*) from duckdb_views() where not internal").fetchone()
        waves = con.execute("select distinct golf from mart_evolutie_kerncijfers order by golf").fetchall()
    # the marts, the reference tables that explain their codes (models/marts/referentie) and lees_mij; nothing else
    marts = {p.stem for p in (Path(__file__).resolve().parent.parent / "models" / "marts").rglob("*.sql")}
    assert tables == marts | {LEES_MIJ}
    assert views == (0,)
    assert [w for (w,) in waves] == list(WAVES)


def test_summary_has_the_headline_figures_per_wave(demo: Demo) -> None:
    waves = demo.result.waves
    assert [w.wave for w in waves] == list(WAVES)
    for wave in waves:
        assert set(wave.kpis) == {
            "registered within 60 days",
            "outflow to work within 12 months",
            "with guidance (in bemiddeling)",
        }
        assert all(v is not None and 0 <= v <= 100 for v in wave.kpis.values()), wave.kpis
        request, enrichment, dataset = wave.exchanged.values()
        assert 0 < request <= PERSONS and enrichment == request and dataset == request
    assert waves[1].exchanged["request (agencies -> VDAB)"] >= waves[0].exchanged["request (agencies -> VDAB)"]
    # The synthetic extracts carry art. 7 defects; the build reports them instead of dropping them.
    assert all(w.dbt_warnings > 0 for w in waves)
    steps = [line for line in demo.progress if line.startswith("[")]
    assert len(steps) == len(set(steps)) and any("done in" in line for line in steps)


def test_no_insz_of_the_population_outside_the_sources(demo: Demo) -> None:
    forms = population_forms(demo.out)
    numbers = {f for f in forms if len(f) == 11 and f.isdigit()}
    assert len(numbers) > PERSONS
    scanned = 0
    for path in files_outside_sources(demo.out):
        if path.suffix == ".duckdb":
            # VDAB's working database holds its own loaded extract (schema bron_vdab), a source by DESIGN.md.
            exempt = {"bron_vdab"} if path.name == "vdab.duckdb" else set()
            places = list(values_in_duckdb(path, exempt))
        elif path.suffix == ".parquet":
            with duckdb.connect() as con:
                rows = con.execute(f"select * from read_parquet('{path}')").fetchall()
            places = [("rows", "\n".join("|".join(map(str, r)) for r in rows))]
        else:
            places = [("bytes", path.read_bytes().decode("latin-1"))]
        for where, text in places:
            leaked = numbers_in_text(text) & numbers
            assert not leaked, f"{path} ({where}) holds {len(leaked)} INSZ of the synthetic population"
        scanned += 1
    assert scanned > 50


def test_pseudonym_secret_only_in_its_key_file(demo: Demo) -> None:
    key_file = demo.out / "keys" / "agentschap" / "pseudonym.key"
    key = bytes.fromhex(key_file.read_text().strip())
    forms = [key, key.hex().encode(), key.hex().upper().encode(), base64.b64encode(key)]
    checked = 0
    for path in demo.out.rglob("*"):
        if path.is_file() and path != key_file:
            data = path.read_bytes()
            assert not any(form in data for form in forms), path
            checked += 1
    assert any((demo.out / "agentschap" / "werk").rglob("manifest.json")) and checked > 50
    assert any(p.name == "dbt.log" for p in (demo.out / "agentschap" / "werk").rglob("*"))


def test_running_each_side_again_changes_nothing(demo_copy: Path) -> None:
    bi = demo_copy / "bi" / "monitoring.duckdb"
    before = hashlib.sha256(bi.read_bytes()).hexdigest()
    with exchange(demo_copy) as configs:
        for wave in WAVES:
            for party in ("agentschap", "vdab"):
                result = run_wave(configs[party], wave)
                assert result.status == "complete"
                assert {s.state for s in result.steps} == {"skipped"}
    assert hashlib.sha256(bi.read_bytes()).hexdigest() == before


def test_a_folder_that_is_not_a_demo_is_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not a demo folder"):
        run_demo(foreign, persons=PERSONS, seed=SEED)
    assert (foreign / "notes.txt").read_text() == "mine"


def test_the_demo_states_its_time_against_dbt_start_up() -> None:
    anchor = dbt_start_up_seconds()
    assert anchor is not None and anchor > 0
    assert format_ratio(50.0, 10.0).startswith("demo 50.0 s = 5.0x `dbt --version` (10.0 s, measured just before;")
    assert "dbt --version not measured" in format_ratio(50.0, None)


def test_cli_help_lists_the_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in ("demo", "run-wave", "purge", "audit"):
        assert name in result.output
    demo_help = CliRunner().invoke(cli, ["demo", "--help"]).output
    for option in ("--persons", "--seed", "--out", "--sftp"):
        assert option in demo_help


def test_the_demo_sends_a_notice_each_way_and_answers_one(demo: Demo, tmp_path: Path) -> None:
    """Art. 7 on the real models: the agencies notify VDAB of referred newcomers it does not know, VDAB the agencies
    of the doubled request line; VDAB answers, the agencies load the answer; the report shows both."""
    agencies, vdab = (load_config(demo.out / party / f"{party}.toml") for party in ("agentschap", "vdab"))
    last = WAVES[-1]
    sent_by_agencies = {m.id: m for m in meldingen.lees_register(agencies) if m.richting == "verzonden"}
    received_by_vdab = {m.id: m for m in meldingen.lees_register(vdab) if m.richting == "ontvangen"}
    assert set(sent_by_agencies) == set(received_by_vdab) == {f"{wave}-agentschap" for wave in WAVES}
    for notice_id, sent in sent_by_agencies.items():
        assert set(sent.aantallen) == {"insz_onbekend_bij_vdab"} and sent.rijen > 0
        assert received_by_vdab[notice_id].aantallen == sent.aantallen
    (by_vdab,) = [m for m in meldingen.lees_register(vdab) if m.richting == "verzonden"]
    assert (by_vdab.id, by_vdab.aantallen) == (f"{last}-vdab", {"insz_dubbel": 1})
    (at_agencies,) = [m for m in meldingen.lees_register(agencies) if m.richting == "ontvangen"]
    assert at_agencies.id == by_vdab.id and at_agencies.status() == "open"
    assert sent_by_agencies[f"{last}-agentschap"].status() == "beantwoord"
    assert received_by_vdab[f"{last}-agentschap"].status() == "beantwoord"
    assert sent_by_agencies[f"{WAVES[0]}-agentschap"].status() == "open"
    notices = [line for line in format_summary(demo.result) if line.startswith("correction notice (art. 7)")]
    assert notices == [
        f"correction notice (art. 7) agentschap -> vdab: {last}-agentschap,"
        f" {sent_by_agencies[f'{last}-agentschap'].rijen:,} record(s)"
        f" (insz_onbekend_bij_vdab {sent_by_agencies[f'{last}-agentschap'].rijen:,}), beantwoord",
        f"correction notice (art. 7) vdab -> agentschap: {last}-vdab, 1 record(s) (insz_dubbel 1), open",
    ]
    report = (demo.out / "audit" / "rapport-agentschap.md").read_text(encoding="utf-8")
    section = report.split("## Meldingen (art. 7)")[1].split("\n## ")[0]
    assert f"| {last}-agentschap | verzonden (agentschap → vdab) | {last} |" in section
    assert "| beantwoord | " in section and f"| {last}-vdab | ontvangen (vdab → agentschap) |" in section
