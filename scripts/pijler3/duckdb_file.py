"""Rewrite a DuckDB database file so that deleted data is gone from its bytes too.

DuckDB marks the blocks of a dropped table or deleted rows as free and reuses them later; until then their old content
stays readable in the file. Where the deleted data is personal data that must not be kept (VDAB's copy of the request,
purged waves), the database is copied into a new file and that file is renamed over the old one.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from pijler3.errors import Pijler3Error


def rewrite(database: Path, *, after: str) -> None:
    """Copy ``database`` into a fresh file and swap it in; ``after`` names the deletion for the error message.

    Nobody may have the database open. On failure the original file is untouched and the partial copy removed.
    """
    fresh = database.with_name(f".{database.name}.{os.getpid()}.rewrite")
    fresh.unlink(missing_ok=True)
    try:
        with duckdb.connect() as con:
            con.execute(f"attach '{_sql(database)}' as bron (read_only)")
            con.execute(f"attach '{_sql(fresh)}' as doel")
            con.execute("copy from database bron to doel")
            con.execute("detach doel")
        with fresh.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(fresh, database)
        database.with_name(database.name + ".wal").unlink(missing_ok=True)
    except duckdb.Error as exc:
        raise Pijler3Error(
            f"{database}: rewriting the file after {after} failed ({str(exc).splitlines()[0]}); the data is deleted"
            " but may linger in the file's free blocks: free disk space or close other programs using the file,"
            " then run the command again"
        ) from exc
    finally:
        fresh.unlink(missing_ok=True)
        fresh.with_name(fresh.name + ".wal").unlink(missing_ok=True)


def _sql(path: Path) -> str:
    return str(path).replace("'", "''")
