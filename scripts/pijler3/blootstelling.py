"""What a (possibly leaked) key exposed (protocol art. 9; the breach runbook ``docs/datalek.md``).

Given a key fingerprint, ``exposure`` lists every envelope the party's records show was sealed for that key (whoever
holds its age identity can open the envelope if they got the ciphertext) or signed by it (whoever holds the signing key
could have forged such an envelope): wave, kind, direction, rows, when it was sealed, when it was on the SFTP server
and when it was opened. The sources are the signed manifests kept under ``<work>/`` (sent and received, earlier
attempts of a restarted wave, kept notices, quarantine), the ledger of opened envelopes and the audit log, matched by
the ciphertext's sha-256. A manifest in quarantine was never verified and is listed as such. Nothing here holds
personal data: the counts are what the DPO reports (AVG art. 33: the number of records concerned).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pijler3 import keys
from pijler3.audit import read_audit_log
from pijler3.config import PartyConfig
from pijler3.envelope import LEDGER_FORMAT, MANIFEST_SUFFIX, EnvelopeError, Manifest, default_ledger
from pijler3.errors import InputError
from pijler3.files import read_json_entries
from pijler3.legs import QUARANTINE

_FINGERPRINT = re.compile(rf"^[0-9a-f]{{{keys.FINGERPRINT_HEX_CHARS}}}$")


@dataclass(frozen=True)
class Exposed:
    """One envelope the key sealed or signed."""

    wave: str
    kind: str
    file_name: str
    direction: str
    """``sent`` or ``received`` (seen from this party)."""
    role: str
    """``sealed for`` (the key can open it) or ``signed by`` (the key vouched for it)."""
    rows: int
    sealed_at: str
    on_server: tuple[str, str] | None
    """First upload or download and last removal the audit log shows, when it shows them."""
    opened_at: str | None
    verified: bool
    """False for a manifest in quarantine: its signature was never accepted."""


@dataclass(frozen=True)
class Exposure:
    fingerprint: str
    key: str
    """Whose key it is according to the party's bundles, or that neither bundle lists it (any more)."""
    envelopes: tuple[Exposed, ...]

    @property
    def rows(self) -> int:
        return sum(e.rows for e in self.envelopes if e.verified)

    @property
    def waves(self) -> tuple[str, ...]:
        return tuple(sorted({e.wave for e in self.envelopes}))


def normalise_fingerprint(text: str) -> str:
    fingerprint = text.replace(" ", "").lower()
    if not _FINGERPRINT.match(fingerprint):
        raise InputError(
            f"--fingerprint {text[:80]!r}: expected {keys.FINGERPRINT_HEX_CHARS} hex digits (spaces allowed), as"
            " `pijler3 keys fingerprint` and the evidence report print them"
        )
    return fingerprint


def exposure(config: PartyConfig, fingerprint: str) -> Exposure:
    """Every envelope in ``config``'s records sealed for or signed by the key ``fingerprint``."""
    fingerprint = normalise_fingerprint(fingerprint)
    ledger = default_ledger(config.age_identity)
    opened = {
        str(e.get("ciphertext_sha256")): str(e.get("opened_at"))
        for e in read_json_entries(ledger, format=LEDGER_FORMAT, field="opened", what="ledger of opened envelopes")
        if isinstance(e, dict) and e.get("opened_at")
    }
    server = _server_times(config)
    found: dict[str, Exposed] = {}
    for path in sorted(config.work.rglob(f"*{MANIFEST_SUFFIX}")) if config.work.is_dir() else []:
        try:
            manifest = Manifest.from_bytes(path.read_bytes(), path)
        except (OSError, EnvelopeError):
            continue  # unreadable or malformed: a forger's file says nothing about our keys
        roles = [
            role
            for role, key in (
                ("sealed for", manifest.recipient_key_fingerprint),
                ("signed by", manifest.sender_key_fingerprint),
            )
            if key == fingerprint
        ]
        if not roles:
            continue
        verified = QUARANTINE not in path.relative_to(config.work).parts
        digest = manifest.ciphertext_sha256
        if digest in found and (found[digest].verified or not verified):
            continue
        found[digest] = Exposed(
            wave=manifest.wave,
            kind=manifest.kind,
            file_name=manifest.file_name,
            direction="sent" if manifest.sender == config.party else "received",
            role=" and ".join(roles),
            rows=manifest.row_count,
            sealed_at=manifest.created_at,
            on_server=server.get(digest),
            opened_at=opened.get(digest),
            verified=verified,
        )
    envelopes = tuple(sorted(found.values(), key=lambda e: (e.sealed_at, e.file_name)))
    return Exposure(fingerprint, _whose(config, fingerprint), envelopes)


def _server_times(config: PartyConfig) -> dict[str, tuple[str, str]]:
    """Per ciphertext sha-256: when the audit log first and last saw it on the server (upload or download, then the
    removal of the same remote path, which carries no hash)."""
    times: dict[str, tuple[str, str]] = {}
    at_path: dict[str, str] = {}
    if not config.audit_log.is_file():
        return times
    for event in read_audit_log(config.audit_log):
        name, digest, path, time = (event.get(k) for k in ("event", "sha256", "remote_path", "time"))
        if not isinstance(time, str) or not isinstance(path, str):
            continue
        if name in ("upload", "download") and isinstance(digest, str):
            at_path[path] = digest
        elif name == "delete" and path in at_path:
            digest = at_path.pop(path)
        else:
            continue
        first, _ = times.get(str(digest), (time, time))
        times[str(digest)] = (first, time)
    return times


def _whose(config: PartyConfig, fingerprint: str) -> str:
    for label, path in (("own", config.key_folder / keys.BUNDLE_FILE), ("the other party's", config.peer_bundle)):
        try:
            bundle = keys.load_bundle(path)
        except Exception:  # an unreadable bundle names nothing; the envelopes still show
            continue
        if any(r.fingerprint == fingerprint for r in bundle.age_recipients):
            return f"{label} age key ({bundle.party})"
        if bundle.signing_key(fingerprint) is not None:
            return f"{label} signing key ({bundle.party})"
    return "in neither bundle (retired, or not a key of this exchange)"
