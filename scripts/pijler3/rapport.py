"""The BI working group's Dutch monitoring report (``monitoringsrapport.html``), generated from the BI file alone.

Anyone holding the BI file can regenerate it (``pijler3 rapport --bi FILE``): it reads only the published marts and
reference tables (perturbed by the cell key method), never the true counts, the record keys or the monitoring
database. Charts are drawn by matplotlib on this machine and embedded as inline SVG, so the file is self-contained and
works offline: no script, no CDN, no font or image to fetch. Every chart names its population and wave and carries the
note on perturbed figures. Each section has an anchor the dbt exposures point at
(``models/marts/_marts__exposures.yml``).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("svg")  # no display, no GUI toolkit: the report is rendered on servers
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from pijler3 import leakscan
from pijler3.errors import InputError
from pijler3.nederlands import getal

RAPPORT_NAAM = "monitoringsrapport.html"
NOOT_VERSTOORD = (
    "Cijfers licht verstoord (celsleutelmethode): elk aantal wijkt hoogstens 5 af, percentages komen uit de "
    "verstoorde aantallen; een aantal onder de drempel is weggelaten (minder dan 5, mogelijk 0). n.g.: niet "
    "gepubliceerd (een aantal onder de drempel) of niet van toepassing in die golf."
)
NOOT_DATAKWALITEIT = (
    "Deze tellingen van bronrijen zijn op 5 afgerond (1 tot 4 niet gepubliceerd) in plaats van verstoord."
)
# The tables the report reads; nothing else in the BI file is needed, so any holder of the file can regenerate it.
TABELLEN = (
    "golven", "codelijsten", "mart_evolutie_kerncijfers", "mart_inschrijving_vdab", "mart_evenredig_bereik",
    "mart_dienstverlening_vdab", "mart_uitstroom_werk", "mart_overgangen", "mart_datakwaliteit",
)  # fmt: skip
KLEUREN = ("#1f5f8b", "#e08a1e", "#3c8d4f", "#a23b72", "#6b6b6b")
# A bar without a value: its count (or the numerator or denominator of its percentage) was withheld, or the group does
# not exist in that wave (a cohort that had not started yet).
NIET_GEPUBLICEERD = "n.g."
POPULATIE_INSCHRIJVING = (
    "nieuwkomers met een inburgeringscontract sinds 1 maart 2022 van wie de 60 dagen op de peildatum verstreken waren"
)
POPULATIE_INGESCHREVEN = "bij VDAB ingeschreven nieuwkomers met een inburgeringscontract sinds 1 maart 2022"

DIMENSIES = {
    "cohort": "cohort (halfjaar van het inburgeringscontract)",
    "kbi_regio": "KBI-regio",
    "plo_besluit": "PLO-besluit",
    "plo_reden_besluit": "reden van het PLO-besluit",
    "hoogst_behaald_niveau_nt2": "hoogst behaald niveau NT2",
    "heeft_ocmw_leefloon": "OCMW-leefloon",
    "toeleiding_diplomagelijkschakeling": "toeleiding naar diplomagelijkschakeling",
    "resultaat_diplomagelijkschakeling": "resultaat van de diplomagelijkschakeling",
}


def _dimensie(naam: str) -> str:
    return DIMENSIES.get(naam, naam.replace("_", " "))


plt.rcParams.update(
    {
        "svg.fonttype": "none",  # text stays text: readable, searchable, and drawn in the browser's own sans-serif
        "font.family": "sans-serif",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)


@dataclass(frozen=True)
class Golf:
    naam: str
    peildatum: dt.date


class Bron:
    """The BI file, opened read-only, with the code lists and waves the charts label themselves with."""

    def __init__(self, bi_file: Path) -> None:
        if not bi_file.is_file():
            raise InputError(f"{bi_file}: BI file not found")
        try:
            self.con = duckdb.connect(str(bi_file), read_only=True)
        except duckdb.Error as exc:
            raise InputError(f"{bi_file}: cannot open as a DuckDB file ({exc})") from exc
        aanwezig = {r[0] for r in self.con.execute("select table_name from duckdb_tables()").fetchall()}
        ontbrekend = [t for t in TABELLEN if t not in aanwezig]
        if ontbrekend:
            self.con.close()
            raise InputError(
                f"{bi_file}: not a BI file of this version, it lacks {', '.join(ontbrekend)}; publish it again"
            )
        self.golven = [
            Golf(str(g), p)
            for g, p in self.rijen("select golf, peildatum from golven order by golf")
            if isinstance(p, dt.date)
        ]
        self.labels = {
            (str(k), str(c)): str(o) for k, c, o in self.rijen("select kenmerk, code, omschrijving from codelijsten")
        }

    def rijen(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[object, ...]]:
        return self.con.execute(sql, list(parameters)).fetchall()

    def label(self, kenmerk: str, code: str) -> str:
        """The Dutch meaning of a code, with the code itself when it says something the label does not."""
        omschrijving = self.labels.get((kenmerk, code))
        if omschrijving is None:
            return code
        if code == "onbekend":
            return "onbekend"
        # a short code (M, 00, ITA) is what other publications show; a longer one is only a spelling of the label
        if len(code) <= 3 and not re.search(rf"\b{re.escape(code)}\b", omschrijving, re.IGNORECASE):
            return f"{omschrijving} ({code})"
        return omschrijving

    @property
    def laatste(self) -> Golf:
        return self.golven[-1]

    def golf_tekst(self, golven: Sequence[Golf]) -> str:
        return ", ".join(f"{g.naam} (peildatum {_datum(g.peildatum)})" for g in golven)


def _datum(datum: dt.date) -> str:
    maanden = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
               "november", "december")  # fmt: skip
    return f"{datum.day} {maanden[datum.month - 1]} {datum.year}"


def _getal(waarde: float | None, decimalen: int = 1) -> str:
    """A number as Dutch text: decimal comma, a point between thousands."""
    if waarde is None:
        return NIET_GEPUBLICEERD
    return getal(waarde, decimalen)


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    tekst = buffer.getvalue()
    return tekst[tekst.index("<svg") :]


def _figuur(titel: str, populatie: str, golven: str, svg: str, extra_noot: str = "") -> str:
    noot = NOOT_VERSTOORD + (f" {extra_noot}" if extra_noot else "")
    return (
        f'<figure class="grafiek"><figcaption><strong>{html.escape(titel)}</strong><br>'
        f"Populatie: {html.escape(populatie)}. Golf: {html.escape(golven)}.<br>"
        f'<span class="noot">{noot}</span></figcaption>{svg}</figure>'
    )


def _leeg(titel: str, golven: str) -> str:
    return f'<p class="leeg"><strong>{html.escape(titel)}</strong>: geen gegevens voor {html.escape(golven)}.</p>'


def _staven(
    categorieen: Sequence[str],
    reeksen: Sequence[tuple[str, Sequence[float | None]]],
    xlabel: str,
    *,
    referentie: float | None = None,
    xmax: float | None = None,
    decimalen: int = 1,
) -> str:
    """Horizontal grouped bars, one group per category and one bar per series; a withheld value is marked ``< 5``."""
    hoogte = 0.8 / len(reeksen)
    fig, ax = plt.subplots(figsize=(7.2, 0.28 * len(categorieen) * max(1, len(reeksen) * 0.7) + 0.9))
    waarden = [w for _, reeks in reeksen for w in reeks if w is not None]
    bovengrens = xmax or (max(waarden, default=1) * 1.12 or 1)
    for i, (naam, reeks) in enumerate(reeksen):
        posities = [c + (i - (len(reeksen) - 1) / 2) * hoogte for c in range(len(categorieen))]
        ax.barh(posities, [w or 0 for w in reeks], height=hoogte * 0.92, color=KLEUREN[i % len(KLEUREN)], label=naam)
        for positie, waarde in zip(posities, reeks, strict=True):
            tekst = _getal(waarde, decimalen)
            ax.text((waarde or 0) + bovengrens * 0.01, positie, tekst, va="center", fontsize=7, color="#333")
    ax.set_yticks(range(len(categorieen)), categorieen)
    ax.invert_yaxis()
    ax.set_xlim(0, bovengrens)
    ax.set_xlabel(xlabel)
    if referentie is not None:
        ax.axvline(referentie, color="#999", linestyle="--", linewidth=1)
    if len(reeksen) > 1:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1), frameon=False)
    return _svg(fig)


def _vergeleken(bron: Bron) -> list[Golf]:
    """The waves a breakdown compares: the latest and the one before it (more would crowd a bar chart)."""
    return bron.golven[-2:]


def _kerncijfers(bron: Bron) -> str:
    rijen = bron.rijen("select golf, indicator, percentage from mart_evolutie_kerncijfers order by indicator, golf")
    indicatoren = sorted({str(r[1]) for r in rijen})
    per = {(str(g), str(i)): _als_getal(p) for g, i, p in rijen}
    laatste, vorige = bron.laatste, (bron.golven[-2] if len(bron.golven) > 1 else None)
    tegels = []
    for indicator in indicatoren:
        nu = per.get((laatste.naam, indicator))
        verschil = ""
        if vorige is not None:
            toen = per.get((vorige.naam, indicator))
            if nu is not None and toen is not None:
                verschil = f"{'+' if nu >= toen else '-'}{_getal(abs(nu - toen))} pp t.o.v. {vorige.naam}"
        tegels.append(
            f'<div class="tegel"><div class="waarde">{_getal(nu)} %</div>'
            f'<div>{html.escape(indicator)}</div><div class="verschil">{verschil}</div></div>'
        )
    fig, ax = plt.subplots(figsize=(7.2, 3.4))
    namen = [g.naam for g in bron.golven]
    for i, indicator in enumerate(indicatoren):
        punten = [(g, per.get((g, indicator))) for g in namen]
        ax.plot(
            [g for g, p in punten if p is not None], [p for _, p in punten if p is not None],
            marker="o", color=KLEUREN[i % len(KLEUREN)], label=indicator,
        )  # fmt: skip
        for g, p in punten:
            if isinstance(p, float):
                ax.annotate(_getal(p), (g, p), textcoords="offset points", xytext=(0, 5), ha="center", fontsize=7)
    ax.set_ylim(0, 100)
    ax.set_ylabel("percentage")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1), frameon=False)
    populatie = (
        "per indicator haar noemer: nieuwkomers met een inburgeringscontract sinds 1 maart 2022 (bereik; 60 dagen "
        "verstreken voor de inschrijving), ingeschreven nieuwkomers bij wie 6 of 12 maanden verstreken zijn (uitstroom)"
    )
    staven = _staven(
        indicatoren,
        [(g.naam, [_als_getal(per.get((g.naam, i))) for i in indicatoren]) for g in bron.golven[-4:]],
        "percentage",
        xmax=100,
    )
    return (
        f'<section id="kerncijfers"><h2>Kerncijfers per golf</h2><div class="tegels">{"".join(tegels)}</div>'
        f'<p class="uitleg">De tegels tonen de laatste golf ({html.escape(bron.golf_tekst([laatste]))}).</p>'
        + _figuur("Evolutie van de kerncijfers over de golven", populatie, bron.golf_tekst(bron.golven), _svg(fig))
        + _figuur("Kerncijfers per golf", populatie, bron.golf_tekst(bron.golven[-4:]), staven)
        + "</section>"
    )


def _als_getal(waarde: object) -> float | None:
    return float(waarde) if isinstance(waarde, int | float) else None


def _per_dimensie(
    bron: Bron, tabel: str, kolom: str, dimensie: str, golven: Sequence[Golf]
) -> tuple[list[str], list[tuple[str, list[float | None]]], list[str]]:
    """Labels, one series per wave and the codes, for one breakdown of a one-way mart."""
    rijen = bron.rijen(
        f"select golf, waarde, {kolom} from {tabel} where dimensie = ? and golf in ? order by waarde",
        [dimensie, [g.naam for g in golven]],
    )
    codes = sorted({str(r[1]) for r in rijen}, key=lambda c: (c == "onbekend", c))
    per = {(str(g), str(w)): _als_getal(v) for g, w, v in rijen}
    reeksen = [(g.naam, [per.get((g.naam, c)) for c in codes]) for g in golven]
    return [bron.label(dimensie, c) for c in codes], reeksen, codes


def _inschrijving(bron: Bron) -> str:
    golven = _vergeleken(bron)
    dimensies = [
        str(r[0])
        for r in bron.rijen(
            "select distinct dimensie from mart_inschrijving_vdab where dimensie <> 'totaal' "
            "order by dimensie <> 'cohort', dimensie"
        )
    ]
    delen = ['<section id="inschrijving"><h2>Inschrijving bij VDAB binnen 60 dagen</h2>']
    delen.append(
        '<p class="uitleg">Per profielkenmerk het percentage nieuwkomers dat zich binnen 60 dagen na het '
        "inburgeringscontract bij VDAB inschreef (de derde pijler). Kenmerken worden nooit gekruist.</p>"
    )
    for dimensie in dimensies:
        titel = f"Ingeschreven binnen 60 dagen, naar {_dimensie(dimensie)}"
        labels, reeksen, _ = _per_dimensie(
            bron, "mart_inschrijving_vdab", "percentage_ingeschreven_binnen_60_dagen", dimensie, golven
        )
        if not labels:
            delen.append(_leeg(titel, bron.golf_tekst(golven)))
            continue
        svg = _staven(labels, reeksen, "% ingeschreven binnen 60 dagen", xmax=100)
        delen.append(_figuur(titel, POPULATIE_INSCHRIJVING, bron.golf_tekst(golven), svg))
    return "".join(delen) + "</section>"


def _evenredig_bereik(bron: Bron) -> str:
    golf = bron.laatste
    rijen = bron.rijen(
        "select waarde, evenredigheidsindex from mart_evenredig_bereik "
        "where golf = ? and dimensie = 'oudste_nationaliteit' order by evenredigheidsindex desc nulls last, waarde",
        [golf.naam],
    )
    titel = "Evenredigheidsindex naar oudste nationaliteit (1 = evenredig bereikt)"
    inhoud = _leeg(titel, bron.golf_tekst([golf]))
    if rijen:
        labels = [bron.label("oudste_nationaliteit", str(r[0])) for r in rijen]
        svg = _staven(
            labels, [(golf.naam, [_als_getal(r[1]) for r in rijen])], "evenredigheidsindex", referentie=1, decimalen=2
        )
        inhoud = _figuur(
            titel,
            "nieuwkomers met een inburgeringscontract (aandeel in de golf) tegenover de door VDAB bereikte "
            "nieuwkomers (aandeel onder de bereikten)",
            bron.golf_tekst([golf]),
            svg,
        )
    return (
        '<section id="evenredig-bereik"><h2>Evenredig bereik naar nationaliteit</h2><p class="uitleg">Index = aandeel '
        "van de nationaliteit onder de bereikte nieuwkomers gedeeld door haar aandeel onder alle nieuwkomers: onder 1 "
        "bereikt VDAB de groep minder dan evenredig. Nationaliteit wordt enkel hiervoor gebruikt (art. 2).</p>"
        f"{inhoud}</section>"
    )


def _dienstverlening(bron: Bron) -> str:
    golven = _vergeleken(bron)
    delen = [
        '<section id="dienstverlening"><h2>Begeleiding en acties</h2><p class="uitleg">Status '
        "<em>onbekend</em>: VDAB kent voor de ingeschreven nieuwkomer geen status op de peildatum, meestal omdat de "
        "inschrijving vóór de peildatum afgesloten was (bv. werk gevonden), soms omdat de status leeg is in de bron. "
        "Het aandeel <em>in bemiddeling</em> is dus een ondergrens.</p>"
    ]
    for kenmerk, titel in (
        ("status_dienstverlening", "Status dienstverlening op de peildatum"),
        ("categorie_werkzoekende", "Categorie werkzoekende op de peildatum"),
    ):
        rijen = bron.rijen(
            "select golf, kenmerk_waarde, percentage_van_ingeschreven from mart_dienstverlening_vdab "
            "where dimensie = 'totaal' and kenmerk = ? and kenmerk_waarde <> 'totaal' and golf in ?",
            [kenmerk, [g.naam for g in golven]],
        )
        codes = sorted({str(r[1]) for r in rijen}, key=lambda c: (c == "onbekend", c))
        per = {(str(g), str(w)): _als_getal(v) for g, w, v in rijen}
        if not codes:
            delen.append(_leeg(titel, bron.golf_tekst(golven)))
            continue
        svg = _staven(
            [bron.label(kenmerk, c) for c in codes],
            [(g.naam, [per.get((g.naam, c)) for c in codes]) for g in golven],
            "% van de ingeschreven nieuwkomers",
        )
        delen.append(_figuur(titel, POPULATIE_INGESCHREVEN, bron.golf_tekst(golven), svg))
    rijen = bron.rijen(
        "select golf, kenmerk, percentage_van_ingeschreven from mart_dienstverlening_vdab "
        "where dimensie = 'totaal' and kenmerk like 'actie\\_%' escape '\\' and kenmerk_waarde = 'ja' and golf in ?",
        [[g.naam for g in golven]],
    )
    acties = sorted({str(r[1]) for r in rijen})
    per = {(str(g), str(k)): _als_getal(v) for g, k, v in rijen}
    titel = "Ingeschreven nieuwkomers met minstens één actie, per actietype"
    if acties:
        svg = _staven(
            [a.removeprefix("actie_") for a in acties],
            [(g.naam, [per.get((g.naam, a)) for a in acties]) for g in golven],
            "% van de ingeschreven nieuwkomers",
            xmax=100,
        )
        delen.append(_figuur(titel, POPULATIE_INGESCHREVEN, bron.golf_tekst(golven), svg))
    else:
        delen.append(_leeg(titel, bron.golf_tekst(golven)))
    return "".join(delen) + "</section>"


def _uitstroom(bron: Bron) -> str:
    populatie = (
        "bij VDAB ingeschreven nieuwkomers bij wie 6 (resp. 12) maanden na de eerste inschrijving verstreken waren"
    )
    delen = ['<section id="uitstroom"><h2>Uitstroom naar werk binnen 6 en 12 maanden</h2>']
    rijen = bron.rijen(
        "select golf, percentage_werk_binnen_6_maanden, percentage_werk_binnen_12_maanden from mart_uitstroom_werk "
        "where dimensie = 'totaal' order by golf"
    )
    per = {str(r[0]): (_als_getal(r[1]), _als_getal(r[2])) for r in rijen}
    svg = _staven(
        [g.naam for g in bron.golven],
        [("binnen 6 maanden", [per.get(g.naam, (None, None))[0] for g in bron.golven]),
         ("binnen 12 maanden", [per.get(g.naam, (None, None))[1] for g in bron.golven])],
        "% met werk",
        xmax=100,
    )  # fmt: skip
    delen.append(_figuur("Uitstroom naar werk per golf", populatie, bron.golf_tekst(bron.golven), svg))
    laatste = bron.laatste
    acties = [
        str(r[0])
        for r in bron.rijen(
            "select distinct dimensie from mart_uitstroom_werk where dimensie like 'actie\\_%' escape '\\' "
            "and golf = ? order by 1",
            [laatste.naam],
        )
    ]
    if acties:
        rijen = bron.rijen(
            "select dimensie, waarde, percentage_werk_binnen_6_maanden, percentage_werk_binnen_12_maanden "
            "from mart_uitstroom_werk where golf = ? and dimensie like 'actie\\_%' escape '\\' "
            "and waarde in ('ja', 'nee')",
            [laatste.naam],
        )
        per_actie = {(str(d), str(w)): (_als_getal(p6), _als_getal(p12)) for d, w, p6, p12 in rijen}
        labels = [f"{a.removeprefix('actie_')}: {w}" for a in acties for w in ("ja", "nee")]
        reeks6 = [per_actie.get((a, w), (None, None))[0] for a in acties for w in ("ja", "nee")]
        reeks12 = [per_actie.get((a, w), (None, None))[1] for a in acties for w in ("ja", "nee")]
        svg = _staven(labels, [("binnen 6 maanden", reeks6), ("binnen 12 maanden", reeks12)], "% met werk", xmax=100)
        delen.append(
            _figuur("Uitstroom naar werk naar ontvangen actietype", populatie, bron.golf_tekst([laatste]), svg)
        )
    for dimensie in ("doelgroep", "kbi_regio"):
        labels, reeksen, _ = _per_dimensie(
            bron, "mart_uitstroom_werk", "percentage_werk_binnen_12_maanden", dimensie, _vergeleken(bron)
        )
        titel = f"Uitstroom naar werk binnen 12 maanden, naar {_dimensie(dimensie)}"
        if labels:
            svg = _staven(labels, reeksen, "% met werk binnen 12 maanden", xmax=100)
            delen.append(_figuur(titel, populatie, bron.golf_tekst(_vergeleken(bron)), svg))
    return "".join(delen) + "</section>"


def _overgangen(bron: Bron) -> str:
    golf = bron.laatste
    rijen = bron.rijen(
        "select toestand_vorige, toestand_huidig, aantal_personen from mart_overgangen where golf = ?", [golf.naam]
    )
    titel = "Waar de personen van de vorige golf nu staan"
    delen = ['<section id="overgangen"><h2>Overgangen tussen golven</h2>']
    totalen = {str(v): _als_getal(a) for v, h, a in rijen if h == "totaal"}
    vorigen = sorted(totalen, key=lambda t: (t == "onbekend", t))
    huidig = sorted({str(h) for _, h, _ in rijen if h != "totaal"}, key=lambda t: (t == "onbekend", t))
    if not vorigen or not huidig:
        delen.append(_leeg(titel, bron.golf_tekst([golf])))
        return "".join(delen) + "</section>"
    aantal = {(str(v), str(h)): _als_getal(a) for v, h, a in rijen}
    fig, ax = plt.subplots(figsize=(7.2, 0.45 * len(vorigen) + 1.2))
    links = [0.0] * len(vorigen)
    for i, toestand in enumerate(huidig):
        aandelen = []
        for v in vorigen:
            deel, geheel = aantal.get((v, toestand)), totalen.get(v)
            aandelen.append(100 * deel / geheel if deel is not None and geheel else 0.0)
        ax.barh(
            range(len(vorigen)),
            aandelen,
            left=links,
            color=plt.get_cmap("tab10")(i),
            label=bron.label("toestand", toestand),
        )
        links = [a + b for a, b in zip(links, aandelen, strict=True)]
    ax.set_yticks(range(len(vorigen)), [f"{bron.label('toestand', v)} (vorige golf)" for v in vorigen])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% van de personen in die toestand in de vorige golf (een weggelaten aantal telt als 0)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1), frameon=False, title="toestand nu", title_fontsize=7)
    delen.append(
        _figuur(titel, "personen die in de vorige en in deze golf voorkomen", bron.golf_tekst([golf]), _svg(fig))
    )
    return "".join(delen) + "</section>"


def _datakwaliteit(bron: Bron) -> str:
    soorten = (("aantal_leeg", "leeg"), ("aantal_ongeldig", "ongeldig"), ("aantal_dubbel", "dubbel"),
               ("aantal_niet_gekoppeld", "niet gekoppeld bij VDAB"))  # fmt: skip
    sommen = ", ".join(f"sum({kolom})" for kolom, _ in soorten)
    rijen = bron.rijen(f"select golf, {sommen} from mart_datakwaliteit group by golf order by golf")
    per = {str(r[0]): [_als_getal(w) for w in r[1:]] for r in rijen}
    delen = ['<section id="datakwaliteit"><h2>Datakwaliteit per golf</h2><p class="uitleg">Lege, ongeldige, dubbele '
             "en niet gekoppelde gegevens worden gemeld, niet weggelaten (art. 7). Een lege status dienstverlening "
             "telt als leeg (zie <em>onbekend</em> bij begeleiding).</p>"]  # fmt: skip
    populatie = "rijen van het KBI-extract en van het verrijkte bestand van VDAB"
    svg = _staven(
        [label for _, label in soorten],
        [(g.naam, per.get(g.naam, [None] * len(soorten))) for g in bron.golven[-4:]],
        "aantal waarden (som over de velden)",
        decimalen=0,
    )
    delen.append(
        _figuur("Gemelde problemen per soort", populatie, bron.golf_tekst(bron.golven[-4:]), svg, NOOT_DATAKWALITEIT)
    )
    laatste = bron.laatste
    rijen = bron.rijen(
        "select bron || '.' || veld, aantal_leeg from mart_datakwaliteit where golf = ? and aantal_leeg > 0 "
        "order by aantal_leeg desc, 1 limit 12",
        [laatste.naam],
    )
    if rijen:
        svg = _staven(
            [str(r[0]) for r in rijen], [(laatste.naam, [_als_getal(r[1]) for r in rijen])], "lege waarden", decimalen=0
        )
        delen.append(
            _figuur("Velden met de meeste lege waarden", populatie, bron.golf_tekst([laatste]), svg, NOOT_DATAKWALITEIT)
        )
    return "".join(delen) + "</section>"


STIJL = """
body{font-family:sans-serif;max-width:62em;margin:0 auto;padding:1em 1.5em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #1f5f8b;padding-bottom:.2em;margin-top:2em}
nav a{margin-right:1em}.noot{font-size:.85em;color:#555}.uitleg{max-width:50em}
.tegels{display:flex;gap:1em;flex-wrap:wrap}
.tegel{border:1px solid #ccc;border-radius:6px;padding:.6em 1em;flex:1 1 10em}
.tegel .waarde{font-size:1.8em;font-weight:bold;color:#1f5f8b}.tegel .verschil{font-size:.85em;color:#555}
figure{margin:1.5em 0;page-break-inside:avoid}figure svg{max-width:100%;height:auto}
figcaption{font-size:.9em;margin-top:.3em}table{border-collapse:collapse}td,th{padding:.2em .6em;border:1px solid #ccc}
"""


def render(bi_file: Path) -> str:
    """The report as one self-contained HTML document, from the tables of ``bi_file`` alone."""
    bron = Bron(bi_file)
    if not bron.golven:  # every wave purged (retention): say so rather than keep an old report around
        bron.con.close()
        return (
            '<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Monitoringsrapport derde pijler '
            f"inburgering</title><style>{STIJL}</style></head><body><h1>Monitoringsrapport derde pijler inburgering"
            f"</h1><p>Het BI-bestand <code>{html.escape(bi_file.name)}</code> bevat geen golven (meer).</p>"
            "</body></html>"
        )
    try:
        secties = [
            _kerncijfers(bron), _inschrijving(bron), _evenredig_bereik(bron), _dienstverlening(bron),
            _uitstroom(bron), _overgangen(bron), _datakwaliteit(bron),
        ]  # fmt: skip
        golven = "".join(
            f"<tr><td>{g.naam}</td><td>{_datum(g.peildatum)}</td><td>1 maart 2022 tot en met {_datum(g.peildatum)}"
            "</td></tr>"
            for g in bron.golven
        )
    finally:
        bron.con.close()
    navigatie = " ".join(
        f'<a href="#{anker}">{naam}</a>'
        for anker, naam in (("kerncijfers", "Kerncijfers"), ("inschrijving", "Inschrijving"),
                            ("evenredig-bereik", "Evenredig bereik"), ("dienstverlening", "Begeleiding"),
                            ("uitstroom", "Uitstroom"), ("overgangen", "Overgangen"),
                            ("datakwaliteit", "Datakwaliteit"))
    )  # fmt: skip
    return (
        '<!doctype html><html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Monitoringsrapport derde pijler inburgering</title><style>{STIJL}</style></head><body>"
        "<h1>Monitoringsrapport derde pijler inburgering</h1>"
        f"<p>Werkgroep BI rapportering (art. 4). Gemaakt uit het BI-bestand <code>{html.escape(bi_file.name)}</code> "
        f"alleen, golven {html.escape(', '.join(g.naam for g in bron.golven))}. Wie het BI-bestand heeft, maakt dit "
        "rapport opnieuw met <code>pijler3 rapport --bi &lt;bestand&gt;</code>; de betekenis van elke kolom staat in "
        "de datadictionary en in de tabel <code>lees_mij</code>.</p>"
        f'<p class="noot"><strong>Let op:</strong> {NOOT_VERSTOORD} Dezelfde groep personen heeft overal hetzelfde '
        "cijfer; een som van delen kan enkele eenheden van het totaal verschillen.</p>"
        f"<nav>{navigatie}</nav>"
        "<table><tr><th>golf</th><th>peildatum</th><th>inburgeringscontracten</th></tr>"
        + golven
        + "</table>"
        + "".join(secties)
        + "</body></html>"
    )


def write(bi_file: Path, out: Path | None = None) -> Path:
    """Write the report beside ``bi_file`` (or to ``out``), atomically, and return its path."""
    target = out or bi_file.with_name(RAPPORT_NAAM)
    document = render(bi_file)
    leakscan.check_publication_text(document, target)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        partial.write_text(document, encoding="utf-8")
        partial.chmod(0o644)  # meant for the working group, like the BI file
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target
