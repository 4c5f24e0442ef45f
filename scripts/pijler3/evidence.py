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
from collections.abc import Iterable, Mapping
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
_SHORT = 12

HANDELING, STORING, WEIGERING, QUARANTAINE, HERSTART, ONBEKEND = (
    "handeling",
    "storing",
    "weigering",
    "quarantaine",
    "herstart",
    "onbekende gebeurtenis",
)

EVENTS: Mapping[str, tuple[str, str]] = {
    "connect": ("verbinding met de SFTP-server", HANDELING),
    "upload": ("opgeladen", HANDELING),
    "download": ("gedownload", HANDELING),
    "delete": ("verwijderd van de server", HANDELING),
    "seal": ("versleuteld en ondertekend", HANDELING),
    "open": ("handtekening geverifieerd en geopend", HANDELING),
    "leg-done": ("overdracht voltooid", HANDELING),
    "leg-failed": ("overdracht mislukt", STORING),
    "step-done": ("stap voltooid", HANDELING),
    "step-failed": ("stap mislukt", STORING),
    "failure": ("SFTP-fout", STORING),
    "quarantaine": ("envelop in quarantaine geplaatst", QUARANTAINE),
    "wave-restart": ("meting opnieuw gestart (`--restart`)", HERSTART),
    "purge": ("gegevens verwijderd (bewaartermijn)", HANDELING),
    "publish-bi": ("BI-bestand gepubliceerd", HANDELING),
    "publish-bi-failed": ("publicatie van het BI-bestand mislukt", STORING),
    "keys-generate": ("sleutels aangemaakt", HANDELING),
    "keys-rotate": ("sleutels vernieuwd", HANDELING),
    "keys-retire": ("oude sleutel ingetrokken", HANDELING),
    "melding-verzonden": ("correctiemelding verzonden (art. 7)", HANDELING),
    "melding-ontvangen": ("correctiemelding ontvangen (art. 7)", HANDELING),
    "melding-getoond": ("records van een correctiemelding bekeken (art. 7)", HANDELING),
    "melding-beantwoord": ("correctiemelding beantwoord (art. 7)", HANDELING),
    "melding-antwoord-ontvangen": ("antwoord op correctiemelding ontvangen (art. 7)", HANDELING),
    "melding-antwoord-verzonden": ("antwoord op correctiemelding verzonden (art. 7)", HANDELING),
    "restricted-removed": ("afgeschermde databank verwijderd na een mislukte stap", HANDELING),
    "window-refused": ("geweigerd: buiten de looptijd van de overeenkomst (art. 5, 12)", WEIGERING),
    "step-interrupted": ("stap onderbroken (Ctrl-C)", STORING),
    "interrupted": ("opdracht onderbroken (Ctrl-C)", STORING),
    "close-started": ("afsluiting van het protocol begonnen (art. 12)", HANDELING),
    "file-destroyed": ("databank of bestand vernietigd (afsluiting)", HANDELING),
    "overwritten-unlinked": ("bestand overschreven en verwijderd (afsluiting)", HANDELING),
    "key-destroyed": ("privésleutel overschreven en vernietigd (afsluiting)", HANDELING),
    "close-done": ("protocol afgesloten: gegevens en sleutels vernietigd", HANDELING),
}
"""Every audit event the package writes: its Dutch label and what it means for the DPO. Anything but a
``handeling`` is listed under "Storingen, weigeringen, quarantaine en herhalingen"; so is an event missing here
(``onbekende gebeurtenis``), so a new kind of event is never hidden. A test checks that every event the code records
is in this table."""

