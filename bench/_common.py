"""Helpers the benchmarks share: peak memory with children, CPU time, DuckDB settings, dbt's compiled SQL run directly
in DuckDB (the anchor of every dbt step), OpenSSH ``sftp -b`` (the anchor of every transfer) and the ``age`` CLI."""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import duckdb
import psutil

from pijler3.duck import memory_limit
from pijler3.sftp.transport import Endpoint


def duckdb_settings(con: duckdb.DuckDBPyConnection, temp_directory: Path | None = None) -> None:
    """The settings the profile gives dbt's connection, so a direct run differs from dbt in nothing else."""
    con.execute("set threads = 2")
    con.execute(f"set memory_limit = '{memory_limit()}'")
    if temp_directory is not None:
        con.execute(f"set temp_directory = '{temp_directory}'")


def cpu_seconds() -> float:
    """CPU time of this process and its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class PeakRss:
    """Peak resident memory of this process and all its descendants together (dbt runs in-process; sshd, ``age``,
    ``sftp`` and the hashing helper are children), sampled every ``interval`` seconds, and this process's own
    high-water mark from the kernel (``VmHWM``), which catches a spike between samples. ``stage_mb()`` gives the peak
    since the previous call and starts a new stage (``/proc/self/clear_refs`` resets the kernel's mark); ``mb`` is the
    peak of the whole run."""

    def __init__(self, interval: float = 0.05) -> None:
        self._interval = interval
        self._stage = 0
        self._peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for process in (me, *me.children(recursive=True)):
                try:
                    total += process.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            self._stage = max(self._stage, total)
            self._stop.wait(self._interval)

    def __enter__(self) -> PeakRss:
        _reset_high_water_mark()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def stage_mb(self) -> float:
        peak = max(self._stage, _high_water_mark())
        self._stage = 0
        _reset_high_water_mark()
        self._peak = max(self._peak, peak)
        return peak / 2**20

    @property
    def mb(self) -> float:
        return max(self._peak, self._stage, _high_water_mark()) / 2**20


def _high_water_mark() -> int:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _reset_high_water_mark() -> None:
    Path("/proc/self/clear_refs").write_text("5", encoding="ascii")


class Stopwatch:
    """``with Stopwatch() as t: ...`` then ``t.seconds`` (wall) and ``t.cpu`` (CPU of this process and of the children
    it waited for: on a shared machine the wall time also measures the neighbours)."""

    seconds: float = 0.0
    cpu: float = 0.0

    def __enter__(self) -> Stopwatch:
        self._start, self._cpu = time.perf_counter(), cpu_seconds()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.seconds = time.perf_counter() - self._start
        self.cpu = cpu_seconds() - self._cpu


@dataclass(frozen=True)
class Statement:
    name: str
    kind: str  # "model" or "test"
    sql: str


def compiled_statements(target: Path, con: duckdb.DuckDBPyConnection) -> list[Statement]:
    """The models and data tests a dbt invocation ran, from its ``manifest.json`` compiled code, in the order
    ``run_results.json`` lists them (dbt's completion order, which respects the DAG): a model becomes the
    ``create``/``insert`` its materialisation does, a test the count of its failing rows as dbt selects it.
    Seeds and unit tests are left out: they do not grow with the data, so they belong to dbt's fixed cost (the same
    invocation on empty tables)."""
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    statements = []
    for result in results:
        node = manifest["nodes"].get(result["unique_id"])
        if node is None or node["resource_type"] not in {"model", "test"}:
            continue
        code = node["compiled_code"]
        if node["resource_type"] == "test":
            statements.append(Statement(node["name"], "test", f"select count(*) from ({code}) as dbt_internal_test"))
            continue
        materialized = node["config"]["materialized"]
        relation = node["relation_name"]
        if materialized == "view":
            sql = f"create or replace view {relation} as ({code})"
        elif materialized == "incremental" and _exists(con, node["database"], node["schema"], node["alias"]):
            key = node["config"].get("unique_key")
            delete = f"delete from {relation} where {key} in (select {key} from nieuw); " if key else ""
            sql = f"create temp table nieuw as ({code}); {delete}insert into {relation} by name from nieuw;"
            sql += " drop table nieuw"
        else:
            sql = f"create or replace table {relation} as ({code})"
        statements.append(Statement(node["name"], "model", sql))
    return statements


def dbt_node_seconds(target: Path) -> dict[str, float]:
    """dbt's own ``execution_time`` per node, keyed like ``run_direct``'s figures ("model NAME", "test NAME")."""
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    seconds = {}
    for result in results:
        node = manifest["nodes"].get(result["unique_id"]) or manifest["unit_tests"].get(result["unique_id"], {})
        kind = node.get("resource_type", "unit_test")
        seconds[f"{kind} {node.get('name', result['unique_id'])}"] = float(result["execution_time"])
    return seconds


def seeds(target: Path) -> list[tuple[str, str, str]]:
    """(database, schema, table) of the seeds a dbt invocation loaded."""
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    nodes = [manifest["nodes"].get(r["unique_id"]) for r in results]
    return [(n["database"], n["schema"], n["alias"]) for n in nodes if n and n["resource_type"] == "seed"]


def _exists(con: duckdb.DuckDBPyConnection, database: str, schema: str, name: str) -> bool:
    row = con.execute(
        "select count(*) from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
        [database, schema, name],
    ).fetchone()
    return bool(row and row[0])


def run_direct(con: duckdb.DuckDBPyConnection, statements: Sequence[Statement]) -> dict[str, float]:
    """Run ``statements`` one after another; seconds per statement."""
    seconds = {}
    for statement in statements:
        started = time.perf_counter()
        try:
            con.execute(statement.sql).fetchall()
        except duckdb.Error as exc:
            raise RuntimeError(f"direct SQL of {statement.kind} {statement.name} failed: {exc}") from exc
        seconds[f"{statement.kind} {statement.name}"] = time.perf_counter() - started
    return seconds


def openssh_sftp(endpoint: Endpoint, batch: Sequence[str], work: Path) -> None:
    """Run OpenSSH's ``sftp -b`` with ``batch`` commands against ``endpoint`` (same key and known_hosts as ours)."""
    script = work / "sftp.batch"
    script.write_text("\n".join(batch) + "\n", encoding="utf-8")
    subprocess.run(
        [
            "sftp", "-q", "-b", str(script), "-i", str(endpoint.key), "-P", str(endpoint.port),
            "-o", f"UserKnownHostsFile={endpoint.known_hosts}", "-o", "StrictHostKeyChecking=yes",
            "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", f"{endpoint.user}@{endpoint.host}",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip


def age_cli() -> str:
    found = shutil.which("age")
    if found is None:
        raise SystemExit("the age CLI is not installed (apt-get install age): it is the anchor of encryption")
    return found


def run(*args: str | Path) -> None:
    subprocess.run([str(a) for a in args], check=True, capture_output=True)
