"""The evidence report for the data protection officer, in Dutch (protocol art. 6: "alle betrokken instanties moeten
kunnen aantonen …"; art. 3, 7 and 9): per party and per wave which files were exchanged, with which columns (checked
against art. 3), when, how large, their hashes and keys; which checks ran and how they ended; every failure, refusal,
quarantined file and retry; who ran what (operating-system user and host, next to the SFTP account); whether the
audit log's hash chain verified; the retention status.

Built only from metadata — the party's audit log, the signed manifests kept in ``<work>/<wave>/`` and the step records
of ``pijler3.wave`` — so it holds no personal data. Markdown, or an HTML rendering of the same text for printing on A4
when the output name ends in ``.html``: long hashes appear shortened, with the full value in a numbered footnote.

A failure is recognised generically, so that event kinds added later show up without editing this module: an event
whose name says it failed, was refused, rejected or quarantined, or whose ``outcome`` field says so, or a retried
attempt (see ``is_failure``).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pijler3 import artikel3, meldingen
from pijler3 import keys as party_keys
from pijler3.audit import Anchor, ChainStatus, Scalar, os_user, read_audit_log, verify_chain
from pijler3.config import PartyConfig
from pijler3.envelope import MANIFEST_SUFFIX, WAVE_PATTERN, check_wave
from pijler3.errors import InputError
from pijler3.nederlands import getal
from pijler3.wave import STEPS

Event = dict[str, Scalar]
Check = tuple[str, bool | None, str]

RUNBOOK = "docs/datalek.md"
MEASURES = "docs/maatregelen.md"
_FAILURE_WORDS = ("fail", "refus", "reject", "quarantin", "broken", "denied", "interrupt")
_FAILED_OUTCOMES = frozenset({"failed", "refused", "rejected", "quarantined", "error", "mislukt", "geweigerd"})
_SHORT = 12

EVENT_LABELS = {
    "connect": "verbinding met de SFTP-server",
    "upload": "opgeladen",
    "download": "gedownload",
    "delete": "verwijderd van de server",
    "seal": "versleuteld en ondertekend",
    "open": "handtekening geverifieerd en geopend",
    "leg-done": "overdracht voltooid",
    "leg-failed": "overdracht mislukt",
    "step-done": "stap voltooid",
    "step-failed": "stap mislukt",
    "failure": "SFTP-fout",
    "purge": "gegevens verwijderd (bewaartermijn)",
    "publish-bi": "BI-bestand gepubliceerd",
    "keys-generate": "sleutels aangemaakt",
    "keys-rotate": "sleutels vernieuwd",
    "keys-retire": "oude sleutel ingetrokken",
    "melding-verzonden": "correctiemelding verzonden (art. 7)",
    "melding-ontvangen": "correctiemelding ontvangen (art. 7)",
    "melding-getoond": "records van een correctiemelding bekeken (art. 7)",
    "melding-beantwoord": "correctiemelding beantwoord (art. 7)",
    "melding-antwoord-ontvangen": "antwoord op correctiemelding ontvangen (art. 7)",
    "melding-antwoord-verzonden": "antwoord op correctiemelding verzonden (art. 7)",
}
EVENT_LABELS |= {  # the protocol's lifecycle and the operator (pijler3.afsluiten, pijler3.config, pijler3.cli)
    "window-refused": "geweigerd: buiten de looptijd van de overeenkomst (art. 5, 12)",
    "step-interrupted": "stap onderbroken (Ctrl-C)",
    "interrupted": "opdracht onderbroken (Ctrl-C)",
    "close-started": "afsluiting van het protocol begonnen (art. 12)",
    "file-destroyed": "databank of bestand vernietigd (afsluiting)",
    "key-destroyed": "privésleutel overschreven en vernietigd (afsluiting)",
    "close-done": "protocol afgesloten: gegevens en sleutels vernietigd",
}
DIRECTIONS = {"sent": "verzonden", "received": "ontvangen"}
FACT_LABELS = {
    "rows": "rijen",
    "file": "bestand",
    "sent": "verzonden",
    "received": "ontvangen",
    "kind": "soort",
    "dbt_nodes": "dbt-knopen",
    "dbt_passed": "geslaagd",
    "dbt_warnings": "waarschuwingen",
    "marts": "marts",
    "withheld_cells": "niet gepubliceerde cellen",
    "flagged_cells": "cellen met vlag",
    "percentage_gepubliceerd": "% cellen gepubliceerd",
    "percentage_gepubliceerd_niet_nul": "% niet-lege cellen gepubliceerd",
    "aantal_verborgen_vanaf_10": "niet gepubliceerd met echt aantal >= 10",
    "gemiddelde_absolute_afwijking": "gemiddelde absolute afwijking",
    "grootste_relatieve_afwijking_vanaf_100": "grootste relatieve afwijking bij >= 100 (%)",
    "grootste_verschil_kernpercentage": "grootste verschil kernpercentage (procentpunt)",
    "removed_files": "verwijderde bestanden",
    "files_scanned": "gescande bestanden",
    "findings": "vondsten",
    "dropped_relations": "verwijderde relaties",
    "checked_relations": "nagekeken relaties",
    "requested_numbers_looked_for": "gezochte nummers",
    "reloaded": "opnieuw geladen",
    "melding_id": "melding",
    "records": "gemelde records",
    "meldingen_loaded": "meldingen ontvangen",
    "antwoorden_loaded": "antwoorden ontvangen",
    "refused": "geweigerd",
}


def waves_in(config: PartyConfig) -> list[str]:
    """Waves the party has work folders for, oldest first."""
    if not config.work.is_dir():
        return []
    return sorted(p.name for p in config.work.iterdir() if p.is_dir() and WAVE_PATTERN.match(p.name))


def is_failure(event: Event) -> bool:
    """Whether an audit event records a failure, refusal, rejection, quarantine or a retried attempt."""
    name = str(event.get("event", ""))
    outcome = str(event.get("outcome") or "").lower()
    return any(word in name for word in _FAILURE_WORDS) or outcome in _FAILED_OUTCOMES or event.get("retried") is True


def chain_anchors(config: PartyConfig) -> list[Anchor]:
    """The audit-log positions and hashes the step records of every wave kept (``pijler3.wave``)."""
    found = []
    for wave in waves_in(config):
        for path in sorted((config.work / wave / "stappen").glob("*.json")):
            try:
                anchor = json.loads(path.read_text(encoding="utf-8")).get("audit")
            except (OSError, ValueError) as exc:
                raise InputError(f"{path}: unreadable step record ({exc})") from exc
            if isinstance(anchor, dict) and isinstance(anchor.get("seq"), int) and isinstance(anchor.get("hash"), str):
                found.append(Anchor(anchor["seq"], anchor["hash"], str(path.relative_to(config.work))))
    return found


def verify_audit(config: PartyConfig, external: Iterable[Anchor] = ()) -> ChainStatus:
    """Verify the party's audit log, the anchors its step records hold and ``external`` ones (archived heads, the
    heads the other party received: ``pijler3.audit``), and that its notice register is the one the log reproduces."""
    status = verify_chain(config.audit_log, [*chain_anchors(config), *external])
    return meldingen.check_register(config, status)


class _Footnotes:
    """Long values (hashes) shortened in the text, in full in numbered footnotes; one number per distinct value."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def ref(self, value: object) -> str:
        text = str(value or "")
        if len(text) <= _SHORT + 2:
            return f"`{text}`" if text else ""
        number = self.values.setdefault(text, len(self.values) + 1)
        return f"`{text[:_SHORT]}…` [{number}]"

    def lines(self) -> list[str]:
        if not self.values:
            return []
        return ["", "## Voetnoten: volledige hashes", "", *(f"[{n}] `{v}`  " for v, n in self.values.items())]


