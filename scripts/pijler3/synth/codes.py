"""Value domains and calibration of the synthetic source systems.

Labels are written the way the KBI and VDAB enter them (docs/bronbestanden.md). Every label has a canonical spelling
(what the generator writes on a clean row and records in the truth) and the spelling variants it may write instead when
it injects an art. 7 "inconsistent entry" defect; ``LABEL_SPELLINGEN`` lists them all per column so the dbt seeds can
map each to its code. Where no public code list exists (PLO decisions, trajectory types, VDAB service status, action
codes) the labels are invented and plausible; the seeds must say so.

Weights are shares; the generator normalises them. Calibration targets come from /work/shared/DOMAIN.md.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

Domein = tuple[tuple[str, float], ...]


def _zonder_accenten(label: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", label) if not unicodedata.combining(c))


def _varianten(label: str, *eigen: str) -> tuple[str, ...]:
    """Spellings a clerk produces for ``label``: its own aliases, then lower, upper and accent-free forms."""
    kandidaten = [*eigen, label.lower(), label.upper(), _zonder_accenten(label), _zonder_accenten(label).upper()]
    uniek = dict.fromkeys(k for k in kandidaten if k != label and k)
    return tuple(uniek)


# --- KBI (art. 3, "gegevens uit KBI") -------------------------------------------------------------------------------

LEEFTIJDSCATEGORIE: Final[Domein] = (
    ("18-24", 0.18),
    ("25-34", 0.38),
    ("35-44", 0.25),
    ("45-54", 0.12),
    ("55-64", 0.05),
    ("65+", 0.02),
)
# lower bound of each age category in years, same order as LEEFTIJDSCATEGORIE
LEEFTIJD_ONDERGRENS: Final = (18, 25, 35, 45, 55, 65)
LEEFTIJD_BOVENGRENS: Final = (25, 35, 45, 55, 65, 75)

GESLACHT: Final[Domein] = (("man", 0.52), ("vrouw", 0.477), ("X", 0.003))
SCHOLINGSNIVEAU: Final[Domein] = (("laag", 0.35), ("midden", 0.30), ("hoog", 0.25), ("onbekend", 0.10))

# verblijfsstatus; EU citizens are exempt from the obligation, temporarily displaced persons (Ukraine) are counted
# separately and sign a contract voluntarily: both are always "rechthebbend".
VERBLIJFSSTATUS: Final[Domein] = (
    ("gezinshereniging", 0.34),
    ("erkend vluchteling", 0.17),
    ("subsidiair beschermd", 0.06),
    ("arbeidsmigrant", 0.13),
    ("EU-burger", 0.10),
    ("tijdelijk ontheemd", 0.08),
    ("andere", 0.12),
)
STATUS_EU: Final = "EU-burger"
STATUS_ONTHEEMD: Final = "tijdelijk ontheemd"
STATUS_BESCHERMD: Final = ("erkend vluchteling", "subsidiair beschermd")

# oldest nationality, drawn per residence-status group (top ten of new contracts first)
NATIONALITEIT_DERDELANDS: Final[Domein] = (
    ("Marokko", 0.16),
    ("Afghanistan", 0.11),
    ("Turkije", 0.08),
    ("Syrië", 0.09),
    ("Palestina", 0.06),
    ("India", 0.05),
    ("Irak", 0.04),
    ("Eritrea", 0.05),
    ("Somalië", 0.03),
    ("Guinee", 0.03),
    ("Kameroen", 0.03),
    ("Congo (Democratische Republiek)", 0.04),
    ("Pakistan", 0.03),
    ("Iran", 0.03),
    ("Brazilië", 0.03),
    ("Rusland", 0.02),
    ("Tunesië", 0.03),
    ("Filipijnen", 0.03),
    ("Nigeria", 0.03),
    ("Algerije", 0.03),
)
NATIONALITEIT_EU: Final[Domein] = (
    ("Roemenië", 0.38),
    ("Bulgarije", 0.18),
    ("Polen", 0.16),
    ("Nederland", 0.08),
    ("Spanje", 0.07),
    ("Italië", 0.07),
    ("Portugal", 0.06),
)
NATIONALITEIT_ONTHEEMD: Final[Domein] = (("Oekraïne", 1.0),)

DOELGROEP_VERPLICHT: Final = "verplicht"
DOELGROEP_RECHTHEBBEND: Final = "rechthebbend"

KBI_REGIO: Final[Domein] = (
    ("Stad Antwerpen", 0.20),
    ("Stad Gent", 0.09),
    ("Provincie Antwerpen", 0.14),
    ("Limburg", 0.11),
    ("Oost-Vlaanderen", 0.13),
    ("Vlaams-Brabant", 0.12),
    ("West-Vlaanderen", 0.11),
    ("Brussel", 0.10),
)

PLO_TOELEIDING: Final = "toeleiding VDAB"
PLO_GEEN_TOELEIDING: Final = "geen toeleiding"
PLO_REDEN_TOEGELEID: Final[Domein] = (
    ("zoekt werk", 0.55),
    ("wil opleiding volgen", 0.30),
    ("loopbaanbegeleiding", 0.15),
)
# reasons the obligation to register does not apply (DESIGN.md: already working, already in a VDAB trajectory, no
# labour-market access) plus the usual temporary ones
PLO_REDEN_WERKT_AL: Final = "werkt al"
PLO_REDEN_REEDS_VDAB: Final = "reeds in VDAB-traject"
PLO_REDEN_NIET_TOEGELEID: Final[Domein] = (
    (PLO_REDEN_WERKT_AL, 0.35),
    (PLO_REDEN_REEDS_VDAB, 0.20),
    ("geen toegang tot arbeidsmarkt", 0.15),
    ("medische redenen", 0.15),
    ("zorgtaken", 0.15),
)

TAALLEERVERMOGEN: Final[Domein] = (("alfa", 0.12), ("traag", 0.23), ("standaard", 0.45), ("snel", 0.20))
# richtgraad: 1.1 = A1, 1.2 = A2, 2 = B1, 3 = B2, 4 = C1; "geen" = no level reached yet
NT2_NIVEAU: Final[Domein] = (
    ("geen", 0.25),
    ("1.1", 0.25),
    ("1.2", 0.25),
    ("2", 0.15),
    ("3", 0.07),
    ("4", 0.03),
)
NT2_ERK: Final = MappingProxyType({"1.1": "A1", "1.2": "A2", "2": "B1", "3": "B2", "4": "C1"})

TRAJECT_STANDAARD: Final = "standaardtraject"
TRAJECT_ALFA: Final = "alfatraject"
TRAJECT_JONGEREN: Final = "jongerentraject"
TRAJECT_VERSNELD: Final = "versneld traject"
TRAJECTTYPE: Final = (TRAJECT_STANDAARD, TRAJECT_ALFA, TRAJECT_JONGEREN, TRAJECT_VERSNELD)

JA: Final = "ja"
NEE: Final = "nee"
RESULTAAT_DIPLOMA: Final[Domein] = (
    ("gelijkwaardig", 0.35),
    ("gedeeltelijk gelijkwaardig", 0.25),
    ("niet gelijkwaardig", 0.15),
    ("in behandeling", 0.25),
)

# --- VDAB (art. 3, "gegevens uit de VDAB-databank") ---------------------------------------------------------------

# categorie werkzoekende, codes as in VDAB/KSZ statistics
CATEGORIE_CODE: Final[Domein] = (
    ("00", 0.30),
    ("02", 0.05),
    ("03", 0.19),
    ("04", 0.02),
    ("05", 0.12),
    ("06", 0.04),
    ("07", 0.03),
    ("10", 0.02),
    ("11", 0.02),
    ("14", 0.01),
    ("18", 0.02),
    ("19", 0.03),
    ("30", 0.05),
    ("80", 0.03),
    ("82", 0.02),
    ("93", 0.05),
)
# status dienstverlening: the code list is not public, labels as DOMAIN.md names them
STATUS_DIENSTVERLENING: Final[Domein] = (
    ("in bemiddeling", 0.60),
    ("in opleiding of voortraject", 0.30),
    ("niet inzetbaar op lange termijn", 0.10),
)
# action types the protocol names, with invented action codes and a typical duration range in days
ACTIETYPE: Final[Domein] = (
    ("Oriëntatie", 0.30),
    ("Context", 0.20),
    ("Competentieversterking", 0.30),
    ("Solliciteren", 0.20),
)
ACTIECODES: Final = (
    ("OR01", "OR02", "OR03", "OR04", "OR05"),
    ("CX01", "CX02", "CX03", "CX04"),
    ("CV01", "CV02", "CV03", "CV04", "CV05", "CV06", "CV07", "CV08"),
    ("SO01", "SO02", "SO03"),
)
ACTIEDUUR: Final = ((0, 30), (0, 90), (14, 180), (0, 60))

# --- spelling variants per column (art. 7: labels entered by many people) ----------------------------------------

_EIGEN_VARIANTEN: Final = MappingProxyType(
    {
        "18-24": ("18 - 24", "18-24 jaar"),
        "25-34": ("25 - 34", "25-34 jaar"),
        "35-44": ("35 - 44", "35-44 jaar"),
        "45-54": ("45 - 54", "45-54 jaar"),
        "55-64": ("55 - 64", "55-64 jaar"),
        "65+": ("65 +", "65+ jaar"),
        "man": ("Man", "M"),
        "vrouw": ("Vrouw", "V"),
        "X": ("x",),
        "laag": ("Laag",),
        "midden": ("Midden",),
        "hoog": ("Hoog",),
        "onbekend": ("Onbekend",),
        "gezinshereniging": ("Gezinshereniging", "gezinshereniger"),
        "erkend vluchteling": ("Erkend vluchteling", "Erkend Vluchteling"),
        "subsidiair beschermd": ("Subsidiair beschermd", "subsidiaire bescherming"),
        "arbeidsmigrant": ("Arbeidsmigrant", "arbeidsmigratie"),
        "EU-burger": ("EU burger", "eu-burger", "Unieburger"),
        "tijdelijk ontheemd": ("Tijdelijk ontheemd", "tijdelijke bescherming"),
        "andere": ("Andere", "anders"),
        "Congo (Democratische Republiek)": ("DR Congo", "Congo (DRC)"),
        "verplicht": ("Verplicht",),
        "rechthebbend": ("Rechthebbend",),
        "Stad Antwerpen": ("Antwerpen (stad)", "stad Antwerpen"),
        "Stad Gent": ("Gent (stad)", "stad Gent"),
        "Provincie Antwerpen": ("Prov. Antwerpen", "provincie Antwerpen"),
        "Limburg": (),
        "Oost-Vlaanderen": ("Oost Vlaanderen",),
        "Vlaams-Brabant": ("Vlaams Brabant",),
        "West-Vlaanderen": ("West Vlaanderen",),
        "Brussel": ("Brussel-Hoofdstad", "Brussels Hoofdstedelijk Gewest"),
        "toeleiding VDAB": ("Toeleiding VDAB", "toeleiding naar VDAB"),
        "geen toeleiding": ("Geen toeleiding",),
        "standaard": ("Standaard",),
        "geen": ("Geen",),
        "1.1": ("1,1", "A1"),
        "1.2": ("1,2", "A2"),
        "2": ("B1",),
        "3": ("B2",),
        "4": ("C1",),
        "standaardtraject": ("Standaardtraject", "standaard traject"),
        "ja": ("Ja", "j"),
        "nee": ("Nee", "n"),
        "Oriëntatie": ("orientatie", "oriëntatie"),
        "Context": (),
        "Competentieversterking": ("competentie-versterking",),
        "Solliciteren": ("sollicitatie",),
        "in bemiddeling": ("In bemiddeling", "bemiddeling"),
        "in opleiding of voortraject": ("In opleiding of voortraject", "in opleiding/voortraject"),
        "niet inzetbaar op lange termijn": ("Niet inzetbaar op lange termijn", "niet inzetbaar (lange termijn)"),
    }
)


def spellingen(label: str) -> tuple[str, ...]:
    """The spelling variants the generator may write instead of ``label`` (never the label itself)."""
    return _varianten(label, *_EIGEN_VARIANTEN.get(label, ()))


def _labels(*domeinen: Domein) -> tuple[str, ...]:
    return tuple(dict.fromkeys(label for domein in domeinen for label, _ in domein))


# canonical labels per column that carries labels; the order is the generator's label index
KBI_LABELS: Final = MappingProxyType(
    {
        "leeftijdscategorie": _labels(LEEFTIJDSCATEGORIE),
        "geslacht": _labels(GESLACHT),
        "scholingsniveau": _labels(SCHOLINGSNIVEAU),
        "oudste_nationaliteit": _labels(NATIONALITEIT_DERDELANDS, NATIONALITEIT_EU, NATIONALITEIT_ONTHEEMD),
        "doelgroep": (DOELGROEP_VERPLICHT, DOELGROEP_RECHTHEBBEND),
        "kbi_regio": _labels(KBI_REGIO),
        "plo_besluit": (PLO_TOELEIDING, PLO_GEEN_TOELEIDING),
        "plo_reden_besluit": _labels(PLO_REDEN_TOEGELEID, PLO_REDEN_NIET_TOEGELEID),
        "ingeschat_taalleervermogen": _labels(TAALLEERVERMOGEN),
        "hoogst_behaald_niveau_nt2": _labels(NT2_NIVEAU),
        "trajecttype": TRAJECTTYPE,
        "toeleiding_diplomagelijkschakeling": (JA, NEE),
        "resultaat_diplomagelijkschakeling": _labels(RESULTAAT_DIPLOMA),
        "heeft_ocmw_leefloon": (JA, NEE),
        "verblijfsstatus": _labels(VERBLIJFSSTATUS),
    }
)
VDAB_LABELS: Final = MappingProxyType(
    {
        "status_dienstverlening": _labels(STATUS_DIENSTVERLENING),
        "actietype": _labels(ACTIETYPE),
    }
)

# every spelling the generator can write, per column: canonical label -> its variants
LABEL_SPELLINGEN: Final = MappingProxyType(
    {
        kolom: MappingProxyType({label: spellingen(label) for label in labels})
        for kolom, labels in {**KBI_LABELS, **VDAB_LABELS}.items()
    }
)


# --- calibration ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kalibratie:
    """Shares and periods the generator is calibrated to (DOMAIN.md); tests check the output against them."""

    begin_contracten: dt.date = dt.date(2022, 3, 1)
    # contracts run up to a month before the extract date ("mid 2026")
    peildatum: dt.date = dt.date(2026, 6, 30)
    eind_ontheemden: dt.date = dt.date(2023, 12, 31)
    aandeel_verplicht: float = 0.78
    # after 1 March 2022 74 % of the verplichte are referred to VDAB; rechthebbenden far less often
    aandeel_toegeleid_verplicht: float = 0.74
    aandeel_toegeleid_rechthebbend: float = 0.15
    # of the referred: registered within 60 days of the contract, later, or (by the extract date) never
    aandeel_binnen_60_dagen: float = 0.80
    aandeel_later_ingeschreven: float = 0.12
    # not referred but registered anyway (own initiative, or already before the contract for reeds in VDAB-traject)
    aandeel_zelf_ingeschreven: float = 0.20
    # known to VDAB as a client without a registration period
    aandeel_klant_zonder_inschrijving: float = 0.05
    # outflow to work among the verplichte registered at VDAB (3 106 of 9 471 overall, about 26 % of the verplichte)
    aandeel_uitstroom_verplicht: float = 0.26
    aandeel_uitstroom_rechthebbend: float = 0.35
    # INSZ: newcomers whose bis number was replaced by a register number, whose current number is still a bis
    # number, and (of the replaced) whose KBI row still carries the old bis number
    aandeel_vervangen_insz: float = 0.25
    aandeel_huidig_bisnummer: float = 0.08
    aandeel_oud_insz_in_kbi: float = 0.30
    aandeel_diplomagelijkschakeling: float = 0.12
    # VDAB population beyond the newcomers
    acties_per_vdab_persoon: float = 10.0
    vdab_persoon_per_nieuwkomer: float = 100.0 / 3.0
    eerste_inschrijving_populatie: dt.date = dt.date(2008, 1, 1)