FOUTEN: Mapping[str, tuple[str, str]] = {
    # the envelope (pijler3.envelope): refusals, the sender must act
    "EnvelopeError": (
        WEIGERING,
        "De envelop werd geweigerd; niets werd geopend. Vraag de afzender ze opnieuw te sturen.",
    ),
    "MissingFileError": (WEIGERING, "Een van de drie bestanden van de envelop ontbrak; niets werd geopend."),
    "SignatureError": (
        WEIGERING,
        "De handtekening van het manifest klopt niet met de vastgepinde sleutel van de afzender; niets werd geopend.",
    ),
    "UnknownSenderKeyError": (
        WEIGERING,
        "Het manifest is ondertekend met een sleutel die niet vastgepind is voor de afzender (onbekende of vervalste"
        " afzender); niets werd geopend.",
    ),
    "ManifestError": (WEIGERING, "Het ondertekende manifest is misvormd of spreekt de sleutelbundel tegen."),
    "WrongKindError": (WEIGERING, "De envelop bevat een ander soort bestand dan verwacht."),
    "UnexpectedWaveError": (
        WEIGERING,
        "De envelop is ondertekend voor een andere meting of een ander soort bestand (mogelijk een herhaalde"
        " oude envelop).",
    ),
    "ReplayError": (WEIGERING, "Deze meting van dit soort bestand werd al eerder geopend: een herhaalde envelop."),
    "NotForUsError": (WEIGERING, "De envelop is versleuteld voor een sleutel die deze partij niet heeft."),
    "TamperedError": (
        WEIGERING,
        "Het versleutelde bestand verschilt van wat de afzender ondertekende (gewijzigd onderweg of op de server).",
    ),
    "TruncatedError": (WEIGERING, "Het versleutelde bestand is korter dan wat de afzender ondertekende (afgebroken)."),
    "DecryptionError": (WEIGERING, "Het versleutelde bestand is het ondertekende, maar kon niet ontsleuteld worden."),
    "ContentMismatchError": (
        WEIGERING,
        "Het geopende bestand verschilt van wat de afzender ondertekende (hash, grootte of aantal rijen); het werd"
        " niet geladen.",
    ),
    "OutputExistsError": (STORING, "Het bestand om in te openen bestond al; er werd niets overschreven."),
    # the SFTP transport (pijler3.sftp.transport)
    "SftpError": (STORING, "De SFTP-overdracht mislukte."),
    "HostKeyError": (WEIGERING, "De SFTP-server werd geweigerd: zijn sleutel is onbekend of gewijzigd."),
    "AuthError": (STORING, "Aanmelden op de SFTP-server werd geweigerd (gebruiker of sleutel)."),
    "ConnectionFailed": (STORING, "De SFTP-server bleef onbereikbaar na alle nieuwe pogingen."),
    "RemoteFileError": (STORING, "De SFTP-server weigerde een bestandsbewerking (map ontbreekt of geen rechten)."),
    "RemoteFileChanged": (STORING, "Het bestand op de server veranderde tijdens de overdracht."),
    "DownloadMismatch": (WEIGERING, "Het gedownloade bestand verschilt van het ondertekende manifest."),
    "ConnectionRefusedError": (STORING, "De SFTP-server weigerde de verbinding (draait hij?)."),
    "ConnectionResetError": (STORING, "De verbinding met de SFTP-server werd onderbroken."),
    "ConnectionError": (STORING, "De verbinding met de SFTP-server mislukte."),
    "TimeoutError": (STORING, "De SFTP-server antwoordde niet op tijd."),
    "timeout": (STORING, "De SFTP-server antwoordde niet op tijd."),
    "SSHException": (STORING, "Het SSH-protocol met de SFTP-server mislukte."),
    "EOFError": (STORING, "De SFTP-server sloot de verbinding onverwacht."),
    "OSError": (STORING, "Een bestand of map kon niet gelezen of geschreven worden."),
    "FileNotFoundError": (STORING, "Een bestand of map ontbrak."),
    "PermissionError": (STORING, "Geen toegang tot een bestand of map."),
    # the wave and the rest of the package
    "Pijler3Error": (STORING, "De opdracht mislukte; de melding aan de operator zegt wat te doen."),
    "InputError": (STORING, "Een bestand of waarde was misvormd (de melding aan de operator noemt bestand en regel)."),
    "ConfigError": (STORING, "Een configuratie- of sleutelprobleem: ontbrekend, onveilig of misvormd."),
    "KeyPermissionError": (STORING, "Een privésleutel was leesbaar voor anderen en werd geweigerd."),
    "KeyExistsError": (STORING, "Er bestonden al sleutels; er werd niets overschreven."),
    "TemporaryFailure": (STORING, "Tijdelijk probleem: de server of de andere partij was nog niet klaar."),
    "NotYetAvailable": (STORING, "Het bestand van de andere partij was er nog niet."),
    "StepFailed": (STORING, "De eigen controle van de stap faalde (de melding aan de operator zegt wat te doen)."),
    "ExtractChanged": (
        WEIGERING,
        "Het bronbestand veranderde sinds de aanvraag eruit gebouwd werd; de meting ging niet verder.",
    ),
    "ChainBroken": (STORING, "De hashketen van het auditlogboek is gebroken."),
    "IOException": (STORING, "De databank was bezet door een ander programma of de schijf was vol."),
    "CalledProcessError": (STORING, "Een hulpprogramma (dbt) eindigde met een fout."),
    "RuntimeError": (STORING, "Een onverwachte fout in de software; de operator vindt de details in de uitvoer."),
    "KeyboardInterrupt": (STORING, "Onderbroken door de operator (Ctrl-C)."),
    "OutsideAgreement": (
        WEIGERING,
        "De meting valt buiten de looptijd van de samenwerkingsovereenkomst (art. 5, 12); niets werd gelezen of"
        " verzonden.",
    ),
    "WaveStartedOver": (STORING, "De andere partij begon de meting opnieuw en stuurde een nieuw bestand."),
    "PublicationRefused": (
        WEIGERING,
        "Een bestand dat de afgeschermde laag zou verlaten, bevatte wat er niet in mag; het werd niet gepubliceerd.",
    ),
    "wave-not-run": (
        QUARANTAINE,
        "Een correctiemelding voor een meting die deze partij niet uitvoerde; ze werd niet geopend.",
    ),
    "no-notice-sent": (
        QUARANTAINE,
        "Een antwoord op een correctiemelding die deze partij niet verstuurde; het werd niet geopend.",
    ),
    "content": (
        QUARANTAINE,
        "De inhoud van de melding of het antwoord werd geweigerd (kolommen, meting, afzender of een INSZ-nummer waar"
        " het niet mag); de afzender kan een verbeterde versie sturen.",
    ),
    "name-holds-insz": (
        QUARANTAINE,
        "De bestandsnaam bevatte een INSZ-nummer; de naam werd niet gelogd en de bestanden werden niet bewaard.",
    ),
}
"""The reviewed map from the error type (or reason code) an event records to what the DPO reads. An error type
missing here is still named in a Dutch sentence (``reden``)."""

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


