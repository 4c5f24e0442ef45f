"""The six SFTP legs of a wave, each run by one party from its own config (protocol art. 5 and 6):

=====================  ==========  ===============================================================
leg                    party       what it does
=====================  ==========  ===============================================================
send-request           agentschap  seal ``WAVE.aanvraag.*`` for VDAB, upload it to ``naar-vdab/``
receive-request        vdab        download, verify and open the request, then remove it from the server
send-enrichment        vdab        seal ``WAVE.verrijking.*`` for the agencies, upload it to ``naar-agentschap/``
receive-enrichment     agentschap  download, verify and open the enrichment, then remove it from the server
share-dataset          agentschap  seal ``WAVE.gepseudonimiseerd.*`` for VDAB, upload it to ``naar-vdab/``
receive-dataset        vdab        download, verify and open the pseudonymised dataset, then remove it
send-melding           either      seal ``WAVE.melding.*`` (art. 7 correction notice) for the other party, upload it
send-antwoord          either      seal ``WAVE.antwoord.*`` (the answer to the other party's notice), upload it
=====================  ==========  ===============================================================

Notices and answers are received by ``receive_kept``, not by a leg: the receiver keeps them sealed
(``pijler3.meldingen``).

Every leg is idempotent per wave. Its state lives in ``<work>/<wave>/``: a sender seals once and re-uploads the
*same* envelope when run again after a failure (age encryption is randomised, so sealing again would produce a
different file); a receiver removes the files from the server only after it has opened them. A completed leg leaves
``<kind>.verzonden.json`` or ``<kind>.ontvangen.json``, and running it again says there is nothing to do (a receiver
still removes leftovers of a delete that failed earlier).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pijler3 import envelope, insz, leakscan, verzonden
from pijler3.audit import HEAD_HASH_FIELD, HEAD_SEQ_FIELD, AuditLog, current_head
from pijler3.clock import utc_timestamp
from pijler3.config import OutsideAgreement, PartyConfig
from pijler3.digest import sha256_file
from pijler3.envelope import MANIFEST_SUFFIX, SIGNATURE_SUFFIX, Kind, Manifest, check_wave
from pijler3.errors import QUARANTINED_EXIT_CODE, ConfigError, InputError, Pijler3Error, TemporaryFailure
from pijler3.files import write_json
from pijler3.keys import Party, load_bundle, other_party
from pijler3.sftp import inbox, outbox
from pijler3.sftp.transport import RemoteFile, RemoteFileError, SftpTransport
from pijler3.shown import printable, safe_file_name

PLAINTEXT_SUFFIXES = (".csv", ".parquet")
QUARANTINE = "quarantaine"
"""Folder in ``<work>/<wave>/`` for the manifests and signatures of envelopes moved aside from the inbox."""
MAX_QUARANTINE_ENVELOPES = 50
MAX_QUARANTINE_BYTES = 4 * 1024 * 1024
"""The bound of one quarantine folder: beyond it a refused envelope is still removed from the server and recorded
(``quarantaine`` event with ``kept`` false), but its files are not kept, so a flood of forged files cannot fill the
disk."""
_ENVELOPE_SUFFIXES = (".age", MANIFEST_SUFFIX, SIGNATURE_SUFFIX)
SIGNATURE_BYTES = 64


@dataclass(frozen=True)
class SetAside:
    """An envelope this run moved off the server into quarantine (or refused without keeping it)."""

    name: str
    """The remote name of its signature file, escaped for display (``shown.printable``); ``None``-like text when
    the name held an INSZ."""
    reason: str
    kept_in: Path | None
    """The quarantine folder holding its manifest and signature; ``None`` when they were not kept (the folder's
    bound was reached, or the name or manifest held an INSZ)."""
    folder: Path
    """The quarantine folder it was meant for."""


class NotYetAvailable(TemporaryFailure):
    """The other party has not (completely) uploaded the file yet: run the leg again later (exit code 75).

    When this run set envelopes aside on the way (``set_aside``), the exit code is ``QUARANTINED``'s instead: the
    wave still waits for the genuine file, but someone should look at what was set aside."""

    def __init__(self, message: str, set_aside: tuple[SetAside, ...] = ()) -> None:
        super().__init__(message)
        self.set_aside = set_aside
        if set_aside:
            self.exit_code = QUARANTINED_EXIT_CODE


class WaveStartedOver(Pijler3Error):
    """The other party sent anew a file of the wave this party received already: it started the wave over."""


def _started_over(config: PartyConfig, wave: str, listing: list[RemoteFile]) -> WaveStartedOver | None:
    """While waiting for one file: a manifest of a kind this party already received for ``wave`` is back on the
    server. Only the wave and kind are named (both checked), never the server's file name, which anyone with write
    access to the server chooses."""
    other = other_party(config.party)
    for remote in listing:
        wave_part, _, rest = remote.name.partition(".")
        kind = rest.partition(".")[0]
        if (
            wave_part == wave
            and remote.name.endswith(MANIFEST_SUFFIX)
            and kind in envelope.KINDS
            and (config.work / wave / f"{kind}.ontvangen.json").is_file()
        ):
            return WaveStartedOver(
                f"{other} put a new {kind} for wave {wave} on the server after the one you received: {other} started"
                f" the wave over. If {other} told you so, run `pijler3 run-wave --config {config.path} --wave {wave}"
                f" --restart` (its signature is checked before anything is opened); if not, treat it as a breach"
                " signal (docs/datalek.md)"
            )
    return None


@dataclass(frozen=True)
class Leg:
    name: str
    party: Party | None
    """``None``: either party runs it."""
    direction: Literal["send", "receive"]
    kind: Kind


LEGS: dict[str, Leg] = {
    leg.name: leg
    for leg in (
        Leg("send-request", "agentschap", "send", "aanvraag"),
        Leg("receive-request", "vdab", "receive", "aanvraag"),
        Leg("send-enrichment", "vdab", "send", "verrijking"),
        Leg("receive-enrichment", "agentschap", "receive", "verrijking"),
        Leg("share-dataset", "agentschap", "send", "gepseudonimiseerd"),
        Leg("receive-dataset", "vdab", "receive", "gepseudonimiseerd"),
        Leg("send-melding", None, "send", "melding"),
        Leg("send-antwoord", None, "send", "antwoord"),
    )
}


@dataclass(frozen=True)
class LegResult:
    leg: str
    wave: str
    done: bool
    """False when the leg had already been completed and there was nothing to do."""
    message: str
    file: Path | None = None
    """The received, decrypted file (receive legs) or the sent envelope's ``.age`` name (send legs)."""
    set_aside: tuple[SetAside, ...] = ()
    """Receive legs: other envelopes of the wave this run moved into quarantine on the way (``_verified_envelope``)."""


