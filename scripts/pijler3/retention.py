"""Retention (protocol art. 3): the data is kept at most five years after the cooperation agreement ends.

``purge`` removes whole waves. Which ones: those with a reference date before ``before``, all but the ``keep_waves``
latest, or — with neither — every wave once the configuration's retention date (``[retention] agreement_end`` plus
``years``) has passed. For the agencies it deletes the waves' rows from every table of the monitoring database that
has a ``golf`` column (the pseudonymised dataset, the history, the marts) and the pseudonym replacements no remaining
wave uses, then rewrites the database file so the deleted rows are not left in free blocks, and republishes the BI
file. For VDAB it deletes its received copies of the pseudonymised dataset. Both delete the sealed correction notices
they received for the waves (``pijler3.meldingen``; the register keeps their counts). Both clear their exchange
folders on the server of processed files (received and opened, or belonging to a removed wave). Each purge is one
``purge`` event in the audit log; ``dry_run`` only reports what would go.

The per-wave step records and signed manifests under ``<work>/<wave>/`` stay: they hold no personal data and are the
evidence that the exchange happened and was removed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from pijler3 import meldingen, rapport
from pijler3.audit import AuditLog
from pijler3.bi import marts_from_manifest, publish
from pijler3.config import PartyConfig
from pijler3.duckdb_file import rewrite
from pijler3.envelope import WAVE_PATTERN, peildatum
from pijler3.errors import InputError, Pijler3Error
from pijler3.gepseudonimiseerd import DATASET_TABLE
from pijler3.sftp import inbox, outbox
from pijler3.sftp.transport import ConnectionFailed, RemoteFile, SftpTransport

REPLACEMENTS_TABLE = "pseudoniem_vervangingen"


@dataclass(frozen=True)
class PurgeResult:
    party: str
    present: tuple[str, ...]
    removed: tuple[str, ...]
    reason: str
    dry_run: bool
    rows_removed: int
    local_files: tuple[Path, ...]
    server_files: tuple[str, ...]
    server_reachable: bool = True


def purge(
    config: PartyConfig,
    *,
    before: dt.date | None = None,
    keep_waves: int | None = None,
    dry_run: bool = False,
    server: bool = True,
    today: dt.date | None = None,
) -> PurgeResult:
    """Remove the waves selected as described in the module doc; ``server=False`` leaves the SFTP server alone.

    The server is contacted before anything is removed: when it cannot be reached, a real purge changes nothing
    (``ConnectionFailed``, exit code 75: run it again later, or with ``server=False``), and a dry run tries once and
    reports the local part with ``server_reachable=False``.
    """
    if before is not None and keep_waves is not None:
        raise InputError("give either --before or --keep-waves, not both")
    if keep_waves is not None and keep_waves < 0:
        raise InputError(f"--keep-waves {keep_waves}: expected 0 or more")
    present = tuple(sorted(_waves_present(config)))
    remove, reason = _select(config, present, before, keep_waves, today or dt.date.today())
    if not server:
        return _purge(config, present, remove, reason, dry_run, None)
    audit = AuditLog(config.audit_log, config.party)
    retry = replace(config.retry, attempts=1) if dry_run else config.retry
    try:
        with SftpTransport(config.sftp, audit=audit, retry=retry, progress=False) as sftp:
            return _purge(config, present, remove, reason, dry_run, sftp)
    except ConnectionFailed:
        if not dry_run:
            raise
    return replace(_purge(config, present, remove, reason, dry_run, None), server_reachable=False)


def _purge(
    config: PartyConfig,
    present: tuple[str, ...],
    remove: tuple[str, ...],
    reason: str,
    dry_run: bool,
    sftp: SftpTransport | None,
) -> PurgeResult:
    server_files = _server_files(sftp, config, remove) if sftp is not None else []
    rows = 0
    local: list[Path] = []
    if config.party == "agentschap":
        rows = _purge_monitoring(config, remove, dry_run)
        local = [p for w in remove if (p := config.outgoing / f"{w}.gepseudonimiseerd.parquet").exists()]
    else:
        local = [p for w in remove if (p := config.incoming / f"{w}.gepseudonimiseerd.parquet").exists()]
    # Received correction notices stay sealed until then (pijler3.meldingen); the register keeps their counts.
    local += [p for w in remove for p in sorted(meldingen.kept_folder(config).glob(f"{w}.melding.csv*"))]
    if not dry_run:
        for path in local:
            path.unlink()
        if config.party == "agentschap" and remove:
            _republish(config)
        if sftp is not None:
            for remote in server_files:
                wave = remote.name.partition(".")[0]
                sftp.remove(remote.path, wave=wave if WAVE_PATTERN.match(wave) else None)
        AuditLog(config.audit_log, config.party).record(
            "purge",
            waves=",".join(remove) or None,
            reason=reason,
            rows_removed=rows,
            local_files_removed=len(local),
            server_files_removed=len(server_files),
            retention_until=str(config.retention_until) if config.retention_until else None,
        )
    return PurgeResult(
        config.party, present, remove, reason, dry_run, rows, tuple(local), tuple(f.path for f in server_files)
    )


def _select(
    config: PartyConfig, present: Sequence[str], before: dt.date | None, keep_waves: int | None, today: dt.date
) -> tuple[tuple[str, ...], str]:
    if before is not None:
        return tuple(w for w in present if peildatum(w) < before), f"reference date before {before}"
    if keep_waves is not None:
        cut = len(present) - keep_waves
        return tuple(present[: max(cut, 0)]), f"keep the {keep_waves} latest wave(s)"
    until = config.retention_until
    if until is None:
        return (), "retention.agreement_end is not set: no wave is past retention (use --before or --keep-waves)"
    if today > until:
        return tuple(present), f"retention ended on {until} (art. 3)"
    return (), f"every wave may be kept until {until} (art. 3)"


def _waves_present(config: PartyConfig) -> set[str]:
    if config.party == "vdab":
        if not config.incoming.is_dir():
            return set()
        names = (p.name.split(".")[0] for p in config.incoming.glob("*.gepseudonimiseerd.parquet"))
        return {n for n in names if WAVE_PATTERN.match(n)}
    monitoring = config.require("databases.monitoring", config.monitoring_db)
    if not monitoring.is_file():
        return set()
    with duckdb.connect(str(monitoring), read_only=True) as con:
        try:
            return {str(w) for (w,) in con.execute(f"select distinct golf from {DATASET_TABLE}").fetchall()}
        except duckdb.CatalogException:
            return set()


def _purge_monitoring(config: PartyConfig, remove: Sequence[str], dry_run: bool) -> int:
    monitoring = config.require("databases.monitoring", config.monitoring_db)
    if not remove or not monitoring.is_file():
        return 0
    waves = list(remove)
    rows = 0
    with duckdb.connect(str(monitoring), read_only=dry_run) as con:
        tables = con.execute(
            "select t.schema_name, t.table_name from duckdb_tables() as t inner join duckdb_columns() as c"
            " on c.table_oid = t.table_oid where c.column_name = 'golf' and t.database_name = current_database()"
        ).fetchall()
        if not dry_run:
            con.execute("begin transaction")
        for schema, table in tables:
            relation = f'"{schema}"."{table}"'
            found = con.execute(f"select count(*) from {relation} where golf in ?", [waves]).fetchone()
            rows += int(found[0]) if found else 0
            if not dry_run:
                con.execute(f"delete from {relation} where golf in ?", [waves])
        if not dry_run:
            if (REPLACEMENTS_TABLE,) in con.execute("show tables").fetchall():
                # A pair of pseudonyms only links waves; once no remaining wave carries either, it is kept for nothing.
                con.execute(
                    f"delete from {REPLACEMENTS_TABLE} as r where not exists (select 1 from {DATASET_TABLE} as d"
                    " where d.pseudoniem in (r.oud_pseudoniem, r.nieuw_pseudoniem))"
                )
            con.execute("commit")
    if not dry_run:
        rewrite(monitoring, after="the purge")
    return rows


def _republish(config: PartyConfig) -> None:
    if config.bi_file is None or config.monitoring_db is None:
        return
    manifests = sorted(config.work.glob("*/dbt/build-dataset/marts/target/manifest.json"))
    if not manifests:
        raise Pijler3Error(
            f"purged {config.monitoring_db}, but no dbt manifest of the marts under {config.work} to republish "
            f"{config.bi_file}; run a wave, or remove the BI file by hand"
        )
    publish(config.monitoring_db, config.bi_file, marts_from_manifest(manifests[-1]))
    # the report beside the BI file must not keep showing the purged waves
    rapport.write(config.bi_file)


def _processed(config: PartyConfig, name: str, remove: Sequence[str]) -> bool:
    wave, _, rest = name.partition(".")
    kind = rest.split(".")[0]
    return wave in remove or (config.work / wave / f"{kind}.ontvangen.json").is_file()


def _server_files(sftp: SftpTransport, config: PartyConfig, remove: Sequence[str]) -> list[RemoteFile]:
    found = []
    for folder, mine in ((inbox(config.party), True), (outbox(config.party), False)):
        for remote in sftp.listdir(folder):
            # Our inbox: what we opened already, or a removed wave; our outbox: only removed waves, since the other
            # party may not have fetched the rest yet.
            wave = remote.name.partition(".")[0]
            if (mine and _processed(config, remote.name, remove)) or (not mine and wave in remove):
                found.append(remote)
    return found
