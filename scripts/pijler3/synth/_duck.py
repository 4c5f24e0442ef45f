"""Writing numpy columns through DuckDB: arrays are scanned in place and ``COPY ... TO`` writes Parquet in row order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

GEEN_SQL = str(int(np.iinfo(np.int32).min))


def verbinding() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    # insertion order is what makes line numbers in the truth point at the right Parquet rows
    con.execute("set preserve_insertion_order = true")
    con.execute("set enable_progress_bar = false")
    return con


def datum(kolom: str) -> str:
    """SQL for a DATE from days since 1970-01-01, NULL for the GEEN sentinel."""
    return f"case when {kolom} <> {GEEN_SQL} then date '1970-01-01' + {kolom} end"


def label(kolom: str, parameter: int) -> str:
    """SQL that looks an index up in the VARCHAR list bound as positional parameter ``parameter`` (-1 = NULL)."""
    return f"case when {kolom} >= 0 then list_extract(${parameter}::varchar[], {kolom} + 1) end"


def _pad(pad: Path) -> str:
    return str(pad).replace("'", "''")


def schrijf_parquet(
    con: duckdb.DuckDBPyConnection,
    pad: Path,
    kolommen: Mapping[str, npt.NDArray[Any]],
    select: str,
    parameters: Sequence[object] = (),
) -> None:
    """``COPY (select <select> from the arrays) TO pad``: the arrays are visible as table ``bron``."""
    con.register("bron", dict(kolommen))
    try:
        _kopieer(con, pad, "bron", select, parameters)
    finally:
        con.unregister("bron")


def schrijf_parquet_in_delen(
    con: duckdb.DuckDBPyConnection,
    pad: Path,
    delen: Iterable[Mapping[str, npt.NDArray[Any]]],
    typen: Mapping[str, str],
    select: str,
    parameters: Sequence[object] = (),
) -> int:
    """Like ``schrijf_parquet`` for a table too large for memory, given as consecutive parts with columns ``typen``
    (name -> SQL type): the parts are appended to a table in a scratch database file beside ``pad`` (DuckDB keeps it
    compressed on disk), which is then copied in insertion order. Returns the number of rows."""
    stapel = pad.with_name(f".{pad.name}.stapel.duckdb")
    con.execute(f"attach '{_pad(stapel)}' as stapel")
    try:
        kolommen = ", ".join(f"{naam} {soort}" for naam, soort in typen.items())
        con.execute(f"create table stapel.delen ({kolommen})")
        for deel in delen:
            con.register("deel", {naam: deel[naam] for naam in typen})
            try:
                con.execute(f"insert into stapel.delen select {', '.join(typen)} from deel")
            finally:
                con.unregister("deel")
        _kopieer(con, pad, "stapel.delen", select, parameters)
        rij = con.execute("select count(*) from stapel.delen").fetchone()
    finally:
        con.execute("detach stapel")
        stapel.unlink(missing_ok=True)
        stapel.with_name(stapel.name + ".wal").unlink(missing_ok=True)
    return int(rij[0]) if rij else 0


def _kopieer(con: duckdb.DuckDBPyConnection, pad: Path, bron: str, select: str, parameters: Sequence[object]) -> None:
    con.execute(f"copy (select {select} from {bron}) to '{_pad(pad)}' (format parquet)", list(parameters))