def run_leg(
    name: str,
    config: PartyConfig,
    wave: str | None = None,
    *,
    plaintext: Path | None = None,
    progress: bool | None = None,
) -> LegResult:
    """Run leg ``name`` for ``wave`` (default: the config's) with ``config``'s party; see the module doc."""
    if name not in LEGS:
        raise InputError(f"unknown leg {name!r}: expected one of {', '.join(LEGS)}")
    leg = LEGS[name]
    if leg.party not in (None, config.party):
        raise ConfigError(f"leg {name} is run by {leg.party}, but {config.path} is the configuration of {config.party}")
    wave = wave or config.wave
    if wave is None:
        raise ConfigError(f"no wave given: pass --wave (e.g. 2026-S2) or set wave in {config.path}")
    check_wave(wave)
    if plaintext is not None and leg.direction == "receive":
        raise InputError(f"leg {name} receives a file; it takes no file to send")
    audit = AuditLog(config.audit_log, config.party)
    check_exchange_window(config, wave, audit)
    try:
        if leg.direction == "send":
            return _send(leg, config, wave, plaintext, audit, progress)
        return _receive(leg, config, wave, audit, progress)
    except Pijler3Error as exc:
        if not isinstance(exc, NotYetAvailable):
            audit.record("leg-failed", leg=name, wave=wave, kind=leg.kind, error=type(exc).__name__)
        raise


