"""The BI file: only the marts, as tables, readable by the DuckDB 1.x that BI drivers ship, replaced atomically."""

from __future__ import annotations

import getpass
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import IN_CI
from pijler3.audit import read_audit_log
from pijler3.bi import LEES_MIJ, Mart, marts_from_manifest, publish, readme_rows
from pijler3.errors import InputError

OLD_DUCKDB = "1.1.3"

# A long-lived reader in the old DuckDB: one JSON command per line on stdin, one JSON answer per line on stdout.
READER = r"""
import duckdb, json, sys
con = None
for line in sys.stdin:
    cmd = json.loads(line)
    try:
        if cmd["op"] == "open":
            # no progress bar: on a busy machine a query passes its 2 s and the bar would garble this JSON protocol
            con = duckdb.connect(cmd["path"], read_only=True)
            con.execute("set enable_progress_bar = false")
            out = duckdb.__version__
        elif cmd["op"] == "objects":
            out = {
                "tables": sorted(r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()),
                "views": con.execute("select view_name from duckdb_views() where not internal").fetchall(),
                "macros": con.execute("select function_name from duckdb_functions() where not internal").fetchall(),
            }
        elif cmd["op"] == "read":
            tables = [r[0] for r in con.execute("select table_name from duckdb_tables() order by 1").fetchall()]
            out = {t: [list(map(str, r)) for r in con.execute(f'select * from "{t}" order by all').fetchall()]
                   for t in tables}
        elif cmd["op"] == "comments":
            out = con.execute("select table_name, column_name, comment from duckdb_columns() order by 1, 2").fetchall()
        print(json.dumps({"ok": out}), flush=True)
    except Exception as exc:
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
"""


@pytest.fixture(scope="session")
def old_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway venv with an old DuckDB, once per test session."""
    venv = tmp_path_factory.mktemp("oude_duckdb") / "venv"
    steps = [
        ["uv", "venv", "--quiet", str(venv)],
        ["uv", "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), f"duckdb=={OLD_DUCKDB}"],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            reason = f"cannot install duckdb=={OLD_DUCKDB} into a venv ({' '.join(step[:3])}): {done.stderr.strip()}"
            if IN_CI:
                pytest.fail(reason + " — the BI file's compatibility with 1.x readers is then unproven")
            pytest.skip(reason)
    return venv / "bin" / "python"


class OldReader:
    def __init__(self, python: Path) -> None:
        self.proc = subprocess.Popen(
            [str(python), "-c", READER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def ask(self, **cmd: Any) -> Any:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        if "error" in answer:
            raise AssertionError(f"old DuckDB {OLD_DUCKDB}: {answer['error']}")
        return answer["ok"]

    def close(self) -> None:
        assert self.proc.stdin
        self.proc.stdin.close()
        self.proc.wait()  # it ends at the end of its input


@pytest.fixture
def old_reader(old_python: Path) -> Iterator[OldReader]:
    reader = OldReader(old_python)
    yield reader
    reader.close()


MARTS = [
    Mart(
        "mart_een",
        "main_marts",
        "Eerste mart,\n  over twee regels.",
        {"aantal_personen": "Aantal personen\n      (art. 3)."},
    ),
    Mart("mart_twee", "main_marts", "Tweede mart.", {}),
]


def _monitoring(path: Path, factor: int = 1) -> Path:
    """A monitoring database shaped like the real one: marts plus things that must never reach the BI file."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists main_marts")
        con.execute(
            "create or replace table main_marts.mart_een as select golf, dimensie, waarde, "
            "aantal_personen * ? as aantal_personen, aantal_personen_onderdrukt, percentage, peildatum from (values "
            "('2026-S1', 'geslacht', 'man', 12, false, 41.5::decimal(5, 1), date '2026-06-30'), "
            "('2026-S1', 'geslacht', 'vrouw', null, true, null, date '2026-06-30'), "
            "('2026-S2', 'totaal', 'totaal', 40, false, 12.25::decimal(5, 1), date '2026-12-31')) "
            "as t(golf, dimensie, waarde, aantal_personen, aantal_personen_onderdrukt, percentage, peildatum)",
            [factor],
        )
        con.execute(
            "create or replace table main_marts.mart_twee as select range as i, range * 0.5 as d from range(200000)"
        )
        con.execute("create schema if not exists main")
        con.execute("create or replace table main.gepseudonimiseerde_dataset as select 'abc' as pseudoniem")
        con.execute("create or replace view main_marts.een_view as select * from main_marts.mart_een")
        con.execute("create or replace macro main_marts.verdubbel(x) as x * 2")
    return path


