"""What ``run_wave`` shows when a step cannot run for a reason outside pijler3: one line, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cli_helpers import pijler3
from pijler3 import keys, wave
from pijler3.config import load_config
from pijler3.errors import ConfigError, InputError
from pijler3.keys import KeyPermissionError, Party
from pijler3.loading import KBI_CSV_COLUMNS
from pijler3.sftp.keys import generate_ed25519
from pijler3.wave import StepFailed, run_wave
from staging_fixtures import write_vdab


def party_setup(tmp_path: Path, party: Party = "agentschap") -> Path:
    """A party's config with real keys, the other party's bundle and an extract (the agencies': header only; VDAB's:
    the small staging fixture); returns the config file."""
    other = next(p for p in keys.PARTIES if p != party)
    extract = tmp_path / "extract"
    if party == "agentschap":
        extract.mkdir()
        for stem, columns in KBI_CSV_COLUMNS.items():
            (extract / f"{stem}.csv").write_text(";".join(columns) + "\n", encoding="utf-8")
        databases = 'restricted = "restricted.duckdb"\nmonitoring = "monitoring.duckdb"\n'
    else:
        write_vdab(extract)
        databases = 'vdab = "vdab.duckdb"\n'
    keys.generate(party, tmp_path / "keys")
    keys.generate(other, tmp_path / "peer")
    generate_ed25519(tmp_path / "ssh", f"{party}@test")
    (tmp_path / "kh").write_text("")  # pins nothing: these runs stop before connecting
    config = tmp_path / f"{party}.toml"
    config.write_text(
        f'party = "{party}"\n'
        f'[sftp]\nhost = "127.0.0.1"\nuser = "{party}"\nkey = "ssh"\nknown_hosts = "kh"\n'
        '[keys]\nfolder = "keys"\npeer_bundle = "peer/bundle.json"\n'
        '[folders]\noutgoing = "uit"\nincoming = "in"\nwork = "werk"\naudit = "audit"\nextract = "extract"\n'
        f"[databases]\n{databases}",
        encoding="utf-8",
    )
    return config


def test_a_database_held_by_another_program_is_one_clear_error(tmp_path: Path) -> None:
    """An analyst with the restricted database open in a SQL tool (or a second run) made DuckDB's IOException
    escape as a traceback."""
    config = party_setup(tmp_path)
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
    config = party_setup(tmp_path)
    (tmp_path / key).chmod(0o644)
    with pytest.raises(KeyPermissionError, match=rf"{key}: .* has mode 0644.*chmod 600"):
        run_wave(load_config(config), "2026-S2")
    assert not (tmp_path / "werk").exists()
    assert not (tmp_path / "restricted.duckdb").exists()


def test_a_missing_private_key_is_refused_before_any_step(tmp_path: Path) -> None:
    config = party_setup(tmp_path)
    (tmp_path / "keys" / "pseudonym.key").unlink()
    with pytest.raises(ConfigError, match=r"pseudonym\.key: pseudonym key not found"):
        run_wave(load_config(config), "2026-S2")
    assert not (tmp_path / "werk").exists()


def test_a_missing_vdab_extract_file_is_one_line_before_any_step(tmp_path: Path) -> None:
    """The extract was hashed before the loader's own check, so a missing file was a FileNotFoundError traceback."""
    config = party_setup(tmp_path, "vdab")
    (tmp_path / "extract" / "acties.parquet").unlink()
    with pytest.raises(InputError, match=r"extract: missing acties\.parquet; an extract needs") as caught:
        run_wave(load_config(config), "2026-S2")
    assert caught.value.exit_code == 2
    assert not (tmp_path / "vdab.duckdb").exists()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (("keys/pseudonym.key", b"abc123\n"), r"keys/pseudonym\.key: pseudonym key must be 64 hex characters"),
        (("keys/age.key", b"not an age key\n"), r"keys/age\.key, line 1: not an age X25519 identity"),
        (("keys/signing.pem", b"garbage\n"), r"keys/signing\.pem: not an unencrypted PEM"),
        (("ssh", b"garbage\n"), r"ssh: cannot read it as an SSH private key"),
        (("peer/bundle.json", None), r"peer/bundle\.json: public bundle not found"),
        (("peer/bundle.json", "own"), r"keys\.peer_bundle .* is the bundle of agentschap itself"),
        (("kh", None), r"sftp\.known_hosts .*kh does not exist"),
    ],
    ids=["pseudonym", "age", "signing", "ssh", "no-peer-bundle", "own-bundle-as-peer", "no-known-hosts"],
)
def test_a_malformed_key_is_refused_before_any_step(
    tmp_path: Path, damage: tuple[str, bytes | str | None], message: str
) -> None:
    """Only existence and mode were checked up front; the pseudonym key was first read after the exchange with VDAB."""
    config = party_setup(tmp_path)
    name, content = damage
    path = tmp_path / name
    if content is None:
        path.unlink()
    elif content == "own":
        path.write_bytes((tmp_path / "keys" / "bundle.json").read_bytes())
    else:
        assert isinstance(content, bytes)
        path.write_bytes(content)
    with pytest.raises(ConfigError, match=message) as caught:
        run_wave(load_config(config), "2026-S2")
    assert caught.value.exit_code == 3
    assert "garbage" not in str(caught.value) and "abc123" not in str(caught.value)
    assert not (tmp_path / "werk").exists()
    assert not (tmp_path / "restricted.duckdb").exists()


def test_a_header_only_kbi_extract_is_refused_before_anything_is_built(tmp_path: Path) -> None:
    """It built and exported an empty request; only a closed SFTP port kept it from being sent."""
    config = party_setup(tmp_path)
    result = pijler3("run-wave", "--config", str(config), "--wave", "2026-S2")
    assert result.code == InputError.exit_code == 2, result.err
    assert "extract/personen.csv: holds a header but no rows" in result.err and result.err.count("\n") == 1
    assert not (tmp_path / "restricted.duckdb").exists()
    assert not (tmp_path / "uit").exists()
    assert not (tmp_path / "werk" / "2026-S2" / "stappen").exists()


def test_a_request_without_one_valid_insz_is_not_exported(tmp_path: Path) -> None:
    """Every row invalid (or a filter gone wrong) gives an empty request: refused at export, the file removed."""
    config = load_config(party_setup(tmp_path))
    with duckdb.connect(str(tmp_path / "restricted.duckdb")) as con:
        con.execute("create table aanvraag (insz varchar)")
    with pytest.raises(InputError, match=r"export-request: the request holds no valid INSZ"):
        wave._export_request(wave.Run(config, "2026-S2"))
    assert list((tmp_path / "uit").iterdir()) == []
