"""Key generation, permission checks, bundles, rotation and retirement (pijler3.keys)."""

from __future__ import annotations

import getpass
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyrage import x25519

from cli_helpers import pijler3
from conftest import REPO
from pijler3 import envelope, keys
from pijler3.audit import read_audit_log, verify_chain
from pijler3.errors import ConfigError


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_generate_writes_private_files_0600_and_a_consistent_bundle(tmp_path: Path) -> None:
    generated = keys.generate("vdab", tmp_path / "vdab")
    folder = tmp_path / "vdab"
    assert _mode(folder / "age.key") == 0o600
    assert _mode(folder / "signing.pem") == 0o600
    assert not (folder / "pseudonym.key").exists()

    identity_lines = [
        line for line in (folder / "age.key").read_text().splitlines() if line.startswith("AGE-SECRET-KEY-1")
    ]
    assert len(identity_lines) == 1
    recipient = str(x25519.Identity.from_str(identity_lines[0]).to_public())
    bundle = json.loads((folder / "bundle.json").read_text())
    assert bundle["party"] == "vdab"
    assert [r["recipient"] for r in bundle["age_recipients"]] == [recipient]

    private = serialization.load_pem_private_key((folder / "signing.pem").read_bytes(), password=None)
    public = serialization.load_pem_public_key(bundle["signing_keys"][0]["public_key_pem"].encode())
    assert isinstance(public, Ed25519PublicKey)
    assert private.public_key() == public
    assert generated.bundle.signing_keys[0].fingerprint == bundle["signing_keys"][0]["fingerprint"]
    assert "PRIVATE" not in (folder / "bundle.json").read_text()
    assert "AGE-SECRET-KEY" not in (folder / "bundle.json").read_text()


def test_agencies_get_a_256_bit_pseudonym_key_that_force_never_replaces(tmp_path: Path) -> None:
    folder = tmp_path / "agentschap"
    generated = keys.generate("agentschap", folder)
    assert generated.pseudonym_key == folder / "pseudonym.key"
    content = (folder / "pseudonym.key").read_text()
    assert _mode(folder / "pseudonym.key") == 0o600
    assert len(content) == 65 and content.endswith("\n")
    assert len(bytes.fromhex(content.strip())) == 32

    old_age_key = (folder / "age.key").read_text()
    assert not generated.pseudonym_key_kept
    assert keys.generate("agentschap", folder, force=True).pseudonym_key_kept
    assert (folder / "age.key").read_text() != old_age_key
    assert (folder / "pseudonym.key").read_text() == content


def test_generate_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    keys.generate("vdab", tmp_path)
    before = (tmp_path / "signing.pem").read_bytes()
    with pytest.raises(keys.KeyExistsError, match="--force"):
        keys.generate("vdab", tmp_path)
    assert (tmp_path / "signing.pem").read_bytes() == before


@pytest.mark.parametrize("name", ["age.key", "signing.pem"])
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_private_key_readable_by_others_is_refused(tmp_path: Path, name: str, mode: int) -> None:
    keys.generate("vdab", tmp_path)
    (tmp_path / name).chmod(mode)
    load = keys.load_identities if name == "age.key" else keys.load_signing_key
    with pytest.raises(keys.KeyPermissionError, match=f"mode {mode:04o}.*chmod 600"):
        load(tmp_path / name)
    (tmp_path / name).chmod(0o600)
    load(tmp_path / name)


def test_bundle_with_a_wrong_fingerprint_is_refused(tmp_path: Path) -> None:
    keys.generate("vdab", tmp_path)
    data = json.loads((tmp_path / "bundle.json").read_text())
    data["signing_keys"][0]["fingerprint"] = "0" * 32
    (tmp_path / "bundle.json").write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="does not match the key"):
        keys.load_bundle(tmp_path / "bundle.json")


def test_identity_file_error_never_echoes_the_secret(tmp_path: Path) -> None:
    keys.generate("vdab", tmp_path)
    secret = next(line for line in (tmp_path / "age.key").read_text().splitlines() if line.startswith("AGE-"))
    damaged = secret[:-3] + "qqq"
    (tmp_path / "age.key").write_text(damaged + "\n")
    with pytest.raises(ConfigError, match="line 1") as caught:
        keys.load_identities(tmp_path / "age.key")
    assert secret[15:40] not in str(caught.value)


