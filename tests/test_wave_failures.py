"""What ``run_wave`` shows when a step cannot run for a reason outside pijler3: one line, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pijler3.config import load_config
from pijler3.loading import KBI_CSV_COLUMNS
from pijler3.wave import StepFailed, run_wave


def test_a_database_held_by_another_program_is_one_clear_error(tmp_path: Path) -> None:
    """An analyst with the restricted database open in a SQL tool (or a second run) made DuckDB's IOException
    escape as a traceback."""
    extract = tmp_path / "kbi"
    extract.mkdir()
    for stem, columns in KBI_CSV_COLUMNS.items():
        (extract / f"{stem}.csv").write_text(";".join(columns) + "\n", encoding="utf-8")
    config = tmp_path / "agentschap.toml"
    config.write_text(
        'party = "agentschap"\n'
        '[sftp]\nhost = "127.0.0.1"\nuser = "agentschap"\nkey = "ssh"\nknown_hosts = "kh"\n'
        '[keys]\nfolder = "keys"\npeer_bundle = "peer.json"\n'
        '[folders]\noutgoing = "uit"\nincoming = "in"\nwork = "werk"\naudit = "audit"\nextract = "kbi"\n'
        '[databases]\nrestricted = "restricted.duckdb"\nmonitoring = "monitoring.duckdb"\n',
        encoding="utf-8",
    )
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