def report_markdown(config: PartyConfig, wave: str | None = None, *, today: dt.date | None = None) -> str:
    if wave is not None:
        check_wave(wave)
    waves = [wave] if wave else waves_in(config)
    events = list(read_audit_log(config.audit_log)) if config.audit_log.is_file() else []
    today = today or dt.date.today()
    notes = _Footnotes()
    chain = verify_audit(config)
    by_wave = _events_by_wave(events, waves_in(config))
    notices = [m for m in meldingen.lees_register(config) if wave is None or m.golf == wave]
    sections: list[str] = []
    all_checks: list[Check] = []
    for name in waves:
        section, checks = _wave_section(config, name, by_wave.get(name, []), notes)
        sections += ["", f"## Meting {name}", "", *section]
        all_checks += checks
    outside = [e for e in by_wave.get("", []) if is_failure(e)] if wave is None else []
    failures = sum(1 for name in waves for e in by_wave.get(name, []) if is_failure(e)) + len(outside)
    failed_checks = [label for label, passed, _ in all_checks if passed is False]
    lines = [
        f"# Bewijsrapport {config.party}",
        "",
        "Uitwisseling tussen het Agentschap Integratie en Inburgering (met Atlas Antwerpen en IN-Gent) en VDAB volgens "
        "het protocol van 14 februari 2023: art. 3 (gegevens, proportionaliteit, bewaartermijn), art. 6 "
        "(beveiligingsmaatregelen), art. 7 (kwaliteit) en art. 9 (meldingsplichten).",
        "",
        f"Opgemaakt op {_now()} door {os_user()}@{socket.gethostname()} uit het auditlogboek "
        f"`{config.audit_log.name}` ({len(events)} gebeurtenissen), de "
        "ondertekende manifesten en de stapverslagen per meting. Het rapport bevat geen persoonsgegevens: "
        "bestandsnamen, groottes, aantallen rijen, kolomnamen, hashes, sleutelvingerafdrukken en resultaten van "
        "controles. Tijden in UTC.",
        "",
        f"Welke maatregelen de software afdwingt (met de test die elk bewijst) en welke de organisatie zelf neemt: "
        f"`{MEASURES}`. Bij een (vermoed) gegevenslek: `{RUNBOOK}`.",
        "",
        "## Samenvatting",
        "",
        "| onderwerp | resultaat |",
        "|---|---|",
        f"| auditlogboek (hashketen) | {_chain_summary(chain, notes)} |",
        f"| controles ({'meting ' + wave if wave else 'alle metingen'}) | "
        + (
            f"**{len(failed_checks)} van {len(all_checks)} MISLUKT**: {'; '.join(failed_checks)}"
            if failed_checks
            else f"alle {len(all_checks)} geslaagd"
        )
        + " |",
        f"| storingen, weigeringen, quarantaine en herhalingen | {failures} (met tijd en reden hieronder) |",
        f"| bewaartermijn (art. 3) | {_retention_status(config, today)} |",
        f"| correctiemeldingen (art. 7) | {_notices_summary(notices, today)} |",
        "",
        "## Sleutels (art. 6)",
        "",
        *_keys_section(config),
        "",
        "## Bewaartermijn (art. 3)",
        "",
        *_retention_section(config, events, today),
        "",
        "## Meldingen (art. 7)",
        "",
        *_notices_section(notices, today),
    ]
    if outside:
        lines += [
            "",
            "## Storingen buiten een meting",
            "",
            *_failure_table(outside, notes),
        ]
    lines += sections
    if not waves:
        lines += ["", "Met deze configuratie is nog geen meting uitgevoerd."]
    lines += notes.lines()
    return "\n".join(lines) + "\n"


