"""Load source extracts and exchange files into a party's DuckDB database, with file lineage on every row.

The shapes are fixed in ``docs/bronbestanden.md``. Every file is checked before anything is written, and one load is
one transaction: a malformed file raises ``InputError`` (file, line, what is wrong, what to do) and leaves the tables
of the previous load untouched.

CSV dialect (the KBI export): UTF-8, ``;`` delimiter, ``"`` quote (doubled inside a value), a header line that must
name exactly the expected columns in order, every value read as ``VARCHAR``, DuckDB's ``strict_mode`` so a line with
too few or too many fields or an unclosed quote fails instead of being padded or skipped. An empty field is loaded as
``NULL``; a NUL byte anywhere in the file is refused (DuckDB would keep it inside a value). The KBI writes a UTF-8
BOM; a file without one is accepted, because the BOM only marks the encoding and the strict UTF-8 check still rejects a
file saved in another encoding (Windows-1252, UTF-16).

``_regelnummer`` for a CSV row is its record number plus one (the header is line 1). It is computed with
``row_number() over ()`` over the scan, which follows the file order because the connection keeps
``preserve_insertion_order`` on (DuckDB's default, set explicitly here); a quoted value containing a line break makes it
differ from the physical line, which KBI exports do not contain. For Parquet it is the 1-based row number in the file.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

from pijler3.digest import sha256_file
from pijler3.duck import memory_limit
from pijler3.envelope import ContentMismatchError, Manifest
from pijler3.errors import InputError

Bron = Literal["kbi", "vdab"]

KBI_CSV_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "personen": (
        "insz",
        "leeftijdscategorie",
        "geslacht",
        "scholingsniveau",
        "oudste_nationaliteit",
        "datum_toeleiding_vdab",
        "doelgroep",
        "datum_doelgroep",
        "datum_aanmelding",
        "datum_inburgeringscontract",
        "kbi_regio",
        "plo_besluit",
        "plo_reden_besluit",
        "ingeschat_taalleervermogen",
        "hoogst_behaald_niveau_nt2",
        "trajecttype",
        "toeleiding_diplomagelijkschakeling",
        "resultaat_diplomagelijkschakeling",
        "heeft_ocmw_leefloon",
        "verblijfsstatus",
    ),
    "insz_vervangingen": ("oud_insz", "nieuw_insz", "datum_vervanging"),
}

VDAB_PARQUET_COLUMNS: Mapping[str, Mapping[str, str]] = {
    "personen": {"klant_id": "BIGINT", "insz": "VARCHAR"},
    "inschrijvingen": {"klant_id": "BIGINT", "inschrijvingsdatum": "DATE", "uitschrijvingsdatum": "DATE"},
    "categorie_historiek": {
        "klant_id": "BIGINT",
        "categorie_code": "VARCHAR",
        "geldig_van": "DATE",
        "geldig_tot": "DATE",
    },
    "dienstverlening_historiek": {
        "klant_id": "BIGINT",
        "status_dienstverlening": "VARCHAR",
        "geldig_van": "DATE",
        "geldig_tot": "DATE",
    },
    "acties": {
        "actie_id": "BIGINT",
        "klant_id": "BIGINT",
        "actietype": "VARCHAR",
        "actiecode": "VARCHAR",
        "startdatum": "DATE",
        "einddatum": "DATE",
    },
    "werkhervattingen": {"klant_id": "BIGINT", "startdatum_werk": "DATE"},
}

KBI_DELIMITER = ";"
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?")
_HEADER_PROBE_BYTES = 1 << 16


@dataclass(frozen=True)
class LoadedTable:
    """One file copied into one table."""

    table: str
    bestand: Path
    rijen: int
    sha256: str


@dataclass(frozen=True)
class _Plan:
    table: str
    path: Path
    select_sql: str
    sha256: str


def load_extract(bron: Bron, folder: Path, database: Path, *, require_rows: Collection[str] = ()) -> list[LoadedTable]:
    """Load the extract folder of one source (``DIR/kbi`` or ``DIR/vdab``) into ``bron_<bron>.<stem>`` tables.

    Every expected file must be present and no other ``.csv``/``.parquet`` file may be: a misnamed file would otherwise
    be skipped silently. All files are checked first, then all tables are replaced in one transaction. A file named in
    ``require_rows`` (by stem) that holds no rows fails the load.
    """
    folder = Path(folder)
    check_extract_folder(bron, folder)
    stems = KBI_CSV_COLUMNS if bron == "kbi" else VDAB_PARQUET_COLUMNS
    schema = f"bron_{bron}"
    plans = [
        _plan_csv(folder / f"{stem}.csv", f"{schema}.{stem}", KBI_CSV_COLUMNS[stem], KBI_DELIMITER)
        if bron == "kbi"
        else _plan_parquet(folder / f"{stem}.parquet", f"{schema}.{stem}", VDAB_PARQUET_COLUMNS[stem])
        for stem in stems
    ]
    return _execute(database, plans, {f"{schema}.{stem}" for stem in require_rows})


def check_extract_folder(bron: Bron, folder: Path) -> dict[str, Path]:
    """The extract's files by stem; ``InputError`` when the folder, or an expected file, is missing or one is extra."""
    if bron not in ("kbi", "vdab"):
        raise ValueError(f"unknown source {bron!r}, expected 'kbi' or 'vdab'")
    if not folder.is_dir():
        raise InputError(f"{folder}: extract folder not found; pass the folder that holds the {bron} files")
    suffix = ".csv" if bron == "kbi" else ".parquet"
    stems = KBI_CSV_COLUMNS if bron == "kbi" else VDAB_PARQUET_COLUMNS
    present = {p.name for p in folder.iterdir() if p.suffix.lower() in (".csv", ".parquet")}
    expected = {stem + suffix for stem in stems}
    if missing := sorted(expected - present):
        raise InputError(f"{folder}: missing {', '.join(missing)}; an extract needs {', '.join(sorted(expected))}")
    if unexpected := sorted(present - expected):
        raise InputError(
            f"{folder}: unexpected file {', '.join(unexpected)}; an extract holds exactly {', '.join(sorted(expected))}"
            " (check the file name or remove the file)"
        )
    return {stem: folder / f"{stem}{suffix}" for stem in stems}