def check_exchange_window(config: PartyConfig, wave: str, audit: AuditLog) -> None:
    """``config.check_exchange_window``, with the refusal recorded in the audit log (the evidence shows it)."""
    try:
        config.check_exchange_window(wave)
    except OutsideAgreement:
        audit.record(
            "window-refused",
            wave=wave,
            agreement_start=str(config.agreement_start or "") or None,
            agreement_end=str(config.agreement_end or "") or None,
        )
        raise


def _send(
    leg: Leg, config: PartyConfig, wave: str, plaintext: Path | None, audit: AuditLog, progress: bool | None
) -> LegResult:
    state = config.work / wave
    marker = state / f"{leg.kind}.verzonden.json"
    if marker.exists():
        sent = json.loads(marker.read_text(encoding="utf-8"))
        return LegResult(
            leg.name, wave, False, f"{leg.kind} of wave {wave} was sent on {sent['sent_at']}; nothing to do"
        )
    source = plaintext or _find_plaintext(config.outgoing, wave, leg.kind)
    _check_plaintext_name(source, wave, leg.kind)
    sealed = _sealed_envelope(source, config, wave, leg.kind, state / "verzonden", audit)
    if leg.kind == "aanvraag" and source.suffix == ".csv":
        verzonden.remember(config, wave, source)  # to check later that a notice is about records we sent
    with SftpTransport(config.sftp, audit=audit, retry=config.retry, progress=progress) as sftp:
        # The signature goes last: a receiver treats a present .manifest.sig as "the envelope is complete".
        for path in (sealed.ciphertext, sealed.manifest_path, sealed.signature):
            sftp.upload(path, outbox(config.party), wave=wave, kind=leg.kind)
    write_json(
        marker,
        {
            "leg": leg.name,
            "wave": wave,
            "kind": leg.kind,
            "file": sealed.ciphertext.name,
            "ciphertext_sha256": sealed.manifest.ciphertext_sha256,
            "sent_at": utc_timestamp(),
        },
    )
    # The recipient's copy is on the server; ours is unreadable to us and no longer needed for a re-run.
    sealed.ciphertext.unlink()
    audit.record("leg-done", leg=leg.name, wave=wave, kind=leg.kind, sha256=sealed.manifest.ciphertext_sha256)
    return LegResult(
        leg.name,
        wave,
        True,
        f"sent {sealed.ciphertext.name} ({sealed.manifest.row_count} rows) to {outbox(config.party)}/",
        Path(sealed.ciphertext.name),
    )


def _receive(leg: Leg, config: PartyConfig, wave: str, audit: AuditLog, progress: bool | None) -> LegResult:
    state = config.work / wave
    marker = state / f"{leg.kind}.ontvangen.json"
    folder = inbox(config.party)
    with SftpTransport(config.sftp, audit=audit, retry=config.retry, progress=progress) as sftp:
        listing = sftp.listdir(folder)
        remote = [f for f in listing if f.name.startswith(f"{wave}.{leg.kind}.")]
        if marker.exists():
            received = json.loads(marker.read_text(encoding="utf-8"))
            removed = sum(sftp.remove(f.path, wave=wave, kind=leg.kind) for f in remote)
            cleanup = f"; removed {removed} leftover file(s) from {folder}/" if removed else ""
            return LegResult(
                leg.name,
                wave,
                False,
                f"{leg.kind} of wave {wave} was received on {received['received_at']}; nothing to do{cleanup}",
                Path(received["file"]),
            )
        download = state / "ontvangen"
        try:
            verified = _verified_envelope(sftp, remote, config, wave, leg, download, audit, state / QUARANTINE, wave)
        except NotYetAvailable as waiting:
            raise _started_over(config, wave, listing) or waiting from None
        envelope_files = verified.files
        opened = _download_and_open(
            sftp, envelope_files, verified.manifest, download, config, leg, config.incoming, audit
        )
        if leg.kind == "aanvraag" and opened.plaintext.suffix == ".csv":
            verzonden.remember(config, wave, opened.plaintext)  # to check later that a notice is about these records
        write_json(
            marker,
            {
                "leg": leg.name,
                "wave": wave,
                "kind": leg.kind,
                "file": str(opened.plaintext),
                "ciphertext_sha256": opened.manifest.ciphertext_sha256,
                "received_at": utc_timestamp(),
            },
        )
        # Opened and recorded: the ciphertext has served its purpose here and on the transit server.
        (download / safe_file_name(envelope_files[0].name, _ENVELOPE_SUFFIXES)).unlink()
        for remote_file in envelope_files:
            sftp.remove(remote_file.path, wave=wave, kind=leg.kind)
    audit.record("leg-done", leg=leg.name, wave=wave, kind=leg.kind, sha256=opened.manifest.ciphertext_sha256)
    return LegResult(
        leg.name,
        wave,
        True,
        f"received {opened.plaintext} ({opened.manifest.row_count} rows) from {folder}/",
        opened.plaintext,
        verified.set_aside,
    )


