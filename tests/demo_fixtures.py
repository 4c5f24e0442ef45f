"""One demo run shared by the demo, wave, purge and audit-report tests (a full run takes about a minute, mostly dbt).

Tests that change the demo folder work on a copy (``demo_copy``)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pijler3 import insz
from pijler3.demo import DemoResult, run_demo

PERSONS = 400
SEED = 7


@dataclass(frozen=True)
class Demo:
    out: Path
    result: DemoResult
    progress: list[str]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    out = tmp_path_factory.mktemp("demo") / "demo"
    progress: list[str] = []
    result = run_demo(out, persons=PERSONS, seed=SEED, sftp="embedded", progress=progress.append)
    return Demo(out, result, progress)


@pytest.fixture
def demo_copy(demo: Demo, tmp_path: Path) -> Path:
    copy = tmp_path / "demo"
    shutil.copytree(demo.out, copy, symlinks=True)
    return copy


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
