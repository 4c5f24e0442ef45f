"""An analyst after the demo, as the README's "The analyst" tells it: from the project root, with nothing but the
committed profile, `dbt ls`, `build`, `test`, `docs generate` and `docs serve` run clean against the demo's monitoring
database and touch no restricted model; then the README's recipe adds a mart that reaches the BI file.

One test on a copy of the shared demo and of the project (the recipe writes model files), dbt in child processes as an
analyst runs it (and because dbt-duckdb keeps the database attached for the life of a process)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from demo_helpers import Demo
from pijler3.bi import marts_from_manifest, publish
from pijler3.dbt_runner import REPO
from pijler3.rapport import write as write_report

pytest_plugins = ["demo_fixtures"]

DBT = str(Path(sys.executable).parent / "dbt")
OK = ("success", "pass", "no-op")  # no-op: the exposures (the BI dashboards)
NIEUWE_MART = "mart_nieuwkomers_per_geslacht"
# Built only during a wave (the restricted database, the pseudonym key): an analyst's run must never select them.
NOOIT = (
    "stg_",
    "int_",
    "aanvraag",
    "verrijking",
    "gepseudonimiseerde_dataset",
    "recordsleutels",
    "ptabel_geheim",
    "datakwaliteit_feiten",
)

TELLING = """
with

personen as (
    select
        dataset.golf,
        coalesce(dataset.geslacht, 'onbekend') as geslacht,
        sleutels.recordsleutel
    from {{ ref('gepseudonimiseerde_dataset') }} as dataset
    inner join {{ ref('recordsleutels') }} as sleutels
        on dataset.pseudoniem = sleutels.pseudoniem
)

select
    personen.golf,
    personen.geslacht,
    {{ ckm_telling('aantal_nieuwkomers') }}
from personen
group by personen.golf, personen.geslacht
"""

MART = """
with

{{ cell_key_perturbation('mart_nieuwkomers_per_geslacht') }}

select
    cast(ckm_resultaat.golf as varchar) as golf,
    cast(ckm_resultaat.geslacht as varchar) as geslacht,
    cast(ckm_resultaat.aantal_nieuwkomers as bigint) as aantal_nieuwkomers,
    ckm_resultaat.aantal_nieuwkomers_onderdrukt
from ckm_resultaat
"""

YAML = """
version: 2

models:
  - name: telling_nieuwkomers_per_geslacht
    description: De echte aantallen achter mart_nieuwkomers_per_geslacht, met hun celsleutels. Nooit gepubliceerd.
    columns:
      - {name: golf, data_type: varchar, description: De golf.}
      - {name: geslacht, data_type: varchar, description: Het geslacht (art. 3).}
      - {name: aantal_nieuwkomers, data_type: bigint, description: Het echte aantal nieuwkomers.}
      - {name: aantal_nieuwkomers_celsleutel, data_type: integer, description: De celsleutel van dat aantal.}
  - name: mart_nieuwkomers_per_geslacht
    description: Nieuwkomers per golf en geslacht, verstoord met de celsleutelmethode. Grein golf x geslacht.
    data_tests: [geen_kleine_aantallen]
    columns:
      - {name: golf, data_type: varchar, description: De golf.}
      - {name: geslacht, data_type: varchar, description: Het geslacht (art. 3).}
      - {name: aantal_nieuwkomers, data_type: bigint, description: Aantal nieuwkomers, verstoord.}
      - {name: aantal_nieuwkomers_onderdrukt, data_type: boolean, description: Of het aantal achtergehouden is.}

unit_tests:
  - name: nieuwkomers_per_geslacht_telt_per_golf
    model: telling_nieuwkomers_per_geslacht
    description: Twee vrouwen en een persoon zonder geslacht in één golf; de celsleutel is de som modulo 256.
    given:
      - input: ref('gepseudonimiseerde_dataset')
        rows:
          - {pseudoniem: a, golf: 2026-S1, geslacht: vrouw}
          - {pseudoniem: b, golf: 2026-S1, geslacht: vrouw}
          - {pseudoniem: c, golf: 2026-S1, geslacht: null}
      - input: ref('recordsleutels')
        rows:
          - {pseudoniem: a, recordsleutel: 200}
          - {pseudoniem: b, recordsleutel: 100}
          - {pseudoniem: c, recordsleutel: 7}
    expect:
      rows:
        - {golf: 2026-S1, geslacht: vrouw, aantal_nieuwkomers: 2, aantal_nieuwkomers_celsleutel: 44}
        - {golf: 2026-S1, geslacht: onbekend, aantal_nieuwkomers: 1, aantal_nieuwkomers_celsleutel: 7}