def load_exchange_csv(
    path: Path,
    database: Path,
    table: str,
    *,
    signed: Manifest | None = None,
    columns: Sequence[str] = ("insz",),
    delimiter: str = ",",
) -> LoadedTable:
    """Load a one-off exchange CSV (by default a header ``insz`` and one column) into ``table`` (``schema.name``).

    Same strict parsing and lineage as the KBI files; the default dialect is what DuckDB's ``COPY`` writes (``,``).
    ``signed``: the verified manifest of the envelope the file came out of (``check_signed``).
    """
    if not _IDENTIFIER.fullmatch(table):
        raise ValueError(f"table name {table!r} must be a lower-case identifier, optionally schema-qualified")
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    return _execute(database, [_plan_csv(path, table, tuple(columns), delimiter)], signed=signed)[0]


def load_exchange_parquet(
    path: Path, database: Path, table: str, *, columns: Mapping[str, str], signed: Manifest | None = None
) -> LoadedTable:
    """Load a typed exchange file (the enrichment, Parquet) into ``table`` with the same checks and lineage as the
    VDAB extract: exactly ``columns`` (name -> DuckDB type), in one transaction; ``signed`` as for the CSV."""
    if not _IDENTIFIER.fullmatch(table):
        raise ValueError(f"table name {table!r} must be a lower-case identifier, optionally schema-qualified")
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    return _execute(database, [_plan_parquet(path, table, columns)], signed=signed)[0]