def _download_and_open(
    sftp: SftpTransport,
    envelope_files: tuple[RemoteFile, RemoteFile, RemoteFile],
    manifest: Manifest,
    download: Path,
    config: PartyConfig,
    leg: Leg,
    out_dir: Path,
    audit: AuditLog,
) -> envelope.Opened:
    """Download the ciphertext of a verified envelope beside its manifest and signature, open it into ``out_dir``."""
    ciphertext = envelope_files[0]
    local = download / safe_file_name(ciphertext.name, _ENVELOPE_SUFFIXES)
    wave = manifest.wave
    if ciphertext.size != manifest.ciphertext_size:
        error = envelope.TruncatedError if ciphertext.size < manifest.ciphertext_size else envelope.TamperedError
        raise error(
            f"{ciphertext.path}: {ciphertext.size} bytes on the server, but {manifest.sender} signed"
            f" {manifest.ciphertext_size}; it was cut short or altered there. Nothing was downloaded; ask"
            f" {manifest.sender} to upload the envelope again"
        )
    sftp.download(ciphertext.path, local, expected_sha256=manifest.ciphertext_sha256, wave=wave, kind=leg.kind)
    opened = envelope.open_envelope(
        local,
        sender_bundle=config.peer_bundle,
        identity=config.age_identity,
        wave=wave,
        kind=leg.kind,
        out_dir=out_dir,
    )
    audit.record(
        "open",
        leg=leg.name,
        remote_path=ciphertext.path,
        size=ciphertext.size,
        sha256=opened.manifest.ciphertext_sha256,
        rows=opened.manifest.row_count,
        wave=wave,
        kind=leg.kind,
        sender=opened.manifest.sender,
        sender_key=opened.manifest.sender_key_fingerprint,
        # The sender's audit-chain head it signed into the manifest: our record anchors its log (pijler3.audit).
        **(
            {HEAD_SEQ_FIELD: opened.manifest.sender_audit_seq, HEAD_HASH_FIELD: opened.manifest.sender_audit_head}
            if opened.manifest.sender_audit_head is not None
            else {}
        ),
    )
    return opened


@dataclass(frozen=True)
class KeptEnvelope:
    sealed: Path
    """The kept ``NAME.age``; its manifest and signature lie beside it."""
    opened: envelope.Opened
    """Its plaintext, in the caller's ``open_into`` folder."""


Admit = Callable[[Manifest], str | None]
"""Asked before a verified envelope is opened: the reason to refuse it (e.g. a notice for a wave this party never
ran), or ``None``. A refused envelope is set aside without being opened, so it uses up no wave in the ledger."""
Register = Callable[[KeptEnvelope], None]
"""Called once an envelope is opened and kept; raises ``InputError`` to refuse it for its content."""