def _expected(path: Path) -> dict[str, list[list[str]]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            LEES_MIJ: [list(map(str, r)) for r in readme_rows(MARTS)],
            **{
                m.name: [
                    list(map(str, r)) for r in con.execute(f"select * from main_marts.{m.name} order by all").fetchall()
                ]
                for m in MARTS
            },
        }


@pytest.mark.slow
def test_old_duckdb_reads_every_mart_and_nothing_else(tmp_path: Path, old_reader: OldReader) -> None:
    bron = _monitoring(tmp_path / "monitoring.duckdb")
    doel = publish(bron, tmp_path / "bi" / "monitoring.duckdb", MARTS)

    assert old_reader.ask(op="open", path=str(doel)) == OLD_DUCKDB
    objects = old_reader.ask(op="objects")
    assert objects == {"tables": [LEES_MIJ, "mart_een", "mart_twee"], "views": [], "macros": []}
    assert old_reader.ask(op="read") == _expected(bron)
    comments = {(t, c): text for t, c, text in old_reader.ask(op="comments")}
    # one line each: BI tools show a comment's line breaks badly
    assert comments[("mart_een", "aantal_personen")] == "Aantal personen (art. 3)."
    assert all("\n" not in (text or "") for text in comments.values())
    lees_mij = {onderwerp: uitleg for _, onderwerp, uitleg in readme_rows(MARTS)}
    assert lees_mij["mart_een"] == "Eerste mart, over twee regels."
    assert {"verstoring", "onderdrukt", "onbekend", "documentatie"} <= set(lees_mij)
    assert sorted(p.name for p in doel.parent.iterdir()) == ["monitoring.duckdb"]


def test_a_file_in_duckdbs_default_format_is_not_readable_by_the_old_reader(
    tmp_path: Path, old_reader: OldReader
) -> None:
    """Guards the test above: without the storage version the old reader really fails."""
    path = tmp_path / "standaard.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select 1 as x")
    with pytest.raises(AssertionError, match=r"(?i)version|serializ"):
        old_reader.ask(op="open", path=str(path))


@pytest.mark.slow
def test_a_reader_holding_the_old_file_still_reads_it_whole_after_a_republish(tmp_path: Path, old_python: Path) -> None:
    doel = tmp_path / "bi" / "monitoring.duckdb"
    eerste = _monitoring(tmp_path / "monitoring.duckdb")
    publish(eerste, doel, MARTS)
    oud = _expected(eerste)

    reader = OldReader(old_python)
    try:
        reader.ask(op="open", path=str(doel))
        # Only the catalog is read before the republish, so the data blocks must still come from the old file.
        assert reader.ask(op="objects")["tables"] == [LEES_MIJ, "mart_een", "mart_twee"]
        inode = doel.stat().st_ino

        tweede = _monitoring(tmp_path / "monitoring2.duckdb", factor=3)
        publish(tweede, doel, MARTS)
        assert doel.stat().st_ino != inode  # a new file took the name; the old inode is still open in the reader

        assert reader.ask(op="read") == oud
    finally:
        reader.close()
    nieuw = OldReader(old_python)
    try:
        nieuw.ask(op="open", path=str(doel))
        assert nieuw.ask(op="read") == _expected(tweede)
    finally:
        nieuw.close()


def test_a_missing_mart_leaves_the_published_file_untouched(tmp_path: Path) -> None:
    bron = _monitoring(tmp_path / "monitoring.duckdb")
    doel = publish(bron, tmp_path / "bi" / "monitoring.duckdb", MARTS)
    before = doel.read_bytes()
    with pytest.raises(InputError, match=r"mart_drie.*not a table"):
        publish(bron, doel, [*MARTS, Mart("mart_drie", "main_marts", "", {})])
    assert doel.read_bytes() == before
    assert sorted(p.name for p in doel.parent.iterdir()) == ["monitoring.duckdb"]


