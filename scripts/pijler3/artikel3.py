"""Protocol art. 3 as data: which personal data each exchanged file kind may carry, and the machine check of a file's
columns against it (proportionality: only the agreed attributes).

The lists are written here from the protocol's own table, not derived from the dbt models or the export schemas:
a column a model adds without an art. 3 attribute behind it fails the check instead of widening it. Each column
maps to the protocol's wording of the attribute it carries; a few columns are not personal data of their own but
technical (the wave, the link between the parties' records) and say so.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pijler3.errors import InputError

INSZ = "INSZ-nummer (art. 3, gegevens uit KBI)"
_ACTIES = {
    "orientatie": "type acties: oriëntatie",
    "context": "type acties: context",
    "competentieversterking": "type acties: competentieversterking",
    "solliciteren": "type acties: solliciteren",
}

KBI: Mapping[str, str] = {
    "leeftijdscategorie": "leeftijdscategorie",
    "geslacht": "geslacht",
    "scholingsniveau": "scholingsniveau",
    "oudste_nationaliteit": "oudste nationaliteit",
    "datum_toeleiding_vdab": "datum toeleiding door Agentschappen naar VDAB",
    "doelgroep": "doelgroep (rechthebbend of verplicht)",
    "datum_doelgroep": "datum doelgroep van inburgering geworden",
    "datum_aanmelding": "datum aanmelding",
    "datum_inburgeringscontract": "datum inburgeringscontract",
    "kbi_regio": "KBI-regio",
    "plo_besluit": "besluit en reden besluit van de professionele loopbaanoriëntatie",
    "plo_reden_besluit": "besluit en reden besluit van de professionele loopbaanoriëntatie",
    "ingeschat_taalleervermogen": "ingeschat taalleervermogen",
    "hoogst_behaald_niveau_nt2": "hoogst behaald niveau NT2",
    "trajecttype": "trajecttype",
    "toeleiding_diplomagelijkschakeling": "toeleiding diplomagelijkschakeling en resultaat van deze toeleiding",
    "resultaat_diplomagelijkschakeling": "toeleiding diplomagelijkschakeling en resultaat van deze toeleiding",
    "heeft_ocmw_leefloon": "heeft OCMW leefloon",
    "verblijfsstatus": "verblijfsstatus",
}

VDAB: Mapping[str, str] = {
    "gekend_bij_vdab": "technisch: koppeling — het INSZ-nummer is gekend bij VDAB",
    "eerste_inschrijving": "eerste en meest recente inschrijving bij VDAB",
    "meest_recente_inschrijving": "eerste en meest recente inschrijving bij VDAB",
    "huidige_categorie_werkzoekende": "huidige categorie werkzoekende",
    "huidige_categorie_werkzoekende_omschrijving": "huidige categorie werkzoekende",
    "status_dienstverlening": "status dienstverlening bij VDAB",
    **{
        f"{prefix}_{actie}": label
        for actie, label in _ACTIES.items()
        for prefix in ("heeft_actie", "aantal_acties", "eerste_start_actie")
    },
    "uitstroom_naar_werk": "uitstroom naar werk",
    "uitstroom_naar_werk_binnen_6_maanden": "uitstroom naar werk",
    "uitstroom_naar_werk_binnen_12_maanden": "uitstroom naar werk",
}

ALLOWED: Mapping[str, Mapping[str, str]] = {
    "aanvraag": {"insz": INSZ},
    "verrijking": {"insz": INSZ, **VDAB},
    "gepseudonimiseerd": {
        "pseudoniem": "INSZ-nummer, vervangen door een pseudoniem",
        "golf": "technisch: de meting",
        "peildatum": "technisch: de peildatum van de meting",
        **KBI,
        "in_verrijking": "technisch: koppeling — de persoon stond in de verrijking van VDAB",
        **VDAB,
    },
    # Correction notices (art. 7): the identifier the receiver already holds, why, and which art. 3 attribute; the
    # answer carries no personal data at all.
    "melding": {
        "melding_id": "technisch: de melding (art. 7)",
        "golf": "technisch: de meting",
        "afzender": "technisch: de meldende partij",
        "aangemaakt_op": "technisch: tijdstip van de melding",
        "insz": INSZ,
        "reden": "technisch: reden van de melding (art. 7), uit een vaste lijst",
        "detail": "technisch: naam van het art. 3-gegeven of de reden waarom het ongeldig is",
    },
    "antwoord": {
        "melding_id": "technisch: de melding (art. 7)",
        "golf": "technisch: de meting",
        "afzender": "technisch: de antwoordende partij",
        "beantwoord_op": "technisch: tijdstip van het antwoord",
        "reden": "technisch: reden van de melding (art. 7), uit een vaste lijst",
        "aantal": "technisch: aantal gemelde records met die reden",
        "antwoord": "technisch: het antwoord na onderzoek (art. 7), vrije tekst zonder persoonsgegevens",
    },
}


ARTIKEL3_DOC = "docs/artikel3.md"
"""Where the two DPOs read and sign the interpretations below; a test keeps it equal to ``INTERPRETATIES``."""


@dataclass(frozen=True)
class Interpretatie:
    """Columns that carry an art. 3 attribute in a form its literal wording does not name: agreed in writing by both
    DPOs (``ARTIKEL3_DOC``), not decided by the code."""

    code: str
    kolommen: tuple[str, ...]
    gegeven: str
    """The art. 3 attribute, in the protocol's words."""
    lezing: str
    """What the columns carry, beyond the literal wording."""
    redenering: str
    """Why that is within the attribute and proportionate (art. 3, "Verantwoording proportionaliteit")."""


