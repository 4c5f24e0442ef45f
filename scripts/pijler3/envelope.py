"""The secure exchange envelope: every exchanged file travels as ``NAME.age`` + ``NAME.manifest.json`` +
``NAME.manifest.sig`` (DESIGN.md "Invariants"; protocol art. 6).

- ``NAME.age``: the file, encrypted with age to the recipient's current X25519 key (any age tool opens it).
- ``NAME.manifest.json``: what the sender vouches for (fields of ``Manifest``), UTF-8 JSON. Version 2 adds the
  sender's audit-chain head when it sealed (``sender_audit_seq``, ``sender_audit_head``: the line number and hash of
  the last line of its audit log, 0 and 64 zeros when it keeps none), so the receiver holds a signed anchor of the
  sender's log (``pijler3.audit``). Version 1 manifests (without those two fields) are still read.
- ``NAME.manifest.sig``: the raw 64-byte Ed25519 signature over the exact bytes of the manifest file, as
  ``openssl pkeyutl -sign -rawin`` writes it and ``openssl pkeyutl -verify -rawin`` checks it.

``open_envelope`` verifies the signature against the sender's *pinned* keys before it reads any ciphertext, checks
kind, wave, replay, addressee and the ciphertext's size and SHA-256, then decrypts into a temp file (mode 0600) in the
destination folder. The temp file is renamed into place only after the plaintext's SHA-256, size and row count match
the manifest too (which also catches a ciphertext swapped after its hash was checked: anyone can encrypt to our public
key, but not to the plaintext the sender signed); on any failure it is deleted.

Row count: for Parquet (the file starts with ``PAR1``) the ``num_rows`` of its footer metadata; for anything else the
number of lines (``\\n``-terminated, plus a final unterminated line) minus one header line, never below zero. It is a
consistency check both sides compute the same way, not a CSV parser: a quoted field holding a newline counts twice.

Memory stays constant in the file size: pyrage's ``encrypt_file``/``decrypt_file`` stream through small buffers in
Rust and the digests read 1 MiB chunks. The digests of the file being written are computed by a helper process
(``pijler3.digest``) on the other core while pyrage runs, because pyrage holds the GIL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, BinaryIO, Literal, cast, get_args

import pyrage
from cryptography.exceptions import InvalidSignature
from pyrage import x25519

from pijler3 import insz, keys
from pijler3.audit import GENESIS
from pijler3.clock import utc_timestamp
from pijler3.digest import Digest, DigestProcess, digest_file
from pijler3.errors import InputError, Pijler3Error
from pijler3.files import exclusive_lock, read_json_entries, write_json

Kind = Literal["aanvraag", "verrijking", "gepseudonimiseerd", "melding", "antwoord"]
KINDS: tuple[Kind, ...] = get_args(Kind)
# Correction notices and their answers (art. 7) come in the order people find problems and answer them, not in wave
# order: one for an earlier wave after one for a later wave is no replay. A second one for the same wave still is.
UNORDERED_KINDS: frozenset[Kind] = frozenset({"melding", "antwoord"})
PlaintextFormat = Literal["lines", "parquet"]
MANIFEST_VERSION = 2
_HEAD_FIELDS = ("sender_audit_seq", "sender_audit_head")
"""Added by manifest version 2; a version 1 manifest is read without them (they are then None)."""
WAVE_PATTERN = re.compile(r"^\d{4}-S[12]$")
MANIFEST_SUFFIX = ".manifest.json"
SIGNATURE_SUFFIX = ".manifest.sig"
LEDGER_FILE = ".ontvangen.json"
LEDGER_FORMAT = "pijler3-ontvangen"
MAX_MANIFEST_BYTES = 64 * 1024
PARQUET_MAGIC = b"PAR1"

EventHook = Callable[[str, dict[str, Any]], None]


class EnvelopeError(Pijler3Error):
    """An envelope was refused; no plaintext was left behind."""

    exit_code = 4


class MissingFileError(EnvelopeError):
    """One of the three files of an envelope is absent."""


class SignatureError(EnvelopeError):
    """The manifest signature does not verify with the sender's pinned key(s)."""


class UnknownSenderKeyError(SignatureError):
    """The manifest names a signing key that is not pinned in the sender's bundle."""


class ManifestError(EnvelopeError):
    """A correctly signed manifest that is malformed or contradicts the sender's bundle."""