def soort(event: Event) -> str:
    """What an audit event means for the DPO (see ``EVENTS``); a failed step or leg is a refusal when its error is."""
    name = str(event.get("event", ""))
    if name not in EVENTS:
        return ONBEKEND
    kind = EVENTS[name][1]
    if kind == STORING and _error_type(event) in FOUTEN:
        return FOUTEN[_error_type(event)][0]
    return kind


def is_failure(event: Event) -> bool:
    """Whether an audit event records a failure, refusal, quarantine or restart, or is of a kind not in ``EVENTS``."""
    return soort(event) != HANDELING


def reden(event: Event) -> str:
    """Why an event failed, as a Dutch sentence (``FOUTEN``), with the recorded type for the operator."""
    recorded = str(event.get("error") or event.get("reason") or "")
    if not recorded:
        return ""
    code = _error_type(event)
    sentence = FOUTEN[code][1] if code in FOUTEN else "Onverwachte fout; de operator vindt de details in de uitvoer."
    return f"{sentence} (technisch: `{code}`)"


def _error_type(event: Event) -> str:
    """The error type an event records: transport failures write ``Type: message``, the others only ``Type``."""
    return str(event.get("error") or event.get("reason") or "").partition(":")[0].strip()


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
    outside = by_wave.get("", []) if wave is None else []
    failures = sum(1 for name in waves for e in by_wave.get(name, []) if is_failure(e)) + sum(map(is_failure, outside))
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
        *_key_events_section(events, notes),
        "",
        "## Bewaartermijn (art. 3)",
        "",
        *_retention_section(config, events, today),
        "",
        "## Meldingen (art. 7)",
        "",
        *_notices_section(notices, today),
        "",
        "## Lezing van art. 3: interpretaties en bijzondere categorie",
        "",
        "Kolommen die verder gaan dan de letterlijke woorden van art. 3, met hun redenering, en de bijzondere "
        f"categorie van persoonsgegevens. De twee DPO's aanvaarden ze schriftelijk in `{artikel3.ARTIKEL3_DOC}`; "
        '"conform" hieronder geldt onder dat voorbehoud.',
        "",
        *artikel3.interpretaties_tabel(),
    ]
    if outside:
        lines += ["", "## Buiten een meting", ""]
        failed = [e for e in outside if is_failure(e)]
        lines += ["### Storingen, weigeringen, quarantaine en herhalingen", ""]
        lines += _failure_table(failed, notes) if failed else ["Geen."]
        lines += ["", "### Wie deed wat (auditlogboek)", "", *_activity_table(outside, notes)]
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