"""

ENTRY = """        'mart_nieuwkomers_per_geslacht': {
            'telling': 'telling_nieuwkomers_per_geslacht',
            'sleutel': ['golf', 'geslacht'],
            'aantallen': ['aantal_nieuwkomers'],
        },
"""


def _project(tmp: Path) -> Path:
    """The repository as an analyst's clone holds it (no demo/, target/ or logs/ of this worktree)."""
    project = tmp / "pijler3"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml", "selectors.yml"):
        shutil.copy(REPO / name, project / name)
    for folder in ("models", "macros", "seeds"):
        shutil.copytree(REPO / folder, project / folder)
    shutil.copytree(REPO / "tests" / "dbt", project / "tests" / "dbt")
    return project


def _dbt(project: Path, env: dict[str, str], *args: str) -> list[dict[str, object]]:
    done = subprocess.run([DBT, *args], cwd=project, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"dbt {' '.join(args)}:\n{done.stdout[-4000:]}{done.stderr[-2000:]}"
    assert "Traceback" not in done.stdout + done.stderr
    results = project / "target" / "run_results.json"
    if args[0] in ("build", "test"):
        ran: list[dict[str, object]] = json.loads(results.read_text(encoding="utf-8"))["results"]
        assert ran and all(r["status"] in OK for r in ran), [
            (r["unique_id"], r["status"]) for r in ran if r["status"] not in OK
        ]
        touched = [str(r["unique_id"]) for r in ran]
        assert not [u for u in touched if u.split(".")[2].startswith(NOOIT)], touched
        return ran
    return []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(project: Path, env: dict[str, str]) -> str:
    """`dbt docs serve` blocks: start it on a free loopback port, fetch the page, stop it."""
    port = _free_port()
    server = subprocess.Popen(
        [DBT, "docs", "serve", "--port", str(port), "--host", "127.0.0.1", "--no-browser"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # No deadline (a timed limit fails on a busy machine): it answers, or it stops and the test fails.
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/catalog.json") as response:
                    return str(response.read().decode("utf-8"))
            except OSError:
                assert server.poll() is None, "dbt docs serve stopped"
                time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_analyst_commands_and_the_new_mart_recipe_after_the_demo(demo: Demo, tmp_path: Path) -> None:
    monitoring = tmp_path / "monitoring.duckdb"
    shutil.copy(demo.out / "agentschap" / "monitoring.duckdb", monitoring)
    project = _project(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIJLER3_", "DBT_"))}
    # the demo's layout is the profile's default; the shared demo lives elsewhere, so name its database
    env["PIJLER3_MONITORING_DB"] = str(monitoring)

    _dbt(project, env, "ls")
    built = {str(r["unique_id"]) for r in _dbt(project, env, "build")}
    assert {"model.pijler3.mart_datakwaliteit", "model.pijler3.golf_historiek", "seed.pijler3.ptable"} <= built
    _dbt(project, env, "test")
    _dbt(project, env, "docs", "generate")
    catalog = json.loads(_serve(project, env))
    assert "model.pijler3.mart_datakwaliteit" in catalog["nodes"]

    # The recipe: a telling model with ckm_telling(), an entry in mart_tellingen(), the mart with
    # cell_key_perturbation(), YAML with contract, docs and geen_kleine_aantallen, a unit test; rebuild; publish.
    (project / "models" / "tellingen" / "telling_nieuwkomers_per_geslacht.sql").write_text(TELLING)
    (project / "models" / "marts" / "monitoring" / f"{NIEUWE_MART}.sql").write_text(MART)
    (project / "models" / "marts" / "monitoring" / f"_{NIEUWE_MART}.yml").write_text(YAML)
    macros = project / "macros" / "marts.sql"
    text = macros.read_text(encoding="utf-8")
    anchor = "    {{ return({\n"
    assert anchor in text
    macros.write_text(text.replace(anchor, anchor + ENTRY, 1), encoding="utf-8")

    built = {str(r["unique_id"]) for r in _dbt(project, env, "build")}
    assert f"model.pijler3.{NIEUWE_MART}" in built
    assert "unit_test.pijler3.telling_nieuwkomers_per_geslacht.nieuwkomers_per_geslacht_telt_per_golf" in built
    assert any(u.startswith(f"test.pijler3.geen_kleine_aantallen_{NIEUWE_MART}") for u in built), built

    bi_file = tmp_path / "bi" / "monitoring.duckdb"
    publish(monitoring, bi_file, marts_from_manifest(project / "target" / "manifest.json"))
    with duckdb.connect(str(bi_file), read_only=True) as con:
        rows = con.sql(f"select golf, geslacht, aantal_nieuwkomers from {NIEUWE_MART}").fetchall()
        tables = {name for (name,) in con.sql("select table_name from information_schema.tables").fetchall()}
    assert {golf for golf, _, _ in rows} == {"2025-S2", "2026-S1"}
    assert all(n is None or n >= 5 for _, _, n in rows)
    assert "telling_nieuwkomers_per_geslacht" not in tables and "datakwaliteit_feiten" not in tables
    # the report shows the new mart without any change to its code: a section built from the mart's YAML
    rapport = write_report(bi_file).read_text(encoding="utf-8")
    sectie = re.search(rf'<section id="mart-{NIEUWE_MART.replace("_", "-")}">(.*?)</section>', rapport, re.DOTALL)
    assert sectie and "<h2>Nieuwkomers per golf en geslacht, verstoord met de celsleutelmethode</h2>" in sectie[1]
    assert "<svg" in sectie[1] and "<table>" in sectie[1] and "vrouw" in sectie[1]


def _tables(monitoring: Path) -> dict[str, tuple[object, ...] | None]:
    with duckdb.connect(str(monitoring), read_only=True) as con:
        return {
            "tabellen": tuple(sorted(t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall())),
            "dataset": con.execute("select count(*), max(golf) from gepseudonimiseerde_dataset").fetchone(),
            "golven": tuple(con.execute("select golf, gebouwd_op from golven order by golf").fetchall()),
        }


@pytest.mark.slow
def test_an_analyst_builds_a_mart_with_everything_upstream_of_it(demo: Demo, tmp_path: Path) -> None:
    """`dbt build -s +mart_…` on the analysts' target: the models built only during a wave (restricted, pseudonymised)
    are passed over, never built, dropped or tested there; the mart and its counts are rebuilt; the waves keep the
    time they were built (golven.gebouwd_op changes only when a wave's data does)."""
    monitoring = tmp_path / "monitoring.duckdb"
    shutil.copy(demo.out / "agentschap" / "monitoring.duckdb", monitoring)
    project = _project(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIJLER3_", "DBT_"))}
    env["PIJLER3_MONITORING_DB"] = str(monitoring)
    voor = _tables(monitoring)
    done = subprocess.run(
        [DBT, "build", "-s", "+mart_inschrijving_vdab", "golven"], cwd=project, env=env, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:]
    assert "Traceback" not in done.stdout + done.stderr and "does not exist" not in done.stdout
    ran = json.loads((project / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    status = {str(r["unique_id"]): str(r["status"]) for r in ran}
    assert status["model.pijler3.mart_inschrijving_vdab"] == "success"
    assert status["model.pijler3.telling_inschrijving_vdab"] == "success"
    assert {"model.pijler3.stg_kbi__personen", "model.pijler3.gepseudonimiseerde_dataset"} <= set(status)
    assert not [u for u in status if u.startswith(("test.", "unit_test.")) and u.split(".")[2].startswith(NOOIT)]
    assert _tables(monitoring) == voor  # nothing restricted created, the dataset and the build times unchanged


def test_no_model_comment_holds_a_lone_quote_the_docs_code_tab_reads_as_a_string() -> None:
    """The docs site highlights each model's SQL: an apostrophe in a comment (the wave's) opens a string there and
    garbles the rest of the Code tab. Comments use the typographic apostrophe (U+2019) instead."""
    eenzaam = []
    for pad in sorted((REPO / "models").rglob("*.sql")):
        tekst = pad.read_text(encoding="utf-8")
        commentaren = re.findall(r"\{#.*?#\}", tekst, flags=re.DOTALL) + re.findall(r"--[^\n]*", tekst)
        eenzaam += [f"{pad.relative_to(REPO)}: {c[:60]}" for c in commentaren if c.count("'") % 2]
    assert not eenzaam, eenzaam


def test_without_a_monitoring_database_dbt_says_to_run_the_demo_first(tmp_path: Path) -> None:
    """A fresh clone has no demo/: `dbt parse` works, `dbt compile` stops with one clear line, never a traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIJLER3_", "DBT_"))}
    env["PIJLER3_MONITORING_DB"] = str(tmp_path / "demo" / "agentschap" / "monitoring.duckdb")
    paths = ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    parse = subprocess.run([DBT, "parse", *paths], cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert parse.returncode == 0, parse.stdout[-2000:]
    done = subprocess.run([DBT, "compile", *paths], cwd=REPO, env=env, capture_output=True, text=True, check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in output
    assert f"no monitoring database at {env['PIJLER3_MONITORING_DB']}: run `uv run pijler3 demo` first" in output
