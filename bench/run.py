"""One wave end to end, step by step, each step next to its anchor on the same data in the same run.

    uv run python bench/run.py --scale realistic   # 60 000 newcomers, 2 000 000 VDAB persons, ~20 000 000 actions
    uv run python bench/run.py --scale stress      # 600 000 newcomers, 10 000 000 persons, ~100 000 000 actions

Generates the synthetic extracts, both parties' keys and a real OpenSSH sshd on loopback, then runs the wave's own
step functions (``pijler3.wave.STEPS``) in the order the two parties take turns. Anchors (DESIGN.md "Performance"):

- seal / open: the ``age`` CLI encrypting the same plaintext / decrypting the same ciphertext;
- upload / download: OpenSSH's ``sftp -b`` putting / getting the same file on the same sshd with the same key (a
  transfer figure is the leg's time minus its seal or open);
- a dbt step: the compiled SQL of the models and tests it ran, straight in DuckDB with the profile's settings (on a
  copy of the agencies' databases taken before the step; VDAB's models are views and tables, rerun in place), and
  ``fixed_seconds``: the same step on empty copies of the databases, i.e. dbt's start-up and per-node cost;
- load-vdab: every file of VDAB's extract into a fresh database by ``create table … as from read_parquet(…)``;
- clean-up: the file rewrite it ends with (``copy from database`` of VDAB's database into a fresh file);
- publish-bi: every mart copied from the monitoring database into a fresh file (``create table … as from …``);
- the demo (``--demo``, first): ``pijler3 demo`` at its default size against ``dbt --version`` run just before.

Prints a table and, as its last line, one JSON object (see bench/README.md). Data go under ``--dir`` (default
/work/benchdata/<scale>), removed afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
from _common import (
    PeakRss,
    Stopwatch,
    age_cli,
    compiled_statements,
    dbt_node_seconds,
    duckdb_settings,
    openssh_sftp,
    run,
    run_direct,
    seeds,
)

from pijler3 import envelope, synth
from pijler3 import keys as party_keys
from pijler3.bi import marts_from_manifest
from pijler3.config import PartyConfig
from pijler3.dbt_plugin import register_udfs
from pijler3.demo import dbt_start_up_seconds, exchange, format_ratio, run_demo
from pijler3.duck import memory_limit
from pijler3.keys import PARTIES
from pijler3.loading import check_extract_folder
from pijler3.pseudonym import load_key
from pijler3.sftp import inbox, outbox
from pijler3.sftp.keys import generate_ed25519
from pijler3.wave import STEPS, Run

# newcomers, VDAB persons (actions: about 10 per person); "smoke" checks that the bench itself works
SCALES = {"realistic": (60_000, 2_000_000), "stress": (600_000, 10_000_000), "smoke": (2_000, 20_000)}
WAVE = "2026-S1"
SEED = 20260630
# The two parties take turns: the agencies up to sending the request, VDAB up to sending the enrichment, the agencies
# to the end, VDAB receives the dataset.
TURNS = (("agentschap", 0, 4), ("vdab", 0, 7), ("agentschap", 4, None), ("vdab", 7, None))
DBT_STEPS = {"build-request", "build-enrichment", "build-dataset"}
SEND_LEGS = {"send-request": "aanvraag", "send-enrichment": "verrijking", "share-dataset": "gepseudonimiseerd"}
RECEIVE_LEGS = {
    "receive-request": "aanvraag",
    "receive-enrichment": "verrijking",
    "receive-dataset": "gepseudonimiseerd",
}
# The stages, to group the steps in the table.
GROUPS = {
    "generation": "generation",
    "load-kbi": "request: load, build, seal, upload",
    "build-request": "request: load, build, seal, upload",
    "export-request": "request: load, build, seal, upload",
    "send-request": "request: load, build, seal, upload",
    "load-vdab": "VDAB: download, open, enrichment build",
    "receive-request": "VDAB: download, open, enrichment build",
    "load-request": "VDAB: download, open, enrichment build",
    "build-enrichment": "VDAB: download, open, enrichment build",
    "export-enrichment": "VDAB: seal, upload",
    "send-enrichment": "VDAB: seal, upload",
    "clean-up": "VDAB: seal, upload",
    "receive-enrichment": "agencies: open, pseudonymisation, marts",
    "load-enrichment": "agencies: open, pseudonymisation, marts",
    "build-dataset": "agencies: open, pseudonymisation, marts",
    "export-dataset": "agencies: open, pseudonymisation, marts",
    "share-dataset": "agencies: open, pseudonymisation, marts",
    "receive-dataset": "agencies: open, pseudonymisation, marts",
    "publish-bi": "agencies: open, pseudonymisation, marts",
    "docs": "docs",
    "delete-restricted": "docs",
    "insz-scan": "docs",
}


@dataclasses.dataclass
class Figure:
    seconds: float
    anchor_seconds: float | None = None
    fixed_seconds: float | None = None
    megabytes: float | None = None
    peak_rss_mb: float | None = None
    cpu_seconds: float | None = None

    def json(self) -> dict[str, float | None]:
        out: dict[str, float | None] = {
            "seconds": round(self.seconds, 3),
            "anchor_seconds": None if self.anchor_seconds is None else round(self.anchor_seconds, 3),
            "ratio": None if self.anchor_seconds is None else round(self.seconds / self.anchor_seconds, 3),
        }
        if self.fixed_seconds is not None:
            out["fixed_seconds"] = round(self.fixed_seconds, 3)
        if self.megabytes is not None:
            out["megabytes"] = round(self.megabytes, 1)
        if self.peak_rss_mb is not None:
            out["peak_rss_mb"] = round(self.peak_rss_mb)
        if self.cpu_seconds is not None:
            out["cpu_seconds"] = round(self.cpu_seconds, 3)
        return out


@contextmanager
def timed(module: Any, name: str, into: list[float]) -> Iterator[None]:
    """Time every call of ``module.name`` (the envelope's seal or open inside a leg) while the block runs."""
    original = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with Stopwatch() as watch:
            result = original(*args, **kwargs)
        into.append(watch.seconds)
        return result

    setattr(module, name, wrapper)
    try:
        yield
    finally:
        setattr(module, name, original)


def databases(config: PartyConfig) -> list[tuple[Path, str | None]]:
    """The party's DuckDB files as dbt opens them: (path, alias when attached)."""
    if config.party == "vdab":
        assert config.vdab_db is not None
        return [(config.vdab_db, None)]
    assert config.restricted_db is not None and config.monitoring_db is not None
    return [(config.restricted_db, None), (config.monitoring_db, "monitoring")]


def connect(files: list[tuple[Path, str | None]], temp: Path | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(files[0][0]))
    for path, alias in files[1:]:
        con.execute(f"attach '{path}' as {alias}")
    duckdb_settings(con, temp)
    return con


def copy_databases(files: list[tuple[Path, str | None]], folder: Path, *, empty: bool) -> list[tuple[Path, str | None]]:
    """Copies of the databases under ``folder`` (same file names, so catalogs keep their names); ``empty``: every
    table with its columns and no rows."""
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for path, alias in files:
        target = folder / path.name
        target.unlink(missing_ok=True)
        if path.exists() and not empty:
            shutil.copyfile(path, target)
        elif path.exists():
            with duckdb.connect(str(target)) as con:
                con.execute(f"attach '{path}' as bron (read_only)")
                tables = con.execute(
                    "select schema_name, table_name from duckdb_tables() where database_name = 'bron'"
                ).fetchall()
                for schema, table in tables:
                    con.execute(f'create schema if not exists "{schema}"')
                    con.execute(f'create table "{schema}"."{table}" as from bron."{schema}"."{table}" limit 0')
        copies.append((target, alias))
    return copies


def copy_seeds(con: duckdb.DuckDBPyConnection, target: Path, built: dict[str, Path]) -> None:
    """Seeds as dbt loaded them, into the copy taken before the step: they do not grow with the data, so they are
    part of dbt's fixed cost, not of the anchor."""
    for database, schema, table in seeds(target):
        con.execute(f"attach '{built[database]}' as gebouwd (read_only)")
        con.execute(f'create schema if not exists "{database}"."{schema}"')
        con.execute(f'create or replace table "{database}"."{schema}"."{table}" as from gebouwd."{schema}"."{table}"')
        con.execute("detach gebouwd")


def dbt_step(step: Any, run_: Run, scratch: Path) -> Figure:
    """A dbt step, its direct SQL and its fixed cost (the same step function on empty copies of the databases)."""
    config = run_.config
    files = databases(config)
    agencies = config.party == "agentschap"
    scratch.mkdir(parents=True, exist_ok=True)
    before = copy_databases(files, scratch / "direct", empty=False) if agencies else files
    # the run on empty tables starts from the parse cache as this step found it (none for a party's first dbt step)
    parse_cache = scratch / "parse-cache-before"
    if run_.dbt_parse_cache.is_file():
        shutil.copyfile(run_.dbt_parse_cache, parse_cache)
    with Stopwatch() as own:
        step.run(run_)
    temp = None if agencies else Path(str(files[0][0]) + ".tmp")
    direct = 0.0
    # build-dataset runs dbt twice (pseudonymisation, then marts): replay them in the order they ran
    for target in sorted(run_.dbt_dir(step.name).rglob("run_results.json"), key=lambda p: p.stat().st_mtime):
        with connect(before, temp) as con:
            if agencies:
                # the UDFs the pseudonym plugin registers on dbt's connection, by the plugin's own function
                register_udfs(con, load_key(config.key_folder / party_keys.PSEUDONYM_KEY_FILE))
                copy_seeds(
                    con,
                    target.parent,
                    {path.stem: dbt_file for (path, _), (dbt_file, _) in zip(before, files, strict=True)},
                )
            statements = compiled_statements(target.parent, con)
            with Stopwatch() as watch:
                per_statement = run_direct(con, statements)
            direct += watch.seconds
        per_node = dbt_node_seconds(target.parent)
        NODES.setdefault(step.name, []).extend(
            (name, seconds, per_statement.get(name)) for name, seconds in per_node.items()
        )
    empty = copy_databases(files, scratch / "empty", empty=True)
    replacements = {"work": scratch / "empty-work"}
    if agencies:
        replacements |= {"restricted_db": empty[0][0], "monitoring_db": empty[1][0]}
    else:
        replacements |= {"vdab_db": empty[0][0]}
    empty_run = Run(dataclasses.replace(config, **replacements), run_.wave)
    if parse_cache.is_file():
        empty_run.dbt_parse_cache.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(parse_cache, empty_run.dbt_parse_cache)
    with Stopwatch() as fixed:
        step.run(empty_run)
    shutil.rmtree(scratch, ignore_errors=True)
    return Figure(own.seconds, direct, fixed.seconds, cpu_seconds=own.cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=SCALES, required=True)
    parser.add_argument("--dir", type=Path, help="working folder (default /work/benchdata/<scale>)")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    parser.add_argument(
        "--demo", action=argparse.BooleanOptionalAction, default=True, help="first the demo against dbt --version"
    )
    args = parser.parse_args()
    persons, vdab_persons = SCALES[args.scale]
    root: Path = args.dir or Path("/work/benchdata") / args.scale
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    # below the profile's 6GB default: with dbt, Python and the helpers on top, a stress wave stays under 8 GB
    os.environ.setdefault("PIJLER3_MEMORY_LIMIT", "5GB")
    age = age_cli()
    figures: dict[str, Figure] = {}
    load = os.getloadavg()
    try:
        with PeakRss() as peak:
            if args.demo:
                figures["demo"] = demo(root / "demo")
                print(format_ratio(figures["demo"].seconds, figures["demo"].anchor_seconds), flush=True)
            with Stopwatch() as watch:
                generated = synth.generate(root / "sources", persons, SEED, vdab_persons=vdab_persons)
            figures["generation"] = Figure(watch.seconds, peak_rss_mb=peak.stage_mb(), cpu_seconds=watch.cpu)
            print(f"generated {generated.rijen['vdab/acties.parquet']:,} actions in {watch.seconds:.1f} s", flush=True)
            make_keys(root)
            with exchange(root, "openssh") as configs:
                for party, first, last in TURNS:
                    config = configs[party]
                    run_ = Run(config, WAVE)
                    for step in STEPS[party][first:last]:
                        figure = measure(step, run_, configs, root / "anker", age)
                        figure.peak_rss_mb = peak.stage_mb()
                        figures[step.name] = figure
                        print(f"{step.name:20} {figure.seconds:7.2f} s {figure.peak_rss_mb:8,.0f} MB", flush=True)
            peak_mb = peak.mb
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    report(args.scale, figures, peak_mb, load)


def demo(out: Path) -> Figure:
    """``pijler3 demo`` at its default size, against ``dbt --version`` measured just before (goal: at most 5x)."""
    anchor = dbt_start_up_seconds()
    result = run_demo(out)
    shutil.rmtree(out, ignore_errors=True)
    return Figure(result.seconds, anchor)


def measure(step: Any, run_: Run, configs: dict[str, PartyConfig], scratch: Path, age: str) -> Figure:
    config = run_.config
    if step.name in DBT_STEPS:
        return dbt_step(step, run_, scratch)
    if step.name in DIRECT_ANCHORS:
        with Stopwatch() as watch:
            step.run(run_)
        scratch.mkdir(parents=True, exist_ok=True)
        anchor = DIRECT_ANCHORS[step.name](run_, scratch)
        shutil.rmtree(scratch, ignore_errors=True)
        return Figure(watch.seconds, anchor, cpu_seconds=watch.cpu)
    if step.name in SEND_LEGS:
        kind = SEND_LEGS[step.name]
        plaintext = next(config.outgoing.glob(f"{WAVE}.{kind}.*"))
        scratch.mkdir(parents=True, exist_ok=True)
        anchor = scratch / f"{kind}.age"
        recipient = party_keys.load_bundle(config.peer_bundle).current_recipient.text
        with Stopwatch() as encrypt:
            run(age, "-r", recipient, "-o", anchor, plaintext)
        with Stopwatch() as put:
            openssh_sftp(config.sftp, [f"put {anchor} {outbox(config.party)}/anker.age"], scratch)
        openssh_sftp(config.sftp, [f"rm {outbox(config.party)}/anker.age"], scratch)
        return leg(step, run_, "seal", encrypt.seconds, put.seconds, anchor.stat().st_size, scratch)
    if step.name in RECEIVE_LEGS:
        kind = RECEIVE_LEGS[step.name]
        scratch.mkdir(parents=True, exist_ok=True)
        folder = inbox(config.party)
        with Stopwatch() as get:
            openssh_sftp(config.sftp, [f"get {folder}/{WAVE}.{kind}.* {scratch}/"], scratch)
        ciphertext = next(scratch.glob(f"{WAVE}.{kind}.*.age"))
        with Stopwatch() as decrypt:
            run(age, "-d", "-i", config.age_identity, "-o", scratch / "anker.plain", ciphertext)
        return leg(step, run_, "open_envelope", decrypt.seconds, get.seconds, ciphertext.stat().st_size, scratch)
    with Stopwatch() as watch:
        step.run(run_)
    return Figure(watch.seconds, cpu_seconds=watch.cpu)


def leg(
    step: Any, run_: Run, crypto: str, crypto_anchor: float, transfer_anchor: float, size: int, scratch: Path
) -> Figure:
    """Run a leg, timing its seal or open apart; records the transfer figure under ``<step>/transfer``."""
    calls: list[float] = []
    with timed(envelope, crypto, calls), Stopwatch() as watch:
        step.run(run_)
    shutil.rmtree(scratch, ignore_errors=True)
    crypto_seconds = sum(calls)
    LEG_PARTS[step.name] = (
        Figure(crypto_seconds, crypto_anchor, megabytes=size / 1e6),
        Figure(watch.seconds - crypto_seconds, transfer_anchor, megabytes=size / 1e6),
    )
    return Figure(watch.seconds, crypto_anchor + transfer_anchor, megabytes=size / 1e6, cpu_seconds=watch.cpu)


def load_vdab_anchor(run_: Run, scratch: Path) -> float:
    """Every file of VDAB's extract into a fresh database, plain DuckDB."""
    files = check_extract_folder("vdab", run_.extract)
    with duckdb.connect(str(scratch / "anker.duckdb")) as con, Stopwatch() as watch:
        duckdb_settings(con, scratch / "anker.tmp")
        con.execute("create schema bron_vdab")
        for stem, path in files.items():
            con.execute(f"create table bron_vdab.{stem} as from read_parquet('{path}')")
    return watch.seconds


def clean_up_anchor(run_: Run, scratch: Path) -> float:
    """VDAB's database copied into a fresh file, plain DuckDB (what the clean-up's rewrite does)."""
    with duckdb.connect() as con, Stopwatch() as watch:
        duckdb_settings(con, scratch / "anker.tmp")
        con.execute(f"attach '{run_.vdab_db}' as bron (read_only)")
        con.execute(f"attach '{scratch / 'anker.duckdb'}' as doel")
        con.execute("copy from database bron to doel")
    return watch.seconds


def publish_bi_anchor(run_: Run, scratch: Path) -> float:
    """Every mart copied from the monitoring database into a fresh file, plain DuckDB."""
    marts = marts_from_manifest(run_.dbt_dir("build-dataset/marts") / "target" / "manifest.json")
    with duckdb.connect(str(scratch / "anker.duckdb")) as con, Stopwatch() as watch:
        duckdb_settings(con, scratch / "anker.tmp")
        con.execute(f"attach '{run_.monitoring}' as bron (read_only)")
        for mart in marts:
            con.execute(f'create table "{mart.name}" as from bron."{mart.schema}"."{mart.name}"')
    return watch.seconds


DIRECT_ANCHORS = {"load-vdab": load_vdab_anchor, "clean-up": clean_up_anchor, "publish-bi": publish_bi_anchor}
LEG_PARTS: dict[str, tuple[Figure, Figure]] = {}
# per dbt step: (node, dbt's execution_time, the direct statement's seconds or None for seeds and unit tests)
NODES: dict[str, list[tuple[str, float, float | None]]] = {}


def make_keys(root: Path) -> None:
    for party in PARTIES:
        folder = root / "keys" / party
        party_keys.generate(party, folder)
        generate_ed25519(folder / "ssh_ed25519", f"{party}@bench")
    generate_ed25519(root / "keys" / "sftp" / "host_ed25519", "bench-sftp-host")


def report(scale: str, figures: dict[str, Figure], peak_mb: float, load: tuple[float, float, float]) -> None:
    stages: dict[str, Figure] = {}
    for name, figure in figures.items():
        stages[name] = figure
        if name in LEG_PARTS:
            crypto, transfer = LEG_PARTS[name]
            stages[f"{name}/{'seal' if name in SEND_LEGS else 'open'}"] = crypto
            stages[f"{name}/{'upload' if name in SEND_LEGS else 'download'}"] = transfer
    end_to_end = sum(f.seconds for name, f in figures.items() if name not in ("generation", "demo"))
    end_to_end_cpu = sum(f.cpu_seconds or 0.0 for name, f in figures.items() if name not in ("generation", "demo"))
    print(f"\n{scale} wave, load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores, shared)")
    print(f"{'stage':34}{'seconds':>9}{'anchor':>9}{'ratio':>7}{'dbt fixed':>10}{'peak MB':>9}  group")
    for name, figure in stages.items():
        anchor = "" if figure.anchor_seconds is None else f"{figure.anchor_seconds:9.2f}"
        ratio = "" if figure.anchor_seconds is None else f"{figure.seconds / figure.anchor_seconds:7.2f}"
        fixed = "" if figure.fixed_seconds is None else f"{figure.fixed_seconds:10.2f}"
        group = GROUPS.get(name.split("/")[0], "")
        peak = "" if figure.peak_rss_mb is None else f"{figure.peak_rss_mb:9,.0f}"
        print(f"{name:34}{figure.seconds:9.2f}{anchor:>9}{ratio:>7}{fixed:>10}{peak:>9}  {group}")
    for step, nodes in NODES.items():
        print(
            f"{step}: slowest nodes, dbt execution_time vs direct (seconds); nodes {len(nodes)},"
            f" dbt sum {sum(n[1] for n in nodes):.1f}, direct sum {sum(n[2] or 0 for n in nodes):.1f}"
        )
        for name, own, direct in sorted(nodes, key=lambda n: -n[1])[:8]:
            print(f"  {name[:70]:70}{own:7.2f}{'' if direct is None else f'{direct:7.2f}'}")
    print(
        f"end to end (every step but generation): {end_to_end:.1f} s, {end_to_end_cpu:.1f} CPU-s on 2 cores;"
        f" peak RSS incl. children {peak_mb:,.0f} MB"
    )
    print(f"DuckDB memory_limit {memory_limit()}, threads 2; load average at end {os.getloadavg()[0]:.2f}")
    print(
        json.dumps(
            {
                "scale": scale,
                "stages": {name: figure.json() for name, figure in stages.items()},
                "end_to_end_seconds": round(end_to_end, 2),
                "end_to_end_cpu_seconds": round(end_to_end_cpu, 2),
                "peak_rss_mb": round(peak_mb),
                "load_average": [round(x, 2) for x in load],
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