def _seal(tmp_path: Path, name: str, wave: str, agencies: Path, vdab: Path) -> Path:
    plaintext = tmp_path / name
    plaintext.write_text("insz\n85073003328\n")
    sealed = envelope.seal(
        plaintext,
        to=vdab / "bundle.json",
        sign_with=agencies / "signing.pem",
        wave=wave,
        kind="aanvraag",
        out_dir=tmp_path / "sftp",
    )
    return sealed.ciphertext


def test_rotation_keeps_old_files_openable_and_retire_ends_that(tmp_path: Path) -> None:
    agencies, vdab = tmp_path / "agentschap", tmp_path / "vdab"
    keys.generate("agentschap", agencies)
    keys.generate("vdab", vdab)
    old_vdab_fingerprint = keys.load_bundle(vdab).current_recipient.fingerprint
    old_agencies_signing = keys.load_bundle(agencies).signing_keys[0].fingerprint
    in_transit = _seal(tmp_path, "old.csv", "2026-S1", agencies, vdab)

    keys.rotate(vdab)
    rotated_agencies = keys.rotate(agencies)
    assert rotated_agencies.signing_keys[1].fingerprint == old_agencies_signing
    assert _mode(agencies / f"signing.{old_agencies_signing}.retired.pem") == 0o600
    new_vdab = keys.load_bundle(vdab)
    assert [r.fingerprint for r in new_vdab.age_recipients][1] == old_vdab_fingerprint

    opened = envelope.open_envelope(
        in_transit,
        sender_bundle=agencies / "bundle.json",
        identity=vdab / "age.key",
        wave="2026-S1",
        kind="aanvraag",
        out_dir=tmp_path / "in",
    )
    assert opened.manifest.recipient_key_fingerprint == old_vdab_fingerprint
    assert opened.manifest.sender_key_fingerprint == old_agencies_signing

    fresh = _seal(tmp_path, "new.csv", "2026-S2", agencies, vdab)
    manifest = json.loads(fresh.with_name("new.csv.manifest.json").read_text())
    assert manifest["recipient_key_fingerprint"] == new_vdab.current_recipient.fingerprint
    assert manifest["sender_key_fingerprint"] == rotated_agencies.signing_keys[0].fingerprint

    with pytest.raises(ConfigError, match="current key"):
        keys.retire(vdab, new_vdab.current_recipient.fingerprint)
    keys.retire(vdab, old_vdab_fingerprint)
    assert old_vdab_fingerprint not in keys.load_identities(vdab / "age.key")
    with pytest.raises(envelope.NotForUsError, match=old_vdab_fingerprint):
        envelope.open_envelope(
            in_transit,
            sender_bundle=agencies / "bundle.json",
            identity=vdab / "age.key",
            wave="2026-S1",
            kind="aanvraag",
            out_dir=tmp_path / "in2",
            force=True,
        )


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from pijler3.cli import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_generate_and_fingerprint(tmp_path: Path) -> None:
    done = _cli("keys", "generate", "--party", "agentschap", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    secret = (tmp_path / "pseudonym.key").read_text().strip()
    assert secret not in done.stdout
    bundle = keys.load_bundle(tmp_path / "bundle.json")
    shown = _cli("keys", "fingerprint", str(tmp_path / "bundle.json"))
    assert shown.returncode == 0
    assert keys.group_fingerprint(bundle.current_recipient.fingerprint) in shown.stdout
    assert keys.group_fingerprint(bundle.signing_keys[0].fingerprint) in shown.stdout

    again = _cli("keys", "generate", "--party", "agentschap", "--out", str(tmp_path))
    assert again.returncode == ConfigError.exit_code
    assert again.stderr.startswith("pijler3: error:") and "Traceback" not in again.stderr


def test_private_keys_are_not_written_inside_a_git_work_tree_unless_asked(tmp_path: Path) -> None:
    """`keys generate --out keys/agentschap`, run from the clone as the runbook said, wrote private keys into the
    working tree."""
    clone = tmp_path / "clone"
    (clone / ".git").mkdir(parents=True)
    refused = pijler3("keys", "generate", "--party", "agentschap", "--out", "keys/agentschap", cwd=clone)
    assert refused.code == ConfigError.exit_code == 3
    assert refused.err.count("\n") == 1 and "inside the git work tree" in refused.err
    assert not (clone / "keys").exists()
    allowed = pijler3(
        "keys", "generate", "--party", "agentschap", "--out", "keys/agentschap", "--inside-git-work-tree", cwd=clone
    )
    assert allowed.code == 0, allowed.err
    assert (clone / "keys" / "agentschap" / "pseudonym.key").is_file()


def test_cli_rotate_and_retire_are_recorded_in_the_audit_log(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    assert _cli("keys", "generate", "--party", "vdab", "--out", str(folder)).returncode == 0
    old = keys.load_bundle(folder / "bundle.json").signing_keys[0].fingerprint
    config = tmp_path / "vdab.toml"
    config.write_text(
        'party = "vdab"\n[sftp]\nhost = "localhost"\nuser = "v"\nkey = "k"\nknown_hosts = "kh"\n'
        '[keys]\nfolder = "keys"\npeer_bundle = "agentschap.json"\n'
        '[folders]\noutgoing = "uit"\nincoming = "in"\nwork = "werk"\naudit = "audit"\n'
    )
    rotated = _cli("keys", "rotate", "--config", str(config))
    assert rotated.returncode == 0, rotated.stderr
    new = keys.load_bundle(folder / "bundle.json").signing_keys[0].fingerprint
    retired = _cli("keys", "retire", "--config", str(config), "--fingerprint", keys.group_fingerprint(old))
    assert retired.returncode == 0, retired.stderr
    rotate, retire = read_audit_log(tmp_path / "audit" / "vdab.jsonl")
    assert (rotate["event"], rotate["signing_key"], rotate["os_user"]) == ("keys-rotate", new, getpass.getuser())
    assert (retire["event"], retire["fingerprint"]) == ("keys-retire", old)
    assert verify_chain(tmp_path / "audit" / "vdab.jsonl").ok


def test_a_symbolic_link_into_a_git_work_tree_is_refused_like_the_folder_itself(tmp_path: Path) -> None:
    """`keys generate --out LINK`, LINK pointing into a clone, wrote the private keys into the clone's work tree."""
    clone = tmp_path / "clone"
    (clone / ".git").mkdir(parents=True)
    (clone / "keys").mkdir()
    (tmp_path / "link").symlink_to(clone / "keys")  # the key folder itself is a link
    (tmp_path / "parent-link").symlink_to(clone)  # a folder above it is
    for out in (tmp_path / "link" / "agentschap", tmp_path / "link", tmp_path / "parent-link" / "keys" / "vdab"):
        refused = pijler3("keys", "generate", "--party", "agentschap", "--out", str(out))
        assert refused.code == 3, (out, refused.err)
        assert refused.err.count("\n") == 1 and f"inside the git work tree {clone}" in refused.err, refused.err
    assert sorted(p.name for p in clone.rglob("*")) == [".git", "keys"]  # nothing written


@pytest.mark.parametrize(
    "args",
    [
        ("keys", "rotate"),
        ("keys", "retire", "--fingerprint", "ab"),
        ("keys", "retire", "--config", "vdab.toml"),
    ],
)
def test_rotate_and_retire_without_a_required_option_exit_2_as_documented(args: tuple[str, ...]) -> None:
    """Missing options exit 2 with click's usage message; the exit-code table (README, `pijler3 --help`) says so."""
    result = pijler3(*args)
    assert result.code == 2 and "Missing option" in result.err and "Traceback" not in result.err, result.err
    assert "missing or unknown option" in pijler3("--help").out
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    (row,) = [line for line in readme.splitlines() if line.startswith("| 2 |")]
    assert "required option" in row


def test_rotate_with_a_configuration_that_does_not_exist_is_a_configuration_problem(tmp_path: Path) -> None:
    result = pijler3("keys", "rotate", "--config", str(tmp_path / "absent.toml"))
    assert result.code == 3 and result.err.count("\n") == 1 and "absent.toml" in result.err, result.err
