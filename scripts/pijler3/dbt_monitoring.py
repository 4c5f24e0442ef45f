"""dbt-duckdb plugin of the analyst's target: refuse to start without the persistent monitoring database.

The ``analist`` output attaches the monitoring database (``profiles.yml``); on a fresh clone it does not exist yet and
DuckDB would fail on its missing folder with a message that does not say what to do. dbt-duckdb initialises plugins
before it attaches anything, so this check stops dbt first, with one line (dbt prints a ``DbtRuntimeError`` as its
message, without a traceback). ``dbt parse`` opens no connection and so works without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from dbt_common.exceptions import DbtRuntimeError


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        path = Path(str(plugin_config.get("path") or ""))
        if not path.is_file():
            raise DbtRuntimeError(
                f"no monitoring database at {path}: run `uv run pijler3 demo` first (or set PIJLER3_MONITORING_DB to"
                " the agencies' monitoring.duckdb)"
            )