KEY_EVENTS = ("keys-generate", "keys-rotate", "keys-retire")


def _key_events_section(events: list[Event], notes: _Footnotes) -> list[str]:
    """Every key event of the log, in or outside a wave, whatever its outcome (README: the DPO sees every rotation)."""
    found = [e for e in events if e.get("event") in KEY_EVENTS]
    lines = [
        "Sleutelgebeurtenissen in het auditlogboek (`pijler3 keys generate --config`, `keys rotate`, `keys retire`), "
        "binnen en buiten een meting:",
        "",
    ]
    if not found:
        return [*lines, "Geen: de sleutels hierboven werden niet vernieuwd of ingetrokken sinds het logboek begon."]
    lines += ["| tijd | handeling | door | details |", "|---|---|---|---|"]
    lines += [f"| {_time(e.get('time'))} | {_label(e)} | {_who(e)} | {_cell(_facts(e, notes))} |" for e in found]
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


def _manifests(config: PartyConfig, wave: str) -> list[tuple[str, dict[str, Any], str]]:
    """(direction, signed manifest, replaced) of every file of ``wave`` that crossed: the wave's own, the received
    correction notices and answers (kept sealed in ``meldingen.kept_folder``) and, with the name of the folder that
    keeps them, those a ``--restart`` replaced."""
    folders = [(direction, config.work / wave / folder, "") for direction, folder in _FOLDERS]
    restarts = config.work / "herstart"
    if restarts.is_dir():
        for kept in sorted(p for p in restarts.iterdir() if p.name.startswith(f"{wave}-")):
            folders += [(direction, kept / folder, kept.name) for direction, folder in _FOLDERS]
    kept_notices = meldingen.kept_folder(config)
    folders += [("received", kept_notices, ""), ("received", kept_notices / "antwoorden", "")]
    found = []
    for direction, base, replaced in folders:
        if base.is_dir():
            for path in sorted(base.glob(f"*{MANIFEST_SUFFIX}")):
                try:
                    manifest = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError) as exc:
                    raise InputError(f"{path}: unreadable manifest ({exc})") from exc
                if manifest.get("wave") == wave:
                    found.append((direction, manifest, replaced))
    return found


_FOLDERS = (("sent", "verzonden"), ("received", "ontvangen"))


def _steps(config: PartyConfig, wave: str, folder: Path | None = None) -> dict[str, dict[str, Any]]:
    records = {}
    for step in STEPS[config.party]:
        path = (folder or config.work / wave) / "stappen" / f"{step.name}.json"
        if path.is_file():
            records[step.name] = json.loads(path.read_text(encoding="utf-8"))
    return records


