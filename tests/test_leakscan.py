"""The INSZ leak scan on values that are not text: a number column holds an INSZ just as well."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pijler3 import insz
from pijler3.leakscan import PublicationRefused, check_publication, scan


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


WRITTEN_FORMS = ("85073003328", "85.07.30-033.28", "850730/033-28", "85 07 30 033 28", "85-07-30-033-28")


def test_every_written_form_of_an_insz_is_found_in_files_and_tables(tmp_path: Path) -> None:
    """One recogniser for every written form: the scan of files and of table cells, and the check of names and answer
    texts (``insz.shaped_in``), find the number with dots, dashes, slashes or spaces as well as plain."""
    for number, form in enumerate(WRITTEN_FORMS):
        (tmp_path / f"{number}.txt").write_text(f"klant {form} verbeterd\n", encoding="utf-8")
        assert insz.shaped_in(f"Nagekeken: {form}.")
    with duckdb.connect(str(tmp_path / "x.duckdb")) as con:
        con.execute("create table t (waarde varchar)")
        con.executemany("insert into t values (?)", [[f"<{form}>"] for form in WRITTEN_FORMS])

    findings = {(f.path.name, f.where, f.count) for f in scan([tmp_path])}

    # the file and the table each hold the one number, whatever its spelling
    assert findings == {*((f"{n}.txt", "", 1) for n in range(len(WRITTEN_FORMS))), ("x.duckdb", "main.t.waarde", 1)}
    # a hash or a pseudonym holds digit runs glued to letters: no finding
    (tmp_path / "hash.txt").write_text("a85073003328b 85073003329\n", encoding="utf-8")
    assert not [f for f in scan([tmp_path / "hash.txt"])]


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("850730/033-28", "INSZ"),
        ('=HYPERLINK("http://x.invalid")', "formula"),
        ("+1+1", "formula"),
        ("-2+3", "formula"),
        ("@SUM(A1)", "formula"),
        ("\t=1", "formula"),
        ("\r=1", "formula"),
        ("abc\u202edef", "bidi"),
        ("a\x1b[2Jb", "bidi"),
    ],
)
def test_a_file_to_publish_with_a_hostile_cell_is_refused(tmp_path: Path, value: str, what: str) -> None:
    for suffix in (".duckdb", ".parquet"):
        part = tmp_path / f"te_publiceren{suffix}.part"
        with duckdb.connect(str(part) if suffix == ".duckdb" else ":memory:") as con:
            con.execute("create table mart (dimensie varchar, waarde varchar)")
            con.execute("insert into mart values ('geslacht', 'vrouw'), ('geslacht', ?)", [value])
            if suffix == ".parquet":
                con.execute(f"copy mart to '{part}' (format parquet)")
        with pytest.raises(PublicationRefused, match=f"not published.*{what}.*waarde") as refused:
            check_publication(part, tmp_path / f"bi{suffix}")
        assert value not in str(refused.value)
    clean = tmp_path / "schoon.parquet.part"
    with duckdb.connect() as con:
        con.execute(f"copy (select '18-24' as leeftijd, 'vrouw' as waarde) to '{clean}' (format parquet)")
    check_publication(clean, tmp_path / "schoon.parquet")
