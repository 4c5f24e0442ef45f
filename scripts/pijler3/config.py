"""One TOML configuration file per party: where the SFTP server is, which key files to use, which folders to work in.

Secrets are never in the file, only the paths of the files holding them; relative paths are relative to the
configuration file's folder. Example (``agentschap.toml``)::

    party = "agentschap"          # or "vdab"
    wave = "2026-S2"              # optional default; ``--wave`` overrides it

    [sftp]
    host = "sftp.example.be"
    port = 22
    user = "agentschap"
    key = "keys/agentschap/ssh_ed25519"       # private SSH key, mode 0600
    known_hosts = "keys/agentschap/known_hosts"
    attempts = 5                              # optional: tries through connection failures

    [keys]
    folder = "keys/agentschap"                # our age.key and signing.pem (pijler3 keys generate)
    peer_bundle = "keys/vdab.bundle.json"     # the other party's pinned public bundle

    [folders]
    outgoing = "agentschap/uit"   # files to send, named WAVE.KIND.csv or WAVE.KIND.parquet
    incoming = "agentschap/in"    # received files, decrypted and verified
    work = "agentschap/werk"      # sealed envelopes, downloads and the per-wave leg state
    audit = "audit"               # the party's audit log: audit/<party>.jsonl

    [bi]
    threshold = 5                 # agencies only: smallest published count (disclosure control)

What ``pijler3 run-wave`` and ``pijler3 purge`` need besides the legs (optional for the legs alone)::

    [folders]
    extract = "sources/kbi"       # the party's own source extract (docs/bronbestanden.md): kbi/ or vdab/

    [databases]
    restricted = "agentschap/restricted.duckdb"   # agencies: everything with an INSZ, deleted after each wave
    monitoring = "agentschap/monitoring.duckdb"   # agencies: pseudonymised dataset, history, marts (persistent)
    vdab = "vdab/vdab.duckdb"                     # VDAB: its working database (own extract, request while linking)

    [bi]
    file = "bi/monitoring.duckdb" # agencies: the published BI file (marts only)
    docs = "docs"                 # agencies: folder of the data dictionary (docs/index.html)

    [retention]                   # protocol art. 3: kept at most 5 years after the cooperation agreement ends
    agreement_start = 2023-03-03  # optional: the protocol's entry into force (art. 12)
    agreement_end = 2028-02-14    # optional until the agreement's end is known
    years = 5                     # 1 .. 5

The exchange window (art. 5 and 12): with ``agreement_start`` or ``agreement_end`` set, a wave whose reference date
lies outside them, or any exchange after ``agreement_end``, is refused before anything is read or sent.

Who may see the exchanged data (art. 4), shown per wave in the evidence report; optional, but a party without it
gets a report that says the list is missing::

    [access]
    recipients = ["Dienst Monitoring", "Dienst Ontwikkeling van de Dienstverlening"]  # art. 4: services/groups
    profiles = ["analist monitoring"]          # the function profiles with access (art. 4: kept current)
    operators = ["pijler3@vdab-etl01"]         # OS user@host allowed to run pijler3 ("door" in the audit log)

Contact points for the data subjects (art. 10; ``pijler3 transparantie``)::

    [contact]
    organisation = "VDAB"
    dpo = "privacy@vdab.be"                    # the data protection officer's address
    privacy_url = "https://www.vdab.be/privacy"
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from pijler3 import insz
from pijler3.envelope import WAVE_PATTERN, peildatum
from pijler3.errors import ConfigError
from pijler3.keys import PARTIES, Party
from pijler3.sftp.transport import Endpoint, RetryPolicy

_SECTIONS: dict[str, set[str]] = {
    "": {"party", "wave", "sftp", "keys", "folders", "databases", "bi", "retention", "access", "contact"},
    "sftp": {"host", "port", "user", "key", "known_hosts", "attempts"},
    "keys": {"folder", "peer_bundle"},
    "folders": {"outgoing", "incoming", "work", "audit", "extract"},
    "databases": {"restricted", "monitoring", "vdab"},
    "bi": {"threshold", "file", "docs"},
    "retention": {"agreement_start", "agreement_end", "years"},
    "access": {"recipients", "profiles", "operators"},
    "contact": {"organisation", "dpo", "privacy_url"},
}
_REQUIRED: dict[str, set[str]] = {
    "": {"party", "sftp", "keys", "folders"},
    "sftp": {"host", "user", "key", "known_hosts"},
    "keys": {"folder", "peer_bundle"},
    "folders": {"outgoing", "incoming", "work", "audit"},
    "databases": set(),
    "bi": set(),
    "retention": set(),
    "access": set(),
    "contact": set(),
}
MAX_RETENTION_YEARS = 5
# A pasted secret: the pseudonym key (64 hex), an age identity, or a long base64 run of a PEM/OpenSSH key body. Paths
# built from such a value would print it in every later message about the file.
_SECRET_LIKE = re.compile(r"[0-9a-fA-F]{32,}|AGE-SECRET-KEY-|[A-Za-z0-9+=]{40,}")
# An operator as the audit log names it: ``os_user@os_host``.
_OPERATOR = re.compile(r"^[A-Za-z0-9._-]{1,64}@[A-Za-z0-9._-]{1,253}$")
_MAX_TEXT = 200


class OutsideAgreement(ConfigError):
    """A wave outside the cooperation agreement's exchange window (art. 5, 12): nothing is read or sent."""


