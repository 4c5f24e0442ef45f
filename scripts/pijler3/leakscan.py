"""Look for INSZ numbers in clear in a party's files and DuckDB databases (the invariant of DESIGN.md: after a wave
no file or table outside the source extracts holds one).

A candidate is an INSZ in any written form (``pijler3.insz.WRITTEN_FORM``: 11 digits, or the groups with dots, dashes,
slashes or spaces between them), not glued to other letters or digits (so the digit
runs inside sha-256 hashes and pseudonyms do not count), that passes the INSZ checksum. DuckDB files and Parquet files
are scanned by querying every text and integer column of every table (the bytes on disk are compressed and would hide
a number; an integer column is read back with the leading zero an INSZ loses when cast to a number);
views are skipped because they hold no data. Every other file is scanned as bytes. A finding names the file and the
table and column, and counts the numbers — never shows one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pijler3 import insz
from pijler3.errors import Pijler3Error

_CANDIDATE = f"({insz.WRITTEN_FORM})"
_BYTES = re.compile(rb"(?<![0-9A-Za-z])" + _CANDIDATE.encode() + rb"(?![0-9A-Za-z])")
# RE2 (DuckDB) has no look-around: match the neighbours and let Python pick the number out again.
_SQL = f"(^|[^0-9A-Za-z]){_CANDIDATE}([^0-9A-Za-z]|$)"
_CHUNK = 1 << 20
_OVERLAP = 32
DUCKDB_SUFFIXES = (".duckdb", ".db")
_TEXT_TYPES = ("VARCHAR", "JSON")
# An INSZ cast to a number keeps its 11 digits but its leading zero; 32-bit INTEGER still holds the ones from 2000-2002.
_INTEGER_TYPES = ("INTEGER", "UINTEGER", "BIGINT", "UBIGINT", "HUGEINT", "UHUGEINT")
_INSZ_RANGE = (10**9, 10**11 - 1)


# A cell a spreadsheet runs as a formula once a BI user exports the table (OWASP: CSV injection): one that starts
# with =, +, -, @, a tab or a carriage return (RE2 syntax: DuckDB runs it).
_FORMULA_SQL = r"^[=+\-@\t\r]"
# Characters that change what a reader sees without showing themselves: Unicode's bidi marks, embeddings, overrides
# and isolates (U+202E reverses what follows it); and the C0 controls (in a document all but tab, line feed and
# carriage return; in a cell all), DEL and C1.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_HIDDEN_IN_DOCUMENT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_HIDDEN_IN_CELL_SQL = r"[\x00-\x1f\x7f-\x9f\x{61c}\x{200e}\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}]"
INSZ_FOUND = "INSZ number(s) in clear"


class PublicationRefused(Pijler3Error):
    """A file about to leave the restricted layer (the BI file, the dataset for VDAB, a report, the docs site) holds
    what must not: it stays unpublished."""


@dataclass(frozen=True)
class Finding:
    path: Path
    where: str
    """``schema.table.column`` in a database, ``column`` in a Parquet file, empty for a plain file."""
    count: int
    what: str = INSZ_FOUND

    def __str__(self) -> str:
        place = f" ({self.where})" if self.where else ""
        return f"{self.path}{place}: {self.count} {self.what}"


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


def project_fixture_numbers(project_dir: Path) -> frozenset[str]:
    """INSZ-shaped numbers in the dbt project's own files: the made-up fixtures of its unit tests, public in the
    repository, which dbt copies into manifest.json, compiled SQL, its log and the docs site."""
    folders = [project_dir / name for name in ("models", "macros", "seeds", "tests/dbt")]
    return frozenset(n for path in iter_files(f for f in folders if f.is_dir()) for n in numbers_in(path))


def _valid(candidates: Iterable[str]) -> set[str]:
    return {number for number in map(insz.digits_of, candidates) if insz.is_valid(number)}


def numbers_in(path: Path) -> set[str]:
    """The valid INSZ numbers (normalised, whatever the written form) in a plain file."""
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
    found: set[str] = set()
    for (value,) in rows:
        found |= insz.numbers_in_text(str(value))
    return len(found - allowed)


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


# -- before publication ---------------------------------------------------------------------------------------------


def check_publication(
    path: Path, shown_as: Path, *, allowed: frozenset[str] = frozenset(), controls: bool = True
) -> None:
    """Refuse (``PublicationRefused``) to publish ``path``, the temporary file that becomes ``shown_as``, when it holds
    an INSZ in any written form; in a DuckDB or Parquet file also a text cell a spreadsheet would run as a formula
    (a leading ``=``, ``+``, ``-``, ``@``, tab or carriage return) or one with a control or bidi character, in any
    other file a control or bidi character.
    ``allowed`` as in ``scan``; ``shown_as``'s suffix says how to read ``path``. ``controls=False`` for a page whose
    own code carries C0 controls (dbt's bundled JavaScript in the docs site; its data is inlined as JSON, which escapes
    them): there only bidi characters are refused. Run on the temp file, before the rename: nothing is published until
    it passes."""
    if shown_as.suffix in (*DUCKDB_SUFFIXES, ".parquet"):
        findings = _cell_findings(path, shown_as, allowed)
    else:
        text = path.read_text(encoding="utf-8", errors="replace")
        findings = _document_findings(text, shown_as, allowed, _HIDDEN_IN_DOCUMENT if controls else _BIDI)
    _refuse(findings, shown_as)


def check_publication_text(document: str, shown_as: Path, *, allowed: frozenset[str] = frozenset()) -> None:
    """``check_publication`` for a document still in memory (a rendered report), before it is written."""
    _refuse(_document_findings(document, shown_as, allowed, _HIDDEN_IN_DOCUMENT), shown_as)


def _refuse(findings: list[Finding], shown_as: Path) -> None:
    if findings:
        raise PublicationRefused(
            f"{shown_as}: not published, it would hold "
            + "; ".join(f"{f.count} {f.what}" + (f" ({f.where})" if f.where else "") for f in findings[:10])
            + ". A value from an extract or the other party's file got past the code lists: find it in the data-"
            "quality mart and the staging models, fix the cause, and run the command again"
        )


def _document_findings(text: str, shown_as: Path, allowed: frozenset[str], hidden: re.Pattern[str]) -> list[Finding]:
    findings = []
    if count := len(insz.numbers_in_text(text) - allowed):
        findings.append(Finding(shown_as, "", count))
    if count := len(hidden.findall(text)):
        findings.append(Finding(shown_as, "", count, "control or bidi character(s)"))
    return findings


def _cell_findings(path: Path, shown_as: Path, allowed: frozenset[str]) -> list[Finding]:
    findings: list[Finding] = []
    with duckdb.connect() as con:
        if shown_as.suffix == ".parquet":
            relations = [("", "read_parquet('" + str(path).replace("'", "''") + "')")]
        else:
            con.execute(f"attach '{str(path).replace(chr(39), chr(39) * 2)}' as te_publiceren (read_only)")
            relations = [
                (f"{schema}.{table}", f'te_publiceren."{schema}"."{table}"')
                for schema, table in con.execute(
                    "select schema_name, table_name from duckdb_tables() where database_name = 'te_publiceren'"
                ).fetchall()
            ]
        for where, relation in relations:
            for name, kind, *_ in con.execute(f"describe select * from {relation}").fetchall():
                place = f"{where}.{name}" if where else str(name)
                if count := _column_matches(con, relation, str(name), str(kind), allowed):
                    findings.append(Finding(shown_as, place, count))
                if str(kind) not in _TEXT_TYPES:
                    continue
                quoted = '"' + str(name).replace('"', '""') + '"'
                for pattern, what in (
                    (_FORMULA_SQL, "cell(s) a spreadsheet runs as a formula"),
                    (_HIDDEN_IN_CELL_SQL, "cell(s) with a control or bidi character"),
                ):
                    row = con.execute(
                        f"select count(*) from {relation} where regexp_matches({quoted}, ?)", [pattern]
                    ).fetchone()
                    if row and row[0]:
                        findings.append(Finding(shown_as, place, int(row[0]), what))
    return findings