class WrongKindError(EnvelopeError):
    """The envelope holds another kind of file than the one asked for."""


class UnexpectedWaveError(EnvelopeError):
    """The envelope belongs to another wave than the one asked for."""


class ReplayError(EnvelopeError):
    """This wave of this kind from this sender was opened before (or a later one was)."""

    exit_code = 5


class NotForUsError(EnvelopeError):
    """The envelope is addressed to an age key that is not in our identity file."""


class TamperedError(EnvelopeError):
    """The ciphertext differs from the one the sender signed."""


class TruncatedError(TamperedError):
    """The ciphertext is shorter than the one the sender signed (an interrupted transfer)."""


class DecryptionError(EnvelopeError):
    """The ciphertext is the signed one, yet our identity cannot decrypt it."""


class ContentMismatchError(EnvelopeError):
    """The decrypted plaintext does not match the manifest's hash, size or row count."""


class OutputExistsError(EnvelopeError):
    """The destination file exists already."""


# ---- manifest ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Manifest:
    """What the sender signs. Field names and order are the on-disk JSON (``manifest_version`` 2)."""

    manifest_version: int
    file_name: str
    sender: keys.Party
    sender_key_fingerprint: str
    recipient: keys.Party
    recipient_key_fingerprint: str
    wave: str
    kind: Kind
    schema_version: str
    plaintext_format: PlaintextFormat
    row_count: int
    plaintext_size: int
    plaintext_sha256: str
    ciphertext_size: int
    ciphertext_sha256: str
    created_at: str
    sender_audit_seq: int | None = None
    sender_audit_head: str | None = None

    def to_bytes(self) -> bytes:
        fields_ = asdict(self)
        if self.manifest_version == 1:
            for name in _HEAD_FIELDS:
                del fields_[name]
        return (json.dumps(fields_, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes, where: Path) -> Manifest:
        try:
            raw = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ManifestError(f"{where}: the signed manifest is not UTF-8 JSON ({exc})") from None
        if not isinstance(raw, dict):
            raise ManifestError(f"{where}: the signed manifest is not a JSON object")
        version = raw.get("manifest_version")
        if type(version) is not int or version not in (1, MANIFEST_VERSION):
            raise ManifestError(
                f"{where}: manifest_version {version!r} is not supported (expected 1 or "
                f"{MANIFEST_VERSION}); the sender runs another pijler3 version"
            )
        expected = {f.name: f.type for f in fields(cls) if version > 1 or f.name not in _HEAD_FIELDS}
        missing = sorted(set(expected) - set(raw))
        extra = sorted(set(raw) - set(expected))
        if missing or extra:
            raise ManifestError(f"{where}: manifest fields missing {missing}, unexpected {extra}")
        for name, type_name in expected.items():
            wanted = int if str(type_name).startswith("int") else str
            if type(raw[name]) is not wanted:
                raise ManifestError(f"{where}: manifest field {name!r} must be a {wanted.__name__}")
        manifest = cls(**raw)
        if insz.shaped_in(manifest.file_name):
            raise ManifestError(
                f"{where}: file_name holds what looks like an INSZ (not shown here); refused: names travel in clear."
                " Ask the sender to name the file after wave and kind and seal it again"
            )
        problems = [
            f"sender {manifest.sender!r}" if manifest.sender not in keys.PARTIES else "",
            f"recipient {manifest.recipient!r}" if manifest.recipient not in keys.PARTIES else "",
            f"kind {manifest.kind!r}" if manifest.kind not in KINDS else "",
            f"wave {manifest.wave!r}" if not WAVE_PATTERN.match(manifest.wave) else "",
            f"plaintext_format {manifest.plaintext_format!r}"
            if manifest.plaintext_format not in ("lines", "parquet")
            else "",
            f"file_name {manifest.file_name!r}" if not _is_plain_file_name(manifest.file_name) else "",
            "sender_audit_seq/sender_audit_head"
            if version > 1 and not _is_head(manifest.sender_audit_seq, manifest.sender_audit_head)
            else "",
        ]
        if any(problems):
            raise ManifestError(f"{where}: invalid manifest values: {', '.join(p for p in problems if p)}")
        return manifest


def _is_plain_file_name(name: str) -> bool:
    """A bare file name that cannot escape the destination folder or hide in it."""
    return bool(name) and Path(name).name == name and not name.startswith(".") and "\\" not in name and "\0" not in name


def _is_head(seq: int | None, digest: str | None) -> bool:
    """A line number and its 64-hex hash; 0 goes with 64 zeros only (a sender without an audit log)."""
    if seq is None or digest is None or seq < 0 or not re.fullmatch(r"[0-9a-f]{64}", digest):
        return False
    return (seq == 0) == (digest == GENESIS)


def check_wave(wave: str) -> str:
    if not WAVE_PATTERN.match(wave):
        raise InputError(f"wave {wave!r}: expected YEAR-S1 or YEAR-S2, e.g. 2026-S2 (one half-yearly meting)")
    return wave


def peildatum(wave: str) -> dt.date:
    """The reference date of ``wave``: 30 June for ``YYYY-S1``, 31 December for ``YYYY-S2``."""
    check_wave(wave)
    year, half = int(wave[:4]), wave[-1]
    return dt.date(year, 6, 30) if half == "1" else dt.date(year, 12, 31)


def check_kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise InputError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
    return cast(Kind, kind)


def envelope_paths(sealed: Path) -> tuple[Path, Path]:
    """The manifest and signature paths that belong with ``NAME.age``."""
    if not sealed.name.endswith(".age"):
        raise InputError(f"{sealed}: an envelope is opened through its NAME.age file")
    stem = sealed.name[: -len(".age")]
    return sealed.with_name(stem + MANIFEST_SUFFIX), sealed.with_name(stem + SIGNATURE_SUFFIX)


# ---- helpers -------------------------------------------------------------------------------------------------------


def _plaintext_format(found: Digest) -> PlaintextFormat:
    return "parquet" if bytes.fromhex(found.head) == PARQUET_MAGIC else "lines"


def _row_count(path: Path, found: Digest) -> int:
    return parquet_rows(path) if _plaintext_format(found) == "parquet" else max(found.lines - 1, 0)


def parquet_rows(path: Path) -> int:
    import duckdb  # only Parquet files need it; keeps ``pijler3 envelope`` start-up light

    try:
        # A private in-memory connection: the module-level default connection is shared with the caller.
        with duckdb.connect() as con:
            row = con.execute("select sum(num_rows) from parquet_file_metadata(?)", [str(path)]).fetchone()
    except duckdb.Error as exc:
        raise InputError(f"{path}: starts like Parquet but its metadata cannot be read ({exc})") from None
    return int(row[0]) if row and row[0] is not None else 0


def _open_exclusive(path: Path) -> BinaryIO:
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def _temp_path(folder: Path, name: str) -> Path:
    return folder / f".{name}.{secrets.token_hex(4)}.part"


def _fsync_file(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _emit(on_event: EventHook | None, event: str, details: dict[str, Any]) -> None:
    if on_event is not None:
        on_event(event, details)


# ---- seal ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sealed:
    ciphertext: Path
    manifest_path: Path
    signature: Path
    manifest: Manifest


def seal(
    plaintext: Path,
    *,
    to: Path,
    sign_with: Path,
    wave: str,
    kind: str,
    out_dir: Path | None = None,
    sender: keys.Party | None = None,
    schema_version: str = "1",
    audit_head: tuple[int, str] = (0, GENESIS),
    on_event: EventHook | None = None,
) -> Sealed:
    """Encrypt ``plaintext`` to the recipient bundle ``to``, and write its signed manifest beside it.

    ``sender`` defaults to the other party than the recipient's. ``audit_head``: the sender's audit-chain head
    (``pijler3.audit.current_head``), signed into the manifest; the default says the sender keeps no audit log. The
    three files appear in ``out_dir`` (default: the plaintext's folder) in the order ``.age``, ``.manifest.json``,
    ``.manifest.sig``, each via a temp file and a rename, so a complete ``.manifest.sig`` means a complete envelope.
    """
    check_wave(wave)
    checked_kind = check_kind(kind)
    if not _is_head(*audit_head):
        raise InputError(f"audit head {audit_head!r}: expected a line number and its 64-hex hash")
    bundle = keys.load_bundle(to)
    signing_key = keys.load_signing_key(sign_with)
    sender_party: keys.Party = sender if sender is not None else keys.other_party(bundle.party)
    if insz.shaped_in(plaintext.name):
        raise InputError(
            f"{plaintext.parent}: the name of the file to seal holds what looks like an INSZ (not shown here), and"
            f" the name travels in clear in the manifest; rename the file, e.g. to {wave}.{checked_kind}.csv, and seal"
            " again"
        )
    if not plaintext.is_file():
        raise InputError(f"{plaintext}: file to seal not found")
    out_dir = out_dir or plaintext.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    name = plaintext.name
    ciphertext = out_dir / f"{name}.age"
    manifest_path = out_dir / f"{name}{MANIFEST_SUFFIX}"
    signature_path = out_dir / f"{name}{SIGNATURE_SUFFIX}"
    recipient = bundle.current_recipient

    temps = [_temp_path(out_dir, p.name) for p in (ciphertext, manifest_path, signature_path)]
    before = plaintext.stat()
    try:
        _open_exclusive(temps[0]).close()
        with DigestProcess([(plaintext, True), (temps[0], False)], follow_last=True) as helper:
            try:
                pyrage.encrypt_file(str(plaintext), str(temps[0]), [recipient.recipient])
            except (pyrage.EncryptError, OSError) as exc:
                raise EnvelopeError(f"{plaintext}: encryption to {ciphertext} failed ({exc})") from exc
            helper.writer_done()
            plain, cipher = helper.results()
        after = plaintext.stat()
        if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or plain.size != after.st_size:
            raise EnvelopeError(f"{plaintext}: changed while it was being sealed; seal it again once it is complete")
        row_count = _row_count(plaintext, plain)
        manifest = Manifest(
            manifest_version=MANIFEST_VERSION,
            file_name=name,
            sender=sender_party,
            sender_key_fingerprint=keys.signing_fingerprint(signing_key.public_key()),
            recipient=bundle.party,
            recipient_key_fingerprint=recipient.fingerprint,
            wave=wave,
            kind=checked_kind,
            schema_version=schema_version,
            plaintext_format=_plaintext_format(plain),
            row_count=row_count,
            plaintext_size=plain.size,
            plaintext_sha256=plain.sha256,
            ciphertext_size=cipher.size,
            ciphertext_sha256=cipher.sha256,
            created_at=utc_timestamp(),
            sender_audit_seq=audit_head[0],
            sender_audit_head=audit_head[1],
        )
        manifest_bytes = manifest.to_bytes()
        _fsync_file(temps[0])
        for temp, content in ((temps[1], manifest_bytes), (temps[2], signing_key.sign(manifest_bytes))):
            with _open_exclusive(temp) as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
        for temp, final in zip(temps, (ciphertext, manifest_path, signature_path), strict=True):
            os.chmod(temp, 0o644)
            os.replace(temp, final)
        _fsync_dir(out_dir)
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)
    _emit(
        on_event,
        "envelope.sealed",
        {
            "file": str(ciphertext),
            "sender": sender_party,
            "recipient": bundle.party,
            "recipient_key_fingerprint": recipient.fingerprint,
            "wave": wave,
            "kind": checked_kind,
            "row_count": row_count,
            "ciphertext_sha256": manifest.ciphertext_sha256,
        },
    )
    return Sealed(ciphertext, manifest_path, signature_path, manifest)


# ---- the receiver's ledger (replay protection) ---------------------------------------------------------------------


def _load_ledger(path: Path) -> list[dict[str, Any]]:
    return read_json_entries(
        path,
        format=LEDGER_FORMAT,
        field="opened",
        what="ledger of opened envelopes",
        hint=" — without it replayed waves cannot be recognised",
    )


def _append_ledger(path: Path, entry: dict[str, Any]) -> None:
    write_json(path, {"format": LEDGER_FORMAT, "version": 1, "opened": [*_load_ledger(path), entry]}, 0o600)


# ---- open ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    plaintext: Path
    manifest: Manifest


def _verify_signature(manifest_path: Path, manifest_bytes: bytes, signature: bytes, bundle: keys.Bundle) -> str:
    """The fingerprint of the pinned key that made ``signature``; raises when none did."""
    for key in bundle.signing_keys:
        try:
            key.key.verify(signature, manifest_bytes)
        except InvalidSignature:
            continue
        return key.fingerprint
    pinned = ", ".join(k.fingerprint for k in bundle.signing_keys)
    try:
        named = json.loads(manifest_bytes).get("sender_key_fingerprint")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        named = None
    if isinstance(named, str) and bundle.signing_key(named) is None:
        raise UnknownSenderKeyError(
            f"{manifest_path}: claims to be signed with key {named}, which is not pinned for {bundle.party} in "
            f"{bundle.path} (pinned: {pinned}). If {bundle.party} rotated its keys, obtain their new bundle and "
            "compare the fingerprints out of band before using it. Nothing was decrypted."
        )
    raise SignatureError(
        f"{manifest_path}: the signature does not verify with {bundle.party}'s pinned key(s) {pinned}; the manifest or "
        "its .manifest.sig was altered, or it was not signed by that party. Nothing was decrypted; ask the sender to "
        "upload the envelope again."
    )


def verify_manifest(manifest_path: Path, signature_path: Path, bundle: keys.Bundle) -> Manifest:
    """The manifest, once its signature verifies with one of ``bundle``'s pinned keys and it names that key.

    ``SignatureError`` when no pinned key made the signature (forged, altered, or a key not pinned); ``ManifestError``
    for a correctly signed manifest that is malformed. Reads nothing but the two small files.
    """
    if manifest_path.stat().st_size > MAX_MANIFEST_BYTES:
        raise SignatureError(f"{manifest_path}: larger than {MAX_MANIFEST_BYTES} bytes, not a pijler3 manifest")
    manifest_bytes = manifest_path.read_bytes()
    signature = signature_path.read_bytes()
    if len(signature) != 64:
        raise SignatureError(
            f"{signature_path}: {len(signature)} bytes, but an Ed25519 signature is 64 raw bytes; the file is damaged "
            "or not a signature. Nothing was decrypted."
        )
    signed_by = _verify_signature(manifest_path, manifest_bytes, signature, bundle)
    manifest = Manifest.from_bytes(manifest_bytes, manifest_path)
    if manifest.sender != bundle.party or manifest.sender_key_fingerprint != signed_by:
        raise ManifestError(
            f"{manifest_path}: names sender {manifest.sender} with key {manifest.sender_key_fingerprint}, but it was "
            f"signed by {bundle.party}'s key {signed_by}"
        )
    return manifest


def default_ledger(identity: Path) -> Path:
    """The ledger of envelopes opened with the identity file ``identity``: ``.ontvangen.json`` beside it."""
    return identity.parent / LEDGER_FILE


def restart_wave(ledger: Path, sender: keys.Party, kind: Kind, wave: str, reason: str = "restart") -> None:
    """Record that ``wave`` starts over (both parties agreed), or (``reason`` ``refused``) that the envelope opened
    for it was refused for its content: an envelope of ``kind`` from ``sender`` for it may be opened once more,
    provided it was sealed after the earlier one was opened — a copy of that one stays refused as a replay."""
    with exclusive_lock(ledger):
        _append_ledger(
            ledger, {"sender": sender, "kind": kind, "wave": wave, "restarted_at": utc_timestamp(), "reason": reason}
        )


def _check_replay(ledger: Path, manifest: Manifest, force: bool) -> None:
    same = [e for e in _load_ledger(ledger) if e.get("sender") == manifest.sender and e.get("kind") == manifest.kind]
    if manifest.kind in UNORDERED_KINDS:
        earlier = [e for e in same if "opened_at" in e and e.get("wave") == manifest.wave]
    else:
        earlier = [e for e in same if "opened_at" in e and str(e.get("wave")) >= manifest.wave]
    restarts = [i for i, e in enumerate(same) if "restarted_at" in e and e.get("wave") == manifest.wave]
    if restarts:
        # Openings of this wave before the last restart (the ledger is in order) no longer count, for an envelope
        # sealed after each of them was opened — or, after a refusal for content, for one with other content: a
        # corrected envelope, not a copy of the refused one (the time of sealing is to the second, too coarse here).
        superseded = [e for e in same[: restarts[-1]] if "opened_at" in e and e.get("wave") == manifest.wave]
        if same[restarts[-1]].get("reason") == "refused":
            fresh = all(manifest.plaintext_sha256 != e.get("plaintext_sha256") for e in superseded)
        else:
            fresh = all(manifest.created_at > str(e["opened_at"]) for e in superseded)
        if fresh:
            earlier = [e for e in earlier if not any(e is old for old in superseded)]
    if earlier and not force:
        last = max(earlier, key=lambda e: str(e.get("wave")))
        raise ReplayError(
            f"{manifest.file_name}: {manifest.sender} {manifest.kind} for wave {manifest.wave} refused: wave "
            f"{last.get('wave')} was already opened on {last.get('opened_at')} (ledger {ledger}). A wave is processed "
            "once; use --force only if you mean to process it again."
        )


def _signed_manifest(sealed: Path, bundle: keys.Bundle) -> Manifest:
    """The manifest of the envelope ``NAME.age``, once all three files are there and the signature verifies."""
    manifest_path, signature_path = envelope_paths(sealed)
    missing = [p for p in (sealed, manifest_path, signature_path) if not p.is_file()]
    if missing:
        raise MissingFileError(
            f"{', '.join(map(str, missing))}: missing; an envelope is NAME.age + NAME{MANIFEST_SUFFIX} + "
            f"NAME{SIGNATURE_SUFFIX}. Wait until the upload is complete or ask the sender to upload it again."
        )
    return verify_manifest(manifest_path, signature_path, bundle)


def _checked_ciphertext(sealed: Path, manifest: Manifest, identity_path: Path) -> x25519.Identity:
    """Our age identity the envelope is addressed to, once the ciphertext's size and SHA-256 are the signed ones."""
    identities = keys.load_identities(identity_path)
    age_identity = identities.get(manifest.recipient_key_fingerprint)
    if age_identity is None:
        raise NotForUsError(
            f"{sealed}: addressed to age key {manifest.recipient_key_fingerprint}, which is not in {identity_path} "
            f"(holds {', '.join(identities)}); the sender used an old or wrong bundle of ours"
        )
    size = sealed.stat().st_size
    if size < manifest.ciphertext_size:
        raise TruncatedError(
            f"{sealed}: {size} bytes, but the sender signed {manifest.ciphertext_size}; the transfer was cut short. "
            "Download it again."
        )
    if size != manifest.ciphertext_size:
        raise TamperedError(f"{sealed}: {size} bytes, but the sender signed {manifest.ciphertext_size}")
    cipher = digest_file(sealed, count_lines=False)
    if cipher.sha256 != manifest.ciphertext_sha256:
        raise TamperedError(
            f"{sealed}: its SHA-256 differs from the one {manifest.sender} signed; the ciphertext was altered in "
            "transit or storage. Nothing was decrypted; ask the sender to upload it again."
        )
    return age_identity


MAX_IN_MEMORY_BYTES = 16 * 1024 * 1024


def read_envelope(sealed: Path, *, sender_bundle: Path, identity: Path, kind: str) -> tuple[Manifest, bytes]:
    """Verify a *kept* envelope as ``open_envelope`` does and return its plaintext in memory; nothing is written.

    For small files a party keeps sealed and reads again (a correction notice, ``pijler3.meldingen``): no replay
    check (it was opened before, on arrival), but the same signature, addressee, size and hash checks, and the
    plaintext must be the one the sender signed.
    """
    manifest = _signed_manifest(sealed, keys.load_bundle(sender_bundle))
    if manifest.kind != check_kind(kind):
        raise WrongKindError(f"{sealed}: holds a {manifest.kind} file, not the {kind} file asked for")
    if manifest.ciphertext_size > MAX_IN_MEMORY_BYTES:
        raise EnvelopeError(f"{sealed}: {manifest.ciphertext_size} bytes, too large to read into memory")
    age_identity = _checked_ciphertext(sealed, manifest, identity)
    try:
        plaintext = pyrage.decrypt(sealed.read_bytes(), [age_identity])
    except pyrage.DecryptError as exc:
        raise DecryptionError(f"{sealed}: does not decrypt with our key ({exc})") from None
    if len(plaintext) != manifest.plaintext_size or hashlib.sha256(plaintext).hexdigest() != manifest.plaintext_sha256:
        raise ContentMismatchError(f"{sealed}: the decrypted file does not match what {manifest.sender} signed")
    return manifest, plaintext


def open_envelope(
    sealed: Path,
    *,
    sender_bundle: Path,
    identity: Path,
    wave: str,
    kind: str,
    out_dir: Path | None = None,
    ledger: Path | None = None,
    force: bool = False,
    on_event: EventHook | None = None,
) -> Opened:
    """Verify, check and decrypt ``NAME.age``; return where the plaintext now is.

    ``ledger`` (default ``.ontvangen.json`` beside the identity file) records every opened envelope; a wave at or
    before the last one opened for the same sender and kind is refused unless ``force``. Opens that share a ledger
    run one at a time (``LEDGER.lock``), so concurrent runs cannot both open the same wave or lose an entry.
    """
    ledger = ledger or default_ledger(identity)
    try:
        # One open at a time per ledger, from the replay check to the new entry: two concurrent opens could otherwise
        # both pass the check, or one could overwrite the other's entry.
        with exclusive_lock(ledger):
            opened = _open(sealed, sender_bundle, identity, wave, kind, out_dir, ledger, force)
    except Pijler3Error as exc:
        _emit(on_event, "envelope.refused", {"file": str(sealed), "error": type(exc).__name__, "reason": str(exc)})
        raise
    manifest = opened.manifest
    _emit(
        on_event,
        "envelope.opened",
        {
            "file": str(sealed),
            "plaintext": str(opened.plaintext),
            "sender": manifest.sender,
            "sender_key_fingerprint": manifest.sender_key_fingerprint,
            "wave": manifest.wave,
            "kind": manifest.kind,
            "row_count": manifest.row_count,
            "ciphertext_sha256": manifest.ciphertext_sha256,
            "forced": force,
        },
    )
    return opened


def _open(
    sealed: Path,
    sender_bundle: Path,
    identity_path: Path,
    wave: str,
    kind: str,
    out_dir: Path | None,
    ledger: Path,
    force: bool,
) -> Opened:
    check_wave(wave)
    check_kind(kind)
    bundle = keys.load_bundle(sender_bundle)
    out_dir = out_dir or sealed.parent
    # The signature is checked before anything of the manifest is believed or any ciphertext read.
    manifest = _signed_manifest(sealed, bundle)
    if manifest.kind != kind:
        raise WrongKindError(f"{sealed}: holds a {manifest.kind} file, not the {kind} file asked for")
    if manifest.wave != wave:
        raise UnexpectedWaveError(
            f"{sealed}: belongs to wave {manifest.wave}, not the wave {wave} being processed; check that the right "
            "file was picked up"
        )
    _check_replay(ledger, manifest, force)
    target = out_dir / manifest.file_name
    if target.exists() and not force:
        raise OutputExistsError(f"{target}: exists already; move it away or use --force to replace it")
    age_identity = _checked_ciphertext(sealed, manifest, identity_path)

    out_dir.mkdir(parents=True, exist_ok=True)
    temp = _temp_path(out_dir, manifest.file_name)
    try:
        _open_exclusive(temp).close()
        with DigestProcess([(temp, True)], follow_last=True) as helper:
            try:
                pyrage.decrypt_file(str(sealed), str(temp), [age_identity])
            except pyrage.DecryptError as exc:
                raise DecryptionError(
                    f"{sealed}: is the file {manifest.sender} signed, but it does not decrypt with our key "
                    f"{manifest.recipient_key_fingerprint} ({exc}); ask the sender to seal it again"
                ) from None
            except OSError as exc:
                # the age stream failing mid-file (the file changed after its hash was checked) or a write error
                raise EnvelopeError(f"{sealed}: decrypting into {out_dir} failed ({exc}); nothing was kept") from exc
            helper.writer_done()
            (plain,) = helper.results()
        _fsync_file(temp)
        mismatch = [
            f"{what}: manifest {expected}, decrypted {actual}"
            for what, expected, actual in (
                ("size", manifest.plaintext_size, plain.size),
                ("SHA-256", manifest.plaintext_sha256, plain.sha256),
                ("format", manifest.plaintext_format, _plaintext_format(plain)),
                ("rows", manifest.row_count, _row_count(temp, plain)),
            )
            if expected != actual
        ]
        if mismatch:
            raise ContentMismatchError(
                f"{sealed}: the decrypted file does not match what {manifest.sender} signed ({'; '.join(mismatch)}). "
                "No plaintext was kept; ask the sender to seal it again."
            )
        os.replace(temp, target)
        _fsync_dir(out_dir)
    finally:
        temp.unlink(missing_ok=True)
    _append_ledger(
        ledger,
        {
            "sender": manifest.sender,
            "kind": manifest.kind,
            "wave": manifest.wave,
            "file_name": manifest.file_name,
            "ciphertext_sha256": manifest.ciphertext_sha256,
            "plaintext_sha256": manifest.plaintext_sha256,
            "opened_at": utc_timestamp(),
            "forced": force,
        },
    )
    return Opened(target, manifest)