INTERPRETATIES: tuple[Interpretatie, ...] = (
    Interpretatie(
        "I1",
        tuple(f"aantal_acties_{actie}" for actie in _ACTIES),
        "type acties (oriëntatie, context, competentieversterking, solliciteren)",
        "per type het aantal acties, niet enkel of de persoon er een had",
        'Art. 3 wil zicht op "de dienstverlening en acties die inburgeraars krijgen in hun traject naar werk" en '
        'op "welke acties het meest bijdragen tot de uitstroom naar werk"; daarvoor telt hoeveel acties van een type '
        "iemand kreeg. Alleen een aantal per type reist mee: geen actiecode, inhoud of datum van elke actie.",
    ),
    Interpretatie(
        "I2",
        tuple(f"eerste_start_actie_{actie}" for actie in _ACTIES),
        "type acties (oriëntatie, context, competentieversterking, solliciteren)",
        "per type de startdatum van de eerste actie",
        "Of een actie bijdroeg tot de uitstroom naar werk, vraagt of ze vóór die uitstroom begon. Alleen de eerste "
        "startdatum per type reist mee, niet de datums van elke actie.",
    ),
    Interpretatie(
        "I3",
        ("uitstroom_naar_werk",),
        "uitstroom naar werk",
        "de startdatum van het eerste werk na de eerste inschrijving bij VDAB, niet enkel ja/nee",
        'Art. 3 wil meten of de verplichte inschrijving "leidt tot de beoogde doelstelling"; de tijd tussen '
        "de eerste inschrijving en het eerste werk is daarvan de maat. Alleen de eerste datum reist mee, geen "
        "werkgever of job.",
    ),
    Interpretatie(
        "I4",
        ("uitstroom_naar_werk_binnen_6_maanden", "uitstroom_naar_werk_binnen_12_maanden"),
        "uitstroom naar werk",
        "twee afgeleide vlaggen: werk binnen 6 en binnen 12 maanden",
        "Afgeleid uit I3 en de eerste inschrijving; ze voegen geen gegeven toe, maar leggen de definitie van "
        "de kernindicator één keer vast, bij VDAB, zodat beide partijen hetzelfde tellen.",
    ),
    Interpretatie(
        "I5",
        ("huidige_categorie_werkzoekende_omschrijving",),
        "huidige categorie werkzoekende",
        "naast de code ook haar omschrijving uit de codelijst van VDAB",
        "De omschrijving volgt uit de code en de codelijst en zegt niets meer over de persoon; ze maakt de "
        "gegevens leesbaar voor wie geen toegang heeft tot de codelijst van VDAB.",
    ),
)