def check_signed(path: Path, manifest: Manifest, *, sha256: str, rows: int | None = None) -> None:
    """Refuse (``ContentMismatchError``, exit code 4) a received file whose sha-256 or row count is not what its
    sender signed: it was changed after the envelope was opened, and what is loaded must be what was signed."""
    if sha256 == manifest.plaintext_sha256 and rows in (None, manifest.row_count):
        return
    found = f"sha-256 {sha256[:12]}…" + (f" and {rows} rows" if rows is not None else "")
    raise ContentMismatchError(
        f"{path}: {found}, but {manifest.sender} signed sha-256 {manifest.plaintext_sha256[:12]}… and"
        f" {manifest.row_count} rows for {manifest.kind} {manifest.wave}: the file changed after it was opened, so"
        f" nothing was loaded. Find out who changed it (docs/datalek.md), then ask {manifest.sender} to send it again"
        " and start the wave over (pijler3 run-wave --restart)"
    )


def _execute(
    database: Path, plans: Sequence[_Plan], require_rows: Collection[str] = (), *, signed: Manifest | None = None
) -> list[LoadedTable]:
    if signed is not None:
        # Before anything is written: the file as it was hashed for its lineage column.
        for plan in plans:
            check_signed(plan.path, signed, sha256=plan.sha256)
    created = not database.exists()
    try:
        return _load_plans(database, plans, require_rows, signed)
    except (InputError, ContentMismatchError):
        if created:  # a failed first load leaves no database file behind
            for leftover in (database, database.with_name(database.name + ".wal")):
                leftover.unlink(missing_ok=True)
        raise


def _load_plans(
    database: Path, plans: Sequence[_Plan], require_rows: Collection[str], signed: Manifest | None
) -> list[LoadedTable]:
    con = duckdb.connect(str(database))
    try:
        con.execute("set preserve_insertion_order = true")
        con.execute(f"set memory_limit = '{memory_limit()}'")
        con.execute("begin transaction")
        loaded = []
        current: _Plan | None = None
        try:
            for current in plans:
                if "." in current.table:
                    con.execute(f"create schema if not exists {current.table.split('.')[0]}")
                con.execute(f"create or replace table {current.table} as {current.select_sql}")
                row = con.execute(f"select count(*) from {current.table}").fetchone()
                assert row is not None
                if not row[0] and current.table in require_rows:
                    con.execute("rollback")
                    raise InputError(
                        f"{current.path}: holds a header but no rows; nothing to exchange. Export the file again"
                        " (check the export's selection) and run the command again"
                    )
                if signed is not None:
                    # The rows as loaded, and the file hashed again: it may have changed while DuckDB read it.
                    try:
                        check_signed(current.path, signed, sha256=sha256_file(current.path), rows=int(row[0]))
                    except ContentMismatchError:
                        con.execute("rollback")
                        raise
                loaded.append(LoadedTable(current.table, current.path, int(row[0]), current.sha256))
            con.execute("commit")
        except duckdb.Error as exc:
            con.execute("rollback")
            assert current is not None
            raise _input_error(current.path, exc) from None
        return loaded
    finally:
        con.close()


def _plan_csv(path: Path, table: str, columns: tuple[str, ...], delimiter: str) -> _Plan:
    _check_header(path, columns, delimiter)
    digest = _sha256_of_text(path)
    column_types = "{" + ", ".join(f"{_sql_str(c)}: 'VARCHAR'" for c in columns) + "}"
    scan = (
        f"read_csv({_sql_str(str(path))}, header = true, delim = {_sql_str(delimiter)}, quote = '\"', escape = '\"',"
        f" columns = {column_types}, auto_detect = false, strict_mode = true, encoding = 'utf-8')"
    )
    select_sql = (
        f"select {', '.join(columns)}, {_sql_str(path.name)} as _bronbestand,"
        f" row_number() over () + 1 as _regelnummer, {_sql_str(digest)} as _bestand_sha256 from {scan}"
    )
    return _Plan(table, path, select_sql, digest)