@dataclass(frozen=True)
class Access:
    """Who may see the exchanged data (protocol art. 4), as the party's configuration lists it."""

    recipients: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    operators: tuple[str, ...] = ()

    @property
    def listed(self) -> bool:
        return bool(self.recipients or self.profiles or self.operators)


@dataclass(frozen=True)
class Contact:
    """The party's contact points for the data subjects (art. 10)."""

    organisation: str | None = None
    dpo: str | None = None
    privacy_url: str | None = None


@dataclass(frozen=True)
class PartyConfig:
    path: Path
    party: Party
    wave: str | None
    sftp: Endpoint
    retry: RetryPolicy
    key_folder: Path
    peer_bundle: Path
    outgoing: Path
    incoming: Path
    work: Path
    audit_log: Path
    threshold: int
    extract: Path | None = None
    restricted_db: Path | None = None
    monitoring_db: Path | None = None
    vdab_db: Path | None = None
    bi_file: Path | None = None
    docs_folder: Path | None = None
    agreement_end: dt.date | None = None
    retention_years: int = MAX_RETENTION_YEARS
    agreement_start: dt.date | None = None
    access: Access = Access()
    contact: Contact = Contact()

    @property
    def age_identity(self) -> Path:
        return self.key_folder / "age.key"

    @property
    def signing_key(self) -> Path:
        return self.key_folder / "signing.pem"

    @property
    def retention_until(self) -> dt.date | None:
        """The last day the data may be kept (art. 3), or ``None`` while the agreement's end is not known."""
        if self.agreement_end is None:
            return None
        end, year = self.agreement_end, self.agreement_end.year + self.retention_years
        try:
            return end.replace(year=year)
        except ValueError:  # 29 February plus whole years lands on 28 February in a common year
            return end.replace(year=year, day=28)

    def check_exchange_window(self, wave: str, today: dt.date | None = None) -> None:
        """Refuse ``wave`` (``OutsideAgreement``) when its reference date lies outside the agreement, or when today is
        past its end: the protocol ends with the exchange period (art. 5, 12)."""
        today = today or dt.date.today()
        reference = peildatum(wave)
        start, end = self.agreement_start, self.agreement_end
        problem = None
        if start is not None and reference < start:
            problem = f"its reference date {reference} lies before agreement_start = {start}"
        elif end is not None and reference > end:
            problem = f"its reference date {reference} lies after agreement_end = {end}"
        elif end is not None and today > end:
            problem = f"today ({today}) is after agreement_end = {end}"
        if problem:
            raise OutsideAgreement(
                f"wave {wave} is outside the exchange window of the cooperation agreement ({self.path}, [retention]):"
                f" {problem}; protocol art. 5 and 12 allow no exchange outside it, so nothing was read or sent."
                " Close the protocol with `pijler3 afsluiten`, or correct the dates if the agreement was extended"
                " in writing"
            )

    def require(self, name: str, value: Path | None) -> Path:
        """``value``, or a ``ConfigError`` saying which key to add for a command that needs it."""
        if value is None:
            raise ConfigError(f"{self.path}: {name} is not set; add it to run this command (see pijler3.config)")
        return value