BIJZONDERE_CATEGORIE: Mapping[str, str] = {
    "oudste_nationaliteit": (
        'bijzondere categorie (art. 9 AVG): nationaliteit, volgens art. 2 als enige meegenomen "om na te gaan of '
        'alle nieuwkomers evenredig terechtkomen bij VDAB"; de tabel van art. 3 vermeldt dit niet zelf'
    ),
}
"""Columns with special-category data (GDPR art. 9), which art. 2 names and art. 3 asks to be specified."""


def interpretaties_tabel() -> list[str]:
    """The interpretations and the special category as a Markdown table: in ``ARTIKEL3_DOC`` (a test keeps the two
    equal) and in the evidence report."""
    lines = ["| # | gegeven volgens art. 3 | kolommen | lezing | redenering |", "|---|---|---|---|---|"]
    lines += [
        f"| {i.code} | {i.gegeven} | {', '.join(f'`{c}`' for c in i.kolommen)} | {i.lezing} | {i.redenering} |"
        for i in INTERPRETATIES
    ]
    lines += [f"| art. 9 AVG | {KBI[c]} | `{c}` | {uitleg} | |" for c, uitleg in BIJZONDERE_CATEGORIE.items()]
    return lines


def interpretatie(column: str) -> Interpretatie | None:
    return next((i for i in INTERPRETATIES if column in i.kolommen), None)


@dataclass(frozen=True)
class ColumnCheck:
    kind: str
    columns: tuple[str, ...]
    extra: tuple[str, ...]
    """Columns art. 3 does not allow in this kind of file."""

    @property
    def conform(self) -> bool:
        return not self.extra

    @property
    def interpretaties(self) -> tuple[Interpretatie, ...]:
        """The interpretations the file's columns rely on, in ``INTERPRETATIES`` order."""
        allowed = ALLOWED.get(self.kind, {})
        return tuple(i for i in INTERPRETATIES if any(c in self.columns and c in allowed for c in i.kolommen))

    @property
    def bijzonder(self) -> tuple[str, ...]:
        """The file's columns with special-category data."""
        return tuple(c for c in self.columns if c in BIJZONDERE_CATEGORIE and c in ALLOWED.get(self.kind, {}))

    def by_attribute(self) -> list[tuple[str, list[str]]]:
        """(art. 3 attribute, its columns) in file order; extra columns under 'niet in art. 3'."""
        allowed = ALLOWED.get(self.kind, {})
        groups: dict[str, list[str]] = {}
        for column in self.columns:
            groups.setdefault(allowed.get(column, "**niet in art. 3**"), []).append(column)
        return list(groups.items())


def check_columns(kind: str, columns: Sequence[str]) -> ColumnCheck:
    """Check ``columns`` of a ``kind`` file against art. 3; an unknown kind allows nothing."""
    allowed = ALLOWED.get(kind, {})
    return ColumnCheck(kind, tuple(columns), tuple(c for c in columns if c not in allowed))


def file_columns(path: Path) -> list[str]:
    """The column names of an exchange file: a Parquet file's schema, or a CSV file's header line."""
    with path.open("rb") as handle:
        parquet = handle.read(4) == b"PAR1"
    if parquet:
        with duckdb.connect() as con:
            return [
                str(row[0]) for row in con.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
            ]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), None)
    if header is None:
        raise InputError(f"{path}: empty file, no header line")
    return [name.strip() for name in header]