def _replaced_steps(config: PartyConfig, wave: str) -> list[tuple[str, dict[str, dict[str, Any]]]]:
    """The step records a ``--restart`` of ``wave`` kept, per kept folder."""
    restarts = config.work / "herstart"
    if not restarts.is_dir():
        return []
    return [
        (kept.name, _steps(config, wave, kept))
        for kept in sorted(p for p in restarts.iterdir() if p.is_dir() and p.name.startswith(f"{wave}-"))
    ]


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
        for direction, m, replaced in manifests:
            note = f" — **vervangen** bij herstart, bewaard in `{replaced}`" if replaced else ""
            lines.append(
                f"| {DIRECTIONS[direction]} ({m['sender']} → {m['recipient']}){note} | {m['kind']}: "
                f"`{m['file_name']}` | "
                f"{_time(m['created_at'])} | {getal(m['row_count'])} | "
                f"{getal(m['plaintext_size'])} / {getal(m['ciphertext_size'])} "
                f"| {notes.ref(m['plaintext_sha256'])} / {notes.ref(m['ciphertext_sha256'])} | "
                f"{notes.ref(m['sender_key_fingerprint'])} / {notes.ref(m['recipient_key_fingerprint'])} |"
            )
    else:
        lines.append("Nog geen bestand uitgewisseld.")
    column_lines, column_checks = _columns_section(_exchanged_columns(steps, _replaced_steps(config, wave), events))
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


_COLUMN_EVENTS = {
    "melding-ontvangen": "ontvangen",
    "melding-antwoord-ontvangen": "ontvangen",
    "melding-antwoord-verzonden": "verzonden",
}
"""Events that record the columns of a file that crossed outside a wave step (art. 7 notices and answers)."""


def _exchanged_columns(
    steps: dict[str, dict[str, Any]], replaced: list[tuple[str, dict[str, dict[str, Any]]]], events: list[Event]
) -> list[tuple[str, str, str, str | None]]:
    """(kind, direction, where it is recorded, comma-separated columns) of every file of the wave that crossed."""
    found = []
    for label, records in [("", steps), *((f", vervangen bij herstart, bewaard in `{k}`", r) for k, r in replaced)]:
        for name, record in records.items():
            details = record.get("details", {})
            if details.get("kind"):
                direction = "verzonden" if name.startswith(("send", "share")) else "ontvangen"
                found.append((str(details["kind"]), direction, f"stap {name}{label}", details.get("columns")))
    for e in events:
        if e.get("event") in _COLUMN_EVENTS and e.get("kind"):
            where = f"{_label(e)} {e.get('melding_id') or ''}".strip()
            columns = e.get("columns")
            found.append((str(e["kind"]), _COLUMN_EVENTS[str(e["event"])], where, str(columns) if columns else None))
    return found


def _columns_section(files: list[tuple[str, str, str, str | None]]) -> tuple[list[str], list[Check]]:
    lines: list[str] = []
    checks: list[Check] = []
    for kind, direction, where, columns in files:
        label = f"kolommen van {kind} ({direction}, {where}) getoetst aan art. 3"
        if not columns:
            checks.append((label, None, "kolommen niet geregistreerd"))
            continue
        check = artikel3.check_columns(kind, columns.split(","))
        allowed = artikel3.ALLOWED.get(kind, {})
        read = [i.code for i in check.interpretaties]
        agreed = f", waarvan volgens interpretatie {', '.join(read)} ({artikel3.ARTIKEL3_DOC})" if read else ""
        special = f"; bijzondere categorie (art. 9 AVG): {', '.join(check.bijzonder)}" if check.bijzonder else ""
        checks.append(
            (
                label,
                check.conform,
                f"{_columns(len(check.columns))}, alle in art. 3{agreed}{special}"
                if check.conform
                else f"niet in art. 3: {', '.join(check.extra)}",
            )
        )
        verdict = (
            ("conform" if not read else f"conform mits de interpretaties {', '.join(read)} aanvaard zijn")
            if check.conform
            else f"**NIET conform**: niet in art. 3: {', '.join(check.extra)}"
        )
        lines += [
            f"**{kind}** ({direction}, {where}): {_columns(len(check.columns))} — {verdict}.",
            "",
            "| gegeven volgens art. 3 | kolommen in het bestand | lezing |",
            "|---|---|---|",
            *(
                f"| {attribute} | {', '.join(f'`{c}`' for c in cols)} | {_reading(attribute, cols, allowed)} |"
                for attribute, cols in check.by_attribute()
            ),
            "",
        ]
    if not lines:
        lines = ["Nog geen bestand met geregistreerde kolommen."]
    return lines, checks


