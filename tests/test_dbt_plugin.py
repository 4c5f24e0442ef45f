"""The pseudonym UDF through real dbt runs: a throwaway project that uses the repo's macro and the real plugin.

dbt runs as a child process (as in production) so that its environment and command line can be inspected while it
runs, and so that every run starts from nothing (no adapter cached between runs with a different key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil
import pytest

REPO = Path(__file__).resolve().parent.parent
DBT = str(Path(sys.executable).parent / "dbt")
NUMBERS = ["85073003328", "85.07.30-033.28", "98472899765", "17073003384"]

pytestmark = pytest.mark.slow


def write_key(path: Path, key: bytes, mode: int = 0o600) -> Path:
    path.write_text(key.hex() + "\n", encoding="ascii")
    path.chmod(mode)
    return path


def make_project(root: Path, key_file: Path) -> Path:
    project = root / "project"
    (project / "models").mkdir(parents=True)
    (project / "macros").mkdir()
    shutil.copy(REPO / "macros" / "pseudoniem.sql", project / "macros")
    (project / "dbt_project.yml").write_text(
        "name: pseudo_test\nversion: '1.0'\nconfig-version: 2\nprofile: pseudo_test\n", encoding="utf-8"
    )
    values = ", ".join(f"('{n}')" for n in NUMBERS)
    (project / "models" / "pseudoniemen.sql").write_text(
        "{{ config(materialized='table') }}\n"
        f"select insz, {{{{ pseudoniem('insz') }}}} as pseudoniem from (values {values}, (null)) as t (insz)\n",
        encoding="utf-8",
    )
    (project / "profiles.yml").write_text(
        "pseudo_test:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: '{root / 'db.duckdb'}'\n      threads: 1\n"
        "      plugins:\n        - module: pijler3.dbt_plugin\n          alias: pseudonym\n"
        f"          config:\n            key_file: '{key_file}'\n",
        encoding="utf-8",
    )
    return project


def run_dbt(project: Path, *args: str, forbidden: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """Run dbt in a child process; while it runs, check its environment and command line for ``forbidden`` text."""
    command = [DBT, *args, "--project-dir", str(project), "--profiles-dir", str(project)]
    command += ["--log-path", str(project / "logs"), "--target-path", str(project / "target")]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=project) as proc:
        samples = 0
        while proc.poll() is None:
            try:
                child = psutil.Process(proc.pid)
                exposed = " ".join(child.cmdline()) + "\n" + "\n".join(f"{k}={v}" for k, v in child.environ().items())
            except psutil.Error:
                break
            samples += 1
            for text in forbidden:
                assert text not in exposed, "the pseudonym secret is visible in the dbt process's environment/cmdline"
            time.sleep(0.05)
        output = proc.communicate()[0]
    if forbidden:
        assert samples > 0, "dbt finished before its environment could be inspected"
    return subprocess.CompletedProcess(command, proc.returncode, output, "")


def pseudonyms(root: Path) -> dict[str, str | None]:
    with duckdb.connect(str(root / "db.duckdb"), read_only=True) as con:
        rows = con.sql("select insz, pseudoniem from pseudoniemen").fetchall()
    return {insz: pseudo for insz, pseudo in rows}


def secret_forms(key: bytes) -> tuple[str, ...]:
    return (key.hex(), key.hex().upper(), base64.b64encode(key).decode(), base64.urlsafe_b64encode(key).decode())


def test_udf_matches_hmac_is_stable_follows_the_key_and_secret_never_leaves_the_key_file(tmp_path: Path) -> None:
    key, other_key = secrets.token_bytes(32), secrets.token_bytes(32)
    key_file = write_key(tmp_path / "pseudonym.key", key)
    project = make_project(tmp_path, key_file)
    forbidden = secret_forms(key) + secret_forms(other_key)

    first = run_dbt(project, "--debug", "build", forbidden=forbidden)
    assert first.returncode == 0, first.stdout
    got = pseudonyms(tmp_path)
    expected = hmac.new(key, b"85073003328", hashlib.sha256).hexdigest()
    assert got["85073003328"] == expected
    assert got["85.07.30-033.28"] == expected, "the formatted and the normalised form must give one pseudonym"
    assert got["98472899765"] == hmac.new(key, b"98472899765", hashlib.sha256).hexdigest()
    assert got[None] is None  # type: ignore[index]

    second = run_dbt(project, "--debug", "build", forbidden=forbidden)
    assert second.returncode == 0, second.stdout
    assert pseudonyms(tmp_path) == got, "the same INSZ must give the same pseudonym in every run"

    write_key(key_file, other_key)
    third = run_dbt(project, "--debug", "build", forbidden=forbidden)
    assert third.returncode == 0, third.stdout
    rekeyed = pseudonyms(tmp_path)
    assert rekeyed["17073003384"] == hmac.new(other_key, b"17073003384", hashlib.sha256).hexdigest()
    for number in NUMBERS:
        assert rekeyed[number] != got[number], "another key must give other pseudonyms"

    docs = run_dbt(project, "--debug", "docs", "generate", forbidden=forbidden)
    assert docs.returncode == 0, docs.stdout
    assert (project / "target" / "index.html").exists()

    scanned = 0
    for folder in (project / "target", project / "logs"):
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                scanned += 1
                assert key not in data and other_key not in data, f"raw secret in {path}"
                for text in forbidden:
                    assert text.encode() not in data, f"pseudonym secret in {path}"
    assert scanned >= 5 and (project / "target" / "manifest.json").exists()
    for result in (first, second, third, docs):
        assert not any(text in result.stdout for text in forbidden)


def test_dbt_refuses_a_key_readable_by_others(tmp_path: Path) -> None:
    key_file = write_key(tmp_path / "pseudonym.key", secrets.token_bytes(32), mode=0o644)
    project = make_project(tmp_path, key_file)
    result = run_dbt(project, "build")
    assert result.returncode != 0
    assert f"{key_file}: pseudonym key has mode 0644" in result.stdout
    if (tmp_path / "db.duckdb").exists():
        with duckdb.connect(str(tmp_path / "db.duckdb"), read_only=True) as con:
            tables = con.sql("select table_name from duckdb_tables()").fetchall()
        assert ("pseudoniemen",) not in tables
