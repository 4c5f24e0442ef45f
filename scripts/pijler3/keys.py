"""Key management for one party (protocol art. 6: each party manages its own access and keys).

A party's key folder holds:

``age.key``
    The age X25519 identity file (``AGE-SECRET-KEY-1…`` lines, ``#`` comments), mode 0600. It may hold several
    identities: after a rotation the newest comes first and older ones stay so files sealed for them still open.
``signing.pem``
    The current Ed25519 signing key, PKCS#8 PEM, mode 0600. A rotation moves the previous one to
    ``signing.<fingerprint>.retired.pem`` (still 0600) instead of destroying it.
``bundle.json``
    The public bundle handed to the other party (format below).
``pseudonym.key`` (agencies only)
    The 256-bit pseudonym secret: 64 lower-case hex characters and a newline, mode 0600, never printed. It is not in
    the bundle and a ``--force`` regeneration never replaces it, because a new secret makes every later wave
    unlinkable to the earlier ones.

Bundle format (JSON, ``format`` = ``pijler3-public-bundle``, ``version`` = 1)::

    {"format": "pijler3-public-bundle", "version": 1, "party": "vdab",
     "age_recipients": [{"recipient": "age1…", "fingerprint": "…", "created_at": "…"}, …],
     "signing_keys": [{"public_key_pem": "-----BEGIN PUBLIC KEY-----…", "fingerprint": "…", "created_at": "…"}, …]}

Both lists are newest first: a sender encrypts to ``age_recipients[0]``; a receiver accepts a signature by any listed
signing key (the manifest names which one). Pinning happens by fingerprint, compared out of band.

Fingerprints are the first 16 bytes (32 hex characters) of a SHA-256:
- age recipient: over the recipient string (``age1…``, ASCII), i.e. ``printf %s age1… | sha256sum``;
- Ed25519 key: over the raw 32-byte public key, i.e.
  ``openssl pkey -pubin -in key.pem -outform DER | tail -c 32 | sha256sum``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyrage import IdentityError, RecipientError, x25519

from pijler3.clock import utc_timestamp
from pijler3.errors import ConfigError
from pijler3.files import atomic_write

Party = Literal["agentschap", "vdab"]
PARTIES: tuple[Party, ...] = get_args(Party)


def other_party(party: Party) -> Party:
    """The party at the other end of the exchange."""
    return next(p for p in PARTIES if p != party)


AGE_IDENTITY_FILE = "age.key"
SIGNING_KEY_FILE = "signing.pem"
BUNDLE_FILE = "bundle.json"
PSEUDONYM_KEY_FILE = "pseudonym.key"
BUNDLE_FORMAT = "pijler3-public-bundle"
BUNDLE_VERSION = 1
FINGERPRINT_HEX_CHARS = 32


class KeyPermissionError(ConfigError):
    """A private key file that group or others may read or write; refused as ssh refuses one."""


class KeyExistsError(ConfigError):
    """``keys generate`` would overwrite existing keys."""


def _short_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:FINGERPRINT_HEX_CHARS]


def age_fingerprint(recipient: str) -> str:
    """Fingerprint of an age recipient (``age1…``)."""
    return _short_sha256(recipient.encode("ascii"))


def signing_fingerprint(public_key: Ed25519PublicKey) -> str:
    """Fingerprint of an Ed25519 public key (over its raw 32 bytes)."""
    return _short_sha256(public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    """SubjectPublicKeyInfo PEM, the form ``openssl pkeyutl -verify -pubin`` reads."""
    pem = public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem.decode("ascii")


def group_fingerprint(fingerprint: str) -> str:
    """The fingerprint in groups of four, easier to read aloud when comparing by phone."""
    return " ".join(fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4))


def check_private_file(path: Path, what: str, *, created_by: str = "pijler3 keys generate") -> None:
    """Refuse a missing private key file, a non-regular one, or one group or others may access."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found; check the path, or create it with `{created_by}`") from None
    if not stat.S_ISREG(mode):
        raise ConfigError(f"{path}: {what} must be a regular file")
    if mode & 0o077:
        raise KeyPermissionError(
            f"{path}: {what} has mode {stat.S_IMODE(mode):04o}, so group or others may access it; "
            f"run `chmod 600 {path}` (private keys readable by others are refused, as ssh does)"
        )