def _reading(attribute: str, columns: list[str], allowed: Mapping[str, str]) -> str:
    """How the columns follow from art. 3: literally, by an agreed interpretation, and whether they are special."""
    if columns[0] not in allowed:
        return "—"
    if attribute.startswith("technisch"):
        return "technisch"
    literal = [c for c in columns if artikel3.interpretatie(c) is None]
    parts = ["letterlijk" + (f": {', '.join(f'`{c}`' for c in literal)}" if len(literal) < len(columns) else "")]
    parts = parts if literal else []
    parts += [f"**interpretatie {i.code}**" for i in artikel3.INTERPRETATIES if set(i.kolommen) & set(columns)]
    parts += [f"**{artikel3.BIJZONDERE_CATEGORIE[c]}**" for c in columns if c in artikel3.BIJZONDERE_CATEGORIE]
    return "; ".join(parts)


def _checks(
    config: PartyConfig,
    wave: str,
    events: list[Event],
    manifests: list[tuple[str, dict[str, Any], str]],
    steps: dict[str, dict[str, Any]],
) -> list[Check]:
    results: list[Check] = []
    opened = {str(e.get("kind")) for e in events if e.get("event") == "open" and e.get("wave") == wave}
    downloads = {str(e.get("sha256")) for e in events if e.get("event") == "download"}
    uploads = {str(e.get("sha256")) for e in events if e.get("event") == "upload"}
    for direction, m, _ in manifests:
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
            str(v) for v in (_label(e), e.get("step") or e.get("leg") or e.get("action"), e.get("kind")) if v
        )
        attempt = f"poging {e.get('attempt')}" if e.get("attempt") else ""
        retried = e.get("retried")
        again = "ja, automatisch" if retried is True else "nee" if retried is False else "bij een volgende run"
        lines.append(
            f"| {_time(e.get('time'))} | **{soort(e)}**: {_cell(what)} | {_who(e)} | {e.get('user') or ''} | "
            f"{_cell(_why(e, notes))} | {', '.join(x for x in (attempt, again) if x)} |"
        )
    return lines


def _why(e: Event, notes: _Footnotes) -> str:
    if e.get("event") == "wave-restart":
        return (
            f"De meting werd opnieuw gestart; de vorige stapverslagen en manifesten zijn bewaard in "
            f"`{Path(str(e.get('kept_in') or '')).name}` en {getal(e.get('files_removed'))} gebouwde bestanden werden"
            " verwijderd. De vervangen bestanden staan hieronder bij de uitgewisselde bestanden."
        )
    if soort(e) == ONBEKEND:
        return f"Gebeurtenis `{e.get('event')}` is (nog) niet beschreven in dit rapport: {_facts(e, notes)}"
    return reden(e) or _facts(e, notes)


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
    for key in ("step", "leg", "kind", "melding_id", "remote_path", "file", "waves", "key_folder"):
        # The name of a quarantined file, or of one no wave vouched for, is chosen by whoever could write to the
        # server: it stays in the log, not in the report.
        unvouched = e.get("event") == "quarantaine" or not e.get("wave")
        if e.get(key) and not (key == "remote_path" and unvouched):
            parts.append(f"`{e[key]}`" if key in ("remote_path", "file", "key_folder") else str(e[key]))
    if isinstance(e.get("size"), int):
        parts.append(f"{getal(e['size'])} bytes")
    if isinstance(e.get("rows"), int):
        parts.append(f"{getal(e['rows'])} rijen")
    if e.get("event") in ("upload", "download", "open", "seal") and e.get("sha256"):
        parts.append(notes.ref(e["sha256"]))
    for key in ("fingerprint", "age_key", "signing_key"):
        if e.get(key):
            parts.append(f"{_KEY_LABELS[key]} {notes.ref(e[key])}")
    if e.get("event") == "connect" and e.get("host"):
        parts.append(f"{e.get('host')}:{e.get('port')}")
    if e.get("event") == "wave-restart":
        parts.append(f"bewaard in `{Path(str(e.get('kept_in') or '')).name}`")
    return ", ".join(parts)


_KEY_LABELS = {"fingerprint": "sleutel", "age_key": "nieuwe age-sleutel", "signing_key": "nieuwe handtekeningsleutel"}


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
    return EVENTS[name][0] if name in EVENTS else f"`{name}`"


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
