"""Run dbt in-process for one party's target, with the repository's one ``profiles.yml``.

The profile is the committed ``profiles.yml`` in the repository root (targets ``vdab``, ``agentschap``, ``analist``
and ``lint``), every path read from an environment variable so one file serves every wave, the tests, sqlfluff and an
analyst's ``uv run dbt …``. ``run_dbt`` checks that the target's variables are given, sets them for the duration of
the call and turns a failed run into a ``Pijler3Error`` naming the failing nodes.

dbt keeps global state per process, so invocations are serialised with a lock; never run two in parallel threads.
The steps of one party's waves (``parse_cache``) parse the project once per process: the parsed manifest is kept in
memory and handed to the next invocation with the same project files, target, database paths and variables apart
from ``COMPILE_TIME_VARS`` (``dbtRunner(manifest=…)``), which then skips parsing and the manifest written after it.
DuckDB plugins (the pseudonym UDF) are passed as ``DbtPlugin`` values and added to the run target's output in a copy
of that file written for the run: only the steps that pseudonymise load the key, and nothing else needs it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dbt.cli.main import dbtRunner, dbtRunnerResult
from dbt.clients.yaml_helper import load_yaml_text
from dbt.contracts.graph.manifest import Manifest

from pijler3.errors import ConfigError, Pijler3Error

REPO = Path(__file__).resolve().parents[2]
PROFILE = "pijler3"
PROFILES_FILE = REPO / "profiles.yml"
Target = Literal["vdab", "agentschap", "analist", "lint"]
TARGETS: tuple[Target, ...] = ("vdab", "agentschap", "analist", "lint")

# Variables a target cannot run without; the others have defaults in the profile or are derived below.
REQUIRED_ENV: Mapping[Target, tuple[str, ...]] = {
    "vdab": ("PIJLER3_VDAB_DB",),
    "agentschap": ("PIJLER3_RESTRICTED_DB", "PIJLER3_MONITORING_DB"),
    "analist": ("PIJLER3_MONITORING_DB",),
    "lint": (),
}
_FAILED_STATUSES = {"error", "fail", "runtime error"}
_LOCK = threading.Lock()
PARTIAL_PARSE_FILE = "partial_parse.msgpack"  # what dbt writes into its target path after parsing
# Where dbt reads a project's files (dbt_project.yml may name others; these are dbt's defaults), and the project files
# themselves: a change to any of them means a new parse.
PROJECT_PATHS = {
    "model-paths": ["models"],
    "seed-paths": ["seeds"],
    "macro-paths": ["macros"],
    "snapshot-paths": ["snapshots"],
    "analysis-paths": ["analyses"],
    "test-paths": ["tests"],
    "docs-paths": [],
}
PROJECT_FILES = ("dbt_project.yml", "selectors.yml", "packages.yml", "dependencies.yml")
# Variables the project reads only when it compiles a node, never while parsing (tests/test_dbt_runner.py parses with
# other values and compares the manifests): a parse made with other values serves an invocation with these.
COMPILE_TIME_VARS = frozenset({"golf", "peildatum", "sdc_drempel"})
# Parsed manifests kept in this process, newest last: one per party and the docs step's (its variables differ) serve
# a demo's turns.
_MANIFESTS: OrderedDict[tuple[object, ...], Manifest] = OrderedDict()
_KEEP_MANIFESTS = 3


@dataclass(frozen=True)
class DbtPlugin:
    """A dbt-duckdb plugin entry: ``module`` is imported by dbt-duckdb, ``config`` is passed to its initializer."""

    module: str
    alias: str
    config: Mapping[str, str] = field(default_factory=dict)


def profile(*, target: Target | None = None, plugins: Sequence[DbtPlugin] = ()) -> dict[str, Any]:
    """The content of ``PROFILES_FILE``, with ``plugins`` added to ``target``'s output."""
    # dbt's own YAML loader (safe), as dbt reads the file; the Jinja in the values stays a plain string.
    content = load_yaml_text(PROFILES_FILE.read_text(encoding="utf-8"), PROFILES_FILE)
    if not content or PROFILE not in content:
        raise ConfigError(f"{PROFILES_FILE}: no profile {PROFILE!r}")
    if plugins:
        if target is None:
            raise ValueError("plugins need the target whose output they belong to")
        output = content[PROFILE]["outputs"][target]
        output["plugins"] = [
            *output.get("plugins", []),
            *({"module": p.module, "alias": p.alias, "config": dict(p.config)} for p in plugins),
        ]
    return content


