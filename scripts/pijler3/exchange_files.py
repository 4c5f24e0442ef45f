"""Write the two person-level exchange files from the tables dbt built, ready to be sealed.

* ``aanvraag`` (agencies -> VDAB): CSV, UTF-8 without BOM, ``\\n`` line ends, header ``insz``, one normalised INSZ per
  line and no other column (protocol art. 3: VDAB receives the INSZ numbers and nothing else).
* ``verrijking`` (VDAB -> agencies): Parquet. The file carries the contract's types (dates, booleans, integers), so the
  receiver needs no date or boolean parsing conventions and the loader reads it like VDAB's own extract.

Both are sorted by INSZ, so the file does not reveal the order of either party's database. Each is written into a
hidden private folder (0700) next to the target, checked (schema, bytes, row count), made 0600 and only then renamed
onto the target: a failure leaves no file or the previous one, never a half-written one, and no other account on the
machine can read the INSZ numbers in it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pijler3.errors import InputError, Pijler3Error

AANVRAAG_SCHEMA: Mapping[str, str] = {"insz": "VARCHAR"}

# The columns of models/uitwisseling/verrijking (its enforced contract) in file order; the export refuses a relation
# whose columns differ, so an attribute art. 3 does not list cannot leave VDAB by way of a changed model.
_ACTIETYPEN = ("orientatie", "context", "competentieversterking", "solliciteren")
VERRIJKING_SCHEMA: Mapping[str, str] = {
    "insz": "VARCHAR",
    "gekend_bij_vdab": "BOOLEAN",
    "eerste_inschrijving": "DATE",
    "meest_recente_inschrijving": "DATE",
    "huidige_categorie_werkzoekende": "VARCHAR",
    "huidige_categorie_werkzoekende_omschrijving": "VARCHAR",
    "status_dienstverlening": "VARCHAR",
    **{
        kolom: soort
        for actietype in _ACTIETYPEN
        for kolom, soort in (
            (f"heeft_actie_{actietype}", "BOOLEAN"),
            (f"aantal_acties_{actietype}", "INTEGER"),
            (f"eerste_start_actie_{actietype}", "DATE"),
        )
    },
    "uitstroom_naar_werk": "DATE",
    "uitstroom_naar_werk_binnen_6_maanden": "BOOLEAN",
    "uitstroom_naar_werk_binnen_12_maanden": "BOOLEAN",
}


_Controle = Callable[[Path, Mapping[str, str], int], None]


@dataclass(frozen=True)
class Export:
    """A written exchange file and the number of data rows in it (the manifest states the row count)."""

    pad: Path
    aantal_rijen: int


def exporteer_aanvraag(database: Path, doel: Path, *, relatie: str = "main.aanvraag") -> Export:
    """Write the request file from ``relatie`` (dbt model ``aanvraag``) in ``database`` to ``doel`` as CSV."""
    return _exporteer(database, doel, relatie, AANVRAAG_SCHEMA, "(format csv, header true, delimiter ',')", _check_csv)


def exporteer_verrijking(database: Path, doel: Path, *, relatie: str = "main.verrijking") -> Export:
    """Write the enriched file from ``relatie`` (dbt model ``verrijking``) in ``database`` to ``doel`` as Parquet."""
    return _exporteer(database, doel, relatie, VERRIJKING_SCHEMA, "(format parquet, compression zstd)", _check_parquet)


def _exporteer(
    database: Path,
    doel: Path,
    relatie: str,
    schema: Mapping[str, str],
    opties: str,
    controleer: _Controle,
) -> Export:
    database, doel = Path(database), Path(doel)
    if not database.is_file():
        raise InputError(f"{database}: database not found; run dbt for this wave first")
    if not doel.parent.is_dir():
        raise InputError(f"{doel.parent}: output folder does not exist; create it or choose another path")
    # The file holds INSZ numbers in clear: DuckDB writes it inside a folder only we may enter (mkdtemp: 0700), and
    # it becomes 0600 before it gets its name; a file DuckDB creates follows the umask, usually readable by all.
    werkmap = Path(tempfile.mkdtemp(prefix=f".{doel.name}.", dir=doel.parent))
    tijdelijk = werkmap / doel.name
    try:
        # Not read_only: dbt-duckdb keeps its database open in this process, and DuckDB refuses a second connection
        # to the same file with a different configuration.
        with duckdb.connect(str(database)) as con:
            _check_schema(con, database, relatie, schema)
            kolommen = ", ".join(schema)
            con.execute(f"copy (select {kolommen} from {relatie} order by insz) to '{_sql(tijdelijk)}' {opties}")
            rij = con.execute(f"select count(*) from {relatie}").fetchone()
            assert rij is not None
            aantal = int(rij[0])
        controleer(tijdelijk, schema, aantal)
        tijdelijk.chmod(0o600)
        os.replace(tijdelijk, doel)
    finally:
        shutil.rmtree(werkmap, ignore_errors=True)
    return Export(doel, aantal)


def _check_schema(con: duckdb.DuckDBPyConnection, database: Path, relatie: str, schema: Mapping[str, str]) -> None:
    try:
        beschreven = con.execute(f"describe {relatie}").fetchall()
    except duckdb.CatalogException:
        raise InputError(f"{database}: table {relatie} not found; build it with dbt for this wave first") from None
    gevonden = {str(naam): str(soort) for naam, soort, *_ in beschreven}
    if gevonden != dict(schema):
        verwacht = ", ".join(f"{k} {v}" for k, v in schema.items())
        werkelijk = ", ".join(f"{k} {v}" for k, v in gevonden.items())
        raise Pijler3Error(
            f"{database}: {relatie} has columns ({werkelijk}) but the exchange file must have exactly ({verwacht});"
            " nothing was written. Only the attributes of protocol art. 3 may be exchanged: fix the model."
        )


def _check_csv(pad: Path, schema: Mapping[str, str], aantal: int) -> None:
    inhoud = pad.read_bytes()
    kop = ",".join(schema).encode() + b"\n"
    if inhoud.startswith(b"\xef\xbb\xbf") or b"\r" in inhoud or not inhoud.startswith(kop):
        raise Pijler3Error(f"{pad}: DuckDB wrote an unexpected CSV layout (BOM, CR or header); nothing was written")
    regels = inhoud.count(b"\n") - 1
    if regels != aantal:
        raise Pijler3Error(f"{pad}: {regels} data lines written, expected {aantal}; nothing was written")


def _check_parquet(pad: Path, schema: Mapping[str, str], aantal: int) -> None:
    with duckdb.connect() as con:
        beschreven = con.execute(f"describe select * from read_parquet('{_sql(pad)}')").fetchall()
        rij = con.execute(f"select count(*) from read_parquet('{_sql(pad)}')").fetchone()
    assert rij is not None
    if {str(n): str(s) for n, s, *_ in beschreven} != dict(schema) or int(rij[0]) != aantal:
        raise Pijler3Error(f"{pad}: the Parquet file does not read back with the expected schema and row count")


def _sql(pad: Path) -> str:
    return str(pad).replace("'", "''")