def receive_kept(
    config: PartyConfig,
    kind: Kind,
    keep_in: Path,
    open_into: Path,
    quarantine: Path,
    admit: Admit,
    register: Register,
    *,
    progress: bool | None = False,
) -> tuple[SetAside, ...]:
    """Every envelope of ``kind`` (any wave) in our inbox: verified and opened as a receive leg does, but the sealed
    files are kept in ``keep_in`` (encrypted at rest, as ``WAVE.KIND.csv.*``) and the plaintext goes to
    ``open_into``, a folder the caller removes once it has read it. An envelope is removed from the server only once
    ``register`` accepted it; an incomplete upload waits for the next call. Returns what was set aside into
    ``quarantine`` (one folder for every wave: the waves named on the server are not trusted, so they create no
    folder and are not recorded as a wave until ``admit`` accepted one):

    - an envelope that does not verify, that ``admit`` refuses, that the ledger refuses (a replayed wave) or whose
      ciphertext is not the signed one, like a receive leg does, so it cannot block later ones;
    - one ``register`` refuses for its content; the ledger then accepts the sender's corrected envelope for the wave
      (sealed later), while a copy of the refused one stays a replay.
    """
    audit = AuditLog(config.audit_log, config.party)
    folder = inbox(config.party)
    leg = Leg(f"receive-{kind}", config.party, "receive", kind)
    # Downloaded beside the kept ones only once opened: a replayed copy never replaces the envelope we keep.
    arriving = keep_in / ".binnenkomend"
    set_aside: list[SetAside] = []
    try:
        with SftpTransport(config.sftp, audit=audit, retry=config.retry, progress=progress) as sftp:
            listing = sftp.listdir(folder)
            waves = sorted({f.name.split(".")[0] for f in listing if f.name.split(".")[1:2] == [kind]})
            for wave in filter(envelope.WAVE_PATTERN.match, waves):
                remote = [f for f in listing if f.name.startswith(f"{wave}.{kind}.")]
                try:
                    verified = _verified_envelope(sftp, remote, config, wave, leg, arriving, audit, quarantine, None)
                except NotYetAvailable as exc:
                    set_aside += exc.set_aside
                    continue
                set_aside += verified.set_aside
                files, manifest = verified.files, verified.manifest
                refusal = admit(manifest)
                if refusal is not None:
                    set_aside.append(_quarantine(sftp, files, arriving, quarantine, leg, None, audit, refusal))
                    continue
                try:
                    opened = _download_and_open(sftp, files, manifest, arriving, config, leg, open_into, audit)
                except envelope.EnvelopeError as exc:
                    set_aside.append(
                        _quarantine(sftp, files, arriving, quarantine, leg, wave, audit, type(exc).__name__)
                    )
                    continue
                kept = _keep(files, arriving, keep_in, f"{wave}.{kind}.csv")
                try:
                    register(KeptEnvelope(kept, opened))
                except InputError as exc:
                    _keep(files, keep_in, arriving, f"{wave}.{kind}.csv", back=True)
                    envelope.restart_wave(
                        envelope.default_ledger(config.age_identity), manifest.sender, kind, wave, reason="refused"
                    )
                    set_aside.append(
                        _quarantine(sftp, files, arriving, quarantine, leg, wave, audit, "content", str(exc))
                    )
                    continue
                for remote_file in files:
                    sftp.remove(remote_file.path, wave=wave, kind=kind)
                audit.record("leg-done", leg=leg.name, wave=wave, kind=kind, sha256=manifest.ciphertext_sha256)
    except Pijler3Error as exc:
        audit.record("leg-failed", leg=leg.name, kind=kind, error=type(exc).__name__)
        raise
    return tuple(set_aside)


def _keep(files: tuple[RemoteFile, ...], source: Path, target: Path, stem: str, *, back: bool = False) -> Path:
    """Move an opened envelope's files from ``source`` to ``target`` under ``stem`` + suffix (``back``: the other
    way, from ``stem`` names to the names they were downloaded under); the kept ``.age`` path."""
    for remote_file in files:
        downloaded = safe_file_name(remote_file.name, _ENVELOPE_SUFFIXES)
        suffix = next(s for s in _ENVELOPE_SUFFIXES if remote_file.name.endswith(s))
        if back:
            os.replace(source / f"{stem}{suffix}", target / downloaded)
        else:
            os.replace(source / downloaded, target / f"{stem}{suffix}")
    return target / f"{stem}.age"