def test_marts_come_from_the_manifest_only_tables_and_incrementals_under_models_marts(tmp_path: Path) -> None:
    def node(fqn: list[str], materialized: str, alias: str) -> dict[str, Any]:
        return {
            "resource_type": "model",
            "fqn": fqn,
            "alias": alias,
            "schema": "main_marts",
            "description": f"{alias} beschrijving",
            "config": {"materialized": materialized},
            "columns": {"aantal_x": {"description": "Aantal x."}},
        }

    manifest = {
        "nodes": {
            "a": node(["pijler3", "marts", "monitoring", "mart_b"], "table", "mart_b"),
            "b": node(["pijler3", "marts", "monitoring", "mart_a"], "table", "mart_a"),
            "c": node(["pijler3", "marts", "hulp"], "view", "hulp"),
            "f": node(["pijler3", "marts", "monitoring", "mart_c"], "incremental", "mart_c"),
            "d": node(["pijler3", "gepseudonimiseerd", "gepseudonimiseerde_dataset"], "table", "gepseudonimiseerd"),
            "e": {**node(["pijler3", "marts", "x"], "table", "x"), "resource_type": "test"},
        }
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    marts = marts_from_manifest(path)
    assert [m.name for m in marts] == ["mart_a", "mart_b", "mart_c"]
    assert marts[0].columns == {"aantal_x": "Aantal x."}
    (tmp_path / "leeg.json").write_text(json.dumps({"nodes": {"d": manifest["nodes"]["d"]}}))
    with pytest.raises(InputError, match="no table models"):
        marts_from_manifest(tmp_path / "leeg.json")


def test_publish_refuses_a_missing_monitoring_database(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        publish(tmp_path / "nergens.duckdb", tmp_path / "bi.duckdb", MARTS)
    assert not (tmp_path / "bi.duckdb").exists()


def test_reader_runs_in_the_old_duckdb(old_python: Path) -> None:
    version = subprocess.run(
        [str(old_python), "-c", "import duckdb; print(duckdb.__version__)"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert version == OLD_DUCKDB != duckdb.__version__


def test_cli_publishes_records_who_did_it_and_reports_a_missing_manifest_in_one_line(tmp_path: Path) -> None:
    bron = _monitoring(tmp_path / "monitoring.duckdb")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "nodes": {
                    m.name: {"resource_type": "model", "fqn": ["pijler3", "marts", m.name], "alias": m.name,
                             "schema": m.schema, "config": {"materialized": "table"}, "columns": {}}
                    for m in MARTS
                }
            }
        )
    )  # fmt: skip
    config = tmp_path / "agentschap.toml"
    config.write_text(
        'party = "agentschap"\n[sftp]\nhost = "localhost"\nuser = "a"\nkey = "k"\nknown_hosts = "kh"\n'
        '[keys]\nfolder = "keys"\npeer_bundle = "vdab.json"\n'
        '[folders]\noutgoing = "uit"\nincoming = "in"\nwork = "werk"\naudit = "audit"\n'
        '[databases]\nmonitoring = "monitoring.duckdb"\n[bi]\nfile = "bi/monitoring.duckdb"\n'
    )
    pijler3 = [str(Path(sys.executable).parent / "pijler3"), "publiceer-bi", "--config", str(config)]
    doel = tmp_path / "bi" / "monitoring.duckdb"
    done = subprocess.run([*pijler3, "--manifest", str(manifest)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "2 marts" in done.stdout and doel.is_file()
    done = subprocess.run(
        [*pijler3, "--monitoring", str(bron), "--manifest", str(tmp_path / "nee.json"), "--doel", str(doel)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "nee.json" in done.stderr and "Traceback" not in done.stderr
    published, failed = read_audit_log(tmp_path / "audit" / "agentschap.jsonl")
    assert (published["event"], published["marts"], published["file"]) == ("publish-bi", 2, "monitoring.duckdb")
    assert (
        published["os_user"] == getpass.getuser()
        and published["sha256"] == hashlib.sha256(doel.read_bytes()).hexdigest()
    )
    assert (failed["event"], failed["error"]) == ("publish-bi-failed", "InputError")