# ---- the public bundle ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningPublicKey:
    key: Ed25519PublicKey
    fingerprint: str
    created_at: str


@dataclass(frozen=True)
class AgeRecipient:
    recipient: x25519.Recipient
    text: str
    fingerprint: str
    created_at: str


@dataclass(frozen=True)
class Bundle:
    """A party's public keys, newest first."""

    party: Party
    age_recipients: tuple[AgeRecipient, ...]
    signing_keys: tuple[SigningPublicKey, ...]
    path: Path | None = None

    @property
    def current_recipient(self) -> AgeRecipient:
        return self.age_recipients[0]

    def signing_key(self, fingerprint: str) -> SigningPublicKey | None:
        return next((k for k in self.signing_keys if k.fingerprint == fingerprint), None)

    def to_json(self) -> bytes:
        data = {
            "format": BUNDLE_FORMAT,
            "version": BUNDLE_VERSION,
            "party": self.party,
            "age_recipients": [
                {"recipient": r.text, "fingerprint": r.fingerprint, "created_at": r.created_at}
                for r in self.age_recipients
            ],
            "signing_keys": [
                {"public_key_pem": public_key_pem(k.key), "fingerprint": k.fingerprint, "created_at": k.created_at}
                for k in self.signing_keys
            ],
        }
        return (json.dumps(data, indent=2) + "\n").encode("utf-8")


def _parse_recipient(entry: Any, where: str) -> AgeRecipient:
    if not isinstance(entry, dict) or not isinstance(entry.get("recipient"), str):
        raise ConfigError(f"{where}: each age_recipients entry needs a 'recipient' string (age1…)")
    text = entry["recipient"]
    try:
        recipient = x25519.Recipient.from_str(text)
    except RecipientError as exc:
        raise ConfigError(f"{where}: {text!r} is not an age X25519 recipient ({exc})") from None
    fingerprint = age_fingerprint(text)
    if entry.get("fingerprint") != fingerprint:
        raise ConfigError(
            f"{where}: the fingerprint listed for {text} does not match the key (expected {fingerprint}); "
            "the bundle was edited by hand or damaged — ask the other party for a fresh copy"
        )
    return AgeRecipient(recipient, text, fingerprint, str(entry.get("created_at", "")))