def write_profiles(directory: Path, *, target: Target | None = None, plugins: Sequence[DbtPlugin] = ()) -> Path:
    """Write ``profiles.yml`` into ``directory`` (created if needed) and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "profiles.yml"
    # JSON is YAML: no YAML writer needed, and the Jinja in the values stays a plain string.
    path.write_text(json.dumps(profile(target=target, plugins=plugins), indent=2), encoding="utf-8")
    return path


def run_dbt(
    args: Sequence[str],
    *,
    target: Target,
    env: Mapping[str, str],
    project_dir: Path = REPO,
    work_dir: Path | None = None,
    plugins: Sequence[DbtPlugin] = (),
    parse_cache: Path | None = None,
) -> dbtRunnerResult:
    """Run ``dbt <args>`` against ``target`` and return dbt's result; raise ``Pijler3Error`` when it fails.

    ``env`` gives the target's paths (``REQUIRED_ENV``); ``PIJLER3_VDAB_TEMP`` defaults to ``<vdab db>.tmp``. With
    ``work_dir`` the profile, ``target/`` (``run_results.json``, ``manifest.json``) and ``logs/`` go there; without it
    the profile goes to a temporary directory and dbt writes ``target/`` and ``logs/`` in ``project_dir``.
    ``parse_cache`` is a file shared by invocations with the same target and ``--vars`` but their own ``work_dir``
    (the steps of one party's wave): dbt starts from the parse it holds and updates it, so only the first invocation
    of a process parses the whole project (some 3-5 s of start-up). dbt itself checks that the cache still matches
    the project, the variables and the profile, and parses afresh when it does not. Within one process the parsed
    manifest itself is reused (``_reusable_manifest``), also by a step that adds a plugin (which dbt's own check
    counts as another profile, though no plugin changes what is parsed).
    Test warnings do not fail the run.
    """
    if target not in TARGETS:
        raise ConfigError(f"unknown dbt target {target!r}; expected one of {', '.join(TARGETS)}")
    run_env = dict(env)
    if target == "vdab" and "PIJLER3_VDAB_DB" in run_env:
        run_env.setdefault("PIJLER3_VDAB_TEMP", run_env["PIJLER3_VDAB_DB"] + ".tmp")
    if missing := [name for name in REQUIRED_ENV[target] if not run_env.get(name)]:
        raise ConfigError(f"dbt target {target} needs {', '.join(missing)} (the database paths); pass them in env")
    run_env["PIJLER3_TARGET"] = target
    with _LOCK, _profiles_dir(work_dir) as profiles_dir, _environment(run_env):
        write_profiles(profiles_dir, target=target, plugins=plugins)
        cli_args = [*args, "--project-dir", str(project_dir), "--profiles-dir", str(profiles_dir), "--target", target]
        if work_dir is not None:
            cli_args += ["--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs")]
        if parse_cache is not None and parse_cache.is_file():
            cli_args += ["--partial-parse-file-path", str(parse_cache)]
        try:
            with _interrupt_after_invocation() as interrupted:
                manifest = None
                if parse_cache is not None and args and args[0] != "parse":
                    manifest = _reusable_manifest(cli_args, project_dir, target, args, run_env, parse_cache)
                result = dbtRunner(manifest=manifest).invoke(cli_args)
        finally:
            _release_duckdb()
    if interrupted or isinstance(result.exception, KeyboardInterrupt):
        # Re-raised, the CLI reports the interruption (exit 130) and the step records it, not a failed build.
        raise KeyboardInterrupt
    if not result.success:
        raise Pijler3Error(f"dbt {' '.join(args[:1])} failed for target {target}: {_failure(result)}")
    if parse_cache is not None:
        _keep_parse(((work_dir or project_dir) / "target") / PARTIAL_PARSE_FILE, parse_cache)
    return result


@contextmanager
def _interrupt_after_invocation() -> Iterator[list[bool]]:
    """Ctrl-C during a dbt invocation: interrupted mid-parse dbt prints some 75 lines of traceback, and in some phases
    it swallows the interrupt and goes on. So the first Ctrl-C is noted (the list becomes truthy) and raised once the
    invocation returns; a second one stops at once."""
    requested: list[bool] = []
    if threading.current_thread() is not threading.main_thread():
        yield requested
        return

    def note(signum: int, frame: object) -> None:
        if requested:
            raise KeyboardInterrupt
        requested.append(True)
        sys.stderr.write("pijler3: interrupt requested; stopping when this dbt run ends (Ctrl-C again: now)\n")

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield requested
    finally:
        signal.signal(signal.SIGINT, previous)


def _reusable_manifest(
    cli_args: Sequence[str],
    project_dir: Path,
    target: Target,
    args: Sequence[str],
    run_env: Mapping[str, str],
    parse_cache: Path,
) -> Manifest:
    """The manifest parsed earlier in this process for the same project files, target, database paths and variables
    (``COMPILE_TIME_VARS`` aside); parsed now (``dbt parse``, from ``parse_cache`` when it matches) when there is
    none. Plugins are not part of the key: they change what runs, not what is parsed."""
    variables = args[list(args).index("--vars") + 1] if "--vars" in args else ""
    parsed_vars = load_yaml_text(variables) if variables else {}
    if not isinstance(parsed_vars, dict):
        raise ConfigError(f"dbt --vars {variables!r}: not a mapping")
    parse_time_vars = json.dumps(
        {k: v for k, v in parsed_vars.items() if k not in COMPILE_TIME_VARS}, sort_keys=True, default=str
    )
    key = (
        str(project_dir.resolve()),
        _project_state(project_dir),
        target,
        parse_time_vars,
        tuple(sorted(run_env.items())),
    )
    if key in _MANIFESTS:
        _MANIFESTS.move_to_end(key)
        return _MANIFESTS[key]
    # The command's own paths and variables, without writing manifest.json twice: the command writes it after its
    # run, with the compiled code.
    options = [*(["--quiet"] if "--quiet" in args else []), *(["--vars", variables] if variables else [])]
    parsed = dbtRunner().invoke(["parse", "--no-write-json", *options, *cli_args[len(args) :]])
    if not parsed.success or not isinstance(parsed.result, Manifest):
        raise Pijler3Error(f"dbt parse failed for target {target}: {_failure(parsed)}")
    _MANIFESTS[key] = parsed.result
    while len(_MANIFESTS) > _KEEP_MANIFESTS:
        _MANIFESTS.popitem(last=False)
    return parsed.result


def _project_state(project_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """Path, size and modification time of every file dbt reads of the project: a changed file means a new parse."""
    paths = [project_dir / name for name in PROJECT_FILES if (project_dir / name).is_file()]
    project_file = project_dir / "dbt_project.yml"
    project = (load_yaml_text(project_file.read_text(encoding="utf-8")) if project_file.is_file() else None) or {}
    folders = {
        folder
        for key, default in PROJECT_PATHS.items()
        for folder in (project.get(key) or default)
        if (project_dir / folder).is_dir()
    }
    for folder in sorted(folders):
        paths += sorted(p for p in (project_dir / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return tuple((str(p), (st := p.stat()).st_size, st.st_mtime_ns) for p in paths)


def _keep_parse(written: Path, cache: Path) -> None:
    if not written.is_file():
        return
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_name(f".{cache.name}.{os.getpid()}.part")
    shutil.copyfile(written, partial)
    os.replace(partial, cache)


def _failure(result: dbtRunnerResult) -> str:
    if result.exception is not None:
        return str(result.exception).strip()
    nodes = [
        f"{r.node.unique_id}: {(r.message or r.status)}".strip()
        for r in getattr(result.result, "results", [])
        if str(r.status) in _FAILED_STATUSES
    ]
    if not nodes:
        return "no failing node reported; see dbt's log"
    shown = "; ".join(nodes[:5])
    return shown + (f" (and {len(nodes) - 5} more)" if len(nodes) > 5 else "")


def _release_duckdb() -> None:
    """Close the database dbt-duckdb keeps open in this process, so the caller (or the next run with other settings)
    can open the file; dbt-duckdb only closes it once every handle is returned, which a build does not guarantee."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


@contextmanager
def _profiles_dir(work_dir: Path | None) -> Iterator[Path]:
    if work_dir is not None:
        yield work_dir
        return
    with tempfile.TemporaryDirectory(prefix="pijler3-dbt-") as tmp:
        yield Path(tmp)


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """dbt's ``env_var()`` reads ``os.environ``; restore it afterwards so a run leaks nothing into the next."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old