def _find_plaintext(folder: Path, wave: str, kind: str) -> Path:
    candidates = [folder / f"{wave}.{kind}{suffix}" for suffix in PLAINTEXT_SUFFIXES]
    present = [path for path in candidates if path.is_file()]
    if len(present) != 1:
        names = " or ".join(str(path) for path in candidates)
        problem = "both exist; remove the stale one" if present else "not found; export it first"
        raise InputError(f"file to send for wave {wave}: {names} — {problem}")
    return present[0]


def _check_plaintext_name(path: Path, wave: str, kind: str) -> None:
    # The name travels to the server and into the audit logs, so it may carry the wave and kind and nothing else.
    if path.name not in {f"{wave}.{kind}{suffix}" for suffix in PLAINTEXT_SUFFIXES}:
        raise InputError(f"{path}: a {kind} file for wave {wave} must be named {wave}.{kind}.csv or .parquet")
    if not path.is_file():
        raise InputError(f"{path}: file to send not found")


def _sealed_envelope(
    plaintext: Path, config: PartyConfig, wave: str, kind: Kind, folder: Path, audit: AuditLog
) -> envelope.Sealed:
    """The envelope sealed by an earlier, failed run when it still matches the file; otherwise a new one."""
    ciphertext = folder / f"{plaintext.name}.age"
    manifest_path, signature = envelope.envelope_paths(ciphertext)
    if all(p.is_file() for p in (ciphertext, manifest_path, signature)):
        manifest = Manifest.from_bytes(manifest_path.read_bytes(), manifest_path)
        if manifest.plaintext_sha256 == sha256_file(plaintext) and manifest.ciphertext_sha256 == sha256_file(
            ciphertext
        ):
            return envelope.Sealed(ciphertext, manifest_path, signature, manifest)
    sealed = envelope.seal(
        plaintext,
        to=config.peer_bundle,
        sign_with=config.signing_key,
        wave=wave,
        kind=kind,
        out_dir=folder,
        sender=config.party,
        audit_head=current_head(config.audit_log),
    )
    audit.record(
        "seal",
        file=sealed.ciphertext.name,
        size=sealed.manifest.ciphertext_size,
        sha256=sealed.manifest.ciphertext_sha256,
        rows=sealed.manifest.row_count,
        wave=wave,
        kind=kind,
        recipient_key=sealed.manifest.recipient_key_fingerprint,
    )
    return sealed


@dataclass(frozen=True)
class _Verified:
    files: tuple[RemoteFile, RemoteFile, RemoteFile]
    manifest: Manifest
    set_aside: tuple[SetAside, ...]


