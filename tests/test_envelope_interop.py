"""Interoperability with tools nobody here wrote: the ``age`` CLI and ``openssl pkeyutl -rawin``.

If our envelope only worked with our own code, a partner could not check it independently (protocol art. 6).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from conftest import require_tool
from pijler3 import envelope, keys

WAVE = "2026-S2"


@pytest.fixture
def parties(tmp_path: Path) -> tuple[Path, Path]:
    keys.generate("agentschap", tmp_path / "agentschap")
    keys.generate("vdab", tmp_path / "vdab")
    return tmp_path / "agentschap", tmp_path / "vdab"


@pytest.fixture
def plaintext(tmp_path: Path) -> Path:
    path = tmp_path / "verrijking_2026-S2.csv"
    path.write_text("insz,datum_eerste_inschrijving\n85073003328,2026-03-01\n93051822361,\n")
    return path


def run(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(a) for a in args], capture_output=True, check=False)


def public_pem(bundle_folder: Path, tmp_path: Path) -> Path:
    data = json.loads((bundle_folder / "bundle.json").read_text())
    pem = tmp_path / f"{data['party']}.pub.pem"
    pem.write_text(data["signing_keys"][0]["public_key_pem"])
    return pem


@pytest.mark.needs_tool
def test_age_cli_decrypts_a_sealed_file_with_the_identity_file(
    parties: tuple[Path, Path], plaintext: Path, tmp_path: Path
) -> None:
    age = require_tool("age")
    agencies, vdab = parties
    sealed = envelope.seal(
        plaintext, to=agencies, sign_with=vdab / "signing.pem", wave=WAVE, kind="verrijking", out_dir=tmp_path / "out"
    )
    decrypted = run(age, "--decrypt", "--identity", agencies / "age.key", sealed.ciphertext)
    assert decrypted.returncode == 0, decrypted.stderr
    assert decrypted.stdout == plaintext.read_bytes()

    wrong = run(age, "--decrypt", "--identity", vdab / "age.key", sealed.ciphertext)
    assert wrong.returncode != 0


@pytest.mark.needs_tool
def test_age_keygen_derives_the_recipient_in_the_bundle(parties: tuple[Path, Path]) -> None:
    age_keygen = require_tool("age-keygen")
    agencies, _ = parties
    derived = run(age_keygen, "-y", agencies / "age.key")
    assert derived.returncode == 0, derived.stderr
    assert derived.stdout.decode().strip() == keys.load_bundle(agencies).current_recipient.text


@pytest.mark.needs_tool
def test_openssl_verifies_the_manifest_signature_with_the_bundle_pem(
    parties: tuple[Path, Path], plaintext: Path, tmp_path: Path
) -> None:
    openssl = require_tool("openssl")
    agencies, vdab = parties
    sealed = envelope.seal(
        plaintext, to=agencies, sign_with=vdab / "signing.pem", wave=WAVE, kind="verrijking", out_dir=tmp_path / "out"
    )
    pem = public_pem(vdab, tmp_path)
    verify: list[str | Path] = [
        openssl,
        "pkeyutl",
        "-verify",
        "-rawin",
        "-pubin",
        "-inkey",
        pem,
        "-sigfile",
        sealed.signature,
        "-in",
    ]
    good = run(*verify, sealed.manifest_path)
    assert good.returncode == 0, good.stderr
    assert b"Signature Verified Successfully" in good.stdout

    altered = tmp_path / "altered.json"
    altered.write_bytes(sealed.manifest_path.read_bytes().replace(b'"row_count": 2', b'"row_count": 3'))
    assert altered.read_bytes() != sealed.manifest_path.read_bytes()
    assert run(*verify, altered).returncode != 0

    # the fingerprint definition in pijler3.keys, reproduced with openssl alone
    der = run(openssl, "pkey", "-pubin", "-in", pem, "-outform", "DER")
    assert der.returncode == 0
    assert hashlib.sha256(der.stdout[-32:]).hexdigest()[:32] == keys.load_bundle(vdab).signing_keys[0].fingerprint


@pytest.mark.needs_tool
def test_open_accepts_age_cli_ciphertext_and_openssl_signature(
    parties: tuple[Path, Path], plaintext: Path, tmp_path: Path
) -> None:
    age = require_tool("age")
    openssl = require_tool("openssl")
    agencies, vdab = parties
    outbox = tmp_path / "sftp"
    outbox.mkdir()
    ciphertext = outbox / f"{plaintext.name}.age"
    recipient = keys.load_bundle(agencies).current_recipient
    encrypted = run(age, "--encrypt", "--recipient", recipient.text, "--output", ciphertext, plaintext)
    assert encrypted.returncode == 0, encrypted.stderr

    content = plaintext.read_bytes()
    manifest = {
        "manifest_version": 2,
        "file_name": plaintext.name,
        "sender": "vdab",
        "sender_key_fingerprint": keys.load_bundle(vdab).signing_keys[0].fingerprint,
        "recipient": "agentschap",
        "recipient_key_fingerprint": recipient.fingerprint,
        "wave": WAVE,
        "kind": "verrijking",
        "schema_version": "1",
        "plaintext_format": "lines",
        "row_count": content.count(b"\n") - 1,
        "plaintext_size": len(content),
        "plaintext_sha256": hashlib.sha256(content).hexdigest(),
        "ciphertext_size": ciphertext.stat().st_size,
        "ciphertext_sha256": hashlib.sha256(ciphertext.read_bytes()).hexdigest(),
        "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sender_audit_seq": 7,
        "sender_audit_head": hashlib.sha256(b"line 7 of vdab's audit log").hexdigest(),
    }
    manifest_path = outbox / f"{plaintext.name}.manifest.json"
    manifest_path.write_text(json.dumps(manifest, indent=4, sort_keys=True))
    signature_path = outbox / f"{plaintext.name}.manifest.sig"
    signed = run(
        openssl, "pkeyutl", "-sign", "-rawin", "-inkey", vdab / "signing.pem",
        "-in", manifest_path, "-out", signature_path,
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr

    opened = envelope.open_envelope(
        ciphertext,
        sender_bundle=vdab / "bundle.json",
        identity=agencies / "age.key",
        wave=WAVE,
        kind="verrijking",
        out_dir=tmp_path / "inbox",
    )
    assert opened.plaintext.read_bytes() == content
    assert opened.manifest.row_count == 2
    assert opened.manifest.sender_audit_seq == 7
