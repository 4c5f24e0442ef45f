"""Retention (art. 3): ``pijler3 purge`` on a copy of the demo — dry run, real run, the retention date, the server."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from cli_helpers import pijler3
from pijler3 import meldingen
from pijler3.audit import read_audit_log
from pijler3.cli import cli
from pijler3.demo import WAVES, exchange
from pijler3.retention import purge

pytest_plugins = ["demo_fixtures"]
pytestmark = pytest.mark.slow


def waves_per_table(db: Path) -> dict[str, set[str]]:
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute(
            "select t.table_name from duckdb_tables() as t inner join duckdb_columns() as c"
            " on c.table_oid = t.table_oid where c.column_name = 'golf'"
        ).fetchall()
        return {t: {w for (w,) in con.execute(f'select distinct golf from "{t}"').fetchall()} for (t,) in tables}


def purge_events(out: Path, party: str) -> list[dict[str, object]]:
    return [e for e in read_audit_log(out / "audit" / f"{party}.jsonl") if e["event"] == "purge"]


def test_dry_run_lists_and_changes_nothing_then_the_real_run_removes_the_old_wave(demo_copy: Path) -> None:
    monitoring, bi = demo_copy / "agentschap" / "monitoring.duckdb", demo_copy / "bi" / "monitoring.duckdb"
    before = waves_per_table(monitoring)
    assert before["gepseudonimiseerde_dataset"] == set(WAVES)
    assert len(before) >= 4, before  # dataset, history and the marts
    # A processed file the agencies never removed from their inbox, and one for VDAB still unread.
    (demo_copy / "sftp" / "naar-agentschap" / f"{WAVES[0]}.verrijking.parquet.age").write_bytes(b"x")
    (demo_copy / "sftp" / "naar-vdab" / "2026-S2.gepseudonimiseerd.parquet.age").write_bytes(b"x")
    config = str(demo_copy / "agentschap" / "agentschap.toml")

    with exchange(demo_copy):
        dry = CliRunner().invoke(cli, ["purge", "--config", config, "--keep-waves", "1", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert f"would remove waves: {WAVES[0]}" in dry.output
        assert f"would remove server file naar-agentschap/{WAVES[0]}.verrijking.parquet.age" in dry.output
        assert waves_per_table(monitoring) == before and purge_events(demo_copy, "agentschap") == []

        real = CliRunner().invoke(cli, ["purge", "--config", config, "--keep-waves", "1"])
        assert real.exit_code == 0, real.output

    after = waves_per_table(monitoring)
    assert set(after) == set(before)
    assert all(WAVES[0] not in waves for waves in after.values()), after
    assert after["gepseudonimiseerde_dataset"] == {WAVES[1]}
    assert all(WAVES[0] not in waves for waves in waves_per_table(bi).values()), "BI file republished"
    assert not (demo_copy / "sftp" / "naar-agentschap" / f"{WAVES[0]}.verrijking.parquet.age").exists()
    assert (demo_copy / "sftp" / "naar-vdab" / "2026-S2.gepseudonimiseerd.parquet.age").exists(), "not ours to drop"
    [event] = purge_events(demo_copy, "agentschap")
    assert event["waves"] == WAVES[0] and int(str(event["rows_removed"])) > 0
    assert event["server_files_removed"] == 1


def test_with_the_server_down_a_dry_run_lists_the_local_part_and_a_real_run_changes_nothing(demo_copy: Path) -> None:
    """`purge --dry-run` contacted the server and failed after five retries when it was down."""
    config = demo_copy / "agentschap" / "agentschap.toml"  # names the port of the demo's server, which has stopped
    monitoring = demo_copy / "agentschap" / "monitoring.duckdb"
    before = waves_per_table(monitoring)
    dry = pijler3("purge", "--config", str(config), "--keep-waves", "1", "--dry-run")
    assert dry.code == 0, dry.err
    assert f"would remove waves: {WAVES[0]}" in dry.out and "not reachable" in dry.out

    config.write_text(config.read_text().replace("[sftp]\n", "[sftp]\nattempts = 1\n"))
    real = pijler3("purge", "--config", str(config), "--keep-waves", "1")
    assert real.code == 75 and "failed after 1 attempts" in real.err, real.err
    assert waves_per_table(monitoring) == before and purge_events(demo_copy, "agentschap") == []


def test_retention_date_from_the_configuration_and_vdab_copy(demo_copy: Path) -> None:
    with exchange(demo_copy) as configs:
        agencies, vdab = configs["agentschap"], configs["vdab"]
        assert agencies.retention_until == dt.date(2033, 2, 14)
        kept = purge(agencies, today=dt.date(2033, 2, 14))
        assert kept.removed == () and "kept until 2033-02-14" in kept.reason

        gone = purge(vdab, today=dt.date(2033, 2, 15))
        assert gone.removed == tuple(WAVES) and "retention ended" in gone.reason
        assert not list((demo_copy / "vdab" / "in").glob("*.gepseudonimiseerd.parquet"))
        # the sealed correction notices VDAB kept go with their waves; the register keeps their counts
        assert not list((demo_copy / "vdab" / "werk" / "meldingen" / "ontvangen").glob("*.melding.csv*"))
        assert len(meldingen.lees_register(vdab)) == 2

        before = purge(agencies, before=dt.date(2026, 1, 1), dry_run=True)
        assert before.removed == (WAVES[0],)
        everything = purge(agencies, today=dt.date(2040, 1, 1))
    assert everything.removed == tuple(WAVES)
    assert waves_per_table(demo_copy / "agentschap" / "monitoring.duckdb")["gepseudonimiseerde_dataset"] == set()
    assert [e["waves"] for e in purge_events(demo_copy, "vdab")] == [",".join(WAVES)]


def test_purge_refuses_two_selections(demo_copy: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "purge",
            "--config",
            str(demo_copy / "agentschap" / "agentschap.toml"),
            "--keep-waves",
            "1",
            "--before",
            "2026-01-01",
            "--no-server",
        ],
    )
    assert result.exit_code != 0 and "either --before or --keep-waves" in str(result.exception or result.output)
