"""The signed age envelope: round trip and every way an envelope must be refused (pijler3.envelope).

Every refusal test also checks that no plaintext (nor a temp file holding it) is left in the destination folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyrage
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cli_helpers import pijler3
from pijler3 import envelope, keys
from pijler3.errors import InputError

WAVE = "2026-S2"
ROWS = ["insz", "85073003328", "93051822361", "01022900155"]


@dataclass
class Exchange:
    root: Path
    agencies: Path
    vdab: Path
    plaintext: Path
    outbox: Path
    inbox: Path

    def seal(self, *, wave: str = WAVE, kind: str = "aanvraag", plaintext: Path | None = None, **kw: Any) -> Path:
        sealed = envelope.seal(
            plaintext or self.plaintext,
            to=kw.pop("to", self.vdab / "bundle.json"),
            sign_with=kw.pop("sign_with", self.agencies / "signing.pem"),
            wave=wave,
            kind=kind,
            out_dir=self.outbox,
            **kw,
        )
        return sealed.ciphertext

    def open(self, sealed: Path, *, wave: str = WAVE, kind: str = "aanvraag", **kw: Any) -> envelope.Opened:
        return envelope.open_envelope(
            sealed,
            sender_bundle=kw.pop("sender_bundle", self.agencies / "bundle.json"),
            identity=kw.pop("identity", self.vdab / "age.key"),
            wave=wave,
            kind=kind,
            out_dir=self.inbox,
            **kw,
        )


@pytest.fixture
def ex(tmp_path: Path) -> Exchange:
    keys.generate("agentschap", tmp_path / "keys" / "agentschap")
    keys.generate("vdab", tmp_path / "keys" / "vdab")
    plaintext = tmp_path / "aanvraag_2026-S2.csv"
    plaintext.write_text("\n".join(ROWS) + "\n")
    return Exchange(
        tmp_path,
        tmp_path / "keys" / "agentschap",
        tmp_path / "keys" / "vdab",
        plaintext,
        tmp_path / "sftp",
        tmp_path / "inbox",
    )


def assert_no_plaintext(ex: Exchange) -> None:
    left = sorted(p.name for p in ex.inbox.iterdir()) if ex.inbox.exists() else []
    assert left == [], f"plaintext or temp files left behind: {left}"


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def resign(ex: Exchange, sealed: Path, key: Path | None = None, **changes: Any) -> None:
    """Rewrite the manifest with ``changes`` and sign it again, as a (misbehaving) sender could."""
    manifest_path, signature_path = envelope.envelope_paths(sealed)
    data = json.loads(manifest_path.read_text())
    data.update(changes)
    manifest_bytes = (json.dumps(data, indent=2) + "\n").encode()
    manifest_path.write_bytes(manifest_bytes)
    signing_key = keys.load_signing_key(key or ex.agencies / "signing.pem")
    signature_path.write_bytes(signing_key.sign(manifest_bytes))


def test_round_trip(ex: Exchange) -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    sealed = ex.seal(on_event=lambda name, details: events.append((name, details)))
    assert sealed.read_bytes().startswith(b"age-encryption.org/v1\n")
    assert b"85073003328" not in sealed.read_bytes()

    opened = ex.open(sealed, on_event=lambda name, details: events.append((name, details)))
    assert opened.plaintext == ex.inbox / ex.plaintext.name
    assert opened.plaintext.read_bytes() == ex.plaintext.read_bytes()
    assert stat.S_IMODE(opened.plaintext.stat().st_mode) == 0o600
    assert opened.manifest.row_count == len(ROWS) - 1
    assert opened.manifest.sender == "agentschap" and opened.manifest.recipient == "vdab"
    assert opened.manifest.recipient_key_fingerprint == keys.load_bundle(ex.vdab).current_recipient.fingerprint
    assert opened.manifest.sender_key_fingerprint == keys.load_bundle(ex.agencies).signing_keys[0].fingerprint
    assert [name for name, _ in events] == ["envelope.sealed", "envelope.opened"]
    assert events[1][1]["row_count"] == len(ROWS) - 1
    ledger = json.loads((ex.vdab / ".ontvangen.json").read_text())
    assert [(e["sender"], e["kind"], e["wave"]) for e in ledger["opened"]] == [("agentschap", "aanvraag", WAVE)]


@pytest.mark.parametrize(
    ("content", "rows"),
    [(b"", 0), (b"insz\n", 0), (b"insz", 0), (b"insz\n1\n2", 2), (b"insz\r\n1\r\n2\r\n", 2), (b"a\n\n\n", 2)],
)
def test_row_count_is_lines_minus_header(ex: Exchange, content: bytes, rows: int) -> None:
    ex.plaintext.write_bytes(content)
    opened = ex.open(ex.seal())
    assert opened.manifest.row_count == rows
    assert opened.plaintext.read_bytes() == content


def test_parquet_row_count_comes_from_its_metadata(ex: Exchange) -> None:
    parquet = ex.root / "gepseudonimiseerd_2026-S2.parquet"
    with duckdb.connect() as con:
        con.execute(f"copy (select range as pseudoniem from range(1234)) to '{parquet}' (format parquet)")
    opened = ex.open(ex.seal(plaintext=parquet, kind="gepseudonimiseerd"), kind="gepseudonimiseerd")
    assert opened.manifest.plaintext_format == "parquet"
    assert opened.manifest.row_count == 1234


@pytest.mark.parametrize(
    ("which", "error"),
    [
        (".age", envelope.TamperedError),
        (".manifest.json", envelope.SignatureError),
        (".manifest.sig", envelope.SignatureError),
    ],
)
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_one_tampered_byte_in_any_file_is_refused(
    ex: Exchange, which: str, error: type[envelope.EnvelopeError], where: str
) -> None:
    sealed = ex.seal()
    target = sealed.with_name(ex.plaintext.name + which)
    size = target.stat().st_size
    flip_byte(target, {"start": 0, "middle": size // 2, "end": size - 1}[where])
    with pytest.raises(error) as caught:
        ex.open(sealed)
    # a tampered manifest may name a key that is not pinned; that is a SignatureError too, just more specific
    assert not isinstance(caught.value, envelope.TruncatedError)
    assert_no_plaintext(ex)


def test_truncated_ciphertext(ex: Exchange) -> None:
    sealed = ex.seal()
    sealed.write_bytes(sealed.read_bytes()[:-20])
    with pytest.raises(envelope.TruncatedError, match="cut short"):
        ex.open(sealed)
    assert_no_plaintext(ex)


def test_appended_bytes(ex: Exchange) -> None:
    sealed = ex.seal()
    with sealed.open("ab") as handle:
        handle.write(b"x")
    with pytest.raises(envelope.TamperedError) as caught:
        ex.open(sealed)
    assert type(caught.value) is envelope.TamperedError
    assert_no_plaintext(ex)


def test_wrong_recipient(ex: Exchange) -> None:
    other_vdab = ex.root / "keys" / "vdab-other"
    keys.generate("vdab", other_vdab)
    sealed = ex.seal(to=other_vdab / "bundle.json")
    with pytest.raises(envelope.NotForUsError, match="not in"):
        ex.open(sealed)
    assert_no_plaintext(ex)


def test_unknown_sender_key(ex: Exchange) -> None:
    impostor = ex.root / "keys" / "impostor"
    keys.generate("agentschap", impostor)
    sealed = ex.seal(sign_with=impostor / "signing.pem")
    with pytest.raises(envelope.UnknownSenderKeyError, match="not pinned"):
        ex.open(sealed)
    assert_no_plaintext(ex)


def test_signed_by_another_key_that_names_the_pinned_one(ex: Exchange) -> None:
    sealed = ex.seal()
    impostor = ex.root / "impostor.pem"
    impostor.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    impostor.chmod(0o600)
    resign(ex, sealed, key=impostor, wave=WAVE)
    with pytest.raises(envelope.SignatureError) as caught:
        ex.open(sealed)
    assert type(caught.value) is envelope.SignatureError
    assert_no_plaintext(ex)


def test_wrong_sender_bundle(ex: Exchange) -> None:
    sealed = ex.seal()
    with pytest.raises(envelope.UnknownSenderKeyError):
        ex.open(sealed, sender_bundle=ex.vdab / "bundle.json")
    assert_no_plaintext(ex)


def test_replayed_wave_same_and_older(ex: Exchange) -> None:
    sealed = ex.seal()
    ex.open(sealed)
    (ex.inbox / ex.plaintext.name).unlink()
    with pytest.raises(envelope.ReplayError, match="already opened"):
        ex.open(sealed)
    assert_no_plaintext(ex)

    older = ex.seal(wave="2026-S1", plaintext=ex.plaintext.rename(ex.root / "aanvraag_2026-S1.csv"))
    with pytest.raises(envelope.ReplayError, match="2026-S2 was already opened"):
        ex.open(older, wave="2026-S1")
    assert_no_plaintext(ex)

    forced = ex.open(older, wave="2026-S1", force=True)
    assert forced.plaintext.exists()
    ledger = json.loads((ex.vdab / ".ontvangen.json").read_text())["opened"]
    assert [(e["wave"], e["forced"]) for e in ledger] == [(WAVE, False), ("2026-S1", True)]


def test_concurrent_opens_cannot_both_pass_the_replay_check(ex: Exchange) -> None:
    """The ledger was read and rewritten without a lock: concurrent opens of the same wave all passed the check
    (and one could drop another's entry)."""
    sealed = [
        envelope.seal(ex.plaintext, to=ex.vdab / "bundle.json", sign_with=ex.agencies / "signing.pem", wave=WAVE,
                      kind="aanvraag", out_dir=ex.root / f"copy{i}").ciphertext
        for i in range(6)
    ]  # fmt: skip
    start = threading.Barrier(len(sealed))

    def open_one(index: int) -> str:
        start.wait()
        try:
            envelope.open_envelope(
                sealed[index], sender_bundle=ex.agencies / "bundle.json", identity=ex.vdab / "age.key", wave=WAVE,
                kind="aanvraag", out_dir=ex.root / f"in{index}",
            )  # fmt: skip
        except envelope.ReplayError:
            return "replay"
        return "opened"

    with ThreadPoolExecutor(len(sealed)) as pool:
        outcomes = list(pool.map(open_one, range(len(sealed))))
    assert sorted(outcomes) == ["opened"] + ["replay"] * (len(sealed) - 1)
    ledger = json.loads((ex.vdab / envelope.LEDGER_FILE).read_text())
    assert len(ledger["opened"]) == 1


def test_an_open_waits_for_the_ledger_lock(ex: Exchange) -> None:
    sealed = ex.seal()
    lock = os.open(ex.vdab / f"{envelope.LEDGER_FILE}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(ex.open, sealed)
        time.sleep(0.5)
        assert not pending.done(), "opened while another process held the ledger"
        os.close(lock)
        assert pending.result(timeout=30).plaintext.is_file()


def test_a_restarted_wave_accepts_a_newer_envelope_once_but_never_the_old_one(ex: Exchange) -> None:
    sealed = ex.seal()
    ex.open(sealed)
    ledger = ex.vdab / envelope.LEDGER_FILE
    envelope.restart_wave(ledger, "agentschap", "aanvraag", WAVE)
    (ex.inbox / ex.plaintext.name).unlink()
    with pytest.raises(envelope.ReplayError):
        ex.open(sealed)  # the envelope opened before the restart, replayed
    resign(ex, sealed, created_at="2999-01-01T00:00:00Z")  # sealed after the restart
    assert ex.open(sealed).plaintext.is_file()
    (ex.inbox / ex.plaintext.name).unlink()
    with pytest.raises(envelope.ReplayError):
        ex.open(sealed)  # once


def test_replay_is_tracked_per_kind(ex: Exchange) -> None:
    ex.open(ex.seal(kind="aanvraag"))
    melding = ex.root / "melding.csv"
    melding.write_text("lijn,reden\n2,leeg\n")
    assert ex.open(ex.seal(kind="melding", plaintext=melding), kind="melding").manifest.row_count == 1


def test_unexpected_wave(ex: Exchange) -> None:
    sealed = ex.seal(wave="2026-S2")
    with pytest.raises(envelope.UnexpectedWaveError, match="belongs to wave 2026-S2"):
        ex.open(sealed, wave="2027-S1")
    assert_no_plaintext(ex)


def test_wrong_kind(ex: Exchange) -> None:
    sealed = ex.seal(kind="verrijking")
    with pytest.raises(envelope.WrongKindError, match="verrijking"):
        ex.open(sealed, kind="aanvraag")
    assert_no_plaintext(ex)


def test_world_readable_identity_is_refused(ex: Exchange) -> None:
    sealed = ex.seal()
    (ex.vdab / "age.key").chmod(0o644)
    with pytest.raises(keys.KeyPermissionError, match="0644"):
        ex.open(sealed)
    assert_no_plaintext(ex)


def test_group_readable_signing_key_is_refused(ex: Exchange) -> None:
    (ex.agencies / "signing.pem").chmod(0o640)
    with pytest.raises(keys.KeyPermissionError, match="0640"):
        ex.seal()
    assert not ex.outbox.exists() or list(ex.outbox.iterdir()) == []


@pytest.mark.parametrize("missing", [".age", ".manifest.json", ".manifest.sig"])
def test_missing_file(ex: Exchange, missing: str) -> None:
    sealed = ex.seal()
    sealed.with_name(ex.plaintext.name + missing).unlink()
    with pytest.raises(envelope.MissingFileError, match=f"{missing}: missing"):
        ex.open(sealed)
    assert_no_plaintext(ex)


def test_manifest_that_lies_about_rows_is_refused(ex: Exchange) -> None:
    sealed = ex.seal()
    resign(ex, sealed, row_count=len(ROWS))
    with pytest.raises(envelope.ContentMismatchError, match=f"rows: manifest {len(ROWS)}, decrypted {len(ROWS) - 1}"):
        ex.open(sealed)
    assert_no_plaintext(ex)


def test_signed_ciphertext_for_another_key_is_a_decryption_error(ex: Exchange) -> None:
    sealed = ex.seal()
    stranger = pyrage.x25519.Identity.generate().to_public()
    ciphertext = pyrage.encrypt(ex.plaintext.read_bytes(), [stranger])
    sealed.write_bytes(ciphertext)
    resign(ex, sealed, ciphertext_size=len(ciphertext), ciphertext_sha256=hashlib.sha256(ciphertext).hexdigest())
    with pytest.raises(envelope.DecryptionError, match="does not decrypt with our key"):
        ex.open(sealed)
    assert_no_plaintext(ex)


def test_manifest_file_name_cannot_escape_the_destination(ex: Exchange) -> None:
    sealed = ex.seal()
    resign(ex, sealed, file_name="../escaped.csv")
    with pytest.raises(envelope.ManifestError, match="file_name"):
        ex.open(sealed)
    assert not (ex.root / "escaped.csv").exists()


def test_a_file_name_holding_an_insz_is_not_sealed(ex: Exchange) -> None:
    """The manifest travels in clear and names the file: `envelope seal` sealed such a name, the legs did not."""
    named = ex.root / f"aanvraag_{ROWS[1]}.csv"
    named.write_bytes(ex.plaintext.read_bytes())
    with pytest.raises(InputError, match="holds what looks like an INSZ") as caught:
        ex.seal(plaintext=named)
    assert ROWS[1] not in str(caught.value)
    assert not ex.outbox.exists() or list(ex.outbox.iterdir()) == []
    result = pijler3(
        "envelope", "seal", str(named), "--to", str(ex.vdab / "bundle.json"),
        "--sign-with", str(ex.agencies / "signing.pem"), "--wave", WAVE, "--kind", "aanvraag",
    )  # fmt: skip
    assert result.code == InputError.exit_code == 2
    assert ROWS[1] not in result.err and result.err.count("\n") == 1
    assert list(ex.root.glob("*.age")) == []


def test_a_manifest_naming_an_insz_is_refused_without_echoing_it(ex: Exchange) -> None:
    sealed = ex.seal()
    resign(ex, sealed, file_name=f"{ROWS[2]}.csv")
    with pytest.raises(envelope.ManifestError, match="file_name holds what looks like an INSZ") as caught:
        ex.open(sealed)
    assert ROWS[2] not in str(caught.value)
    assert_no_plaintext(ex)


def test_existing_output_is_not_replaced_without_force(ex: Exchange) -> None:
    sealed = ex.seal()
    ex.inbox.mkdir()
    (ex.inbox / ex.plaintext.name).write_text("earlier work\n")
    with pytest.raises(envelope.OutputExistsError):
        ex.open(sealed)
    assert (ex.inbox / ex.plaintext.name).read_text() == "earlier work\n"


def test_refusal_is_reported_to_the_event_hook(ex: Exchange) -> None:
    sealed = ex.seal(kind="verrijking")
    events: list[tuple[str, dict[str, Any]]] = []
    with pytest.raises(envelope.WrongKindError):
        ex.open(sealed, on_event=lambda name, details: events.append((name, details)))
    assert [(name, details["error"]) for name, details in events] == [("envelope.refused", "WrongKindError")]


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from pijler3.cli import main; main()", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_seal_and_open(ex: Exchange) -> None:
    common = ["--wave", WAVE, "--kind", "aanvraag"]
    sealed = _cli(
        "envelope", "seal", ex.plaintext, "--to", ex.vdab / "bundle.json",
        "--sign-with", ex.agencies / "signing.pem", "--out", ex.outbox, *common,
    )  # fmt: skip
    assert sealed.returncode == 0, sealed.stderr
    name = ex.outbox / f"{ex.plaintext.name}.age"
    opened = _cli(
        "envelope", "open", name, "--from", ex.agencies / "bundle.json",
        "--identity", ex.vdab / "age.key", "--out", ex.inbox, *common,
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    assert (ex.inbox / ex.plaintext.name).read_bytes() == ex.plaintext.read_bytes()

    replay = _cli(
        "envelope", "open", name, "--from", ex.agencies / "bundle.json",
        "--identity", ex.vdab / "age.key", "--out", ex.root / "elsewhere", *common,
    )  # fmt: skip
    assert replay.returncode == envelope.ReplayError.exit_code
    assert replay.stderr.count("\n") == 1 and "Traceback" not in replay.stderr


MEMORY_PROBE = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    from pijler3 import envelope
    root, size = Path(sys.argv[1]), int(sys.argv[2])
    plaintext = root / f"plain-{size}.csv"
    line = b"85073003328;" + b"x" * 87 + b"\\n"
    with plaintext.open("wb") as handle:
        for _ in range(size // len(line)):
            handle.write(line)
    sealed = envelope.seal(plaintext, to=root / "keys/vdab/bundle.json", sign_with=root / "keys/agentschap/signing.pem",
                           wave="2026-S2", kind="aanvraag", out_dir=root / f"out-{size}")
    plaintext.unlink()
    envelope.open_envelope(sealed.ciphertext, sender_bundle=root / "keys/agentschap/bundle.json",
                           identity=root / "keys/vdab/age.key", wave="2026-S2", kind="aanvraag",
                           out_dir=root / f"in-{size}", ledger=root / f"ledger-{size}.json")
    own, helper = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(own.ru_maxrss // 1024, helper.ru_maxrss // 1024)
    """
)


@pytest.mark.slow
def test_memory_stays_constant_in_file_size(ex: Exchange) -> None:
    def peak_mb(size: int) -> tuple[int, int]:
        """Peak RSS of the sealing/opening process and of its digest helper."""
        done = subprocess.run(
            [sys.executable, "-c", MEMORY_PROBE, str(ex.root), str(size)], capture_output=True, text=True, check=True
        )
        own, helper = done.stdout.split()
        return int(own), int(helper)

    small, large = peak_mb(1_000_000), peak_mb(50_000_000)
    assert large[0] - small[0] < 10, f"peak RSS grew from {small[0]} MB (1 MB file) to {large[0]} MB (50 MB file)"
    assert large[1] - small[1] < 10, f"helper peak RSS grew from {small[1]} MB to {large[1]} MB"
    assert os.path.getsize(ex.root / "in-50000000" / "plain-50000000.csv") > 49_000_000


def test_the_manifest_carries_the_senders_audit_head_signed_and_a_version_1_manifest_is_still_read(
    ex: Exchange,
) -> None:
    head = (41, "c0ffee" + "0" * 58)
    sealed = ex.seal(audit_head=head)
    manifest_path, _ = envelope.envelope_paths(sealed)
    written = json.loads(manifest_path.read_text())
    assert written["manifest_version"] == 2
    assert (written["sender_audit_seq"], written["sender_audit_head"]) == head
    # the head is signed: changing it without the sender's key breaks the signature
    forged = manifest_path.read_text().replace('"sender_audit_seq": 41', '"sender_audit_seq": 40')
    manifest_path.write_text(forged)
    with pytest.raises(envelope.SignatureError):
        ex.open(sealed)
    resign(ex, sealed, sender_audit_seq=41)
    assert (ex.open(sealed).manifest.sender_audit_seq, ex.open(sealed, force=True).manifest.sender_audit_head) == head

    # an envelope from a sender on manifest version 1: no head, still opened
    old = ex.seal(wave="2027-S1")
    data = json.loads(envelope.envelope_paths(old)[0].read_text())
    for name in ("sender_audit_seq", "sender_audit_head"):
        del data[name]
    data["manifest_version"] = 1
    envelope.envelope_paths(old)[0].write_text(json.dumps(data))
    resign(ex, old)
    opened = ex.open(old, wave="2027-S1", force=True)
    assert (opened.manifest.manifest_version, opened.manifest.sender_audit_seq) == (1, None)


@pytest.mark.parametrize(
    "changes",
    [
        {"sender_audit_seq": -1},
        {"sender_audit_seq": 0},
        {"sender_audit_head": "<script>" + "0" * 56},
        {"sender_audit_seq": 3, "sender_audit_head": "0" * 64},
        {"sender_audit_seq": "3"},
        {"manifest_version": 3},
        {"manifest_version": True},
    ],
)
def test_a_signed_manifest_with_a_head_that_is_no_head_is_refused(ex: Exchange, changes: dict[str, Any]) -> None:
    sealed = ex.seal(audit_head=(3, "ab" * 32))
    resign(ex, sealed, **changes)
    with pytest.raises(envelope.ManifestError, match=r"sender_audit|manifest_version|must be a"):
        ex.open(sealed)
    assert_no_plaintext(ex)