def _parse_signing_key(entry: Any, where: str) -> SigningPublicKey:
    if not isinstance(entry, dict) or not isinstance(entry.get("public_key_pem"), str):
        raise ConfigError(f"{where}: each signing_keys entry needs a 'public_key_pem' string")
    try:
        key = serialization.load_pem_public_key(entry["public_key_pem"].encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ConfigError(f"{where}: a signing key is not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"{where}: a signing key is {type(key).__name__}, expected Ed25519")
    fingerprint = signing_fingerprint(key)
    if entry.get("fingerprint") != fingerprint:
        raise ConfigError(
            f"{where}: the fingerprint listed for a signing key does not match the key (expected {fingerprint}); "
            "the bundle was edited by hand or damaged — ask the other party for a fresh copy"
        )
    return SigningPublicKey(key, fingerprint, str(entry.get("created_at", "")))


def load_bundle(path: Path) -> Bundle:
    """Read and validate a public bundle; every fingerprint is recomputed from its key."""
    if path.is_dir():
        path = path / BUNDLE_FILE
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise ConfigError(f"{path}: public bundle not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a JSON public bundle ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
        raise ConfigError(f'{path}: not a pijler3 public bundle (expected "format": "{BUNDLE_FORMAT}")')
    if data.get("version") != BUNDLE_VERSION:
        raise ConfigError(
            f"{path}: bundle version {data.get('version')!r} is not supported (expected {BUNDLE_VERSION})"
        )
    party = data.get("party")
    if party not in PARTIES:
        raise ConfigError(f"{path}: party {party!r} is not one of {', '.join(PARTIES)}")
    recipients = data.get("age_recipients")
    signing_keys = data.get("signing_keys")
    if not isinstance(recipients, list) or not recipients:
        raise ConfigError(f"{path}: the bundle lists no age recipients")
    if not isinstance(signing_keys, list) or not signing_keys:
        raise ConfigError(f"{path}: the bundle lists no signing keys")
    return Bundle(
        party=cast(Party, party),
        age_recipients=tuple(_parse_recipient(e, str(path)) for e in recipients),
        signing_keys=tuple(_parse_signing_key(e, str(path)) for e in signing_keys),
        path=path,
    )


def write_bundle(bundle: Bundle, path: Path) -> None:
    with atomic_write(path, 0o644) as handle:
        handle.write(bundle.to_json())


# ---- private keys --------------------------------------------------------------------------------------------------


def load_identities(path: Path) -> dict[str, x25519.Identity]:
    """The identities in an age identity file, keyed by the fingerprint of their recipient, in file order."""
    check_private_file(path, "age identity file")
    identities: dict[str, x25519.Identity] = {}
    for number, line in enumerate(path.read_text(encoding="ascii", errors="replace").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            identity = x25519.Identity.from_str(line)
        except IdentityError:
            # Never echo the line: it is (part of) a secret key.
            raise ConfigError(f"{path}, line {number}: not an age X25519 identity (AGE-SECRET-KEY-1…)") from None
        identities[age_fingerprint(str(identity.to_public()))] = identity
    if not identities:
        raise ConfigError(f"{path}: the age identity file holds no identity")
    return identities


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    check_private_file(path, "signing key")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path}: not an unencrypted PEM (PKCS#8) private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path}: the signing key is {type(key).__name__}, expected Ed25519")
    return key


def _identity_block(identity: x25519.Identity, created_at: str | None = None) -> str:
    created = f"# created: {created_at}\n" if created_at else ""
    return f"{created}# public key: {identity.to_public()}\n{identity}\n"


def _write_signing_key(key: Ed25519PrivateKey, path: Path) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with atomic_write(path, 0o600) as handle:
        handle.write(pem)


def _write_pseudonym_key(path: Path) -> None:
    with atomic_write(path, 0o600) as handle:
        handle.write((secrets.token_hex(32) + "\n").encode("ascii"))


@dataclass(frozen=True)
class GeneratedKeys:
    folder: Path
    bundle: Bundle
    pseudonym_key: Path | None
    pseudonym_key_kept: bool


def git_work_tree(folder: Path) -> Path | None:
    """The git work tree ``folder`` is (or would be) inside, if any: the nearest ancestor holding ``.git`` of the
    folder where files written into ``folder`` really land (symbolic links resolved, also of folders not made yet)."""
    real = folder.resolve()
    for candidate in (real, *real.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def generate(party: Party, folder: Path, *, force: bool = False, inside_git_work_tree: bool = False) -> GeneratedKeys:
    """Create a party's key folder: age identity, Ed25519 signing key, public bundle (and the agencies' pseudonym key).

    Refuses to overwrite existing keys unless ``force``; even then an existing ``pseudonym.key`` is kept. Refuses a
    folder inside a git work tree unless ``inside_git_work_tree``: a commit, a push or a copy of the clone would
    carry the private keys along.
    """
    if party not in PARTIES:
        raise ConfigError(f"party {party!r} is not one of {', '.join(PARTIES)}")
    work_tree = git_work_tree(folder)
    if work_tree is not None and not inside_git_work_tree:
        raise ConfigError(
            f"{folder}: inside the git work tree {work_tree}, where a commit or a copy of the clone would carry the"
            f" private keys; choose a folder outside it (e.g. ~/pijler3-keys/{party}), or add --inside-git-work-tree"
            " if the folder is git-ignored and you mean it"
        )
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    existing = [
        folder / name for name in (AGE_IDENTITY_FILE, SIGNING_KEY_FILE, BUNDLE_FILE) if (folder / name).exists()
    ]
    if existing and not force:
        raise KeyExistsError(
            f"{', '.join(map(str, existing))}: keys exist already; use `pijler3 keys rotate` to add a new key while "
            "keeping the old one, or --force to replace them (files sealed for the old keys can then no longer be "
            "opened)"
        )
    created_at = utc_timestamp()
    identity = x25519.Identity.generate()
    signing_key = Ed25519PrivateKey.generate()
    with atomic_write(folder / AGE_IDENTITY_FILE, 0o600) as handle:
        handle.write(_identity_block(identity, created_at).encode("ascii"))
    _write_signing_key(signing_key, folder / SIGNING_KEY_FILE)
    recipient_text = str(identity.to_public())
    bundle = Bundle(
        party=party,
        age_recipients=(
            AgeRecipient(identity.to_public(), recipient_text, age_fingerprint(recipient_text), created_at),
        ),
        signing_keys=(
            SigningPublicKey(signing_key.public_key(), signing_fingerprint(signing_key.public_key()), created_at),
        ),
        path=folder / BUNDLE_FILE,
    )
    write_bundle(bundle, folder / BUNDLE_FILE)
    pseudonym_key = None
    kept = False
    if party == "agentschap":
        pseudonym_key = folder / PSEUDONYM_KEY_FILE
        kept = pseudonym_key.exists()
        if not kept:
            _write_pseudonym_key(pseudonym_key)
    return GeneratedKeys(folder, bundle, pseudonym_key, kept)


def rotate(folder: Path) -> Bundle:
    """Add a new age identity and a new signing key in front; the old ones stay usable during the transition.

    The old age identity stays in ``age.key`` (files sealed for it still open); the old signing key's public half
    stays in the bundle (files it signed still verify at the other party) and its private half is moved aside.
    Hand the new bundle to the other party; ``retire`` removes old keys once nothing in transit needs them.
    """
    bundle = load_bundle(folder / BUNDLE_FILE)
    identities = load_identities(folder / AGE_IDENTITY_FILE)
    old_signing_key = load_signing_key(folder / SIGNING_KEY_FILE)
    created_at = utc_timestamp()
    identity = x25519.Identity.generate()
    signing_key = Ed25519PrivateKey.generate()
    old_text = (folder / AGE_IDENTITY_FILE).read_text(encoding="ascii")
    with atomic_write(folder / AGE_IDENTITY_FILE, 0o600) as handle:
        handle.write((_identity_block(identity, created_at) + old_text).encode("ascii"))
    retired = folder / f"signing.{signing_fingerprint(old_signing_key.public_key())}.retired.pem"
    _write_signing_key(old_signing_key, retired)
    _write_signing_key(signing_key, folder / SIGNING_KEY_FILE)
    recipient_text = str(identity.to_public())
    new_bundle = Bundle(
        party=bundle.party,
        age_recipients=(
            AgeRecipient(identity.to_public(), recipient_text, age_fingerprint(recipient_text), created_at),
            *(r for r in bundle.age_recipients if r.fingerprint in identities),
        ),
        signing_keys=(
            SigningPublicKey(signing_key.public_key(), signing_fingerprint(signing_key.public_key()), created_at),
            *bundle.signing_keys,
        ),
        path=folder / BUNDLE_FILE,
    )
    write_bundle(new_bundle, folder / BUNDLE_FILE)
    return new_bundle


def retire(folder: Path, fingerprint: str) -> Bundle:
    """Remove an old age identity or signing key (by fingerprint) from the key folder and the bundle."""
    bundle = load_bundle(folder / BUNDLE_FILE)
    if fingerprint in (bundle.current_recipient.fingerprint, bundle.signing_keys[0].fingerprint):
        raise ConfigError(f"{fingerprint}: that is a current key; run `pijler3 keys rotate` first")
    in_recipients = any(r.fingerprint == fingerprint for r in bundle.age_recipients)
    in_signing = bundle.signing_key(fingerprint) is not None
    if not (in_recipients or in_signing):
        raise ConfigError(f"{fingerprint}: no key with that fingerprint in {folder / BUNDLE_FILE}")
    if in_recipients:
        identity_path = folder / AGE_IDENTITY_FILE
        identities = load_identities(identity_path)
        text = "".join(_identity_block(identity) for fp, identity in identities.items() if fp != fingerprint)
        with atomic_write(identity_path, 0o600) as handle:
            handle.write(text.encode("ascii"))
    (folder / f"signing.{fingerprint}.retired.pem").unlink(missing_ok=True)
    new_bundle = Bundle(
        party=bundle.party,
        age_recipients=tuple(r for r in bundle.age_recipients if r.fingerprint != fingerprint),
        signing_keys=tuple(k for k in bundle.signing_keys if k.fingerprint != fingerprint),
        path=folder / BUNDLE_FILE,
    )
    write_bundle(new_bundle, folder / BUNDLE_FILE)
    return new_bundle
