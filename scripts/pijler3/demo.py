"""``pijler3 demo``: both parties' waves end to end on synthetic data, against one loopback SFTP server.

Layout under ``out`` (DESIGN.md)::

    sources/kbi/, sources/vdab/     synthetic extracts (and sources/waarheid/, the generator's truth)
    keys/<party>/                   each party's keys (the agencies' folder also holds pseudonym.key), ssh keys,
                                    known_hosts; keys/sftp/ the server's host key
    sftp/                           the server root (naar-vdab/, naar-agentschap/)
    agentschap/agentschap.toml      the agencies' configuration; their working area (monitoring.duckdb, uit/, in/,
                                    werk/)
    vdab/vdab.toml                  VDAB's configuration; its working area (vdab.duckdb, uit/, in/, werk/)
    bi/monitoring.duckdb            the BI file (marts, code lists, waves, lees_mij)
    bi/monitoringsrapport.html      the monitoring report with charts, generated from the BI file alone
    docs/index.html                 the data dictionary
    audit/                          both parties' audit logs and evidence reports

Each party runs ``pijler3.wave.run_wave`` from its own configuration, exactly as ``pijler3 run-wave`` does; the demo
only starts the server and calls the two sides in turn. The art. 7 correction notices (``pijler3.meldingen``) are
the ones the parties' own checks find in the synthetic data; VDAB answers the agencies' notice of the last wave. The
demo changes no file between the two parties: a party loads only what the other signed (``loading.check_signed``).

``demo.json`` records the parameters and whether the run completed: a completed run (or other parameters) is rebuilt
from scratch, an interrupted one resumes.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb

from pijler3 import keys as party_keys
from pijler3 import meldingen, synth
from pijler3.audit import os_user
from pijler3.config import PartyConfig, load_config
from pijler3.errors import ConfigError, Pijler3Error
from pijler3.evidence import write_report
from pijler3.keys import PARTIES, Party, other_party
from pijler3.rapport import RAPPORT_NAAM
from pijler3.sftp.keys import generate_ed25519, known_hosts_line, public_key_of
from pijler3.sftp.openssh import OpenSshServer
from pijler3.sftp.server import EmbeddedSftpServer, ServerAddress
from pijler3.wave import INFORMATION_LOSS_COLUMNS, Progress, run_wave

WAVES = ("2025-S2", "2026-S1")
DEFAULT_PERSONS = 5000
DEFAULT_SEED = 20260630
STATE_FILE = "demo.json"
SftpKind = Literal["embedded", "openssh"]
# Demo assumption: the cooperation agreement runs five years from the protocol of 14 February 2023.
AGREEMENT_END = "2028-02-14"
AGREEMENT_START = "2023-03-03"  # art. 12: the protocol's entry into force
# Art. 4 and 10 as the protocol names them; the demo's operator is whoever runs it.
DEMO_ACCESS: dict[Party, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "vdab": (("Dienst Monitoring", "Dienst Ontwikkeling van de Dienstverlening"), ("analist monitoring",)),
    "agentschap": (
        ("werkgroep BI rapportering (Agentschap Integratie en Inburgering, Atlas, IN-Gent, ABB)",),
        ("beleidsmedewerker monitoring", "data-analist KBI"),
    ),
}
DEMO_CONTACT: dict[Party, tuple[str, str]] = {
    "vdab": ("VDAB", "https://www.vdab.be/privacy"),
    "agentschap": (
        "Agentschap Integratie en Inburgering",
        "https://www.integratie-inburgering.be/nl/privacy/privacy-inburgering/machtigingen-van-de-agentschappen-"
        "integratie-en-inburgering",
    ),
}


@dataclass(frozen=True)
class WaveSummary:
    wave: str
    kpis: dict[str, float | None]
    exchanged: dict[str, int]
    quality: dict[str, str]
    dbt_warnings: int
    withheld_cells: int
    information_loss: dict[str, Any]


@dataclass(frozen=True)
class DemoResult:
    out: Path
    waves: tuple[WaveSummary, ...]
    seconds: float
    resumed: bool
    paths: dict[str, Path] = field(default_factory=dict)
    meldingen: tuple[str, ...] = ()


def run_demo(
    out: Path,
    *,
    persons: int = DEFAULT_PERSONS,
    seed: int = DEFAULT_SEED,
    sftp: SftpKind = "embedded",
    waves: tuple[str, ...] = WAVES,
    progress: Progress | None = None,
) -> DemoResult:
    say = progress or (lambda message: None)
    started = time.monotonic()
    out = Path(out)
    params = {"persons": persons, "seed": seed, "sftp": sftp, "waves": list(waves)}
    resumed = _prepare(out, params, say)
    _write_state(out, {**params, "completed": False})

    sources = out / "sources"
    if (sources / "kbi").is_dir() and (sources / "vdab").is_dir():
        say("synthetic extracts: present, kept")
    else:
        generated = synth.generate(sources, persons, seed, overwrite=True)
        say(f"synthetic extracts: {generated.persons:,} newcomers, {generated.vdab_persons:,} VDAB clients")
    _keys(out, say)

    with exchange(out, sftp) as configs:
        say(f"SFTP server ({sftp}) on {configs['agentschap'].sftp.host}:{configs['agentschap'].sftp.port}")
        for wave in waves:
            # The agencies send the request, VDAB answers, the agencies finish, VDAB receives the dataset.
            turns: tuple[tuple[Party, str], ...] = (
                ("agentschap", "waiting"),
                ("vdab", "waiting"),
                ("agentschap", "complete"),
                ("vdab", "complete"),
            )
            for party, expected in turns:
                result = run_wave(configs[party], wave, progress=say)
                if result.status == "waiting" and expected == "complete":
                    raise Pijler3Error(f"demo: {party} is still waiting at {result.waiting_for} in wave {wave}")
        notices = _answer_a_notice(configs, waves[-1], say)

    audit = out / "audit"
    for party in PARTIES:
        for suffix in (".md", ".html"):
            write_report(configs[party], audit / f"rapport-{party}{suffix}")
    say(f"evidence reports in {audit}/")
    agencies = configs["agentschap"]
    summaries = tuple(_summary(agencies, configs["vdab"], wave) for wave in waves)
    _write_state(out, {**params, "completed": True})
    return DemoResult(
        out,
        summaries,
        time.monotonic() - started,
        resumed,
        {
            "BI file": agencies.require("bi.file", agencies.bi_file).resolve(),
            "report": agencies.require("bi.file", agencies.bi_file).resolve().with_name(RAPPORT_NAAM),
            "docs site": agencies.require("bi.docs", agencies.docs_folder).resolve() / "index.html",
            "audit logs": audit.resolve(),
            "evidence": (audit / "rapport-agentschap.html").resolve(),
            "monitoring": agencies.require("databases.monitoring", agencies.monitoring_db).resolve(),
        },
        notices,
    )


def _answer_a_notice(configs: Mapping[Party, PartyConfig], wave: str, say: Callable[[str], None]) -> tuple[str, ...]:
    """VDAB answers the agencies' notice of ``wave``; the agencies load the answer. Lines for the summary."""
    vdab, agencies = configs["vdab"], configs["agentschap"]
    notice_id = meldingen.melding_id(wave, "agentschap")
    received = {m.id: m for m in meldingen.lees_register(vdab) if m.richting == "ontvangen"}
    if notice_id in received and not received[notice_id].antwoord_verzonden:
        meldingen.beantwoord(
            vdab,
            notice_id,
            "Onderzocht: de gemelde personen staan niet onder dit INSZ-nummer in de VDAB-databank; de"
            " klantendossiers met een ontbrekend of ongeldig INSZ-nummer worden nagekeken en verbeterd.",
        )
        say(f"demo: VDAB answered notice {notice_id}")
    meldingen.laad_binnenkomend(agencies)
    lines = []
    for party in PARTIES:
        for melding in meldingen.lees_register(configs[party]):
            if melding.richting == "verzonden" and melding.golf == wave:
                counts = ", ".join(f"{reden} {n:,}" for reden, n in melding.aantallen.items())
                lines.append(
                    f"{melding.afzender} -> {melding.ontvanger}: {melding.id}, {melding.rijen:,} record(s) ({counts}),"
                    f" {melding.status()}"
                )
    return tuple(lines)


