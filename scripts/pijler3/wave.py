"""One party's half-yearly wave as a chain of small steps, each with a check that its output exists and verifies.

The agencies (``agentschap``)::

    load-kbi -> build-request -> export-request -> send-request
    -> receive-enrichment -> receive-meldingen -> load-enrichment -> build-dataset -> send-melding
    -> export-dataset -> share-dataset -> publish-bi -> docs -> delete-restricted -> insz-scan

VDAB::

    load-vdab (only when the extract changed) -> receive-request -> load-request -> build-enrichment
    -> send-melding -> export-enrichment -> send-enrichment -> clean-up -> receive-dataset -> receive-meldingen
    -> insz-scan

``send-melding`` notifies the other party (art. 7, ``pijler3.meldingen``) of the problems the wave's checks found in
its records, while the restricted data still exist, and only when there are any; ``receive-meldingen`` loads the
other party's notices (sent before the file it just received) and answers to ours, without waiting for any.

``run_wave`` resumes after the last step whose output verifies: a step's output is what later steps consume and
then remove (the request file, the restricted database), so a verified later step vouches for every earlier one. A
receive step whose file the other party has not uploaded yet ends the run with status ``waiting``; run it again later
(exit code 75 from the CLI). Each completed step leaves ``<work>/<wave>/stappen/<step>.json`` (what it produced: row
counts, hashes, the columns of every exchanged file, checks — never personal data) and a ``step-done`` event in the
party's audit log; the record keeps that event's line number and hash, an anchor of the log's hash chain
(``pijler3.audit``). The evidence report (``pijler3.evidence``) is built from both.

dbt writes ``target/`` and ``logs/`` per step into ``<work>/<wave>/dbt/<step>/``, so each wave keeps the run results
of its own builds (which tests ran, passed or warned).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb

from pijler3 import artikel3, leakscan, meldingen, rapport
from pijler3.audit import AuditLog, Scalar
from pijler3.bi import marts_from_manifest, publish
from pijler3.clock import utc_now, utc_timestamp
from pijler3.config import PartyConfig
from pijler3.dbt_runner import REPO, DbtPlugin, run_dbt
from pijler3.digest import sha256_file
from pijler3.docs_site import STATIC_PAGE, publish_page
from pijler3.envelope import Kind, check_wave, default_ledger, peildatum
from pijler3.envelope import restart_wave as restart_ledger
from pijler3.errors import ConfigError, InputError, Pijler3Error
from pijler3.exchange_files import VERRIJKING_SCHEMA, exporteer_aanvraag, exporteer_verrijking
from pijler3.files import write_json
from pijler3.gepseudonimiseerd import DATASET_TABLE, exporteer_dataset
from pijler3.keys import PSEUDONYM_KEY_FILE, Party, load_bundle, load_identities, load_signing_key
from pijler3.legs import NotYetAvailable, SetAside, check_exchange_window, received_manifest, run_leg
from pijler3.loading import (
    VDAB_PARQUET_COLUMNS,
    check_extract_folder,
    load_exchange_csv,
    load_exchange_parquet,
    load_extract,
)
from pijler3.pseudonym import load_key as load_pseudonym_key
from pijler3.sftp.transport import load_login_key
from pijler3.vdab import ruim_aanvraag_op

Details = dict[str, Scalar]
Progress = Callable[[str], None]
# Unit tests check the models' logic on fixed fixtures, not the wave's data: every `dbt build` of the test suite runs
# them, a production wave skips their fixed cost (dbt's advice for production builds; bench/README.md).
SKIP_UNIT_TESTS = ("--exclude-resource-type", "unit_test")
DOCS_SKIP = ("--exclude", "resource_type:test", "resource_type:unit_test")


class StepFailed(Pijler3Error):
    """A step's own check failed (e.g. the INSZ scan found a number); the message says what to fix."""