def write_report(config: PartyConfig, out: Path, wave: str | None = None) -> Path:
    """Write the report to ``out`` (Markdown, or HTML when ``out`` ends in ``.html``), atomically."""
    text = report_markdown(config, wave)
    content = render_html(text, f"Bewijsrapport {config.party}") if out.suffix == ".html" else text
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    temp.write_text(content, encoding="utf-8")
    os.replace(temp, out)
    return out


def _notices_summary(notices: list[meldingen.Melding], today: dt.date) -> str:
    if not notices:
        return "geen verzonden of ontvangen"
    statuses = [m.status(today) for m in notices]
    late = statuses.count("te laat")
    return (
        f"{sum(m.richting == 'verzonden' for m in notices)} verzonden, "
        f"{sum(m.richting == 'ontvangen' for m in notices)} ontvangen: {statuses.count('open')} open, "
        f"{statuses.count('beantwoord')} beantwoord, " + (f"**{late} te laat**" if late else "0 te laat")
    )


def _notices_section(notices: list[meldingen.Melding], today: dt.date) -> list[str]:
    lines = [
        "Stelt een partij foutieve, onvolledige of verouderde gegevens van de andere partij vast, dan meldt zij dat "
        "onmiddellijk; de ontvanger onderzoekt en antwoordt binnen twee weken (art. 7). Een melding reist versleuteld "
        "en ondertekend; dit register bevat enkel aantallen per reden, geen INSZ-nummers. De ontvanger bewaart de "
        "melding zelf enkel versleuteld (`pijler3 meldingen toon ID` toont de records zonder ze weg te schrijven).",
        "",
    ]
    if not notices:
        return [*lines, "Geen meldingen verzonden of ontvangen."]
    lines += [
        "| melding | richting | meting | records per reden | geregistreerd | antwoord uiterlijk | status | antwoord |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in notices:
        status = m.status(today)
        answer = f"{_time(m.beantwoord_op)}: {_cell(m.antwoord or '')}" if m.beantwoord_op else ""
        lines.append(
            f"| {m.id} | {m.richting} ({m.afzender} → {m.ontvanger}) | {m.golf} | "
            + "; ".join(f"{meldingen.REDENEN.get(r, r)} (`{r}`): {getal(n)}" for r, n in m.aantallen.items())
            + f" | {_time(m.geregistreerd_op)} | {m.uiterlijk} | {'**te laat**' if status == 'te laat' else status} "
            f"| {answer} |"
        )
    return lines


def _chain_summary(chain: ChainStatus, notes: _Footnotes) -> str:
    if chain.ok:
        return (
            f"**geverifieerd**: {chain.lines} regels, {chain.anchors} ankers in de stapverslagen kloppen, het "
            f"meldingenregister volgt uit het logboek; kop van de keten (regel:hash) {notes.ref(chain.head_token)} "
            "(archiveer hem buiten deze machine: `pijler3 audit verify --head REGEL:HASH` toont later elke "
            "gewijzigde of weggeknipte regel tot daar)"
        )
    return f"**NIET geverifieerd**: {chain.problem}. Volg `{RUNBOOK}` (gegevenslek vermoed)"


def _events_by_wave(events: list[Event], waves: list[str]) -> dict[str, list[Event]]:
    """Each event under its wave; an event without a wave under the wave whose time span it falls in, else ''."""
    spans: dict[str, tuple[str, str]] = {}
    for event in events:
        name, time = str(event.get("wave") or ""), str(event.get("time", ""))
        if name in waves:
            first, last = spans.get(name, (time, time))
            spans[name] = (min(first, time), max(last, time))
    grouped: dict[str, list[Event]] = {}
    for event in events:
        name = str(event.get("wave") or "")
        if name not in waves:
            time = str(event.get("time", ""))
            name = next((w for w, (first, last) in spans.items() if first <= time <= last), "")
        grouped.setdefault(name, []).append(event)
    return grouped


def _keys_section(config: PartyConfig) -> list[str]:
    lines = ["| partij | sleutel | vingerafdruk | aangemaakt |", "|---|---|---|---|"]
    for label, path in (
        ("eigen", config.key_folder / party_keys.BUNDLE_FILE),
        ("andere partij, vastgepind", config.peer_bundle),
    ):
        try:
            bundle = party_keys.load_bundle(path)
        except Exception as exc:
            lines.append(f"| {label} | bundel `{path.name}` | onleesbaar: {type(exc).__name__} | |")
            continue
        for recipient in bundle.age_recipients:
            lines.append(
                f"| {bundle.party} ({label}) | age-versleuteling | "
                f"`{party_keys.group_fingerprint(recipient.fingerprint)}` | {_time(recipient.created_at)} |"
            )
        for signing in bundle.signing_keys:
            lines.append(
                f"| {bundle.party} ({label}) | Ed25519-handtekening | "
                f"`{party_keys.group_fingerprint(signing.fingerprint)}` | {_time(signing.created_at)} |"
            )
    return lines


def _retention_status(config: PartyConfig, today: dt.date) -> str:
    until = config.retention_until
    if until is None:
        return (
            "het einde van de samenwerkingsovereenkomst is niet ingesteld (`[retention] agreement_end`); gegevens "
            f"mogen tot {config.retention_years} jaar na dat einde bewaard worden"
        )
    if today > until:
        return f"**bewaartermijn verstreken sinds {until}**: voer nu `pijler3 purge` uit"
    return (
        f"gegevens mogen bewaard worden tot {until} (overeenkomst eindigt {config.agreement_end}, "
        f"+ {config.retention_years} jaar)"
    )


def _retention_section(config: PartyConfig, events: list[Event], today: dt.date) -> list[str]:
    lines = [f"Toestand op {today}: {_retention_status(config, today)}."]
    purges = [e for e in events if e.get("event") == "purge"]
    if purges:
        lines += [
            "",
            "| tijd | door | verwijderde metingen | rijen | bestanden op de server |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {_time(e.get('time'))} | {_who(e)} | {e.get('waves') or 'geen'} | {e.get('rows_removed')} | "
            f"{e.get('server_files_removed')} |"
            for e in purges
        ]
    else:
        lines += ["", "Er is nog niets verwijderd wegens de bewaartermijn (`pijler3 purge`)."]
    return lines


def _manifests(config: PartyConfig, wave: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for direction, folder in (("sent", "verzonden"), ("received", "ontvangen")):
        base = config.work / wave / folder
        if base.is_dir():
            for path in sorted(base.glob(f"*{MANIFEST_SUFFIX}")):
                try:
                    found.append((direction, json.loads(path.read_text(encoding="utf-8"))))
                except (OSError, ValueError) as exc:
                    raise InputError(f"{path}: unreadable manifest ({exc})") from exc
    return found


def _steps(config: PartyConfig, wave: str) -> dict[str, dict[str, Any]]:
    records = {}
    for step in STEPS[config.party]:
        path = config.work / wave / "stappen" / f"{step.name}.json"
        if path.is_file():
            records[step.name] = json.loads(path.read_text(encoding="utf-8"))
    return records


def _wave_section(
    config: PartyConfig, wave: str, events: list[Event], notes: _Footnotes
) -> tuple[list[str], list[Check]]:
    manifests = _manifests(config, wave)
    steps = _steps(config, wave)
    lines = ["### Uitgewisselde bestanden (ondertekende manifesten)", ""]
    if manifests:
        lines += [
            "| richting | soort en bestand | aangemaakt | rijen | bytes klaar / versleuteld | sha-256 klaar / "
            "versleuteld | sleutel afzender / ontvanger |",
            "|---|---|---|---|---|---|---|",
        ]
        for direction, m in manifests:
            lines.append(
                f"| {DIRECTIONS[direction]} ({m['sender']} → {m['recipient']}) | {m['kind']}: `{m['file_name']}` | "
                f"{_time(m['created_at'])} | {getal(m['row_count'])} | "
                f"{getal(m['plaintext_size'])} / {getal(m['ciphertext_size'])} "
                f"| {notes.ref(m['plaintext_sha256'])} / {notes.ref(m['ciphertext_sha256'])} | "
                f"{notes.ref(m['sender_key_fingerprint'])} / {notes.ref(m['recipient_key_fingerprint'])} |"
            )
    else:
        lines.append("Nog geen bestand uitgewisseld.")
    column_lines, column_checks = _columns_section(steps)
    lines += ["", "### Kolommen van elk uitgewisseld bestand, getoetst aan art. 3", "", *column_lines]
    checks = _checks(config, wave, events, manifests, steps) + column_checks
    access_lines, access_check = _access_section(config, events)
    checks.append(access_check)
    lines += ["", "### Controles", "", *_checks_table(checks)]
    lines += ["", "### Toegang (art. 4)", "", *access_lines]
    failures = [e for e in events if is_failure(e)]
    lines += ["", "### Storingen, weigeringen, quarantaine en herhalingen", ""]
    lines += _failure_table(failures, notes) if failures else ["Geen."]
    lines += [
        "",
        "### Wie deed wat (auditlogboek)",
        "",
        "Door: de gebruiker en machine van het besturingssysteem die de opdracht uitvoerden; SFTP-account: de "
        "account waarmee op de server werd aangemeld.",
        "",
        *_activity_table(events, notes),
    ]
    lines += ["", "### Stappen", "", "| stap | voltooid | feiten |", "|---|---|---|"]
    for step in STEPS[config.party]:
        record = steps.get(step.name)
        if record is None:
            lines.append(f"| {step.name} | nog niet | |")
            continue
        facts = ", ".join(
            f"{_fact(k)} {_value(v)}"
            for k, v in record.get("details", {}).items()
            if not k.endswith("sha256") and k != "columns"
        )
        lines.append(f"| {step.name} | {_time(record.get('done_at'))} | {facts} |")
    return lines, checks


def _access_section(config: PartyConfig, events: list[Event]) -> tuple[list[str], Check]:
    """Art. 4: who may see the exchanged data according to the configuration (``[access]``), and every operator of
    the wave's events checked against its list of operators."""
    access = config.access
    lines = [
        "Volgens de configuratie (`[access]`, door de partij actueel te houden; een nieuwe ontvanger wordt vooraf "
        "gemeld, `docs/maatregelen.md` B11):",
        "",
        "| wat | lijst |",
        "|---|---|",
        f"| ontvangers (diensten, werkgroep) | {_cell(', '.join(access.recipients)) or '**niet ingesteld**'} |",
        f"| functieprofielen met toegang | {_cell(', '.join(access.profiles)) or '**niet ingesteld**'} |",
        f"| wie pijler3 mag bedienen | {_cell(', '.join(access.operators)) or '**niet ingesteld**'} |",
    ]
    seen = sorted({_who(e) for e in events})
    outsiders = [who for who in seen if who not in access.operators]
    label = "elke bediener staat op de lijst van art. 4 (`[access] operators`)"
    if not access.operators:
        return [*lines, "", 'Zonder lijst van bedieners wordt de kolom "door" niet getoetst.'], (
            label,
            None,
            "geen lijst ingesteld",
        )
    lines += ["", "| door (auditlogboek) | op de lijst |", "|---|---|"]
    lines += [f"| {_cell(who)} | {'**NEE**' if who in outsiders else 'ja'} |" for who in seen]
    evidence = f"niet op de lijst: {_cell(', '.join(outsiders))}" if outsiders else f"{len(seen)} bediener(s)"
    return lines, (label, not outsiders if seen else None, evidence)


def _columns_section(steps: dict[str, dict[str, Any]]) -> tuple[list[str], list[Check]]:
    lines: list[str] = []
    checks: list[Check] = []
    for name, record in steps.items():
        details = record.get("details", {})
        kind, columns = details.get("kind"), details.get("columns")
        if not kind:
            continue
        direction = "verzonden" if name.startswith(("send", "share")) else "ontvangen"
        label = f"kolommen van {kind} ({direction}) getoetst aan art. 3"
        if not columns:
            checks.append((label, None, "kolommen niet geregistreerd in het stapverslag"))
            continue
        check = artikel3.check_columns(str(kind), str(columns).split(","))
        verdict = "conform" if check.conform else f"**NIET conform**: niet in art. 3: {', '.join(check.extra)}"
        checks.append(
            (
                label,
                check.conform,
                f"{_columns(len(check.columns))}, alle in art. 3"
                if check.conform
                else f"niet in art. 3: {', '.join(check.extra)}",
            )
        )
        lines += [
            f"**{kind}** ({direction}, stap {name}): {_columns(len(check.columns))} — {verdict}.",
            "",
            "| gegeven volgens art. 3 | kolommen in het bestand |",
            "|---|---|",
            *(f"| {attribute} | {', '.join(f'`{c}`' for c in cols)} |" for attribute, cols in check.by_attribute()),
            "",
        ]
    if not lines:
        lines = ["Nog geen bestand met geregistreerde kolommen."]
    return lines, checks


def _checks(
    config: PartyConfig,
    wave: str,
    events: list[Event],
    manifests: list[tuple[str, dict[str, Any]]],
    steps: dict[str, dict[str, Any]],
) -> list[Check]:
    results: list[Check] = []
    opened = {str(e.get("kind")) for e in events if e.get("event") == "open" and e.get("wave") == wave}
    downloads = {str(e.get("sha256")) for e in events if e.get("event") == "download"}
    uploads = {str(e.get("sha256")) for e in events if e.get("event") == "upload"}
    for direction, m in manifests:
        kind = m["kind"]
        short = f"`{m['ciphertext_sha256'][:_SHORT]}…`"
        if direction == "received":
            results.append(
                (
                    f"handtekening van het manifest van {kind} geverifieerd met de vastgepinde sleutel van "
                    f"{m['sender']}; ontvangersleutel, meting en herhaling gecontroleerd vóór het ontsleutelen",
                    kind in opened,
                    "geregistreerd als `open` in het auditlogboek" if kind in opened else "geen `open` in het logboek",
                )
            )
            results.append(
                (
                    f"{kind}: sha-256 van het gedownloade versleutelde bestand = ondertekend manifest",
                    m["ciphertext_sha256"] in downloads,
                    short,
                )
            )
        else:
            results.append(
                (
                    f"{kind}: sha-256 van het opgeladen versleutelde bestand = ondertekend manifest",
                    m["ciphertext_sha256"] in uploads,
                    short,
                )
            )

    def details(step: str) -> dict[str, Any] | None:
        record = steps.get(step)
        return None if record is None else dict(record.get("details", {}))

    def expected(step: str, label: str, passed: Any, evidence: Any) -> None:
        """A check the party's wave always runs: 'nog niet uitgevoerd' until its step is done."""
        if details(step) is None:
            results.append((label, None, "nog niet uitgevoerd"))
        else:
            results.append((label, bool(passed(details(step))), str(evidence(details(step)))))

    dbt_builds = {
        "agentschap": (("build-request", "aanvraag"), ("build-dataset", "pseudonimisering en marts")),
        "vdab": (("build-enrichment", "verrijking"),),
    }[config.party]
    for step, what in dbt_builds:
        expected(
            step,
            f"dbt-tests bij het bouwen van de {what}",
            lambda d: True,
            lambda d: (
                f"{d.get('dbt_nodes')} knopen, {d.get('dbt_passed')} geslaagd, {d.get('dbt_warnings')} "
                "waarschuwing(en) over datakwaliteit (art. 7: gemeld, niet weggelaten)"
            ),
        )
    if config.party == "agentschap":
        expected(
            "publish-bi",
            "openbaarmakingscontrole op het BI-bestand: celsleutelmethode (elke telling licht verstoord, geen aantal "
            "onder de drempel gepubliceerd, elk echt aantal vanaf 10 gepubliceerd)",
            lambda d: d.get("aantal_verborgen_vanaf_10", 0) == 0,
            lambda d: (
                f"{getal(d.get('withheld_cells'))} van {getal(d.get('flagged_cells'))} cellen niet gepubliceerd"
                f" (vlag `…_onderdrukt`), in {d.get('marts')} marts"
                + (
                    f"; informatieverlies: {getal(d['percentage_gepubliceerd'])} % van de cellen gepubliceerd"
                    f" ({getal(d.get('percentage_gepubliceerd_niet_nul'))} % van de niet-lege),"
                    f" {getal(d.get('aantal_verborgen_vanaf_10'))} cellen met een echt aantal vanaf 10 verborgen,"
                    f" gemiddelde absolute afwijking {getal(d.get('gemiddelde_absolute_afwijking'))},"
                    " grootste relatieve afwijking vanaf 100:"
                    f" {getal(d.get('grootste_relatieve_afwijking_vanaf_100'))} %,"
                    " grootste verschil in een kernpercentage:"
                    f" {getal(d.get('grootste_verschil_kernpercentage'))} procentpunt"
                    if d.get("percentage_gepubliceerd") is not None
                    else ""
                )
            ),
        )
        expected(
            "delete-restricted",
            "afgeschermde databank (met INSZ) en geopende verrijking verwijderd na de meting",
            lambda d: True,
            lambda d: f"{d.get('removed_files')} bestand(en) verwijderd; nagekeken dat niets overblijft",
        )
        scanned = "de monitoringdatabank, het BI-bestand, de documentatie, de uitwisselingsmappen en de logboeken"
    else:
        expected(
            "clean-up",
            "aanvraag en alles wat eruit gebouwd werd verwijderd uit de werkdatabank van VDAB, daarna nagekeken",
            lambda d: True,
            lambda d: (
                f"{d.get('dropped_relations')} relatie(s) verwijderd; daarna {d.get('checked_relations')} "
                "overige relatie(s) buiten de eigen VDAB-gegevens doorzocht naar de "
                f"{getal(d.get('requested_numbers_looked_for', ''))} aangevraagde nummers: geen gevonden, "
                "databankbestand "
                "herschreven"
            ),
        )
        scanned = "wat VDAB van de uitwisseling bewaart (uitwisselingsmappen, werkmap, logboeken)"
    expected(
        "insz-scan",
        f"scan op INSZ-nummers in klare tekst in {scanned}",
        lambda d: d.get("findings") == 0,
        lambda d: f"{getal(d.get('files_scanned'))} bestanden, {d.get('findings')} vondst(en)",
    )
    return results


def _checks_table(results: list[Check]) -> list[str]:
    if not results:
        return ["Voor deze meting liep nog geen controle."]
    lines = ["| controle | resultaat | bewijs |", "|---|---|---|"]
    for label, passed, evidence in results:
        verdict = "geslaagd" if passed else ("nog niet uitgevoerd" if passed is None else "**MISLUKT**")
        lines.append(f"| {label} | {verdict} | {evidence} |")
    return lines


def _failure_table(failures: Iterable[Event], notes: _Footnotes) -> list[str]:
    lines = ["| tijd | wat | door | SFTP-account | waarom | herhaald |", "|---|---|---|---|---|---|"]
    for e in failures:
        what = " ".join(
            str(v) for v in (_label(e), e.get("step") or e.get("leg") or e.get("action"), e.get("remote_path")) if v
        )
        reason = e.get("error") or e.get("reason") or e.get("outcome") or ""
        attempt = f"poging {e.get('attempt')}" if e.get("attempt") else ""
        retried = e.get("retried")
        again = "ja, automatisch" if retried is True else "nee" if retried is False else "bij een volgende run"
        lines.append(
            f"| {_time(e.get('time'))} | {_cell(what)} | {_who(e)} | {e.get('user') or ''} | {_cell(str(reason))} | "
            f"{', '.join(x for x in (attempt, again) if x)} |"
        )
    return lines


def _activity_table(events: list[Event], notes: _Footnotes) -> list[str]:
    if not events:
        return ["Geen gebeurtenissen."]
    lines = ["| tijd | handeling | door | SFTP-account | details |", "|---|---|---|---|---|"]
    for e in events:
        lines.append(
            f"| {_time(e.get('time'))} | {_label(e)} | {_who(e)} | {e.get('user') or ''} | {_cell(_facts(e, notes))} |"
        )
    return lines


def _facts(e: Event, notes: _Footnotes) -> str:
    parts = []
    for key in ("step", "leg", "kind", "melding_id", "remote_path", "file", "waves", "fingerprint"):
        if e.get(key):
            parts.append(f"`{e[key]}`" if key in ("remote_path", "file") else str(e[key]))
    if isinstance(e.get("size"), int):
        parts.append(f"{getal(e['size'])} bytes")
    if e.get("event") in ("upload", "download", "open", "seal") and e.get("sha256"):
        parts.append(notes.ref(e["sha256"]))
    if e.get("event") == "connect" and e.get("host"):
        parts.append(f"{e.get('host')}:{e.get('port')}")
    return ", ".join(parts)


def _fact(key: str) -> str:
    if key.endswith("_rows"):
        return f"{key.removesuffix('_rows')}: rijen"
    return FACT_LABELS.get(key, key)


def _value(value: object) -> str:
    return {True: "ja", False: "nee"}.get(value, getal(value)) if isinstance(value, bool) else getal(value)


def _columns(count: int) -> str:
    return "1 kolom" if count == 1 else f"{count} kolommen"


def _label(e: Event) -> str:
    name = str(e.get("event", ""))
    return EVENT_LABELS.get(name, name)


def _who(e: Event) -> str:
    if e.get("os_user") or e.get("os_host"):
        return f"{e.get('os_user', '?')}@{e.get('os_host', '?')}"
    return "niet geregistreerd"


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def _time(value: object) -> str:
    """An ISO timestamp to the second, without the 'T' and 'Z' (the report states that times are UTC)."""
    text = str(value or "")
    return text[:19].replace("T", " ") if re.match(r"\d{4}-\d\d-\d\dT", text) else text


def render_html(markdown: str, title: str) -> str:
    """The report's Markdown (headings, paragraphs, pipe tables, lists, `code`, **bold**, [n] footnote references)
    as one HTML page that prints on A4 without horizontal scrolling."""
    body: list[str] = []
    rows: list[list[str]] = []

    def flush_table() -> None:
        if not rows:
            return
        head, *rest = rows
        body.append("<table><thead><tr>" + "".join(f"<th>{c}</th>" for c in head) + "</tr></thead><tbody>")
        body.extend("<tr>" + "".join(_td(c) for c in row) + "</tr>" for row in rest)
        body.append("</tbody></table>")
        rows.clear()

    for line in markdown.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r"-+", c) for c in cells):
                rows.append([_inline(c) for c in cells])
            continue
        flush_table()
        if heading := re.match(r"(#{1,3}) (.*)", line):
            level = len(heading.group(1))
            body.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif line.startswith("- "):
            body.append(f"<ul><li>{_inline(line[2:])}</li></ul>")
        elif note := re.match(r"\[(\d+)\] (.*)", line):
            body.append(f'<p class="noot" id="noot-{note.group(1)}">[{note.group(1)}] {_inline(note.group(2))}</p>')
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    flush_table()
    style = (
        "@page{size:A4;margin:14mm 12mm}"
        "body{font-family:sans-serif;font-size:10pt;line-height:1.35;margin:1.5em auto;max-width:60em;padding:0 1em}"
        "table{border-collapse:collapse;margin:.5em 0;width:100%}"
        "td,th{border:1px solid #bbb;padding:.15em .35em;font-size:8.5pt;text-align:left;vertical-align:top;"
        "overflow-wrap:anywhere}"
        "th{background:#eee;overflow-wrap:normal}td.n{overflow-wrap:normal}code{font-size:.95em;overflow-wrap:anywhere}sup{font-size:.75em}"
        "h1{font-size:16pt}h2{font-size:13pt;border-bottom:1px solid #999;margin-top:1.4em}h3{font-size:11pt}"
        "p.noot{font-size:8pt;margin:.1em 0;overflow-wrap:anywhere}"
        "@media print{body{margin:0;max-width:none;padding:0}h2{break-after:avoid}tr{break-inside:avoid}}"
    )
    return (
        f'<!doctype html>\n<html lang="nl"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _td(cell: str) -> str:
    # Numbers, dates, times and short words (accounts, user@host) break at their spaces only; everything else
    # (hashes, paths, column lists) anywhere.
    whole = re.fullmatch(r"[\d.,:/ -]+", cell) is not None or re.fullmatch(r"[\w@.-]{1,24}", cell) is not None
    return f'<td class="n">{cell}</td>' if whole else f"<td>{cell}</td>"


def _inline(text: str) -> str:
    escaped = html.escape(text)
    escaped = re.sub(r"`([^`]*)`", r"<code>\1</code>", escaped)
    escaped = re.sub(r" \[(\d+)\]", r'<sup><a href="#noot-\1">[\1]</a></sup>', escaped)
    return re.sub(r"\*\*([^*]*)\*\*", r"<strong>\1</strong>", escaped)


def _now() -> str:
    return _time(dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
