"""Export one wave of the pseudonymised dataset as the Parquet file that is sealed to VDAB (kind ``gepseudonimiseerd``).

dbt builds ``gepseudonimiseerde_dataset`` in the agencies' monitoring database (every wave, keyed by ``golf``); this
writes the rows of one wave with DuckDB's ``COPY`` to a temp name beside the target and renames it only when complete,
so a crash never leaves a half-written file that could be sealed and sent.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from pijler3 import leakscan
from pijler3.errors import InputError

DATASET_TABLE = "gepseudonimiseerde_dataset"
KIND = "gepseudonimiseerd"
_GOLF = re.compile(r"\d{4}-S[12]")


def exporteer_dataset(monitoring_db: Path, golf: str, target: Path) -> int:
    """Write wave ``golf`` of the dataset in ``monitoring_db`` to ``target`` (Parquet); return the number of rows."""
    if not _GOLF.fullmatch(golf):
        raise InputError(f"wave {golf!r} is not of the form YYYY-S1 or YYYY-S2")
    if not monitoring_db.is_file():
        raise InputError(f"{monitoring_db}: monitoring database not found; build the agencies' models first")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with duckdb.connect(str(monitoring_db), read_only=True) as con:
            found = con.execute(
                "select count(*) from information_schema.tables where table_name = ?", [DATASET_TABLE]
            ).fetchone()
            if not found or found[0] != 1:
                raise InputError(f"{monitoring_db}: has no table {DATASET_TABLE}; build the agencies' models first")
            row = con.execute(f"select count(*) from {DATASET_TABLE} where golf = ?", [golf]).fetchone()
            rows = int(row[0]) if row else 0
            if rows == 0:
                raise InputError(f"{monitoring_db}: {DATASET_TABLE} has no rows for wave {golf}; build that wave first")
            target.parent.mkdir(parents=True, exist_ok=True)
            # COPY takes no bound parameters; golf matched _GOLF above and the path is quoted, so both are literals.
            path_literal = str(tmp).replace("'", "''")
            con.execute(
                f"copy (select * from {DATASET_TABLE} where golf = '{golf}' order by pseudoniem) "
                f"to '{path_literal}' (format parquet)"
            )
        # Sealed for VDAB next: checked like every file that leaves the restricted layer.
        leakscan.check_publication(tmp, target)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return rows
