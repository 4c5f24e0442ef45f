"""Party configuration: TOML read with tomllib, every mistake a ConfigError that names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_helpers import pijler3
from pijler3.config import load_config
from pijler3.errors import ConfigError

VALID = """\
party = "vdab"
wave = "2026-S1"

[sftp]
host = "sftp.example.be"
port = 2222
user = "vdab"
key = "keys/vdab/ssh_ed25519"
known_hosts = "/etc/pijler3/known_hosts"

[keys]
folder = "keys/vdab"
peer_bundle = "keys/agentschap.bundle.json"

[folders]
outgoing = "vdab/uit"
incoming = "vdab/in"
work = "vdab/werk"
audit = "audit"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "vdab.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_config_resolves_paths_next_to_the_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID))
    assert config.party == "vdab" and config.wave == "2026-S1"
    assert (config.sftp.host, config.sftp.port, config.sftp.user) == ("sftp.example.be", 2222, "vdab")
    assert config.sftp.key == tmp_path / "keys/vdab/ssh_ed25519"
    assert config.sftp.known_hosts == Path("/etc/pijler3/known_hosts")
    assert config.age_identity == tmp_path / "keys/vdab/age.key"
    assert config.signing_key == tmp_path / "keys/vdab/signing.pem"
    assert config.audit_log == tmp_path / "audit/vdab.jsonl"
    assert config.retry.attempts == 5 and config.threshold == 5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('party = "vdab"', 'party = "abb"'), "party = 'abb'"),
        (('wave = "2026-S1"', 'wave = "2026-S3"'), "wave = '2026-S3'"),
        (("port = 2222", "port = 70000"), "sftp.port = 70000"),
        (("port = 2222", 'port = "22"'), "sftp.port = '22'"),
        (('user = "vdab"', 'user = "vdab"\npassword = "geheim"'), r"unknown key\(s\) password in \[sftp\]"),
        (('key = "keys/vdab/ssh_ed25519"', 'key = """-----BEGIN OPENSSH PRIVATE KEY-----\nabc"""'), "path of the key"),
        (('host = "sftp.example.be"\n', ""), r"missing key\(s\) host in \[sftp\]"),
        (("[folders]", "[mappen]"), "unknown key"),
        (('party = "vdab"', "party = "), "not valid TOML"),
    ],
)
def test_mistakes_name_the_file_and_the_key(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    assert change[0] in VALID
    path = write(tmp_path, VALID.replace(*change))
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(path)
    assert str(path) in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


SECRET = "0f" * 32  # shaped like the agencies' pseudonym key


@pytest.mark.parametrize(
    ("change", "hidden"),
    [
        (('folder = "keys/vdab"', f'folder = "{SECRET}"'), SECRET),
        (('folder = "keys/vdab"', f'folder = "keys/{SECRET[:40]}"'), SECRET[:40]),
        (('key = "keys/vdab/ssh_ed25519"', 'key = "AGE-SECRET-KEY-1QQQQ"'), "AGE-SECRET-KEY-1QQQQ"),
        (('work = "vdab/werk"', 'work = "werk/85073003328"'), "85073003328"),
        (("port = 2222", f'port = "{SECRET}"'), SECRET),
        (("port = 2222", "port = 85073003328"), "85073003328"),
    ],
    ids=["pseudonym-key-as-folder", "part-of-a-key", "age-identity", "insz-in-a-path", "key-as-port", "insz-as-port"],
)
def test_a_secret_or_an_insz_in_the_configuration_is_refused_and_never_echoed(
    tmp_path: Path, change: tuple[str, str], hidden: str
) -> None:
    """The pseudonym secret pasted as [keys] folder came back in a 'not found' message as part of a path."""
    path = write(tmp_path, VALID.replace(*change))
    with pytest.raises(ConfigError, match=r"looks like (a key itself|an INSZ)|not shown") as caught:
        load_config(path)
    assert hidden not in str(caught.value) and str(path) in str(caught.value)


def test_the_cli_refuses_a_pasted_secret_with_exit_3_and_keeps_it_out_of_stderr(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace('folder = "keys/vdab"', f'folder = "{SECRET}"'))
    result = pijler3("run-wave", "--config", str(path), "--wave", "2026-S1")
    assert result.code == ConfigError.exit_code == 3
    assert SECRET not in result.out + result.err
    assert result.err.count("\n") == 1 and "keys.folder holds what looks like a key itself" in result.err