def _prepare(out: Path, params: Mapping[str, object], say: Callable[[str], None]) -> bool:
    """Wipe a completed or different earlier demo; return whether an interrupted one is resumed."""
    state_file = out / STATE_FILE
    if not out.exists() or not any(out.iterdir()):
        return False
    if not state_file.is_file():
        raise ConfigError(
            f"{out}: exists and is not a demo folder (no {STATE_FILE}); choose another --out or remove the folder"
        )
    state = json.loads(state_file.read_text(encoding="utf-8"))
    same = all(state.get(key) == value for key, value in params.items())
    if same and not state.get("completed"):
        say(f"resuming the interrupted demo in {out}")
        return True
    say(f"rebuilding {out} from scratch")
    shutil.rmtree(out)
    return False


def _write_state(out: Path, state: dict[str, object]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    temp = out / f".{STATE_FILE}.tmp"
    temp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    os.replace(temp, out / STATE_FILE)


def _keys(out: Path, say: Callable[[str], None]) -> None:
    for party in PARTIES:
        folder = out / "keys" / party
        if not (folder / party_keys.BUNDLE_FILE).is_file():
            # Synthetic keys for synthetic data; the default demo/ folder is git-ignored.
            party_keys.generate(party, folder, inside_git_work_tree=True)
        if not (folder / "ssh_ed25519").is_file():
            generate_ed25519(folder / "ssh_ed25519", f"{party}@pijler3-demo")
        # In real use each party hands over bundle.json and both compare fingerprints by phone (README: key management).
        bundle = party_keys.load_bundle(folder / party_keys.BUNDLE_FILE)
        say(
            f"keys {party}: age {party_keys.group_fingerprint(bundle.age_recipients[0].fingerprint)}, "
            f"signing {party_keys.group_fingerprint(bundle.signing_keys[0].fingerprint)}"
        )
    host_key = out / "keys" / "sftp" / "host_ed25519"
    if not host_key.is_file():
        generate_ed25519(host_key, "pijler3-demo-sftp-host")


@contextmanager
def exchange(out: Path, kind: SftpKind = "embedded") -> Iterator[dict[Party, PartyConfig]]:
    """Start the demo's SFTP server on ``out/sftp`` and (re)write both parties' configurations for its port.

    The demo runs inside it; so can ``pijler3 run-wave``, ``purge`` or ``audit report`` on a finished demo folder.
    """
    with _server(out, kind) as (address, users):
        yield {party: _write_config(out, party, address, users[party]) for party in PARTIES}


@contextmanager
def _server(out: Path, kind: SftpKind) -> Iterator[tuple[ServerAddress, dict[str, str]]]:
    host_key = out / "keys" / "sftp" / "host_ed25519"
    public: dict[str, str] = {party: public_key_of(out / "keys" / party / "ssh_ed25519") for party in PARTIES}
    server: EmbeddedSftpServer | OpenSshServer
    if kind == "embedded":
        server = EmbeddedSftpServer(out / "sftp", public, host_key)
        users: dict[str, str] = {party: party for party in PARTIES}
    else:
        server = OpenSshServer(out / "sftp", public.values(), host_key, workdir=out / "keys" / "sftp" / "sshd")
        users = {party: server.user for party in PARTIES}
    with server as address:
        yield address, users


def _write_config(out: Path, party: Party, address: ServerAddress, user: str) -> PartyConfig:
    other = other_party(party)
    known_hosts = out / "keys" / party / "known_hosts"
    known_hosts.write_text(known_hosts_line(address.host, address.port, address.host_public_key) + "\n", "ascii")
    if party == "agentschap":
        own = (
            'extract = "../sources/kbi"\n\n'
            '[databases]\nrestricted = "restricted.duckdb"\nmonitoring = "monitoring.duckdb"\n\n'
            '[bi]\nthreshold = 5\nfile = "../bi/monitoring.duckdb"\ndocs = "../docs"\n'
        )
    else:
        own = 'extract = "../sources/vdab"\n\n[databases]\nvdab = "vdab.duckdb"\n'
    text = (
        f"# Written by `pijler3 demo` for this run (the server's port changes per run).\n"
        f'party = "{party}"\n\n'
        f'[sftp]\nhost = "{address.host}"\nport = {address.port}\nuser = "{user}"\n'
        f'key = "../keys/{party}/ssh_ed25519"\nknown_hosts = "../keys/{party}/known_hosts"\n\n'
        f'[keys]\nfolder = "../keys/{party}"\npeer_bundle = "../keys/{other}/{party_keys.BUNDLE_FILE}"\n\n'
        f'[folders]\noutgoing = "uit"\nincoming = "in"\nwork = "werk"\naudit = "../audit"\n{own}\n'
        f"[retention]\nagreement_start = {AGREEMENT_START}\nagreement_end = {AGREEMENT_END}\nyears = 5\n\n"
        f"{_access_and_contact(party)}"
    )
    path = out / party / f"{party}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def _access_and_contact(party: Party) -> str:
    recipients, profiles = DEMO_ACCESS[party]
    organisation, privacy_url = DEMO_CONTACT[party]
    return (
        f"[access]\nrecipients = {json.dumps(list(recipients), ensure_ascii=False)}\n"
        f"profiles = {json.dumps(list(profiles), ensure_ascii=False)}\n"
        f'operators = ["{os_user()}@{socket.gethostname()}"]\n\n'
        f'[contact]\norganisation = "{organisation}"\nprivacy_url = "{privacy_url}"\n'
    )


def dbt_start_up_seconds() -> float | None:
    """Wall time of ``dbt --version`` in a new process: the start-up any dbt run pays, the anchor the demo's own time
    is compared with (DESIGN.md "Performance"); ``None`` when the ``dbt`` command is not beside this Python."""
    dbt = Path(sys.executable).with_name("dbt")
    if not dbt.is_file():
        return None
    started = time.monotonic()
    subprocess.run([str(dbt), "--version"], capture_output=True, check=False)
    return time.monotonic() - started


def format_ratio(demo_seconds: float, anchor_seconds: float | None) -> str:
    """The demo's time against ``dbt --version`` measured just before it on the same machine (goal: at most 5x)."""
    if anchor_seconds is None:
        return f"demo {demo_seconds:.1f} s; dbt --version not measured (no dbt command beside {sys.executable})"
    return (
        f"demo {demo_seconds:.1f} s = {demo_seconds / anchor_seconds:.1f}x `dbt --version` ({anchor_seconds:.1f} s,"
        f" measured just before; goal at most 5x) on {os.cpu_count()} cores, load average"
        f" {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


KPI_INDICATORS = {
    "registered within 60 days": "ingeschreven binnen 60 dagen na het inburgeringscontract",
    "outflow to work within 12 months": "uitstroom naar werk binnen 12 maanden",
}


def _summary(agencies: PartyConfig, vdab: PartyConfig, wave: str) -> WaveSummary:
    bi_file = agencies.require("bi.file", agencies.bi_file)
    kpis: dict[str, float | None] = {}
    quality: dict[str, str] = {}
    with duckdb.connect(str(bi_file), read_only=True) as con:
        for label, indicator in KPI_INDICATORS.items():
            row = con.execute(
                "select percentage from mart_evolutie_kerncijfers where golf = ? and indicator = ?", [wave, indicator]
            ).fetchone()
            kpis[label] = float(row[0]) if row and row[0] is not None else None
        row = con.execute(
            "select percentage_van_ingeschreven from mart_dienstverlening_vdab where golf = ? and dimensie = 'totaal'"
            " and kenmerk = 'status_dienstverlening' and kenmerk_waarde = 'bemiddeling'",
            [wave],
        ).fetchone()
        kpis["with guidance (in bemiddeling)"] = float(row[0]) if row and row[0] is not None else None
        for label, column in (
            ("empty values", "aantal_leeg"),
            ("invalid values", "aantal_ongeldig"),
            ("duplicate INSZ", "aantal_dubbel"),
            ("not linked at VDAB", "aantal_niet_gekoppeld"),
        ):
            found = con.execute(
                f"select sum({column}), bool_or({column}_onderdrukt) from mart_datakwaliteit where golf = ?", [wave]
            ).fetchone()
            total, suppressed = found if found else (None, None)
            quality[label] = f"{int(total or 0):,}{' + withheld small counts' if suppressed else ''}"
    exchanged = {
        "request (agencies -> VDAB)": _recorded(agencies, wave, "export-request", "rows"),
        "enrichment (VDAB -> agencies)": _recorded(vdab, wave, "export-enrichment", "rows"),
        "pseudonymised dataset (agencies -> VDAB)": _recorded(agencies, wave, "export-dataset", "rows"),
    }
    warnings = sum(
        _recorded(config, wave, step, "dbt_warnings")
        for config, step in ((agencies, "build-request"), (agencies, "build-dataset"), (vdab, "build-enrichment"))
    )
    publication = json.loads((agencies.work / wave / "stappen" / "publish-bi.json").read_text(encoding="utf-8"))
    return WaveSummary(
        wave,
        kpis,
        exchanged,
        quality,
        warnings,
        _recorded(agencies, wave, "publish-bi", "withheld_cells"),
        {k: v for k, v in publication["details"].items() if k in INFORMATION_LOSS_COLUMNS},
    )


def _recorded(config: PartyConfig, wave: str, step: str, key: str) -> int:
    marker = config.work / wave / "stappen" / f"{step}.json"
    value = json.loads(marker.read_text(encoding="utf-8"))["details"].get(key)
    return int(value) if isinstance(value, int) else 0


def format_summary(result: DemoResult) -> list[str]:
    lines = [f"demo {'resumed and ' if result.resumed else ''}completed in {result.seconds:.1f} s"]
    for wave in result.waves:
        lines.append(f"wave {wave.wave}:")
        for label, value in wave.kpis.items():
            lines.append(f"  {label:40} {'withheld' if value is None else f'{value:.1f} %'}")
        for label, rows in wave.exchanged.items():
            lines.append(f"  exchanged {label:40} {rows:>8,} rows")
        quality = ", ".join(f"{label} {count}" for label, count in wave.quality.items())
        lines.append(f"  data quality (art. 7): {quality}; {wave.dbt_warnings} dbt warning(s)")
        loss = wave.information_loss
        lines.append(
            f"  cell key method: {wave.withheld_cells} cell(s) withheld;"
            f" {loss.get('percentage_gepubliceerd')} % of cells published"
            f" ({loss.get('percentage_gepubliceerd_niet_nul')} % of the non-empty),"
            f" {loss.get('aantal_verborgen_vanaf_10')} with a true count >= 10 hidden,"
            f" mean absolute deviation {loss.get('gemiddelde_absolute_afwijking')}"
        )
    for line in result.meldingen:
        lines.append(f"correction notice (art. 7) {line}")
    for label, path in result.paths.items():
        lines.append(f"{label:12} {path}")
    return lines