def _verified_envelope(
    sftp: SftpTransport,
    remote: list[RemoteFile],
    config: PartyConfig,
    wave: str,
    leg: Leg,
    download: Path,
    audit: AuditLog,
    quarantine: Path,
    event_wave: str | None,
) -> _Verified:
    """The one complete envelope in the inbox whose manifest the sender's pinned key signed for this wave and kind.

    Its manifest and signature are downloaded (under safe local names, ``shown.safe_file_name``) and verified before
    any ciphertext is. Every other envelope of the wave and kind (a forged signature, a key that is not pinned, a
    validly signed one for another wave or kind: a replay, a name that holds an INSZ, a file the server will not let
    us read) is moved aside into ``quarantine`` and off the server, with a ``quarantaine`` audit event, so whoever
    can write to the folder cannot stall the exchange. Two envelopes that both verify are refused: only the sender
    knows which one is meant. ``event_wave`` is the wave the audit events name: ``None`` when ``wave`` was only read
    from a file name on the server (a forger can name any wave).
    """
    folder, kind = inbox(config.party), leg.kind
    by_name = {f.name: f for f in remote}
    signatures = [f for f in remote if f.name.endswith(SIGNATURE_SUFFIX)]
    if not signatures:
        raise NotYetAvailable(
            f"no {kind} for wave {wave} in {folder}/ yet (the sender has not finished uploading it); run again later"
        )
    bundle = load_bundle(config.peer_bundle)
    verified: list[tuple[tuple[RemoteFile, RemoteFile, RemoteFile], Manifest]] = []
    incomplete: list[str] = []
    set_aside: list[SetAside] = []
    for signature in signatures:
        stem = signature.name.removesuffix(SIGNATURE_SUFFIX)
        if insz.shaped_in(stem):
            # Never the sender's (it names files after wave and kind); its name may not reach a log or a message.
            audit.record(
                "quarantaine", leg=leg.name, wave=event_wave, kind=kind, remote_path=None, reason="name-holds-insz",
                kept=False,
            )  # fmt: skip
            set_aside.append(SetAside("(a name holding an INSZ, not shown)", "name-holds-insz", None, quarantine))
            continue
        ciphertext, manifest_file = by_name.get(f"{stem}.age"), by_name.get(f"{stem}{MANIFEST_SUFFIX}")
        if ciphertext is None or manifest_file is None:
            incomplete.append(printable(signature.name))
            continue
        files = (ciphertext, manifest_file, signature)
        try:
            if manifest_file.size > envelope.MAX_MANIFEST_BYTES:
                raise envelope.SignatureError(f"{manifest_file.path}: too large for a manifest")
            if signature.size != SIGNATURE_BYTES:
                raise envelope.SignatureError(f"{signature.path}: {signature.size} bytes, not an Ed25519 signature")
            for remote_file in (manifest_file, signature):
                local = download / safe_file_name(remote_file.name, _ENVELOPE_SUFFIXES)
                sftp.download(remote_file.path, local, wave=event_wave, kind=kind)
            manifest = envelope.verify_manifest(
                download / safe_file_name(manifest_file.name, _ENVELOPE_SUFFIXES),
                download / safe_file_name(signature.name, _ENVELOPE_SUFFIXES),
                bundle,
            )
            if (manifest.wave, manifest.kind) != (wave, kind):
                raise envelope.UnexpectedWaveError(
                    f"{printable(manifest_file.path)}: signed for {manifest.kind} {manifest.wave}, not {kind} {wave}"
                )
        except (envelope.EnvelopeError, RemoteFileError) as exc:
            set_aside.append(_quarantine(sftp, files, download, quarantine, leg, event_wave, audit, type(exc).__name__))
            continue
        verified.append((files, manifest))
    if len(verified) == 1:
        return _Verified(*verified[0], tuple(set_aside))
    if verified:
        raise envelope.EnvelopeError(
            f"{folder}/ holds {len(verified)} {kind} envelopes for wave {wave} that {bundle.party}'s pinned key signed "
            f"({', '.join(printable(files[2].name) for files, _ in verified)}); ask {bundle.party} which one is valid"
            " and to remove the others"
        )
    moved = f"; {describe_set_aside(tuple(set_aside))}" if set_aside else ""
    if incomplete:
        raise NotYetAvailable(
            f"{folder}/ lacks part of the {kind} envelope for wave {wave} ({', '.join(incomplete)}){moved}; run again"
            " later",
            tuple(set_aside),
        )
    raise NotYetAvailable(f"no valid {kind} for wave {wave} in {folder}/ yet{moved}; run again later", tuple(set_aside))


def describe_set_aside(set_aside: tuple[SetAside, ...], limit: int = 10) -> str:
    """One line for the operator: how many envelopes this run set aside, why, where, and the first names."""
    folders = sorted({str(s.kept_in or s.folder) for s in set_aside})
    dropped = sum(1 for s in set_aside if s.kept_in is None)
    reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(Counter(s.reason for s in set_aside).items()))
    more = f" and {len(set_aside) - limit} more" if len(set_aside) > limit else ""
    names = ", ".join(s.name for s in set_aside[:limit]) + more
    not_kept = f"; {dropped} not kept (quarantine full, or a name or manifest holding an INSZ)" if dropped else ""
    return (
        f"{len(set_aside)} envelope(s) set aside into quarantine in {', '.join(folders)} ({reasons}): {names}"
        f"{not_kept}; see the quarantaine events in the audit log"
    )


