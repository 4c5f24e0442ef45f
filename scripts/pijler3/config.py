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
    agreement_end = 2028-02-14    # optional until the agreement's end is known
    years = 5                     # 1 .. 5
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from pijler3 import insz
from pijler3.envelope import WAVE_PATTERN
from pijler3.errors import ConfigError
from pijler3.keys import PARTIES, Party
from pijler3.sftp.transport import Endpoint, RetryPolicy

_SECTIONS: dict[str, set[str]] = {
    "": {"party", "wave", "sftp", "keys", "folders", "databases", "bi", "retention"},
    "sftp": {"host", "port", "user", "key", "known_hosts", "attempts"},
    "keys": {"folder", "peer_bundle"},
    "folders": {"outgoing", "incoming", "work", "audit", "extract"},
    "databases": {"restricted", "monitoring", "vdab"},
    "bi": {"threshold", "file", "docs"},
    "retention": {"agreement_end", "years"},
}
_REQUIRED: dict[str, set[str]] = {
    "": {"party", "sftp", "keys", "folders"},
    "sftp": {"host", "user", "key", "known_hosts"},
    "keys": {"folder", "peer_bundle"},
    "folders": {"outgoing", "incoming", "work", "audit"},
    "databases": set(),
    "bi": set(),
    "retention": set(),
}
MAX_RETENTION_YEARS = 5
# A pasted secret: the pseudonym key (64 hex), an age identity, or a long base64 run of a PEM/OpenSSH key body. Paths
# built from such a value would print it in every later message about the file.
_SECRET_LIKE = re.compile(r"[0-9a-fA-F]{32,}|AGE-SECRET-KEY-|[A-Za-z0-9+=]{40,}")


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
    for section in ("sftp", "keys", "folders", "databases", "bi", "retention"):
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

    agreement_end = retention.get("agreement_end")
    if agreement_end is not None and (type(agreement_end) is not dt.date):
        raise ConfigError(
            f"{path}: retention.agreement_end = {_shown(agreement_end)}; expected a TOML date such as 2028-02-14"
            " (no quotes)"
        )

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
    )


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
