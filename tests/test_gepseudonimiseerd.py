"""Exporting one wave of the pseudonymised dataset to Parquet, on a real DuckDB file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pijler3.errors import InputError
from pijler3.gepseudonimiseerd import exporteer_dataset


@pytest.fixture
def monitoring(tmp_path: Path) -> Path:
    path = tmp_path / "monitoring.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table gepseudonimiseerde_dataset (pseudoniem varchar, golf varchar, doelgroep varchar)")
        con.execute(
            "insert into gepseudonimiseerde_dataset values "
            "('b', '2026-S1', 'verplicht'), ('a', '2026-S1', 'rechthebbend'), ('a', '2026-S2', 'verplicht')"
        )
    return path


def test_exports_only_the_wave_sorted(monitoring: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "gepseudonimiseerd_2026-S1.parquet"
    assert exporteer_dataset(monitoring, "2026-S1", target) == 2
    rows = duckdb.sql(f"select * from read_parquet('{target}')").fetchall()
    assert rows == [("a", "2026-S1", "rechthebbend"), ("b", "2026-S1", "verplicht")]
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]


def test_a_wave_without_rows_writes_nothing(monitoring: Path, tmp_path: Path) -> None:
    target = tmp_path / "gepseudonimiseerd_2027-S1.parquet"
    with pytest.raises(InputError, match="no rows for wave 2027-S1"):
        exporteer_dataset(monitoring, "2027-S1", target)
    assert list(tmp_path.glob("*.parquet")) == [] and list(tmp_path.glob(".*part")) == []


def test_an_existing_file_is_replaced_whole(monitoring: Path, tmp_path: Path) -> None:
    target = tmp_path / "gepseudonimiseerd.parquet"
    target.write_bytes(b"previous")
    assert exporteer_dataset(monitoring, "2026-S2", target) == 1
    assert duckdb.sql(f"select count(*) from read_parquet('{target}')").fetchall() == [(1,)]


@pytest.mark.parametrize("golf", ["2026-S3", "2026S1", "2026-S1'; drop table x; --"])
def test_refuses_a_malformed_wave(monitoring: Path, tmp_path: Path, golf: str) -> None:
    with pytest.raises(InputError, match="YYYY-S1 or YYYY-S2"):
        exporteer_dataset(monitoring, golf, tmp_path / "x.parquet")


def test_refuses_a_database_without_the_dataset(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(InputError, match="has no table gepseudonimiseerde_dataset"):
        exporteer_dataset(empty, "2026-S1", tmp_path / "x.parquet")
    with pytest.raises(InputError, match="not found"):
        exporteer_dataset(tmp_path / "absent.duckdb", "2026-S1", tmp_path / "x.parquet")
