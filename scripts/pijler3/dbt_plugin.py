"""dbt-duckdb plugin that registers ``pijler3_pseudoniem(insz VARCHAR) -> VARCHAR``,
``pijler3_recordsleutel(pseudoniem VARCHAR) -> INTEGER`` (the cell key method's record key) and
``pijler3_ptabel_sleutel(pcv INTEGER, celsleutel INTEGER) -> INTEGER`` (its secret step between cell key and p-table)
on every connection.

The profile names only the key *path* (``config: {key_file: ...}``): ``dbt debug`` prints plugin config, and
anything rendered into SQL lands in ``target/``, ``manifest.json`` and the docs site. The plugin reads the secret itself
and keeps it in this process's memory only. Models call it through the ``pseudoniem()`` macro
(``macros/pseudoniem.sql``).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from pijler3.errors import ConfigError
from pijler3.pseudonym import load_key, pseudoniem, ptabel_sleutel, recordsleutel

UDF_NAME = "pijler3_pseudoniem"
RECORDSLEUTEL_UDF_NAME = "pijler3_recordsleutel"
PTABEL_SLEUTEL_UDF_NAME = "pijler3_ptabel_sleutel"


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        key_file = plugin_config.get("key_file")
        if not key_file:
            raise ConfigError(
                "dbt plugin pijler3.dbt_plugin needs `config: {key_file: PATH}` in profiles.yml "
                "(the path of the agencies' pseudonym.key, never the key itself)"
            )
        self._key = load_key(Path(key_file))

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        register_udfs(conn, self._key)


def register_udfs(conn: DuckDBPyConnection, key: bytes) -> None:
    """The keyed functions on ``conn``, as dbt's connections get them (also used by the benchmark's direct SQL)."""
    # NULL in gives NULL out without calling Python (null_handling default); no side effects lets DuckDB treat equal
    # inputs as equal outputs, which is what a pseudonym and a record key are.
    conn.create_function(UDF_NAME, partial(pseudoniem, key), ["VARCHAR"], "VARCHAR", side_effects=False)
    conn.create_function(
        RECORDSLEUTEL_UDF_NAME, partial(recordsleutel, key), ["VARCHAR"], "INTEGER", side_effects=False
    )
    conn.create_function(
        PTABEL_SLEUTEL_UDF_NAME, partial(ptabel_sleutel, key), ["INTEGER", "INTEGER"], "INTEGER", side_effects=False
    )