@dataclass(frozen=True)
class Run:
    """What every step of one party's wave needs: the configuration, the wave and its folders."""

    config: PartyConfig
    wave: str
    set_aside: list[SetAside] = field(default_factory=list, compare=False)
    """Envelopes this run moved into quarantine (receive steps add them), for the exit code and the operator."""

    @property
    def state(self) -> Path:
        return self.config.work / self.wave / "stappen"

    def dbt_dir(self, step: str) -> Path:
        return self.config.work / self.wave / "dbt" / step

    @property
    def dbt_parse_cache(self) -> Path:
        """dbt's parse, shared by this party's dbt steps of the wave (same target and variables)."""
        return self.config.work / self.wave / "dbt" / "partial_parse.msgpack"

    @property
    def dbt_vars(self) -> str:
        return json.dumps(
            {"golf": self.wave, "peildatum": peildatum(self.wave).isoformat(), "sdc_drempel": self.config.threshold}
        )

    def outgoing(self, kind: str, suffix: str) -> Path:
        return self.config.outgoing / f"{self.wave}.{kind}{suffix}"

    def incoming(self, kind: str, suffix: str) -> Path:
        return self.config.incoming / f"{self.wave}.{kind}{suffix}"

    def leg_marker(self, kind: str, direction: Literal["verzonden", "ontvangen"]) -> Path:
        return self.config.work / self.wave / f"{kind}.{direction}.json"

    def marker(self, step: str) -> Path:
        return self.state / f"{step}.json"

    def details(self, step: str) -> Details | None:
        try:
            recorded: dict[str, Any] = json.loads(self.marker(step).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise Pijler3Error(
                f"{self.marker(step)}: unreadable step record ({exc}); remove it to redo the step"
            ) from exc
        found: Details = recorded.get("details", {})
        return found

    # -- the party's paths, each required only by the steps that use it ------------------------------------------

    @property
    def extract(self) -> Path:
        return self.config.require("folders.extract", self.config.extract)

    @property
    def restricted(self) -> Path:
        return self.config.require("databases.restricted", self.config.restricted_db)

    @property
    def monitoring(self) -> Path:
        return self.config.require("databases.monitoring", self.config.monitoring_db)

    @property
    def vdab_db(self) -> Path:
        return self.config.require("databases.vdab", self.config.vdab_db)

    @property
    def bi_file(self) -> Path:
        return self.config.require("bi.file", self.config.bi_file)

    @property
    def docs_folder(self) -> Path:
        return self.config.require("bi.docs", self.config.docs_folder)

    def agencies_env(self) -> dict[str, str]:
        self.restricted.parent.mkdir(parents=True, exist_ok=True)
        self.monitoring.parent.mkdir(parents=True, exist_ok=True)
        return {"PIJLER3_RESTRICTED_DB": str(self.restricted), "PIJLER3_MONITORING_DB": str(self.monitoring)}

    def pseudonym_plugin(self) -> DbtPlugin:
        # The profile names the key file only; the plugin reads the secret itself (docs/pseudonimisering.md).
        return DbtPlugin(
            "pijler3.dbt_plugin", "pseudonym", {"key_file": str(self.config.key_folder / PSEUDONYM_KEY_FILE)}
        )


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    """The one-line progress message."""
    run: Callable[[Run], Details]
    verify: Callable[[Run, Details], bool]
    """Whether the output recorded in the step's details still exists and matches."""


@dataclass(frozen=True)
class StepOutcome:
    step: str
    state: Literal["done", "skipped", "waiting"]
    details: Details


@dataclass(frozen=True)
class WaveResult:
    party: str
    wave: str
    status: Literal["complete", "waiting", "stopped"]
    steps: tuple[StepOutcome, ...]
    set_aside: tuple[SetAside, ...] = ()
    """Envelopes this run moved into quarantine: the CLI names them and exits 7, also while the wave waits."""

    @property
    def waiting_for(self) -> str | None:
        return self.steps[-1].step if self.status == "waiting" else None


def run_wave(
    config: PartyConfig,
    wave: str | None = None,
    *,
    progress: Progress | None = None,
    restart: bool = False,
    stop_after: str | None = None,
) -> WaveResult:
    """Run ``config``'s party's steps for ``wave`` (default: the config's), resuming after the last verified step.

    ``restart`` starts the wave over first (``restart_wave``); both parties do so, agreed out of band. ``stop_after``
    ends the run (status ``stopped``) once that step is done, e.g. to inspect its output before going on.
    """
    wave = wave or config.wave
    if wave is None:
        raise ConfigError(f"no wave given: pass --wave (e.g. 2026-S1) or set wave in {config.path}")
    check_wave(wave)
    say = progress or (lambda message: None)
    run = Run(config, wave)
    steps = STEPS[config.party]
    if stop_after is not None and stop_after not in {step.name for step in steps}:
        raise InputError(
            f"stop_after {stop_after!r}: not a step of {config.party} ({', '.join(s.name for s in steps)})"
        )
    audit = AuditLog(config.audit_log, config.party)
    check_exchange_window(config, wave, audit)
    _check_keys(config)
    if restart:
        say(f"[{config.party} {wave}] starting over: earlier records kept in {restart_wave(run, audit)}")
    # Everything a wave writes (databases, exchange files, dbt logs) is for this party's account only; the two
    # public artefacts, the BI file and the data dictionary, set their own mode.
    previous_umask = os.umask(0o077)
    try:
        return _run_steps(config, wave, run, steps, audit, say, stop_after)
    finally:
        os.umask(previous_umask)


# What a wave receives from the other party, per receiving party (for a restart: the envelope to accept once more).
_RECEIVES: Mapping[str, tuple[Kind, Party]] = {"agentschap": ("verrijking", "vdab"), "vdab": ("aanvraag", "agentschap")}


def restart_wave(run: Run, audit: AuditLog) -> Path:
    """Start ``run``'s wave over, e.g. with a corrected extract: its records, envelopes and dbt results are moved to
    ``<work>/herstart/<wave>-<time>/`` (kept as evidence), the files it built are removed, and the ledger accepts one
    new request or enrichment for the wave (sealed after the earlier one was opened). Refused once the pseudonymised
    dataset was shared: VDAB then holds the wave's result."""
    config, wave = run.config, run.wave
    if (
        run.leg_marker("gepseudonimiseerd", "verzonden").exists()
        or run.leg_marker("gepseudonimiseerd", "ontvangen").exists()
    ):
        raise InputError(
            f"wave {wave}: the pseudonymised dataset was shared already, so the wave is not started over; correct the"
            " extract for the next wave instead"
        )
    kept = config.work / "herstart" / f"{wave}-{utc_timestamp().replace(':', '')}"
    if (config.work / wave).exists():
        kept.parent.mkdir(parents=True, exist_ok=True)
        os.replace(config.work / wave, kept)
    built = [
        run.outgoing(kind, suffix)
        for kind in ("aanvraag", "verrijking", "gepseudonimiseerd")
        for suffix in (".csv", ".parquet")
    ]
    built += [run.incoming(kind, suffix) for kind in ("aanvraag", "verrijking") for suffix in (".csv", ".parquet")]
    if config.party == "agentschap":
        built += [run.restricted, run.restricted.with_name(run.restricted.name + ".wal")]
    for path in built:
        path.unlink(missing_ok=True)
    kind, sender = _RECEIVES[config.party]
    restart_ledger(default_ledger(config.age_identity), sender, kind, wave)
    audit.record("wave-restart", wave=wave, kept_in=str(kept), files_removed=sum(1 for _ in built))
    return kept


def _check_keys(config: PartyConfig) -> None:
    """Refuse a missing, unsafe or malformed key before any step runs, not halfway through a wave: each key is
    loaded as the step that needs it would (the pseudonym key is first used after the exchange with VDAB)."""
    load_login_key(config.sftp.key)
    load_identities(config.age_identity)
    load_signing_key(config.signing_key)
    if config.party == "agentschap":
        load_pseudonym_key(config.key_folder / PSEUDONYM_KEY_FILE)
    peer = load_bundle(config.peer_bundle)
    if peer.party == config.party:
        raise ConfigError(
            f"{config.path}: keys.peer_bundle {config.peer_bundle} is the bundle of {peer.party} itself; point it at"
            " the other party's pinned bundle"
        )
    if not config.sftp.known_hosts.is_file():
        raise ConfigError(
            f"{config.path}: sftp.known_hosts {config.sftp.known_hosts} does not exist; create it with the server's"
            " pinned host key line (docs/sftp.md)"
        )


def _run_steps(
    config: PartyConfig,
    wave: str,
    run: Run,
    steps: Sequence[Step],
    audit: AuditLog,
    say: Progress,
    stop_after: str | None = None,
) -> WaveResult:
    resume_at = next((i + 1 for i in reversed(range(len(steps))) if _done(run, steps[i])), 0)
    stopped = stop_after is not None and stop_after != steps[-1].name
    if stop_after is not None:
        steps = steps[: [step.name for step in steps].index(stop_after) + 1]
        resume_at = min(resume_at, len(steps))
    outcomes = [StepOutcome(step.name, "skipped", run.details(step.name) or {}) for step in steps[:resume_at]]
    if resume_at == len(steps):
        say(f"[{config.party} {wave}] all {len(steps)} steps done earlier; nothing to do")
    elif resume_at:
        say(f"[{config.party} {wave}] {resume_at} step(s) done earlier; resuming at {steps[resume_at].name}")
    for step in steps[resume_at:]:
        prefix = f"[{config.party} {wave}] {step.title}"
        started = time.monotonic()
        try:
            details = step.run(run)
        except NotYetAvailable as exc:
            say(f"{prefix}: waiting — {exc}")
            outcomes.append(StepOutcome(step.name, "waiting", {}))
            run.set_aside.extend(exc.set_aside)
            return WaveResult(config.party, wave, "waiting", tuple(outcomes), tuple(run.set_aside))
        except duckdb.IOException as exc:
            # A lock held by another program (a SQL tool, a second run) or a full disk: DuckDB's message names the
            # file and the process, and holds no data values.
            audit.record("step-failed", step=step.name, wave=wave, error=type(exc).__name__)
            _remove_restricted_after_failure(run, step.name, audit, say)
            raise StepFailed(
                f"[{config.party} {wave}] {step.name}: {str(exc).splitlines()[0]}. If another program has the"
                " database open, close the program (or wait for the other run); free disk space if it is full;"
                " then run the command again"
            ) from None
        except (KeyboardInterrupt, duckdb.InterruptException):
            # Ctrl-C: DuckDB turns it into its own exception when it lands inside a query. The step's output is
            # written whole or not at all, so the next run redoes the step.
            audit.record("step-interrupted", step=step.name, wave=wave)
            raise KeyboardInterrupt from None
        except Exception as exc:
            audit.record("step-failed", step=step.name, wave=wave, error=type(exc).__name__)
            _remove_restricted_after_failure(run, step.name, audit, say)
            raise
        event = audit.record("step-done", step=step.name, wave=wave, **details)
        write_json(
            run.marker(step.name),
            {
                "step": step.name,
                "wave": wave,
                "done_at": utc_timestamp(),
                "details": details,
                "audit": {"seq": event["seq"], "hash": event["hash"]},
            },
        )
        say(f"{prefix}: done in {time.monotonic() - started:.1f} s")
        outcomes.append(StepOutcome(step.name, "done", details))
    return WaveResult(config.party, wave, "stopped" if stopped else "complete", tuple(outcomes), tuple(run.set_aside))


# The agencies' last step that reads the restricted database; the steps after it read only the monitoring database
# (docs' dbt run opens the restricted path for its catalog, and delete-restricted removes what that leaves).
LAST_RESTRICTED_READER = "send-melding"


def _remove_restricted_after_failure(run: Run, failed: str, audit: AuditLog, say: Progress) -> None:
    """After a failed agencies' step that comes after ``LAST_RESTRICTED_READER``, remove the restricted database and
    the opened enrichment at once: nothing later needs them, and a failure that repeats on every rerun (a report that
    cannot be drawn, a publication refused) must not leave INSZ-bearing files behind. Up to that step they stay, since
    the rerun needs them; ``run-wave --restart`` removes them when a wave cannot complete."""
    names = [step.name for step in AGENCIES]
    if run.config.party != "agentschap" or names.index(failed) <= names.index(LAST_RESTRICTED_READER):
        return
    removed = _delete_restricted(run)["removed_files"]
    if removed:
        audit.record("restricted-removed", wave=run.wave, after_failed_step=failed, removed_files=removed)
        say(
            f"[agentschap {run.wave}] {failed} failed: the restricted database and the opened enrichment were removed"
            " (later steps do not need them); fix the cause and run the wave again"
        )


def _done(run: Run, step: Step) -> bool:
    details = run.details(step.name)
    return details is not None and step.verify(run, details)


# -- agencies -------------------------------------------------------------------------------------------------------


def _load_kbi(run: Run) -> Details:
    details: Details = {}
    # No newcomers means an empty request: refused here, before anything is built or sent.
    for table in load_extract("kbi", run.extract, run.restricted, require_rows=("personen",)):
        stem = table.table.split(".")[1]
        details[f"{stem}_rows"] = table.rijen
        details[f"{stem}_sha256"] = table.sha256
    return details


def _build_request(run: Run) -> Details:
    result = run_dbt(
        ["build", "--quiet", *SKIP_UNIT_TESTS, "--selector", "agentschap", "--vars", run.dbt_vars],
        target="agentschap",
        env=run.agencies_env(),
        work_dir=run.dbt_dir("build-request"),
        parse_cache=run.dbt_parse_cache,
    )
    return {**dbt_summary(result), "rows": _count(run.restricted, "main.aanvraag")}


def _export_request(run: Run) -> Details:
    target = run.outgoing("aanvraag", ".csv")
    target.parent.mkdir(parents=True, exist_ok=True)
    export = exporteer_aanvraag(run.restricted, target)
    if not export.aantal_rijen:
        target.unlink()
        raise InputError(
            f"[agentschap {run.wave}] export-request: the request holds no valid INSZ, so there is nothing to ask"
            f" VDAB; check the KBI extract in {run.extract} (the data-quality warnings of build-request name the"
            " problems), then run the command again"
        )
    return {"file": target.name, "rows": export.aantal_rijen, "sha256": sha256_file(target)}


def _columns(path: Path | None) -> str | None:
    """The file's columns for the step record (the art. 3 check of the evidence report), comma-separated."""
    return ",".join(artikel3.file_columns(path)) if path is not None and path.is_file() else None


def _send(leg: str, kind: str, suffix: str) -> Callable[[Run], Details]:
    def send(run: Run) -> Details:
        plaintext = run.outgoing(kind, suffix)
        columns = _columns(plaintext)
        result = run_leg(leg, run.config, run.wave, progress=False)
        # On the server, sealed: the clear copy here has served its purpose (for the request: it holds INSZ).
        plaintext.unlink(missing_ok=True)
        return {"file": plaintext.name, "sent": result.done, "kind": kind, "columns": columns}

    return send


def _receive(leg: str, kind: str) -> Callable[[Run], Details]:
    def receive(run: Run) -> Details:
        result = run_leg(leg, run.config, run.wave, progress=False)
        run.set_aside.extend(result.set_aside)
        return {
            "file": result.file.name if result.file else None,
            "received": result.done,
            "kind": kind,
            "columns": _columns(result.file),
            "quarantined": len(result.set_aside),
        }

    return receive


def _send_melding(database: Callable[[Run], Path]) -> Callable[[Run], Details]:
    def send(run: Run) -> Details:
        sent = meldingen.verstuur_melding(run.config, run.wave, database(run))
        if sent is None:
            return {"records": 0, "sent": False}
        return {
            "melding_id": sent.id,
            "records": sent.rijen,
            "sent": True,
            "kind": "melding",
            "columns": ",".join(meldingen.MELDING_COLUMNS),
        }

    return send


def _melding_sent(run: Run, details: Details) -> bool:
    return details.get("records") == 0 or run.leg_marker("melding", "verzonden").is_file()


def _receive_meldingen(run: Run) -> Details:
    loaded = meldingen.laad_binnenkomend(run.config)
    run.set_aside.extend(loaded.set_aside)
    return {
        "meldingen_loaded": len(loaded.meldingen),
        "antwoorden_loaded": len(loaded.antwoorden),
        "refused": loaded.geweigerd,
    }


def _leg_done(kind: str, direction: Literal["verzonden", "ontvangen"]) -> Callable[[Run, Details], bool]:
    return lambda run, details: run.leg_marker(kind, direction).is_file()


class ExtractChanged(InputError):
    """The source extract differs from the one the wave's request was built from."""


def _check_same_kbi_extract(run: Run, loaded: Mapping[str, Scalar] | None = None) -> None:
    """Refuse to go on when the KBI extract differs from the one load-kbi recorded (the request was built from it):
    a newcomer added since was never sent to VDAB, yet would enter the pseudonymised dataset and the marts."""
    recorded = run.details("load-kbi")
    if recorded is None:
        # Only outside run_wave (the benchmark calls the step functions directly): in a wave, load-kbi's record is
        # always written before load-enrichment runs, and deleting it makes load-kbi run again first.
        return
    files = check_extract_folder("kbi", run.extract)
    for stem, path in files.items():
        now = loaded[f"{stem}_sha256"] if loaded is not None else sha256_file(path)
        then = recorded.get(f"{stem}_sha256")
        if now != then:
            raise ExtractChanged(
                f"{path}: changed since the request of wave {run.wave} was built from it (sha-256 {str(then)[:12]}…"
                f" then, {str(now)[:12]}… now). Put back the extract the request was built from and run again, or"
                f" start the wave over with the new one: pijler3 run-wave --config {run.config.path} --wave"
                f" {run.wave} --restart"
            )


def _load_enrichment(run: Run) -> Details:
    # The KBI extract is loaded again: the restricted database may have been removed since the request was sent.
    _check_same_kbi_extract(run)
    details = _load_kbi(run)
    _check_same_kbi_extract(run, details)  # it may have changed while it was loaded
    loaded = load_exchange_parquet(
        run.incoming("verrijking", ".parquet"),
        run.restricted,
        "uitwisseling.verrijking",
        columns=VERRIJKING_SCHEMA,
        signed=received_manifest(run.config, run.wave, "verrijking"),
    )
    return {**details, "verrijking_rows": loaded.rijen, "verrijking_sha256": loaded.sha256}


def _build_dataset(run: Run) -> Details:
    # the moment this wave's data is built: golven.gebouwd_op, which no other rebuild of the marts changes
    env = {**run.agencies_env(), "PIJLER3_GOLF_GEBOUWD_OP": utc_now().strftime("%Y-%m-%d %H:%M:%S")}
    plugins = [run.pseudonym_plugin()]
    summaries = [
        dbt_summary(
            run_dbt(
                ["build", "--quiet", *SKIP_UNIT_TESTS, *selection, "--vars", run.dbt_vars],
                target="agentschap",
                env=env,
                work_dir=run.dbt_dir(f"build-dataset/{part}"),
                parse_cache=run.dbt_parse_cache,
                plugins=plugins,
            )
        )
        for part, selection in (
            ("pseudonimisering", ["--selector", "agentschap_pseudonimisering"]),
            ("marts", ["--selector", "agentschap_marts"]),
        )
    ]
    total = {key: sum(int(s[key] or 0) for s in summaries) for key in summaries[0]}
    return {**total, "rows": _wave_rows(run.monitoring, DATASET_TABLE, run.wave)}


def _export_dataset(run: Run) -> Details:
    target = run.outgoing("gepseudonimiseerd", ".parquet")
    rows = exporteer_dataset(run.monitoring, run.wave, target)
    return {"file": target.name, "rows": rows, "sha256": sha256_file(target)}


def _marts_manifest(run: Run) -> Path:
    return run.dbt_dir("build-dataset/marts") / "target" / "manifest.json"


def _publish_bi(run: Run) -> Details:
    marts = marts_from_manifest(_marts_manifest(run))
    publish(run.monitoring, run.bi_file, marts)
    report = rapport.write(run.bi_file)
    withheld, cells = withheld_cells(run.bi_file, run.wave)
    return {
        "file": run.bi_file.name,
        "report": report.name,
        "marts": len(marts),
        "withheld_cells": withheld,
        "flagged_cells": cells,
        **information_loss(run.monitoring, run.wave),
        "sha256": sha256_file(run.bi_file),
    }


def _docs(run: Run) -> Details:
    work = run.dbt_dir("docs")
    # The measured information loss of every wave so far, as a table on the page of model ckm_informatieverlies.
    docs_vars = {**json.loads(run.dbt_vars), "informatieverlies_tabel": information_loss_table(run.monitoring)}
    # Only the relations are compiled for the page (their SQL is what a reader looks up), not the ~300 data tests.
    run_dbt(
        ["docs", "generate", "--quiet", "--static", *DOCS_SKIP, "--vars", json.dumps(docs_vars)],
        target="agentschap",
        env=run.agencies_env(),
        work_dir=work,
        parse_cache=run.dbt_parse_cache,
        plugins=[run.pseudonym_plugin()],
    )
    target = publish_page(
        work / "target" / STATIC_PAGE, run.docs_folder, allowed=leakscan.project_fixture_numbers(REPO)
    )
    return {"file": target.name, "sha256": sha256_file(target)}


def _restricted_leftovers(run: Run) -> list[Path]:
    db = run.restricted
    return [
        path for path in (db, db.with_name(db.name + ".wal"), run.incoming("verrijking", ".parquet")) if path.exists()
    ]


def _delete_restricted(run: Run) -> Details:
    removed = _restricted_leftovers(run)
    for path in removed:
        path.unlink()
    return {"removed_files": len(removed)}


def agencies_scan_paths(config: PartyConfig) -> list[Path]:
    """Everything the agencies keep after a wave, apart from their own source extract and keys."""
    candidates = [config.monitoring_db, config.bi_file, config.docs_folder, config.outgoing, config.incoming]
    return [p for p in (*candidates, config.work, config.audit_log.parent) if p is not None and p.exists()]


def vdab_scan_paths(config: PartyConfig) -> list[Path]:
    """Everything VDAB keeps of the exchange outside its own database (which ``clean-up`` checks itself)."""
    candidates = (config.outgoing, config.incoming, config.work, config.audit_log.parent)
    return [p for p in candidates if p.exists()]


def _insz_scan(run: Run) -> Details:
    paths = agencies_scan_paths(run.config) if run.config.party == "agentschap" else vdab_scan_paths(run.config)
    files = sum(1 for _ in leakscan.iter_files(paths))
    findings = leakscan.scan(paths, allowed=leakscan.project_fixture_numbers(REPO))
    if findings:
        raise StepFailed(
            "INSZ numbers in clear after the wave: "
            + "; ".join(map(str, findings[:10]))
            + ". Remove them (they must not outlive the run) and run the wave again."
        )
    return {"files_scanned": files, "findings": 0}


def _recorded_file(run: Run, path: Path, details: Details) -> bool:
    return path.is_file() and sha256_file(path) == details.get("sha256")


AGENCIES: tuple[Step, ...] = (
    Step(
        "load-kbi",
        "load the KBI extract into the restricted database",
        _load_kbi,
        lambda run, d: _count(run.restricted, "bron_kbi.personen") == d.get("personen_rows"),
    ),
    Step(
        "build-request",
        "dbt build: staging and the request (aanvraag)",
        _build_request,
        lambda run, d: _count(run.restricted, "main.aanvraag") == d.get("rows"),
    ),
    Step(
        "export-request",
        "export the request file",
        _export_request,
        lambda run, d: _recorded_file(run, run.outgoing("aanvraag", ".csv"), d),
    ),
    Step(
        "send-request",
        "seal and send the request to VDAB",
        _send("send-request", "aanvraag", ".csv"),
        _leg_done("aanvraag", "verzonden"),
    ),
    Step(
        "receive-enrichment",
        "receive and open VDAB's enrichment",
        _receive("receive-enrichment", "verrijking"),
        _leg_done("verrijking", "ontvangen"),
    ),
    Step(
        "receive-meldingen",
        "art. 7: load VDAB's correction notices and answers",
        _receive_meldingen,
        lambda run, d: True,
    ),
    Step(
        "load-enrichment",
        "load the KBI extract and the enrichment into the restricted database",
        _load_enrichment,
        lambda run, d: _count(run.restricted, "uitwisseling.verrijking") == d.get("verrijking_rows"),
    ),
    Step(
        "build-dataset",
        "dbt build: profile, pseudonymisation, history and marts",
        _build_dataset,
        lambda run, d: (
            _wave_rows(run.monitoring, DATASET_TABLE, run.wave) == d.get("rows") and _marts_manifest(run).is_file()
        ),
    ),
    Step(
        "send-melding",
        "art. 7: notify VDAB of problems found in its records",
        _send_melding(lambda run: run.restricted),
        _melding_sent,
    ),
    Step(
        "export-dataset",
        "export the pseudonymised dataset",
        _export_dataset,
        lambda run, d: _recorded_file(run, run.outgoing("gepseudonimiseerd", ".parquet"), d),
    ),
    Step(
        "share-dataset",
        "seal and share the pseudonymised dataset with VDAB",
        _send("share-dataset", "gepseudonimiseerd", ".parquet"),
        _leg_done("gepseudonimiseerd", "verzonden"),
    ),
    Step(
        "publish-bi",
        "publish the BI file (marts only) and its monitoring report",
        _publish_bi,
        lambda run, d: _recorded_file(run, run.bi_file, d),
    ),
    Step(
        "docs",
        "generate the data dictionary (docs site)",
        _docs,
        lambda run, d: _recorded_file(run, run.docs_folder / "index.html", d),
    ),
    Step(
        "delete-restricted",
        "delete the restricted database and the opened enrichment",
        _delete_restricted,
        lambda run, d: not _restricted_leftovers(run),
    ),
    Step(
        "insz-scan", "scan everything kept for INSZ numbers in clear", _insz_scan, lambda run, d: d.get("findings") == 0
    ),
)


# -- VDAB -----------------------------------------------------------------------------------------------------------


def _extract_hashes(run: Run) -> dict[str, str]:
    # The loader's own check first: a missing file is one clear line, not a FileNotFoundError from hashing it.
    return {stem: sha256_file(path) for stem, path in check_extract_folder("vdab", run.extract).items()}


def _loaded_hashes(db: Path) -> dict[str, str | None]:
    """Per VDAB table the sha-256 of the file it was loaded from (the lineage column), ``None`` when absent."""
    found: dict[str, str | None] = dict.fromkeys(VDAB_PARQUET_COLUMNS)
    if not db.is_file():
        return found
    with duckdb.connect(str(db), read_only=True) as con:
        for stem in VDAB_PARQUET_COLUMNS:
            try:
                rows = con.execute(f"select distinct _bestand_sha256 from bron_vdab.{stem}").fetchall()
            except duckdb.CatalogException:
                continue
            found[stem] = str(rows[0][0]) if len(rows) == 1 else None
    return found


def _load_vdab(run: Run) -> Details:
    wanted = _extract_hashes(run)
    db = run.vdab_db
    if _loaded_hashes(db) == wanted:
        return {"reloaded": False, "personen_sha256": wanted["personen"]}
    db.parent.mkdir(parents=True, exist_ok=True)
    details: Details = {"reloaded": True}
    for table in load_extract("vdab", run.extract, db):
        stem = table.table.split(".")[1]
        details[f"{stem}_rows"] = table.rijen
        details[f"{stem}_sha256"] = table.sha256
    return details


def _load_request(run: Run) -> Details:
    loaded = load_exchange_csv(
        run.incoming("aanvraag", ".csv"),
        run.vdab_db,
        "uitwisseling.aanvraag",
        signed=received_manifest(run.config, run.wave, "aanvraag"),
    )
    return {"rows": loaded.rijen, "sha256": loaded.sha256}


def _vdab_manifest(run: Run) -> Path:
    return run.dbt_dir("build-enrichment") / "target" / "manifest.json"


def _build_enrichment(run: Run) -> Details:
    result = run_dbt(
        ["build", "--quiet", *SKIP_UNIT_TESTS, "--selector", "vdab_verrijking", "--vars", run.dbt_vars],
        target="vdab",
        env={"PIJLER3_VDAB_DB": str(run.vdab_db)},
        work_dir=run.dbt_dir("build-enrichment"),
        parse_cache=run.dbt_parse_cache,
    )
    return {**dbt_summary(result), "rows": _count(run.vdab_db, "main.verrijking")}


def _export_enrichment(run: Run) -> Details:
    target = run.outgoing("verrijking", ".parquet")
    target.parent.mkdir(parents=True, exist_ok=True)
    export = exporteer_verrijking(run.vdab_db, target)
    return {"file": target.name, "rows": export.aantal_rijen, "sha256": sha256_file(target)}


def _clean_up(run: Run) -> Details:
    report = ruim_aanvraag_op(run.vdab_db, _vdab_manifest(run))
    run.incoming("aanvraag", ".csv").unlink(missing_ok=True)
    return {
        "dropped_relations": len(report.verwijderd),
        "checked_relations": len(report.nagekeken),
        "requested_numbers_looked_for": report.aantal_aangevraagd,
    }


VDAB: tuple[Step, ...] = (
    Step(
        "load-vdab",
        "load VDAB's extract (when it changed)",
        _load_vdab,
        lambda run, d: _loaded_hashes(run.vdab_db) == _extract_hashes(run),
    ),
    Step(
        "receive-request",
        "receive and open the agencies' request",
        _receive("receive-request", "aanvraag"),
        _leg_done("aanvraag", "ontvangen"),
    ),
    Step(
        "load-request",
        "load the request into VDAB's working database",
        _load_request,
        lambda run, d: _count(run.vdab_db, "uitwisseling.aanvraag") == d.get("rows"),
    ),
    Step(
        "build-enrichment",
        "dbt build: link the request and build the enrichment (verrijking)",
        _build_enrichment,
        lambda run, d: _count(run.vdab_db, "main.verrijking") == d.get("rows") and _vdab_manifest(run).is_file(),
    ),
    Step(
        "send-melding",
        "art. 7: notify the agencies of problems found in their request",
        _send_melding(lambda run: run.vdab_db),
        _melding_sent,
    ),
    Step(
        "export-enrichment",
        "export the enrichment file",
        _export_enrichment,
        lambda run, d: _recorded_file(run, run.outgoing("verrijking", ".parquet"), d),
    ),
    Step(
        "send-enrichment",
        "seal and send the enrichment to the agencies",
        _send("send-enrichment", "verrijking", ".parquet"),
        _leg_done("verrijking", "verzonden"),
    ),
    Step(
        "clean-up",
        "remove the request and everything linked to it",
        _clean_up,
        lambda run, d: (
            not run.incoming("aanvraag", ".csv").exists() and _count(run.vdab_db, "uitwisseling.aanvraag") is None
        ),
    ),
    Step(
        "receive-dataset",
        "receive the pseudonymised dataset",
        _receive("receive-dataset", "gepseudonimiseerd"),
        _leg_done("gepseudonimiseerd", "ontvangen"),
    ),
    Step(
        "receive-meldingen",
        "art. 7: load the agencies' correction notices and answers",
        _receive_meldingen,
        lambda run, d: True,
    ),
    Step(
        "insz-scan",
        "scan what VDAB keeps of the exchange for requested INSZ numbers in clear",
        _insz_scan,
        lambda run, d: d.get("findings") == 0,
    ),
)

STEPS: Mapping[str, tuple[Step, ...]] = {"agentschap": AGENCIES, "vdab": VDAB}


# -- helpers --------------------------------------------------------------------------------------------------------


def dbt_summary(result: Any) -> Details:
    """How many nodes dbt ran and how they ended (tests: pass / warn; models: success)."""
    statuses = [str(r.status) for r in getattr(result.result, "results", [])]
    return {
        "dbt_nodes": len(statuses),
        "dbt_passed": sum(s in {"pass", "success"} for s in statuses),
        "dbt_warnings": sum(s == "warn" for s in statuses),
    }


def withheld_cells(bi_file: Path, wave: str) -> tuple[int, int]:
    """Cells of ``wave`` in the BI file whose ``<count>_onderdrukt`` flag is true (withheld), and how many cells carry
    such a flag (the counts disclosure control looked at)."""
    total = cells = 0
    with duckdb.connect(str(bi_file), read_only=True) as con:
        columns = con.execute(
            "select table_name, column_name from duckdb_columns() where column_name like '%\\_onderdrukt' escape '\\'"
            " and table_name in (select table_name from duckdb_columns() where column_name = 'golf')"
        ).fetchall()
        for table, column in columns:
            row = con.execute(
                f'select count(*) filter (where "{column}"), count(*) from "{table}" where golf = ?', [wave]
            ).fetchone()
            total += int(row[0]) if row else 0
            cells += int(row[1]) if row else 0
    return total, cells


INFORMATION_LOSS_COLUMNS = (
    "percentage_gepubliceerd",
    "percentage_gepubliceerd_niet_nul",
    "aantal_verborgen_vanaf_10",
    "gemiddelde_absolute_afwijking",
    "grootste_relatieve_afwijking_vanaf_100",
    "grootste_verschil_kernpercentage",
)


def information_loss(monitoring: Path, wave: str) -> Details:
    """What the cell key method cost in this wave over all marts (model ckm_informatieverlies), for the step record
    and so the DPO's report; empty when the model is not there."""
    with duckdb.connect(str(monitoring), read_only=True) as con:
        try:
            row = con.execute(
                f"select {', '.join(INFORMATION_LOSS_COLUMNS)} from ckm_informatieverlies"
                " where golf = ? and mart = 'alle marts'",
                [wave],
            ).fetchone()
        except duckdb.CatalogException:
            return {}
    return dict(zip(INFORMATION_LOSS_COLUMNS, row, strict=True)) if row else {}


def information_loss_table(monitoring: Path) -> str:
    """Per wave, what the cell key method cost (all marts together), as a Markdown table in Dutch for the docs site."""
    with duckdb.connect(str(monitoring), read_only=True) as con:
        try:
            rows = con.execute(
                f"select golf, {', '.join(INFORMATION_LOSS_COLUMNS)} from ckm_informatieverlies"
                " where mart = 'alle marts' order by golf"
            ).fetchall()
        except duckdb.CatalogException:
            return ""
    lines = [
        "",
        "",
        "| golf | % cellen gepubliceerd | % niet-lege cellen gepubliceerd | verborgen met echt aantal ≥ 10 "
        "| gemiddelde absolute afwijking | grootste relatieve afwijking bij ≥ 100 (%) "
        "| grootste verschil kernpercentage (procentpunt) |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join("-" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _count(db: Path, relation: str) -> int | None:
    """Rows in ``relation`` of ``db``; ``None`` when the database or the relation does not exist."""
    if not db.is_file():
        return None
    with duckdb.connect(str(db), read_only=True) as con:
        try:
            row = con.execute(f"select count(*) from {relation}").fetchone()
        except duckdb.CatalogException:
            return None
    return int(row[0]) if row else None


def _wave_rows(db: Path, table: str, wave: str) -> int | None:
    if not db.is_file():
        return None
    with duckdb.connect(str(db), read_only=True) as con:
        try:
            row = con.execute(f"select count(*) from {table} where golf = ?", [wave]).fetchone()
        except duckdb.CatalogException:
            return None
    return int(row[0]) if row else None