def _check_header(path: Path, columns: tuple[str, ...], delimiter: str) -> None:
    with path.open("rb") as handle:
        head = handle.read(_HEADER_PROBE_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{path}: line 1: the file is UTF-16 encoded; export it as UTF-8")
    if not head.removeprefix(b"\xef\xbb\xbf").strip():
        raise InputError(f"{path}: the file is empty; expected a header line: {delimiter.join(columns)}")
    first_line = head.removeprefix(b"\xef\xbb\xbf").splitlines()[0]
    try:
        text = first_line.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(
            f"{path}: line 1: not valid UTF-8 (probably Windows-1252 or Latin-1); export the file as UTF-8"
        ) from None
    found = next(csv.reader([text], delimiter=delimiter, quotechar='"'))
    if tuple(found) == columns:
        return
    expected_line = delimiter.join(columns)
    if len(found) == 1 and len(columns) > 1:
        other = next((d for d in ",;\t|" if d != delimiter and d in text), None)
        if other is not None:
            raise InputError(
                f"{path}: line 1: fields are separated by {other!r}, expected {delimiter!r}; export with {delimiter!r}"
                f" as delimiter (header must be: {expected_line})"
            )
    missing = [c for c in columns if c not in found]
    extra = [c for c in found if c not in columns]
    details = []
    if missing:
        details.append(f"missing column(s) {', '.join(missing)}")
    if extra:
        details.append(f"unexpected column(s) {', '.join(extra)}")
    if not details:
        details.append("columns in the wrong order")
    raise InputError(
        f"{path}: line 1: header does not match: {'; '.join(details)}; the header must be: {expected_line}"
    )


def _plan_parquet(path: Path, table: str, columns: Mapping[str, str]) -> _Plan:
    scan = f"read_parquet({_sql_str(str(path))}, file_row_number = true)"
    try:
        with duckdb.connect() as con:
            described = con.execute(f"describe select * exclude (file_row_number) from {scan}").fetchall()
    except duckdb.Error as exc:
        raise InputError(
            f"{path}: not a readable Parquet file ({str(exc).splitlines()[0]}); export the table as Parquet again"
        ) from None
    found = {str(name): str(kind) for name, kind, *_ in described}
    problems = [f"missing column {name} {kind}" for name, kind in columns.items() if name not in found]
    problems += [f"unexpected column {name}" for name in found if name not in columns]
    problems += [
        f"column {name} is {found[name]}, expected {kind}"
        for name, kind in columns.items()
        if name in found and found[name] != kind
    ]
    if problems:
        expected = ", ".join(f"{name} {kind}" for name, kind in columns.items())
        raise InputError(f"{path}: {'; '.join(problems)}; the file must have exactly: {expected}")
    digest = sha256_file(path)
    select_sql = (
        f"select {', '.join(columns)}, {_sql_str(path.name)} as _bronbestand, file_row_number + 1 as _regelnummer,"
        f" {_sql_str(digest)} as _bestand_sha256 from {scan}"
    )
    return _Plan(table, path, select_sql, digest)


_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CSV_FIELDS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def _input_error(path: Path, exc: duckdb.Error) -> InputError:
    """Translate a DuckDB error into file, line and reason, without echoing the offending line (it holds INSZ)."""
    message = str(exc)
    line = _CSV_LINE.search(message)
    where = f"{path}: line {line.group(1)}" if line else f"{path}"
    if fields := _CSV_FIELDS.search(message):
        reason = (
            f"has {fields.group(2)} fields, expected {fields.group(1)}; check for a missing or extra delimiter or a"
            " value that contains the delimiter without quotes"
        )
    elif "Invalid unicode" in message:
        reason = "not valid UTF-8 (probably Windows-1252 or Latin-1); export the file as UTF-8"
    elif "unterminated quote" in message:
        reason = 'a quoted value is never closed; a " inside a value must be doubled ("")'
    else:
        reason = f"{message.splitlines()[0]}; check the file against docs/bronbestanden.md"
    return InputError(f"{where}: {reason}")


def _sha256_of_text(path: Path) -> str:
    """The file's sha-256, refusing a NUL byte: DuckDB's reader keeps it inside a value, where no KBI field has one."""
    digest = hashlib.sha256()
    line = 1
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            if (nul := chunk.find(b"\0")) >= 0:
                line += chunk.count(b"\n", 0, nul)
                raise InputError(
                    f"{path}: line {line}: holds a NUL byte (\\0), which no text field may contain; the file is"
                    " damaged or not a text export: export it again"
                )
            line += chunk.count(b"\n")
            digest.update(chunk)
    return digest.hexdigest()


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
