"""Export of the exchange files: exact bytes, schema refused when it differs, and nothing half-written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from pijler3.errors import InputError, Pijler3Error
from pijler3.exchange_files import VERRIJKING_SCHEMA, exporteer_aanvraag, exporteer_verrijking


def database(path: Path, *statements: str) -> Path:
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)
    return path


def test_aanvraag_is_sorted_csv_with_header_lf_and_no_bom(tmp_path: Path) -> None:
    db = database(
        tmp_path / "a.duckdb",
        "create table aanvraag (insz varchar)",
        "insert into aanvraag values ('98472899765'), ('85073003328'), ('17073003384')",
    )
    export = exporteer_aanvraag(db, tmp_path / "aanvraag.csv")
    assert export.aantal_rijen == 3
    assert export.pad.read_bytes() == b"insz\n17073003384\n85073003328\n98472899765\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_exchange_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    """The exchange files hold INSZ numbers in clear until sealed: mode 0600 like the opened envelopes, whatever the
    umask (the default 0022 left them readable by every account on the machine)."""
    db = database(tmp_path / "a.duckdb", "create table aanvraag as select '85073003328' as insz")
    export = exporteer_aanvraag(db, tmp_path / "aanvraag.csv")
    assert export.pad.stat().st_mode & 0o777 == 0o600


def test_extra_column_is_refused_and_the_previous_file_stays(tmp_path: Path) -> None:
    db = database(tmp_path / "a.duckdb", "create table aanvraag as select '85073003328' as insz, 'Marokko' as land")
    doel = tmp_path / "aanvraag.csv"
    doel.write_bytes(b"insz\n17073003384\n")
    with pytest.raises(Pijler3Error, match=r"aanvraag has columns \(insz VARCHAR, land VARCHAR\).*art\. 3"):
        exporteer_aanvraag(db, doel)
    assert doel.read_bytes() == b"insz\n17073003384\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.duckdb", "aanvraag.csv"]


def test_missing_table_or_database_is_an_input_error(tmp_path: Path) -> None:
    db = database(tmp_path / "a.duckdb", "create table iets (x integer)")
    with pytest.raises(InputError, match=r"main\.verrijking not found; build it with dbt"):
        exporteer_verrijking(db, tmp_path / "v.parquet")
    with pytest.raises(InputError, match="database not found"):
        exporteer_aanvraag(tmp_path / "geen.duckdb", tmp_path / "a.csv")
    with pytest.raises(InputError, match="output folder does not exist"):
        exporteer_aanvraag(db, tmp_path / "nergens" / "a.csv")


def test_verrijking_is_parquet_with_the_contract_types(tmp_path: Path) -> None:
    kolommen = ", ".join(f"{naam} {soort}" for naam, soort in VERRIJKING_SCHEMA.items())
    waarden = {"VARCHAR": "'x'", "BOOLEAN": "true", "DATE": "date '2026-06-30'", "INTEGER": "2"}
    rij = ", ".join(waarden[s] if n != "insz" else "'85073003328'" for n, s in VERRIJKING_SCHEMA.items())
    db = database(
        tmp_path / "v.duckdb", f"create table verrijking ({kolommen})", f"insert into verrijking values ({rij})"
    )
    export = exporteer_verrijking(db, tmp_path / "verrijking.parquet")
    assert export.aantal_rijen == 1
    with duckdb.connect() as con:
        beschreven = con.execute(f"describe select * from '{export.pad}'").fetchall()
        gelezen = con.execute(f"select eerste_inschrijving, aantal_acties_context from '{export.pad}'").fetchone()
    assert [(n, s) for n, s, *_ in beschreven] == list(VERRIJKING_SCHEMA.items())
    assert gelezen == (dt.date(2026, 6, 30), 2)


def test_verrijking_with_a_column_art3_does_not_list_is_refused(tmp_path: Path) -> None:
    kolommen = ", ".join(f"{naam} {soort}" for naam, soort in VERRIJKING_SCHEMA.items())
    db = database(tmp_path / "v.duckdb", f"create table verrijking ({kolommen}, nationaliteit varchar)")
    with pytest.raises(Pijler3Error, match="nationaliteit VARCHAR"):
        exporteer_verrijking(db, tmp_path / "verrijking.parquet")
    assert not (tmp_path / "verrijking.parquet").exists()
