"""DuckDB settings every connection that handles a whole extract shares: dbt's (through the profile) and the loader's.

DuckDB's own default memory limit is 80 % of the machine's memory; with this one a stress-size wave stays within the
limit and spills to disk (a file database spills to ``<database>.tmp``).
"""

from __future__ import annotations

import os

MEMORY_LIMIT_ENV = "PIJLER3_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "6GB"


def memory_limit() -> str:
    """The DuckDB ``memory_limit`` of this run: ``PIJLER3_MEMORY_LIMIT`` (e.g. ``6GB``) or the default."""
    return os.environ.get(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT)
