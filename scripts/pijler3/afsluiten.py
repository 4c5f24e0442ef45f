"""The end of the protocol (art. 8, 12): one party closes its side — purges every wave, destroys the databases and
files built from the exchanged data and every private key, logs each step and writes the final evidence report.

``afsluiten`` is refused until ``[retention] agreement_end`` is set to a day that has passed (B15 in
``docs/maatregelen.md``: the DPO sets it to the day the protocol ended), so no wave can start once the keys are gone
(the exchange window of ``PartyConfig.check_exchange_window``). It runs in this order, each step an audit event:

1. ``close-started``;
2. ``purge`` of every wave (``pijler3.retention``), including the party's processed files on the SFTP server;
3. ``file-destroyed`` for each database and published file built from the exchanged data (the agencies' monitoring
   and restricted databases, the BI file and its report; VDAB's working database), unlinked;
4. ``key-destroyed`` for each private key (``age.key``, ``signing.pem`` and retired signing keys, ``pseudonym.key``,
   the SSH login key): overwritten with random bytes, fsync'd, then unlinked;
5. ``close-done``; then the final evidence report is written beside the audit log.

What stays: the audit log, the step records and signed manifests (no personal data: the evidence), the public key
bundles (their fingerprints name the destroyed keys in the report) and the party's own source extracts, which belong
to the party and not to the exchange. Overwriting a file does not reach copies a journaling file system, an SSD or a
backup keeps; the printed checklist names those, and what else software cannot do.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pijler3 import rapport
from pijler3.audit import AuditLog
from pijler3.config import PartyConfig
from pijler3.errors import ConfigError, InputError
from pijler3.evidence import verify_audit, write_report
from pijler3.files import exclusive_lock
from pijler3.keys import AGE_IDENTITY_FILE, PSEUDONYM_KEY_FILE, SIGNING_KEY_FILE
from pijler3.retention import PurgeResult, purge

REPORT_STEM = "afsluiting"

CHECKLIST: tuple[str, ...] = (
    "Ask the SFTP administrator (VDAB, docs/sftp.md) to close this party's SFTP account, remove its public key and"
    " confirm that its exchange folders are empty.",
    "Send the final evidence report and the audit head printed above to the other party's DPO, and obtain their"
    " written confirmation that they closed their side too (their own `pijler3 afsluiten` report).",
    "Destroy the offline backups of the private keys and of pseudonym.key (vault, encrypted media): software cannot"
    " reach them.",
    "Have the backups of this machine that hold the databases or keys expire or be destroyed, and note when.",
    "Ask the BI working group (art. 4) to delete their copies of the BI file and the report.",
    "Archive the final evidence report and the audit log outside this machine (docs/maatregelen.md, B4).",
    "Update the privacy page where the protocol is published (art. 10): the exchange has ended.",
)


@dataclass(frozen=True)
class Closing:
    party: str
    dry_run: bool
    purge: PurgeResult
    files: tuple[Path, ...]
    """Databases and published files built from the exchanged data: destroyed (or, in a dry run, to destroy)."""
    keys: tuple[Path, ...]
    """Private keys: overwritten and unlinked (or, in a dry run, to be)."""
    report: Path | None
    head: str | None


def private_keys(config: PartyConfig) -> list[Path]:
    """Every private key file of the party that exists: the key folder's and the SSH login key."""
    folder = config.key_folder
    candidates = [
        folder / AGE_IDENTITY_FILE,
        folder / SIGNING_KEY_FILE,
        *sorted(folder.glob("signing.*.retired.pem")),
        folder / PSEUDONYM_KEY_FILE,
        config.sftp.key,
    ]
    return [_shown(path) for path in candidates if os.path.lexists(path)]


def _shown(path: Path) -> Path:
    """``path`` with its folder resolved (no ``..`` in messages and events) but the file itself not followed."""
    return path.parent.resolve() / path.name


def built_files(config: PartyConfig) -> list[Path]:
    """The databases and published files built from exchanged data that exist."""
    candidates: list[Path | None] = [config.restricted_db, config.monitoring_db, config.vdab_db]
    if config.bi_file is not None:
        candidates += [config.bi_file, config.bi_file.with_name(rapport.RAPPORT_NAAM)]
    found = []
    for path in candidates:
        if path is None:
            continue
        for companion in (path, path.with_name(path.name + ".wal")):
            if os.path.lexists(companion):
                found.append(_shown(companion))
    return found


def close(
    config: PartyConfig,
    *,
    confirm: str | None,
    dry_run: bool = False,
    server: bool = True,
    today: dt.date | None = None,
    say: Callable[[str], None] = lambda message: None,
) -> Closing:
    """Close the party's side of the protocol as the module doc describes; ``dry_run`` changes nothing."""
    today = today or dt.date.today()
    if config.agreement_end is None or config.agreement_end > today:
        raise ConfigError(
            f"{config.path}: [retention] agreement_end is {config.agreement_end or 'not set'}; set it to the day the"
            " protocol ended (art. 12, or the notice of art. 8; docs/maatregelen.md B15) before closing, so no wave"
            " can start afterwards"
        )
    if not dry_run and confirm != config.party:
        raise InputError(
            f"afsluiten destroys every wave, database and private key of {config.party} for good; run it with"
            f" --dry-run to see what, then with --confirm {config.party}"
        )
    keys, files = private_keys(config), built_files(config)
    for path in [*keys, *files]:
        _check_plain_file(path)
    audit = AuditLog(config.audit_log, config.party)
    with exclusive_lock(config.audit_log.with_name(f"{config.party}.afsluiten")):
        if not dry_run:
            audit.record("close-started", agreement_end=str(config.agreement_end))
        say(f"{'would purge' if dry_run else 'purging'} every wave")
        purged = purge(config, keep_waves=0, dry_run=dry_run, server=server, today=today)
        for path in files:
            say(f"{'would destroy' if dry_run else 'destroying'} {path}")
            if not dry_run:
                path.unlink()
                audit.record("file-destroyed", file=str(path))
        for path in keys:
            say(f"{'would destroy' if dry_run else 'destroying'} key {path}")
            if not dry_run:
                size = _overwrite_and_unlink(path)
                audit.record("key-destroyed", file=str(path), size=size, method="overwritten-unlinked")
        if dry_run:
            return Closing(config.party, True, purged, tuple(files), tuple(keys), None, None)
        audit.record(
            "close-done", waves_removed=len(purged.removed), files_destroyed=len(files), keys_destroyed=len(keys)
        )
        report = write_report(config, config.audit_log.with_name(f"rapport-{config.party}-{REPORT_STEM}.html"))
        write_report(config, report.with_suffix(".md"))
    return Closing(config.party, False, purged, tuple(files), tuple(keys), report, verify_audit(config).head)


def _check_plain_file(path: Path) -> None:
    """A key or database that is a symbolic link or not a regular file is refused: overwriting through a link would
    destroy whatever it points at."""
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(
            f"{path}: not a regular file (a symbolic link or something else); nothing was destroyed. Check why it is"
            " there, replace it by the file itself or remove it, then run afsluiten again"
        )


def _overwrite_and_unlink(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    try:
        size = os.fstat(fd).st_size
        written = 0
        while written < size:
            written += os.pwrite(fd, os.urandom(min(size - written, 1 << 20)), written)
        os.fsync(fd)
    finally:
        os.close(fd)
    path.unlink()
    return size
