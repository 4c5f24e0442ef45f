"""Writing numpy columns through DuckDB: arrays are scanned in place and ``COPY ... TO`` writes Parquet in row order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
        con.execute(f"copy (select {select} from bron) to '{_pad(pad)}' (format parquet)", list(parameters))
    finally:
        con.unregister("bron")
