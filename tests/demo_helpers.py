"""Constants and helpers of the shared demo run (``demo_fixtures``), importable by test modules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pijler3 import insz
from pijler3.demo import DemoResult

PERSONS = 400
SEED = 7


@dataclass(frozen=True)
class Demo:
    out: Path
    result: DemoResult
    progress: list[str]


def population_forms(out: Path) -> set[str]:
    """Every INSZ of the synthetic population (newcomers and VDAB clients), normalised and formatted, as written."""
    sources = out / "sources"
    with duckdb.connect() as con:
        raw = {
            str(v)
            for (v,) in con.execute(
                f"select insz from '{sources}/waarheid/personen.parquet' union select insz_oud"
                f" from '{sources}/waarheid/personen.parquet' union select insz_in_kbi"
                f" from '{sources}/waarheid/personen.parquet' union select insz from '{sources}/vdab/personen.parquet'"
                f" union select insz from read_csv('{sources}/kbi/personen.csv', delim = ';', all_varchar = true)"
            ).fetchall()
            if v is not None
        }
    forms = {r for r in raw if len(r.strip()) >= 11}
    for value in raw:
        if insz.is_valid(value):
            number = insz.normalise(value)
            forms |= {number, insz.formatteer(number)}
    return forms
