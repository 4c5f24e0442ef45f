"""The information for the data subjects (protocol art. 10, AVG art. 13 and 14), in Dutch, written from the project's
own facts instead of kept by hand beside them: the attributes from ``pijler3.artikel3`` (the protocol's art. 3 list
the exchange files are checked against), the special category it marks, the retention and the agreement's dates,
the recipients (art. 4) and the contact points from the party's configuration. A fact that changes there changes the
text; a fact that is missing is named as missing instead of filled in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from pijler3 import artikel3
from pijler3.config import PartyConfig
from pijler3.evidence import render_html
from pijler3.files import atomic_write

PURPOSE = (
    "De Agentschappen Integratie en Inburgering (het Agentschap Integratie en Inburgering, Atlas Antwerpen en "
    "Integratie en Inburgering Gent) en VDAB volgen samen op of nieuwkomers met een inburgeringscontract de weg naar "
    "VDAB vinden en welke begeleiding ze daar krijgen: de derde pijler van het inburgeringstraject (protocol van 14 "
    "februari 2023, art. 2, 2°). De verwerking is nodig voor een taak van algemeen belang (AVG art. 6, lid 1, e)."
)
SPECIAL_CATEGORY = {
    "oudste_nationaliteit": (
        "bijzondere categorie (AVG art. 9): alleen gebruikt om na te gaan of alle nieuwkomers evenredig bij VDAB "
        "terechtkomen (art. 2)"
    )
}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _attributes(mapping: dict[str, str]) -> list[tuple[str, list[str]]]:
    """(protocol wording, its columns) for the personal data of one source, technical columns left out."""
    grouped: dict[str, list[str]] = {}
    for column, wording in mapping.items():
        if not wording.startswith("technisch:"):
            grouped.setdefault(wording, []).append(column)
    return list(grouped.items())


def tekst(config: PartyConfig, *, escape: Callable[[str], str] | None = None) -> str:
    """The transparency text as Markdown; ``escape`` protects configured values (default: Markdown escaping)."""
    show = escape or (lambda value: _MARKDOWN_SPECIAL.sub(r"\\\1", value))
    contact = config.contact
    organisation = show(contact.organisation) if contact.organisation else "de organisatie (niet ingesteld)"
    lines = [
        f"# Hoe {organisation} uw gegevens gebruikt voor de monitoring van inburgering en werk",
        "",
        "## Waarom",
        "",
        PURPOSE,
        "",
        "## Welke gegevens",
        "",
        "Het Agentschap Integratie en Inburgering vraagt aan VDAB enkel uw INSZ-nummer op. VDAB geeft daarbij deze "
        "gegevens terug:",
        "",
        *(f"- {wording}" for wording, _ in _attributes(dict(artikel3.VDAB))),
        "",
        "Het Agentschap voegt daar deze gegevens uit zijn eigen dossier (KBI) aan toe:",
        "",
        *(
            f"- {wording}" + "".join(f" — {SPECIAL_CATEGORY[c]}" for c in columns if c in SPECIAL_CATEGORY)
            for wording, columns in _attributes(dict(artikel3.KBI))
        ),
        "",
        "Daarna wordt uw INSZ-nummer vervangen door een pseudoniem (een code die zonder een geheime sleutel niet naar "
        "u terug te leiden is) en verwijderd. Wie de cijfers voor beleid gebruikt, krijgt alleen tellingen van "
        "groepen, nooit gegevens van één persoon.",
        "",
        "## Hoe vaak en hoe lang",
        "",
        _period(config),
        "",
        _retention(config),
        "",
        "## Wie de gegevens ziet",
        "",
        *_recipients(config, show),
        "",
        "## Uw rechten en contact",
        "",
        "U hebt het recht om uw gegevens in te kijken, ze te laten verbeteren en u tegen de verwerking te verzetten "
        "(AVG art. 15, 16 en 21). Niet-juiste gegevens worden aan de andere partij gemeld en verbeterd (art. 7 van het "
        "protocol). Voor vragen of om uw rechten uit te oefenen:",
        "",
        f"- de functionaris voor gegevensbescherming: {show(contact.dpo) if contact.dpo else 'niet ingesteld'}",
        f"- het protocol en meer uitleg: {show(contact.privacy_url) if contact.privacy_url else 'niet ingesteld'}",
        "- een klacht: de Vlaamse Toezichtcommissie voor de verwerking van persoonsgegevens.",
    ]
    return "\n".join(lines) + "\n"


def _period(config: PartyConfig) -> str:
    start, end = config.agreement_start, config.agreement_end
    span = (
        f"van {start} tot {end}"
        if start and end
        else f"vanaf {start}"
        if start
        else f"tot {end}"
        if end
        else "zolang de samenwerkingsovereenkomst loopt (de data zijn nog niet ingesteld)"
    )
    return f"De gegevens worden elk half jaar opgevraagd (peildata 30 juni en 31 december), {span} (art. 5)."


def _retention(config: PartyConfig) -> str:
    until = config.retention_until
    when = f"uiterlijk tot {until}" if until else "tot het einde van de overeenkomst bekend is, niet langer dan nodig"
    return (
        f"De gepseudonimiseerde gegevens worden bewaard tot {config.retention_years} jaar na het einde van de "
        f"samenwerkingsovereenkomst, {when} (art. 3). Het bestand met INSZ-nummers wordt na elke meting verwijderd."
    )


def _recipients(config: PartyConfig, show: Callable[[str], str]) -> list[str]:
    recipients = config.access.recipients
    if not recipients:
        return ["De lijst van ontvangers is niet ingesteld (`[access] recipients`)."]
    return [
        "Alleen deze diensten en groepen, en daarin alleen wie de gegevens voor zijn functie nodig heeft (art. 4):",
        "",
        *(f"- {show(recipient)}" for recipient in recipients),
        "",
        "Een mededeling aan een andere instantie wordt altijd eerst gemeld en waar nodig in een eigen protocol "
        "geregeld (art. 4).",
    ]


def write(config: PartyConfig, out: Path) -> Path:
    """Write the text to ``out``: Markdown, or one HTML page when ``out`` ends in ``.html`` (atomically, readable by
    all: it is meant for publication)."""
    if out.suffix == ".html":
        content = render_html(tekst(config, escape=lambda value: value), "Transparantie pijler3")
    else:
        content = tekst(config)
    with atomic_write(out, 0o644) as handle:
        handle.write(content.encode("utf-8"))
    return out