def load_config(path: Path) -> PartyConfig:
    """Read and check ``path``; every problem is a ``ConfigError`` naming the file and the key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    base = path.resolve().parent
    _check_keys(path, "", raw)
    for section in ("sftp", "keys", "folders", "databases", "bi", "retention", "access", "contact"):
        if section in raw:
            if not isinstance(raw[section], dict):
                raise ConfigError(f"{path}: [{section}] must be a table")
            _check_keys(path, section, raw[section])
    sftp, keys, folders, bi = raw["sftp"], raw["keys"], raw["folders"], raw.get("bi", {})
    databases, retention = raw.get("databases", {}), raw.get("retention", {})

    party = _string(path, "party", raw["party"])
    if party not in PARTIES:
        raise ConfigError(f"{path}: party = {party!r}; expected one of {', '.join(PARTIES)}")
    wave = _string(path, "wave", raw["wave"]) if "wave" in raw else None
    if wave is not None and not WAVE_PATTERN.match(wave):
        raise ConfigError(f"{path}: wave = {wave!r}; expected YEAR-S1 or YEAR-S2, e.g. 2026-S2")
    port = sftp.get("port", 22)
    attempts = sftp.get("attempts", 5)
    threshold = bi.get("threshold", 5)
    years = retention.get("years", MAX_RETENTION_YEARS)
    for name, value, low, high in (
        ("sftp.port", port, 1, 65535),
        ("sftp.attempts", attempts, 1, 20),
        ("bi.threshold", threshold, 1, 1000),
        ("retention.years", years, 1, MAX_RETENTION_YEARS),
    ):
        if type(value) is not int or not low <= value <= high:
            raise ConfigError(f"{path}: {name} = {_shown(value)}; expected a whole number from {low} to {high}")

    def file(section: str, key: str, table: dict[str, Any]) -> Path:
        return base / _string(path, f"{section}.{key}", table[key])

    def optional(section: str, key: str, table: dict[str, Any]) -> Path | None:
        return file(section, key, table) if key in table else None

    agreement_start, agreement_end = (_date(path, retention, key) for key in ("agreement_start", "agreement_end"))
    if agreement_start is not None and agreement_end is not None and agreement_start >= agreement_end:
        raise ConfigError(
            f"{path}: retention.agreement_start = {agreement_start} is not before agreement_end = {agreement_end}"
        )
    access_table, contact_table = raw.get("access", {}), raw.get("contact", {})
    access = Access(**{key: _strings(path, f"access.{key}", value) for key, value in access_table.items()})
    for operator in access.operators:
        if not _OPERATOR.match(operator):
            raise ConfigError(
                f"{path}: access.operators holds {operator!r}; expected user@host as the audit log names them"
                " (e.g. pijler3@vdab-etl01)"
            )
    contact = Contact(**{key: _text(path, f"contact.{key}", value) for key, value in contact_table.items()})

    endpoint = Endpoint(
        host=_string(path, "sftp.host", sftp["host"]),
        port=port,
        user=_string(path, "sftp.user", sftp["user"]),
        key=file("sftp", "key", sftp),
        known_hosts=file("sftp", "known_hosts", sftp),
    )
    return PartyConfig(
        path=path,
        party=cast(Party, party),
        wave=wave,
        sftp=endpoint,
        retry=RetryPolicy(attempts=attempts),
        key_folder=file("keys", "folder", keys),
        peer_bundle=file("keys", "peer_bundle", keys),
        outgoing=file("folders", "outgoing", folders),
        incoming=file("folders", "incoming", folders),
        work=file("folders", "work", folders),
        audit_log=file("folders", "audit", folders) / f"{party}.jsonl",
        threshold=threshold,
        extract=optional("folders", "extract", folders),
        restricted_db=optional("databases", "restricted", databases),
        monitoring_db=optional("databases", "monitoring", databases),
        vdab_db=optional("databases", "vdab", databases),
        bi_file=optional("bi", "file", bi),
        docs_folder=optional("bi", "docs", bi),
        agreement_end=agreement_end,
        retention_years=years,
        agreement_start=agreement_start,
        access=access,
        contact=contact,
    )


def _date(path: Path, retention: dict[str, Any], key: str) -> dt.date | None:
    value = retention.get(key)
    if value is not None and type(value) is not dt.date:
        raise ConfigError(
            f"{path}: retention.{key} = {_shown(value)}; expected a TOML date such as 2028-02-14 (no quotes)"
        )
    return value


def _text(path: Path, name: str, value: Any) -> str:
    """A short line of text that reports and the transparency text show (escaped there)."""
    text = _string(path, name, value)
    if len(text) > _MAX_TEXT or any(not c.isprintable() for c in text):
        raise ConfigError(f"{path}: {name} must be one printable line of at most {_MAX_TEXT} characters")
    return text


def _strings(path: Path, name: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f'{path}: {name} must be a non-empty list of strings, e.g. ["Dienst Monitoring"]')
    texts = tuple(_text(path, name, item) for item in value)
    if len(set(texts)) != len(texts):
        raise ConfigError(f"{path}: {name} names the same entry twice")
    return texts


def _check_keys(path: Path, section: str, table: dict[str, Any]) -> None:
    where = f"[{section}]" if section else "the top level"
    unknown = sorted(set(table) - _SECTIONS[section])
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) {', '.join(unknown)} in {where}; allowed: {', '.join(sorted(_SECTIONS[section]))}"
        )
    missing = sorted(_REQUIRED[section] - set(table))
    if missing:
        raise ConfigError(f"{path}: missing key(s) {', '.join(missing)} in {where}")


def _shown(value: Any) -> str:
    """``value`` for a message, unless it may be a secret or an INSZ: messages end up in a scheduler's logs."""
    text = repr(value)
    return "a value not shown here" if _SECRET_LIKE.search(text) or insz.shaped_in(text) else text


def _string(path: Path, name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path}: {name} must be a non-empty string, got {_shown(value)}")
    if "\n" in value or "PRIVATE KEY" in value or _SECRET_LIKE.search(value):
        raise ConfigError(
            f"{path}: {name} holds what looks like a key itself (not shown here); give the path of the key file"
            " instead, and replace the key if this file was shared"
        )
    if insz.shaped_in(value):
        raise ConfigError(f"{path}: {name} holds what looks like an INSZ (not shown here); remove it from the value")
    return value
