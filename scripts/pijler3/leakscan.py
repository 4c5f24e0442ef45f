"""Look for INSZ numbers in clear in a party's files and DuckDB databases (the invariant of DESIGN.md: after a wave
no file or table outside the source extracts holds one).

A candidate is 11 digits, or the formatted ``YY.MM.DD-NNN.CC``, not glued to other letters or digits (so the digit
runs inside sha-256 hashes and pseudonyms do not count), that passes the INSZ checksum. DuckDB files and Parquet files
are scanned by querying every text and integer column of every table (the bytes on disk are compressed and would hide
a number; an integer column is read back with the leading zero an INSZ loses when cast to a number);
views are skipped because they hold no data. Every other file is scanned as bytes. A finding names the file and the
table and column, and counts the numbers — never shows one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pijler3 import insz

_CANDIDATE = r"(\d{11}|\d{2}\.\d{2}\.\d{2}-\d{3}\.\d{2})"
_BYTES = re.compile(rb"(?<![0-9A-Za-z])" + _CANDIDATE.encode() + rb"(?![0-9A-Za-z])")
# RE2 (DuckDB) has no look-around: match the neighbours and let Python pick the number out again.
_SQL = f"(^|[^0-9A-Za-z]){_CANDIDATE}([^0-9A-Za-z]|$)"
_TEXT = re.compile(r"(?<![0-9A-Za-z])" + _CANDIDATE + r"(?![0-9A-Za-z])")
_CHUNK = 1 << 20
_OVERLAP = 32
DUCKDB_SUFFIXES = (".duckdb", ".db")
_TEXT_TYPES = ("VARCHAR", "JSON")
# An INSZ cast to a number keeps its 11 digits but its leading zero; 32-bit INTEGER still holds the ones from 2000-2002.
_INTEGER_TYPES = ("INTEGER", "UINTEGER", "BIGINT", "UBIGINT", "HUGEINT", "UHUGEINT")
_INSZ_RANGE = (10**9, 10**11 - 1)


@dataclass(frozen=True)
class Finding:
    path: Path
    where: str
    """``schema.table.column`` in a database, ``column`` in a Parquet file, empty for a plain file."""
    count: int

    def __str__(self) -> str:
        place = f" ({self.where})" if self.where else ""
        return f"{self.path}{place}: {self.count} INSZ number(s) in clear"


def scan(
    paths: Iterable[Path],
    *,
    exempt_schemas: Mapping[Path, Iterable[str]] | None = None,
    allowed: frozenset[str] = frozenset(),
) -> list[Finding]:
    """Scan every file in ``paths`` (files or folders, recursively).

    ``exempt_schemas`` maps a DuckDB file to schemas that hold its owner's own source data (VDAB's loaded extract);
    they are not scanned. ``allowed`` are numbers that are no one's: the made-up fixtures written in the project's
    own dbt unit tests, which dbt copies into its manifest, compiled SQL and the docs site.
    """
    exempt = {Path(p).resolve(): set(s) for p, s in (exempt_schemas or {}).items()}
    findings: list[Finding] = []
    for path in iter_files(paths):
        if path.suffix in DUCKDB_SUFFIXES:
            findings += _scan_duckdb(path, exempt.get(path.resolve(), set()), allowed)
        elif path.suffix == ".parquet":
            findings += _scan_parquet(path, allowed)
        elif count := len(numbers_in(path) - allowed):
            findings.append(Finding(path, "", count))
    return findings


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        path = Path(path)
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())


# Free text (an answer to a notice, a category value) may write an INSZ in any way people do: 85073003328,
# 85.07.30-033.28, 850730/033-28, 850730 033 28, 85-07-30-033-28 — groups of 2, 2, 2, 3 and 2 digits with at most one
# dot, dash, slash or space between them.
_WRITTEN = re.compile(r"(?<!\d)\d{2}[./ -]?\d{2}[./ -]?\d{2}[./ -]?\d{3}[./ -]?\d{2}(?!\d)")


def insz_in_text(text: str) -> bool:
    """Whether ``text`` holds a valid INSZ in any written form (``_WRITTEN``), also in full-width or other Unicode
    digits (compared after NFKC normalisation): the one recogniser of an INSZ in free text."""
    normal = unicodedata.normalize("NFKC", text)
    return any(insz.is_valid(re.sub(r"\D", "", m.group())) for m in _WRITTEN.finditer(normal))


def _valid(candidates: Iterable[str]) -> set[str]:
    return {c for c in candidates if insz.is_valid(c)}


def numbers_in(path: Path) -> set[str]:
    """The valid INSZ numbers (as written) in a plain file."""
    found: set[str] = set()
    with path.open("rb") as handle:
        tail = b""
        while chunk := handle.read(_CHUNK):
            data = tail + chunk
            found |= _valid(m.group(1).decode() for m in _BYTES.finditer(data))
            tail = data[-_OVERLAP:]
    return found


def _matches(con: duckdb.DuckDBPyConnection, relation: str, column: str, allowed: frozenset[str]) -> int:
    quoted = '"' + column.replace('"', '""') + '"'
    rows = con.execute(
        f"select distinct cast({quoted} as varchar) from {relation} where regexp_matches(cast({quoted} as varchar), ?)",
        [_SQL],
    ).fetchall()
    return len(_valid(m.group(1) for (value,) in rows for m in _TEXT.finditer(str(value))) - allowed)


def _integer_matches(con: duckdb.DuckDBPyConnection, relation: str, column: str, allowed: frozenset[str]) -> int:
    quoted = '"' + column.replace('"', '""') + '"'
    rows = con.execute(
        f"select distinct lpad(cast({quoted} as varchar), 11, '0') from {relation} where {quoted} between ? and ?",
        list(_INSZ_RANGE),
    ).fetchall()
    return len(_valid(value for (value,) in rows) - allowed)


def _column_matches(
    con: duckdb.DuckDBPyConnection, relation: str, column: str, kind: str, allowed: frozenset[str]
) -> int:
    if kind in _TEXT_TYPES:
        return _matches(con, relation, column, allowed)
    if kind in _INTEGER_TYPES:
        return _integer_matches(con, relation, column, allowed)
    return 0


def _scan_duckdb(path: Path, exempt: set[str], allowed: frozenset[str]) -> list[Finding]:
    findings = []
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "select c.schema_name, c.table_name, c.column_name, c.data_type from duckdb_columns() as c"
            " inner join duckdb_tables() as t on c.table_oid = t.table_oid"
            " where c.database_name = current_database() and c.data_type in ?",
            [[*_TEXT_TYPES, *_INTEGER_TYPES]],
        ).fetchall()
        for schema, table, column, kind in columns:
            if schema in exempt:
                continue
            if count := _column_matches(con, f'"{schema}"."{table}"', column, str(kind), allowed):
                findings.append(Finding(path, f"{schema}.{table}.{column}", count))
    return findings


def _scan_parquet(path: Path, allowed: frozenset[str]) -> list[Finding]:
    findings = []
    relation = "read_parquet('" + str(path).replace("'", "''") + "')"
    with duckdb.connect() as con:
        described = con.execute(f"describe select * from {relation}").fetchall()
        for name, kind, *_ in described:
            if count := _column_matches(con, relation, str(name), str(kind), allowed):
                findings.append(Finding(path, str(name), count))
    return findings
