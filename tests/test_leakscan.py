"""The INSZ leak scan on values that are not text: a number column holds an INSZ just as well."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pijler3.leakscan import scan


def test_numbers_stored_as_integers_are_found_in_databases_and_parquet(tmp_path: Path) -> None:
    """An INSZ cast to BIGINT (for a join, or by a careless export) loses nothing but its leading zero; the scan only
    read text columns and reported such a table as clean."""
    with duckdb.connect(str(tmp_path / "x.duckdb")) as con:
        con.execute(
            "create table t as select * from (values (85073003328::bigint, 1), (2121712901::bigint, 2),"
            " (12345::bigint, 3), (12345678901::bigint, 4)) as v(nummer, volgnummer)"
        )
        con.execute(f"copy t to '{tmp_path / 'x.parquet'}' (format parquet)")

    findings = {(f.path.name, f.where, f.count) for f in scan([tmp_path])}

    # 02121712901 written without its leading zero counts; 12345678901 fails the checksum, the small numbers are not
    # INSZ-sized.
    assert findings == {("x.duckdb", "main.t.nummer", 2), ("x.parquet", "nummer", 2)}
    assert scan([tmp_path], allowed=frozenset({"85073003328", "02121712901"})) == []