def _has_room(quarantine: Path, adding: int) -> bool:
    present = [p for p in quarantine.iterdir() if p.is_file()] if quarantine.is_dir() else []
    envelopes = sum(1 for p in present if p.name.endswith(SIGNATURE_SUFFIX))
    size = sum(p.stat().st_size for p in present)
    return envelopes < MAX_QUARANTINE_ENVELOPES and size + adding <= MAX_QUARANTINE_BYTES


def _quarantine(
    sftp: SftpTransport,
    files: tuple[RemoteFile, ...],
    download: Path,
    quarantine: Path,
    leg: Leg,
    wave: str | None,
    audit: AuditLog,
    reason: str,
    detail: str | None = None,
) -> SetAside:
    """Keep the refused manifest and signature as evidence (within the folder's bound), remove the envelope from the
    server, record why (``quarantaine`` event: the escaped remote name, the reason, whether it was kept).

    A manifest holding an INSZ is not kept: the wave's INSZ scan would (rightly) fail on it. The test is that scan's
    own (``leakscan.numbers_in``: a valid INSZ not glued to letters or digits), not "any 11 digits": a sha-256 in hex
    often holds a run of 11 digits, and a genuine replayed manifest is evidence worth keeping.
    """
    local = [download / safe_file_name(f.name, _ENVELOPE_SUFFIXES) for f in files]
    present = [p for p in local if p.is_file() and not p.name.endswith(".age")]
    holds_insz = any(p.name.endswith(MANIFEST_SUFFIX) and leakscan.numbers_in(p) for p in present)
    kept = not holds_insz and _has_room(quarantine, sum(p.stat().st_size for p in present))
    if kept:
        quarantine.mkdir(parents=True, exist_ok=True)
    for path in local:
        if kept and path in present:
            os.replace(path, quarantine / path.name)
        else:
            path.unlink(missing_ok=True)
    for remote_file in files:
        # When the server will not let us remove it, the transport records that, and it is refused again next time.
        with contextlib.suppress(RemoteFileError):
            sftp.remove(remote_file.path, wave=wave, kind=leg.kind)
    name = printable(files[-1].path)
    audit.record(
        "quarantaine",
        leg=leg.name,
        wave=wave,
        kind=leg.kind,
        remote_path=name,
        reason=reason,
        detail=None if detail is None or insz.shaped_in(detail) else printable(detail),
        kept=kept,
        kept_in=str(quarantine) if kept else None,
    )
    return SetAside(printable(files[-1].name), reason, quarantine if kept else None, quarantine)


def received_manifest(config: PartyConfig, wave: str, kind: Kind) -> Manifest:
    """The manifest of the ``kind`` envelope the receive leg opened for ``wave``, its signature verified again with
    the sender's pinned keys: what a load of the opened file is compared with (``loading.check_signed``)."""
    marker = config.work / wave / f"{kind}.ontvangen.json"
    try:
        received = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise envelope.MissingFileError(
            f"{marker}: no record of the {kind} received for wave {wave} ({exc}); run its receive leg first"
        ) from None
    kept = config.work / wave / "ontvangen" / f"{Path(str(received.get('file'))).name}{MANIFEST_SUFFIX}"
    signature = kept.with_name(kept.name.removesuffix(MANIFEST_SUFFIX) + SIGNATURE_SUFFIX)
    if not (kept.is_file() and signature.is_file()):
        raise envelope.MissingFileError(
            f"{kept}: the signed manifest of the received {kind} is gone, so the opened file cannot be checked against"
            f" it; nothing was loaded. Start the wave over (pijler3 run-wave --restart) and ask the sender again"
        )
    manifest = envelope.verify_manifest(kept, signature, load_bundle(config.peer_bundle))
    if (manifest.wave, manifest.kind, manifest.ciphertext_sha256) != (wave, kind, received.get("ciphertext_sha256")):
        raise envelope.ManifestError(f"{kept}: not the manifest of the {kind} envelope opened for wave {wave}")
    return manifest
