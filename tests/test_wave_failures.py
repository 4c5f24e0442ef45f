"""What ``run_wave`` shows when a step cannot run for a reason outside pijler3: one line, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pijler3 import keys
from pijler3.config import load_config
from pijler3.errors import ConfigError
from pijler3.keys import KeyPermissionError
from pijler3.loading import KBI_CSV_COLUMNS
from pijler3.sftp.keys import generate_ed25519
from pijler3.wave import StepFailed, run_wave


def agencies_setup(tmp_path: Path) -> Path:
    """An agencies' config with real keys and an empty KBI extract; returns the config file."""
    extract = tmp_path / "kbi"
    extract.mkdir()
    for stem, columns in KBI_CSV_COLUMNS.items():
        (extract / f"{stem}.csv").write_text(";".join(columns) + "\n", encoding="utf-8")
    keys.generate("agentschap", tmp_path / "keys")
    generate_ed25519(tmp_path / "ssh", "agentschap@test")
    config = tmp_path / "agentschap.toml"
    config.write_text(
        'party = "agentschap"\n'
        '[sftp]\nhost = "127.0.0.1"\nuser = "agentschap"\nkey = "ssh"\nknown_hosts = "kh"\n'
        '[keys]\nfolder = "keys"\npeer_bundle = "peer.json"\n'
        '[folders]\noutgoing = "uit"\nincoming = "in"\nwork = "werk"\naudit = "audit"\nextract = "kbi"\n'
        '[databases]\nrestricted = "restricted.duckdb"\nmonitoring = "monitoring.duckdb"\n',
        encoding="utf-8",
    )
    return config


def test_a_database_held_by_another_program_is_one_clear_error(tmp_path: Path) -> None:
    """An analyst with the restricted database open in a SQL tool (or a second run) made DuckDB's IOException
    escape as a traceback."""
    config = agencies_setup(tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); input()",
            str(tmp_path / "restricted.duckdb"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        with pytest.raises(StepFailed, match=r"load-kbi: .*restricted\.duckdb.*lock.*close the program"):
            run_wave(load_config(config), "2026-S2")
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    assert not (tmp_path / "werk" / "2026-S2" / "stappen" / "load-kbi.json").exists()


@pytest.mark.parametrize("key", ["ssh", "keys/age.key", "keys/signing.pem", "keys/pseudonym.key"])
def test_an_unsafe_private_key_is_refused_before_any_step(tmp_path: Path, key: str) -> None:
    """A world-readable key used to be noticed only when its step came, after the request was already built."""
    config = agencies_setup(tmp_path)
    (tmp_path / key).chmod(0o644)
    with pytest.raises(KeyPermissionError, match=rf"{key}: .* has mode 0644.*chmod 600"):
        run_wave(load_config(config), "2026-S2")
    assert not (tmp_path / "werk").exists()
    assert not (tmp_path / "restricted.duckdb").exists()


def test_a_missing_private_key_is_refused_before_any_step(tmp_path: Path) -> None:
    config = agencies_setup(tmp_path)
    (tmp_path / "keys" / "pseudonym.key").unlink()
    with pytest.raises(ConfigError, match=r"pseudonym\.key: pseudonym key not found"):
        run_wave(load_config(config), "2026-S2")
    assert not (tmp_path / "werk").exists()
