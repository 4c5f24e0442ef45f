"""The BI working group's Dutch monitoring report (``monitoringsrapport.html``), generated from the BI file alone.

Anyone holding the BI file can regenerate it (``pijler3 rapport --bi FILE``): it reads only the published marts and
reference tables (perturbed by the cell key method), never the true counts, the record keys or the monitoring
database. Charts are drawn by matplotlib on this machine and embedded as inline SVG, so the file is self-contained and
works offline: no script, no CDN, no font or image to fetch. Each section has an anchor the dbt exposures point at
(``models/marts/_marts__exposures.yml``).

Written for a policy maker who reads it unaided, and to WCAG 2.1 AA: key findings first, a region view (Atlas
Antwerpen, IN-Gent, the rest of Flanders with Brussel), and per chart its population and wave, a text alternative and
its figures as a table with the group sizes; the note on perturbed figures once, at the top. It prints on A4 with each
heading kept with its chart and stays legible on a 390 px wide phone (a chart scrolls sideways at its own size).

Every value in the BI file is untrusted (the marts carry the other party's codes, a wave's name is text): each string
loses its control and bidirectional-override characters, is escaped before it goes into HTML, and is drawn by
matplotlib with mathtext off, so ``$\\foo$`` is text and ``<img onerror=…>`` is shown, not run.

A mart an analyst adds appears without any change here: every ``mart_*`` table the report does not chart itself gets
a generic section built from the table's and columns' comments, which ``publiceer-bi`` copies from the mart's YAML.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("svg")  # no display, no GUI toolkit: the report is rendered on servers
import matplotlib.pyplot as plt
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from pijler3 import clock, leakscan
from pijler3.errors import InputError
from pijler3.nederlands import getal
from pijler3.shown import without_unsafe

RAPPORT_NAAM = "monitoringsrapport.html"
NOOT_VERSTOORD = (
    "Alle cijfers zijn met opzet licht verstoord (celsleutelmethode, zoals ONS, ABS en Destatis hun censustabellen "
    "publiceren): elk aantal wijkt hoogstens 5 af, meestal 0 tot 2, en dezelfde groep personen heeft overal hetzelfde "
    "cijfer; een som van delen kan enkele eenheden van het totaal verschillen. Percentages komen uit de verstoorde "
    "aantallen. Een aantal onder de drempel is weggelaten (minder dan 5, mogelijk 0); een gepubliceerde 5 of 6 "
    "betekent 'weinig': meestal een echt aantal van 1 tot 4. n.g.: niet gepubliceerd (een aantal onder de drempel) "
    "of niet van toepassing in die golf."
)
NOOT_DATAKWALITEIT = (
    "Deze tellingen van bronrijen zijn op 5 afgerond (1 tot 4 niet gepubliceerd) in plaats van verstoord."
)
NOOT_SAMENHANG = (
    "Let op: deze grafiek toont een samenhang, geen effect. Wie een actie kreeg, verschilt ook op andere punten van "
    "wie er geen kreeg (wie VDAB een actie aanbiedt, wie al dicht bij werk staat, hoe lang iemand ingeschreven is); "
    "een hoger percentage met werk bewijst dus niet dat de actie tot werk leidde."
)
# The tables the report reads; nothing else in the BI file is needed, so any holder of the file can regenerate it.
TABELLEN = (
    "golven", "codelijsten", "mart_evolutie_kerncijfers", "mart_inschrijving_vdab", "mart_evenredig_bereik",
    "mart_dienstverlening_vdab", "mart_uitstroom_werk", "mart_overgangen", "mart_datakwaliteit",
)  # fmt: skip
# The Dutch name of every dimension, attribute and field: read when the BI file has it (older files lack it).
KENMERKEN = "kenmerken"
KLEUREN = ("#1f5f8b", "#c4620f", "#2e7d42", "#a23b72", "#5a5a5a")  # each at least 4.5:1 on white (WCAG 1.4.3)
# A bar without a value: its count (or the numerator or denominator of its percentage) was withheld, or the group does
# not exist in that wave (a cohort that had not started yet).
NIET_GEPUBLICEERD = "n.g."
POPULATIE_INSCHRIJVING = (
    "nieuwkomers met een inburgeringscontract sinds 1 maart 2022 van wie de 60 dagen op de peildatum verstreken waren"
)
POPULATIE_INGESCHREVEN = "bij VDAB ingeschreven nieuwkomers met een inburgeringscontract sinds 1 maart 2022"
POPULATIE_UITSTROOM = (
    "bij VDAB ingeschreven nieuwkomers bij wie 6 (resp. 12) maanden na de eerste inschrijving verstreken waren"
)
# The agencies split the work by region (codelijsten.agentschap): the region view sums the KBI regions per agency.
REGIO_AGENTSCHAPPEN = (
    ("Atlas", "Atlas Antwerpen (Stad Antwerpen)"),
    ("IN-Gent", "IN-Gent (Stad Gent)"),
    ("Agentschap Integratie en Inburgering", "rest van Vlaanderen en Brussel"),
)
# A breakdown's group smaller than this is not named in the key findings: its percentage moves too much with noise.
KLEINSTE_GROEP_KERNPUNT = 50
# The report's own sections, in reading order (anchors the exposures point at); a generic section follows per new mart.
SECTIES = (
    ("kernpunten", "Kernpunten"), ("kerncijfers", "Kerncijfers"), ("regio", "Per regio"),
    ("inschrijving", "Inschrijving"), ("evenredig-bereik", "Evenredig bereik"), ("dienstverlening", "Begeleiding"),
    ("uitstroom", "Uitstroom"), ("overgangen", "Overgangen"), ("datakwaliteit", "Datakwaliteit"),
)  # fmt: skip

plt.rcParams.update(
    {
        "svg.fonttype": "none",  # text stays text: readable, searchable, and drawn in the browser's own sans-serif
        "font.family": "sans-serif",
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        # A label is data (a code, a label from the other party): "$\foo$" is text, never a mathtext formula.
        "text.parse_math": False,
        "text.usetex": False,
        "axes.unicode_minus": False,
    }
)


def schoon(tekst: object) -> str:
    """``tekst`` as a string without control, bidi-override or other invisible characters, whitespace collapsed."""
    return " ".join(without_unsafe(re.sub(r"[\t\r\n]", " ", str(tekst))).split())


def hoofdletter(tekst: str) -> str:
    """``tekst`` with its first letter upper case and the rest as it is (``str.capitalize`` would write "vdab")."""
    return tekst[:1].upper() + tekst[1:]


def h(tekst: object) -> str:
    """``tekst`` cleaned and escaped for HTML text and attribute values."""
    return html.escape(schoon(tekst), quote=True)


@dataclass(frozen=True)
class Golf:
    naam: str
    peildatum: dt.date


class Bron:
    """The BI file, opened read-only, with the code lists and waves the charts label themselves with."""

    def __init__(self, bi_file: Path) -> None:
        if not bi_file.is_file():
            raise InputError(f"{bi_file}: BI file not found; give the path of a published BI file (monitoring.duckdb)")
        try:
            self.con = duckdb.connect(str(bi_file), read_only=True)
        except duckdb.Error as exc:
            raise InputError(
                f"{bi_file}: not a DuckDB file ({schoon(exc).split(':')[0]}); give the BI file pijler3 published"
            ) from exc
        self.bestand = bi_file
        self.tabellen = {
            str(r[0]): str(r[1] or "")
            for r in self.con.execute(
                "select table_name, comment from duckdb_tables() where schema_name = 'main'"
            ).fetchall()
        }
        ontbrekend = [t for t in TABELLEN if t not in self.tabellen]
        if ontbrekend:
            self.con.close()
            raise InputError(
                f"{bi_file}: not a BI file of this version of pijler3 (it lacks the tables {', '.join(ontbrekend)}); "
                "publish it again with `pijler3 publiceer-bi`"
            )
        try:
            self._lees_referenties()
        except duckdb.Error as exc:
            self.con.close()
            raise _andere_versie(bi_file, exc) from exc

    def _lees_referenties(self) -> None:
        """The waves, code lists, agencies per region and Dutch names the charts label themselves with."""
        self.golven = [
            Golf(schoon(g), p)
            for g, p in self.rijen("select golf, peildatum from golven order by golf")
            if isinstance(p, dt.date)
        ]
        self.labels = {
            (str(k), str(c)): schoon(o) for k, c, o in self.rijen("select kenmerk, code, omschrijving from codelijsten")
        }
        self.agentschappen = {
            str(c): str(a) for c, a in self.rijen(
                "select code, agentschap from codelijsten where kenmerk = 'kbi_regio' and agentschap is not null"
            )
        }  # fmt: skip
        self.namen = (
            {str(k): schoon(n) for k, n in self.rijen(f"select kenmerk, naam from {KENMERKEN}")}
            if KENMERKEN in self.tabellen
            else {}
        )

    def rijen(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[object, ...]]:
        return self.con.execute(sql, list(parameters)).fetchall()

    def kolommen(self, tabel: str) -> list[tuple[str, str, str]]:
        """Name, type and comment of each column of ``tabel``, in order."""
        return [
            (str(n), str(t), str(c or ""))
            for n, t, c in self.rijen(
                "select column_name, data_type, comment from duckdb_columns() where schema_name = 'main' "
                "and table_name = ? order by column_index",
                [tabel],
            )
        ]

    def label(self, kenmerk: str, code: str) -> str:
        """The Dutch meaning of a code, with the code itself when it says something the label does not."""
        omschrijving = self.labels.get((kenmerk, code))
        if omschrijving is None:
            return schoon(code)
        if code == "onbekend":
            return "onbekend"
        if code in ("ja", "nee"):  # "ja: kreeg een actie …": the label says it in full
            return omschrijving
        # a short code (M, 00, ITA) is what other publications show; a longer one is only a spelling of the label
        if len(code) <= 3 and not re.search(rf"\b{re.escape(code)}\b", omschrijving, re.IGNORECASE):
            return f"{omschrijving} ({schoon(code)})"
        return omschrijving

    def naam(self, kenmerk: str) -> str:
        """The Dutch name of a dimension, attribute or field (``kenmerken``), never the raw column name."""
        return self.namen.get(kenmerk) or schoon(kenmerk.removeprefix("actie_").replace("_", " "))

    @property
    def laatste(self) -> Golf:
        return self.golven[-1]

    def golf_tekst(self, golven: Sequence[Golf]) -> str:
        return ", ".join(f"{g.naam} (peildatum {datum(g.peildatum)})" for g in golven)


def _andere_versie(bi_file: Path, exc: duckdb.Error) -> InputError:
    """A DuckDB file whose tables are not those of a BI file of this version (another project's database)."""
    reden = schoon(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    return InputError(
        f"{bi_file}: not a BI file of this version of pijler3 ({reden}); publish it again with `pijler3 publiceer-bi`"
    )


def datum(dag: dt.date) -> str:
    maanden = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
               "november", "december")  # fmt: skip
    return f"{dag.day} {maanden[dag.month - 1]} {dag.year}"


def _getal(waarde: float | None, decimalen: int = 1) -> str:
    """A number as Dutch text: decimal comma, a point between thousands; ``n.g.`` when it was not published."""
    if waarde is None:
        return NIET_GEPUBLICEERD
    return getal(waarde, decimalen)


def _als_getal(waarde: object) -> float | None:
    return float(waarde) if isinstance(waarde, int | float) and not isinstance(waarde, bool) else None


def _nederlandse_as(as_: Axis) -> None:
    """Tick labels the Dutch way: 0,2 and 1.000, not 0.2 and 1,000."""
    as_.set_major_formatter(
        FuncFormatter(lambda x, _: getal(int(x)) if float(x).is_integer() else getal(round(float(x), 3)))
    )


@dataclass(frozen=True)
class Reeks:
    """One series of a chart: a value per category and, per category, the size of the group behind it."""

    naam: str
    waarden: Sequence[float | None]
    groepen: Sequence[float | None] = ()


@dataclass(frozen=True)
class Grafiek:
    """A chart with everything a reader who cannot see it needs: title, population, waves, the figures as a table."""

    titel: str
    populatie: str
    golven: str
    categorie_kop: str
    categorieen: Sequence[str]
    reeksen: Sequence[Reeks]
    eenheid: str  # what a value is, e.g. "% ingeschreven binnen 60 dagen"
    groep_kop: str = "aantal personen"  # what a group size counts
    decimalen: int = 1
    xmax: float | None = None
    referentie: float | None = None
    noot: str = ""
    soort: str = "staafdiagram"
    svg: str = field(default="", compare=False)


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    tekst = buffer.getvalue()
    return tekst[tekst.index("<svg") :]


def _staven(grafiek: Grafiek) -> str:
    """Horizontal grouped bars, one group per category and one bar per series; a withheld value is marked n.g."""
    reeksen, categorieen = grafiek.reeksen, [schoon(c) for c in grafiek.categorieen]
    hoogte = 0.8 / len(reeksen)
    fig, ax = plt.subplots(figsize=(7.2, 0.3 * len(categorieen) * max(1, len(reeksen) * 0.7) + 1.0))
    waarden = [w for reeks in reeksen for w in reeks.waarden if w is not None]
    bovengrens = grafiek.xmax or (max(waarden, default=1) * 1.15 or 1)
    for i, reeks in enumerate(reeksen):
        posities = [c + (i - (len(reeksen) - 1) / 2) * hoogte for c in range(len(categorieen))]
        ax.barh(
            posities, [w or 0 for w in reeks.waarden], height=hoogte * 0.92, color=KLEUREN[i % len(KLEUREN)],
            label=schoon(reeks.naam),
        )  # fmt: skip
        for positie, waarde in zip(posities, reeks.waarden, strict=True):
            tekst = _getal(waarde, grafiek.decimalen)
            ax.text((waarde or 0) + bovengrens * 0.01, positie, tekst, va="center", fontsize=8.5, color="#222")
    ax.set_yticks(range(len(categorieen)), categorieen)
    ax.invert_yaxis()
    ax.set_xlim(0, bovengrens)
    ax.set_xlabel(schoon(grafiek.eenheid))
    _nederlandse_as(ax.xaxis)
    if grafiek.referentie is not None:
        ax.axvline(grafiek.referentie, color="#666", linestyle="--", linewidth=1)
    if len(reeksen) > 1:
        ax.legend(fontsize=8.5, loc="upper left", bbox_to_anchor=(1, 1), frameon=False)
    return _svg(fig)


def _alternatief(grafiek: Grafiek) -> str:
    """The text alternative: what the chart shows and, per series, its highest and lowest published value."""
    element = "punt per golf" if grafiek.soort == "lijndiagram" else "staaf"
    delen = [
        f"{hoofdletter(grafiek.soort)}: {grafiek.titel}. Eén {element} per {grafiek.categorie_kop}"
        + (
            f" en per {', '.join(schoon(r.naam) for r in grafiek.reeksen)}"
            if len(grafiek.reeksen) > 1 and grafiek.soort != "lijndiagram"
            else ""
        )
        + f"; waarde: {grafiek.eenheid}."
    ]
    for reeks in grafiek.reeksen:
        gekend = [(w, c) for c, w in zip(grafiek.categorieen, reeks.waarden, strict=True) if w is not None]
        if not gekend:
            continue
        hoog, laag = max(gekend, key=lambda p: p[0]), min(gekend, key=lambda p: p[0])
        voorvoegsel = f"{schoon(reeks.naam)}: " if len(grafiek.reeksen) > 1 else ""
        delen.append(
            f"{voorvoegsel}hoogste {schoon(hoog[1])} ({_getal(hoog[0], grafiek.decimalen)}), laagste "
            f"{schoon(laag[1])} ({_getal(laag[0], grafiek.decimalen)})."
        )
    delen.append("Alle cijfers met de groepsgrootte staan in de tabel bij de grafiek.")
    return " ".join(delen)


def _tabel(grafiek: Grafiek) -> str:
    """The chart's figures as a table: per category and series the value and the size of the group behind it."""
    met_groep = [bool(r.groepen) for r in grafiek.reeksen]
    kop = "".join(
        f'<th scope="col">{h(r.naam)}: {h(grafiek.eenheid)}</th>'
        + (f'<th scope="col">{h(r.naam)}: {h(grafiek.groep_kop)}</th>' if groep else "")
        for r, groep in zip(grafiek.reeksen, met_groep, strict=True)
    )
    rijen = []
    for i, categorie in enumerate(grafiek.categorieen):
        cellen = "".join(
            f"<td>{_getal(r.waarden[i], grafiek.decimalen)}</td>"
            + (f"<td>{_getal(r.groepen[i], 0)}</td>" if groep else "")
            for r, groep in zip(grafiek.reeksen, met_groep, strict=True)
        )
        rijen.append(f'<tr><th scope="row">{h(categorie)}</th>{cellen}</tr>')
    return (
        f'<details class="cijfers"><summary>Cijfers van deze grafiek als tabel</summary><table><caption>'
        f"{h(grafiek.titel)} ({h(grafiek.golven)})</caption>"
        f'<thead><tr><th scope="col">{h(grafiek.categorie_kop)}</th>{kop}</tr></thead>'
        f"<tbody>{''.join(rijen)}</tbody></table></details>"
    )


class Nummering:
    """Unique ids for the text alternatives of one report."""

    def __init__(self) -> None:
        self.volgende = 0

    def __call__(self) -> str:
        self.volgende += 1
        return f"grafiek-{self.volgende}"


def _figuur(grafiek: Grafiek, nummer: Callable[[], str]) -> str:
    """The chart with its caption on top (kept together on a printed page), its text alternative and its table."""
    svg = grafiek.svg or _staven(grafiek)
    ident = nummer()
    svg = svg.replace("<svg ", f'<svg role="img" aria-labelledby="{ident}-titel {ident}-alt" ', 1)
    noot = f'<p class="noot">{h(grafiek.noot)}</p>' if grafiek.noot else ""
    return (
        f'<figure class="grafiek" aria-labelledby="{ident}-titel"><figcaption><strong id="{ident}-titel">'
        f"{h(grafiek.titel)}</strong><br>Populatie: {h(grafiek.populatie)}. Golf: {h(grafiek.golven)}."
        f'</figcaption>{noot}<div class="vlak">{svg}</div><p class="alt" id="{ident}-alt">{h(_alternatief(grafiek))}'
        f"</p>{_tabel(grafiek)}</figure>"
    )


def _leeg(titel: str, golven: str) -> str:
    return f'<p class="leeg"><strong>{h(titel)}</strong>: geen gegevens voor {h(golven)}.</p>'


def _vergeleken(bron: Bron) -> list[Golf]:
    """The waves a breakdown compares: the latest and the one before it (more would crowd a bar chart)."""
    return bron.golven[-2:]


def _codes(waarden: Sequence[object]) -> list[str]:
    """Distinct codes in reading order, ``onbekend`` last."""
    return sorted({str(w) for w in waarden}, key=lambda c: (c == "onbekend", c))


def _kerncijfers(bron: Bron, nummer: Callable[[], str]) -> str:
    rijen = bron.rijen(
        "select golf, indicator, percentage, aantal_teller, aantal_noemer from mart_evolutie_kerncijfers "
        "order by indicator, golf"
    )
    indicatoren = sorted({str(r[1]) for r in rijen})
    per = {(str(g), str(i)): (_als_getal(p), _als_getal(t), _als_getal(n)) for g, i, p, t, n in rijen}
    laatste, vorige = bron.laatste, (bron.golven[-2] if len(bron.golven) > 1 else None)
    tegels = []
    for indicator in indicatoren:
        nu = per.get((laatste.naam, indicator), (None, None, None))[0]
        verschil = ""
        if vorige is not None:
            toen = per.get((vorige.naam, indicator), (None, None, None))[0]
            if nu is not None and toen is not None:
                verschil = f"{'+' if nu >= toen else '-'}{_getal(abs(nu - toen))} procentpunt t.o.v. {h(vorige.naam)}"
        tegels.append(
            f'<div class="tegel"><div class="waarde">{_getal(nu)} %</div>'
            f'<div>{h(indicator)}</div><div class="verschil">{verschil}</div></div>'
        )
    fig, ax = plt.subplots(figsize=(7.2, 3.6))
    namen = [g.naam for g in bron.golven]
    for i, indicator in enumerate(indicatoren):
        punten = [(g, per.get((g, indicator), (None, None, None))[0]) for g in namen]
        ax.plot(
            [g for g, p in punten if p is not None], [p for _, p in punten if p is not None],
            marker="o", color=KLEUREN[i % len(KLEUREN)], label=schoon(indicator),
        )  # fmt: skip
        for g, p in punten:
            if p is not None:
                ax.annotate(_getal(p), (g, p), textcoords="offset points", xytext=(0, 5), ha="center", fontsize=8.5)
    ax.set_ylim(0, 100)
    ax.set_ylabel("percentage")
    _nederlandse_as(ax.yaxis)
    ax.legend(fontsize=8.5, loc="upper left", bbox_to_anchor=(1, 1), frameon=False)
    grafiek = Grafiek(
        titel="Evolutie van de kerncijfers over de golven",
        populatie=(
            "per indicator haar noemer: nieuwkomers met een inburgeringscontract sinds 1 maart 2022 (bereik; 60 dagen "
            "verstreken voor de inschrijving), ingeschreven nieuwkomers bij wie 6 of 12 maanden verstreken zijn "
            "(uitstroom)"
        ),
        golven=bron.golf_tekst(bron.golven),
        categorie_kop="indicator",
        categorieen=indicatoren,
        reeksen=[
            Reeks(
                g.naam,
                [per.get((g.naam, i), (None, None, None))[0] for i in indicatoren],
                [per.get((g.naam, i), (None, None, None))[2] for i in indicatoren],
            )
            for g in bron.golven
        ],
        eenheid="percentage",
        groep_kop="noemer (aantal personen)",
        soort="lijndiagram",
        svg=_svg(fig),
    )
    return (
        f'<section id="kerncijfers"><h2>Kerncijfers per golf</h2><div class="tegels">{"".join(tegels)}</div>'
        f'<p class="uitleg">De tegels tonen de laatste golf ({h(bron.golf_tekst([laatste]))}).</p>'
        + _figuur(grafiek, nummer)
        + "</section>"
    )


def _per_dimensie(
    bron: Bron, tabel: str, kolom: str, groep: str, dimensie: str, golven: Sequence[Golf]
) -> tuple[list[str], list[Reeks]]:
    """Labels and one series per wave (value and group size) for one breakdown of a one-way mart."""
    rijen = bron.rijen(
        f"select golf, waarde, {kolom}, {groep} from {tabel} where dimensie = ? and golf in ? order by waarde",
        [dimensie, [g.naam for g in golven]],
    )
    codes = _codes([r[1] for r in rijen])
    return [bron.label(dimensie, c) for c in codes], _per_golf(rijen, golven, codes)


def _per_golf(rijen: Sequence[tuple[object, ...]], golven: Sequence[Golf], codes: Sequence[str]) -> list[Reeks]:
    """One series per wave from rows (golf, code, value, group size): per code its value and group size."""
    per = {(str(g), str(c)): (_als_getal(v), _als_getal(n)) for g, c, v, n in rijen}
    return [
        Reeks(g.naam, [per.get((g.naam, c), (None, None))[0] for c in codes],
              [per.get((g.naam, c), (None, None))[1] for c in codes])
        for g in golven
        if any((g.naam, c) in per for c in codes)
    ]  # fmt: skip


def _dimensies(bron: Bron, tabel: str) -> list[str]:
    return [
        str(r[0])
        for r in bron.rijen(
            f"select distinct dimensie from {_kolom(tabel)} where dimensie <> 'totaal' "
            "order by dimensie <> 'cohort', dimensie"
        )
    ]


def _inschrijving(bron: Bron, nummer: Callable[[], str]) -> str:
    golven = _vergeleken(bron)
    delen = [
        '<section id="inschrijving"><h2>Inschrijving bij VDAB binnen 60 dagen</h2><p class="uitleg">Per '
        "profielkenmerk het percentage nieuwkomers dat zich binnen 60 dagen na het inburgeringscontract bij VDAB "
        "inschreef (de derde pijler). Kenmerken worden nooit gekruist.</p>"
    ]
    for dimensie in _dimensies(bron, "mart_inschrijving_vdab"):
        titel = f"Ingeschreven binnen 60 dagen, naar {bron.naam(dimensie)}"
        labels, reeksen = _per_dimensie(
            bron, "mart_inschrijving_vdab", "percentage_ingeschreven_binnen_60_dagen", "aantal_nieuwkomers",
            dimensie, golven,
        )  # fmt: skip
        if not labels:
            delen.append(_leeg(titel, bron.golf_tekst(golven)))
            continue
        grafiek = Grafiek(
            titel, POPULATIE_INSCHRIJVING, bron.golf_tekst(golven), bron.naam(dimensie), labels, reeksen,
            "% ingeschreven binnen 60 dagen", "aantal nieuwkomers", xmax=100,
        )  # fmt: skip
        delen.append(_figuur(grafiek, nummer))
    return "".join(delen) + "</section>"


def _regio(bron: Bron, nummer: Callable[[], str]) -> str:
    """The KBI regions summed per agency: Atlas (Stad Antwerpen), IN-Gent (Stad Gent), the rest (Brussel included)."""
    golven = _vergeleken(bron)
    delen = [
        '<section id="regio"><h2>Per regio: Atlas Antwerpen, IN-Gent en de rest van Vlaanderen</h2><p class="uitleg">'
        "De KBI-regio's opgeteld per agentschap dat ze bedient (tabel codelijsten, kolom agentschap): Atlas voor Stad "
        "Antwerpen, IN-Gent voor Stad Gent, het Agentschap Integratie en Inburgering voor de rest van Vlaanderen en "
        "Brussel. Een som van verstoorde aantallen kan enkele eenheden van de echte som verschillen; wanneer een regio "
        "niet gepubliceerd is, is het percentage van haar agentschap n.g.</p>"
    ]
    for tabel, teller, noemer, titel, eenheid, populatie in (
        ("mart_inschrijving_vdab", "aantal_ingeschreven_binnen_60_dagen", "aantal_nieuwkomers",
         "Ingeschreven binnen 60 dagen, per regio", "% ingeschreven binnen 60 dagen", POPULATIE_INSCHRIJVING),
        ("mart_uitstroom_werk", "aantal_werk_binnen_12_maanden", "aantal_ingeschreven_12_maanden_verstreken",
         "Uitstroom naar werk binnen 12 maanden, per regio", "% met werk binnen 12 maanden", POPULATIE_UITSTROOM),
    ):  # fmt: skip
        rijen = bron.rijen(
            f"select golf, waarde, {teller}, {noemer} from {tabel} where dimensie = 'kbi_regio' and golf in ?",
            [[g.naam for g in golven]],
        )
        reeksen = []
        for golf in golven:
            waarden: list[float | None] = []
            groepen: list[float | None] = []
            for agentschap, _ in REGIO_AGENTSCHAPPEN:
                delen_regio = [
                    (_als_getal(t), _als_getal(n))
                    for g, w, t, n in rijen
                    if g == golf.naam and bron.agentschappen.get(str(w)) == agentschap
                ]
                tellers = [t for t, _ in delen_regio]
                noemers = [n for _, n in delen_regio]
                volledig = bool(delen_regio) and None not in tellers and None not in noemers
                som_teller = sum(t or 0 for t in tellers)
                som_noemer = sum(n or 0 for n in noemers)
                waarden.append(round(100 * som_teller / som_noemer, 1) if volledig and som_noemer else None)
                groepen.append(som_noemer if volledig else None)
            reeksen.append(Reeks(golf.naam, waarden, groepen))
        if all(w is None for r in reeksen for w in r.waarden):
            delen.append(_leeg(titel, bron.golf_tekst(golven)))
            continue
        grafiek = Grafiek(
            titel, populatie, bron.golf_tekst(golven), "regio", [n for _, n in REGIO_AGENTSCHAPPEN], reeksen, eenheid,
            "aantal personen (som van de regio's)", xmax=100,
        )  # fmt: skip
        delen.append(_figuur(grafiek, nummer))
    return "".join(delen) + "</section>"


def _evenredig_bereik(bron: Bron, nummer: Callable[[], str]) -> str:
    golf = bron.laatste
    rijen = bron.rijen(
        "select waarde, evenredigheidsindex, aantal_nieuwkomers from mart_evenredig_bereik "
        "where golf = ? and dimensie = 'oudste_nationaliteit' order by evenredigheidsindex desc nulls last, waarde",
        [golf.naam],
    )
    titel = "Evenredigheidsindex naar oudste nationaliteit (1 = evenredig bereikt)"
    inhoud = _leeg(titel, bron.golf_tekst([golf]))
    if rijen:
        grafiek = Grafiek(
            titel,
            "nieuwkomers met een inburgeringscontract (aandeel in de golf) tegenover de door VDAB bereikte "
            "nieuwkomers (aandeel onder de bereikten)",
            bron.golf_tekst([golf]),
            "oudste nationaliteit",
            [bron.label("oudste_nationaliteit", str(r[0])) for r in rijen],
            [Reeks(golf.naam, [_als_getal(r[1]) for r in rijen], [_als_getal(r[2]) for r in rijen])],
            "evenredigheidsindex",
            "aantal nieuwkomers",
            decimalen=2,
            referentie=1,
        )
        inhoud = _figuur(grafiek, nummer)
    return (
        '<section id="evenredig-bereik"><h2>Evenredig bereik naar nationaliteit</h2><p class="uitleg">Index = aandeel '
        "van de nationaliteit onder de bereikte nieuwkomers gedeeld door haar aandeel onder alle nieuwkomers: onder 1 "
        "bereikt VDAB de groep minder dan evenredig. Nationaliteit wordt enkel hiervoor gebruikt (art. 2).</p>"
        f"{inhoud}</section>"
    )


def _dienstverlening(bron: Bron, nummer: Callable[[], str]) -> str:
    golven = _vergeleken(bron)
    delen = [
        '<section id="dienstverlening"><h2>Begeleiding en acties</h2><p class="uitleg">Begeleiding is de '
        "dienstverlening van VDAB aan een ingeschreven werkzoekende (de status dienstverlening). Status "
        "<em>onbekend</em>: VDAB kent voor de ingeschreven nieuwkomer geen status op de peildatum, meestal omdat de "
        "inschrijving vóór de peildatum afgesloten was (bv. werk gevonden), soms omdat de status leeg is in de bron. "
        "Het aandeel <em>in bemiddeling</em> is dus een ondergrens.</p>"
    ]
    for kenmerk in ("status_dienstverlening", "categorie_werkzoekende"):
        titel = f"{hoofdletter(bron.naam(kenmerk))} op de peildatum"
        rijen = bron.rijen(
            "select golf, kenmerk_waarde, percentage_van_ingeschreven, aantal_personen from mart_dienstverlening_vdab "
            "where dimensie = 'totaal' and kenmerk = ? and kenmerk_waarde <> 'totaal' and golf in ?",
            [kenmerk, [g.naam for g in golven]],
        )
        codes = _codes([r[1] for r in rijen])
        if not codes:
            delen.append(_leeg(titel, bron.golf_tekst(golven)))
            continue
        grafiek = Grafiek(
            titel, POPULATIE_INGESCHREVEN, bron.golf_tekst(golven), bron.naam(kenmerk),
            [bron.label(kenmerk, c) for c in codes],
            _per_golf(rijen, golven, codes), "% van de ingeschreven nieuwkomers",
        )  # fmt: skip
        delen.append(_figuur(grafiek, nummer))
    rijen = bron.rijen(
        "select golf, kenmerk, percentage_van_ingeschreven, aantal_personen from mart_dienstverlening_vdab "
        "where dimensie = 'totaal' and kenmerk like 'actie\\_%' escape '\\' and kenmerk_waarde = 'ja' and golf in ?",
        [[g.naam for g in golven]],
    )
    acties = sorted({str(r[1]) for r in rijen})
    titel = "Ingeschreven nieuwkomers met minstens één actie, per actietype"
    if acties:
        grafiek = Grafiek(
            titel, POPULATIE_INGESCHREVEN, bron.golf_tekst(golven), "actietype", [bron.naam(a) for a in acties],
            _per_golf(rijen, golven, acties), "% van de ingeschreven nieuwkomers", "aantal met een actie van dit type",
            xmax=100,
        )  # fmt: skip
        delen.append(_figuur(grafiek, nummer))
    else:
        delen.append(_leeg(titel, bron.golf_tekst(golven)))
    return "".join(delen) + "</section>"


def _uitstroom(bron: Bron, nummer: Callable[[], str]) -> str:
    delen = ['<section id="uitstroom"><h2>Uitstroom naar werk binnen 6 en 12 maanden</h2>']
    rijen = bron.rijen(
        "select golf, percentage_werk_binnen_6_maanden, percentage_werk_binnen_12_maanden, "
        "aantal_ingeschreven_6_maanden_verstreken, aantal_ingeschreven_12_maanden_verstreken from mart_uitstroom_werk "
        "where dimensie = 'totaal' order by golf"
    )
    per = {str(r[0]): [_als_getal(w) for w in r[1:]] for r in rijen}
    leeg = [None, None, None, None]
    grafiek = Grafiek(
        "Uitstroom naar werk per golf", POPULATIE_UITSTROOM, bron.golf_tekst(bron.golven), "golf",
        [g.naam for g in bron.golven],
        [Reeks("binnen 6 maanden", [per.get(g.naam, leeg)[0] for g in bron.golven],
               [per.get(g.naam, leeg)[2] for g in bron.golven]),
         Reeks("binnen 12 maanden", [per.get(g.naam, leeg)[1] for g in bron.golven],
               [per.get(g.naam, leeg)[3] for g in bron.golven])],
        "% met werk", "aantal bij wie de termijn verstreken was", xmax=100,
    )  # fmt: skip
    delen.append(_figuur(grafiek, nummer))
    laatste = bron.laatste
    rijen = bron.rijen(
        "select dimensie, waarde, percentage_werk_binnen_6_maanden, percentage_werk_binnen_12_maanden, "
        "aantal_ingeschreven_6_maanden_verstreken, aantal_ingeschreven_12_maanden_verstreken "
        "from mart_uitstroom_werk where golf = ? and dimensie like 'actie\\_%' escape '\\' "
        "and waarde in ('ja', 'nee') order by dimensie, waarde",
        [laatste.naam],
    )
    if rijen:
        per_actie = {(str(d), str(w)): [_als_getal(v) for v in rest] for d, w, *rest in rijen}
        sleutels = sorted(per_actie)
        grafiek = Grafiek(
            "Uitstroom naar werk naar ontvangen actietype (samenhang, geen effect)", POPULATIE_UITSTROOM,
            bron.golf_tekst([laatste]), "actietype", [_actie_ja_nee(bron, d, w) for d, w in sleutels],
            [Reeks("binnen 6 maanden", [per_actie[s][0] for s in sleutels], [per_actie[s][2] for s in sleutels]),
             Reeks("binnen 12 maanden", [per_actie[s][1] for s in sleutels], [per_actie[s][3] for s in sleutels])],
            "% met werk", "aantal bij wie de termijn verstreken was", xmax=100, noot=NOOT_SAMENHANG,
        )  # fmt: skip
        delen.append(_figuur(grafiek, nummer))
    for dimensie in ("doelgroep", "kbi_regio"):
        labels, reeksen = _per_dimensie(
            bron, "mart_uitstroom_werk", "percentage_werk_binnen_12_maanden",
            "aantal_ingeschreven_12_maanden_verstreken", dimensie, _vergeleken(bron),
        )  # fmt: skip
        if labels:
            grafiek = Grafiek(
                f"Uitstroom naar werk binnen 12 maanden, naar {bron.naam(dimensie)}", POPULATIE_UITSTROOM,
                bron.golf_tekst(_vergeleken(bron)), bron.naam(dimensie), labels, reeksen,
                "% met werk binnen 12 maanden", "aantal bij wie 12 maanden verstreken waren", xmax=100,
            )  # fmt: skip
            delen.append(_figuur(grafiek, nummer))
    return "".join(delen) + "</section>"


def _actie_ja_nee(bron: Bron, actie: str, waarde: str) -> str:
    """A short bar label that cannot be read as its opposite: "oriëntatie: kreeg er een" / "…: kreeg er geen"."""
    uitkomst = {"ja": "kreeg er minstens één", "nee": "kreeg er geen"}.get(waarde, schoon(waarde))
    return f"{bron.naam(actie)}: {uitkomst}"


def _overgangen(bron: Bron, nummer: Callable[[], str]) -> str:
    golf = bron.laatste
    rijen = bron.rijen(
        "select toestand_vorige, toestand_huidig, aantal_personen from mart_overgangen where golf = ?", [golf.naam]
    )
    titel = "Waar de personen van de vorige golf nu staan"
    delen = ['<section id="overgangen"><h2>Overgangen tussen golven</h2>']
    totalen = {str(v): _als_getal(a) for v, t, a in rijen if t == "totaal"}
    vorigen = _codes(list(totalen))
    huidig = _codes([t for _, t, _ in rijen if t != "totaal"])
    if not vorigen or not huidig:
        delen.append(_leeg(titel, bron.golf_tekst([golf])))
        return "".join(delen) + "</section>"
    aantal = {(str(v), str(t)): _als_getal(a) for v, t, a in rijen}
    fig, ax = plt.subplots(figsize=(6.4, 0.5 * len(vorigen) + 1.4))
    links = [0.0] * len(vorigen)
    reeksen = []
    for i, toestand in enumerate(huidig):
        aandelen: list[float | None] = []
        for v in vorigen:
            deel, geheel = aantal.get((v, toestand)), totalen.get(v)
            aandelen.append(round(100 * deel / geheel, 1) if deel is not None and geheel else None)
        reeksen.append(Reeks(bron.label("toestand", toestand), aandelen, [aantal.get((v, toestand)) for v in vorigen]))
        ax.barh(
            range(len(vorigen)), [a or 0 for a in aandelen], left=links, color=plt.get_cmap("tab10")(i),
            label=schoon(bron.label("toestand", toestand)),
        )  # fmt: skip
        links = [a + (b or 0) for a, b in zip(links, aandelen, strict=True)]
    ax.set_yticks(range(len(vorigen)), [schoon(bron.label("toestand", v)) for v in vorigen])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_ylabel("toestand in de vorige golf")
    ax.set_xlabel("% van de personen in die toestand in de vorige golf\n(een weggelaten aantal telt als 0)")
    _nederlandse_as(ax.xaxis)
    # below the chart, not beside it: the labels are long and the chart must stay narrow enough to read
    ax.legend(fontsize=8.5, loc="upper left", bbox_to_anchor=(0, -0.32), ncol=2, frameon=False, title="toestand nu")
    grafiek = Grafiek(
        titel, "personen die in de vorige en in deze golf voorkomen", bron.golf_tekst([golf]), "toestand vorige golf",
        [bron.label("toestand", v) for v in vorigen], reeksen, "% van de toestand in de vorige golf",
        "aantal personen", soort="gestapeld staafdiagram", svg=_svg(fig),
    )  # fmt: skip
    delen.append(_figuur(grafiek, nummer))
    return "".join(delen) + "</section>"


def _datakwaliteit(bron: Bron, nummer: Callable[[], str]) -> str:
    soorten = (("aantal_leeg", "leeg"), ("aantal_ongeldig", "ongeldig"), ("aantal_dubbel", "dubbel"),
               ("aantal_niet_gekoppeld", "niet gekoppeld bij VDAB"))  # fmt: skip
    sommen = ", ".join(f"sum({kolom})" for kolom, _ in soorten)
    rijen = bron.rijen(f"select golf, {sommen} from mart_datakwaliteit group by golf order by golf")
    per = {str(r[0]): [_als_getal(w) for w in r[1:]] for r in rijen}
    delen = ['<section id="datakwaliteit"><h2>Datakwaliteit per golf</h2><p class="uitleg">Lege, ongeldige, dubbele '
             "en niet gekoppelde gegevens worden gemeld, niet weggelaten (art. 7). Een lege status dienstverlening "
             "telt als leeg (zie <em>onbekend</em> bij begeleiding).</p>"]  # fmt: skip
    populatie = "rijen van het KBI-bestand en van het verrijkte bestand van VDAB"
    golven = bron.golven[-4:]
    grafiek = Grafiek(
        "Gemelde problemen per soort", populatie, bron.golf_tekst(golven), "soort probleem",
        [label for _, label in soorten], [Reeks(g.naam, per.get(g.naam, [None] * len(soorten))) for g in golven],
        "aantal waarden (som over de velden)", decimalen=0, noot=NOOT_DATAKWALITEIT,
    )  # fmt: skip
    delen.append(_figuur(grafiek, nummer))
    laatste = bron.laatste
    rijen = bron.rijen(
        "select bron, veld, aantal_leeg, aantal_rijen from mart_datakwaliteit where golf = ? and aantal_leeg > 0 "
        "order by aantal_leeg desc, bron, veld limit 12",
        [laatste.naam],
    )
    if rijen:
        grafiek = Grafiek(
            "Velden met de meeste lege waarden", populatie, bron.golf_tekst([laatste]), "veld",
            [f"{bron.naam(str(v))} ({bron.naam(str(b))})" for b, v, _, _ in rijen],
            [Reeks(laatste.naam, [_als_getal(r[2]) for r in rijen], [_als_getal(r[3]) for r in rijen])],
            "lege waarden", "aantal rijen", decimalen=0, noot=NOOT_DATAKWALITEIT,
        )  # fmt: skip
        delen.append(_figuur(grafiek, nummer))
    return "".join(delen) + "</section>"


def _kernpunten(bron: Bron) -> str:
    """A few sentences a policy maker reads first: the headline indicators, the regions, the group furthest behind."""
    laatste, vorige = bron.laatste, (bron.golven[-2] if len(bron.golven) > 1 else None)
    zinnen = []
    rijen = bron.rijen(
        "select indicator, golf, percentage from mart_evolutie_kerncijfers where golf in ? order by indicator",
        [[g.naam for g in bron.golven[-2:]]],
    )
    per = {(str(i), str(g)): _als_getal(p) for i, g, p in rijen}
    for indicator in sorted({str(r[0]) for r in rijen}):
        nu = per.get((indicator, laatste.naam))
        if nu is None:
            continue
        zin = f"{hoofdletter(h(indicator))}: {_getal(nu)} %"
        toen = per.get((indicator, vorige.naam)) if vorige else None
        if vorige and toen is not None:
            zin += f" (in {h(vorige.naam)}: {_getal(toen)} %)"
        zinnen.append(zin + ".")
    rijen = bron.rijen(
        "select dimensie, waarde, percentage_ingeschreven_binnen_60_dagen, aantal_nieuwkomers "
        "from mart_inschrijving_vdab where golf = ? and dimensie not in ('totaal', 'cohort') "
        "and waarde <> 'onbekend' and aantal_nieuwkomers >= ? and percentage_ingeschreven_binnen_60_dagen is not null "
        "order by percentage_ingeschreven_binnen_60_dagen, dimensie, waarde limit 1",
        [laatste.naam, KLEINSTE_GROEP_KERNPUNT],
    )
    for dimensie, waarde, percentage, aantal in rijen:
        zinnen.append(
            f"De laagste inschrijving binnen 60 dagen, onder de groepen van minstens {KLEINSTE_GROEP_KERNPUNT} "
            f"nieuwkomers: {h(bron.naam(str(dimensie)))} {h(bron.label(str(dimensie), str(waarde)))} met "
            f"{_getal(_als_getal(percentage))} % (van {_getal(_als_getal(aantal), 0)} nieuwkomers)."
        )
    rijen = bron.rijen(
        "select waarde, evenredigheidsindex from mart_evenredig_bereik where golf = ? "
        "and dimensie = 'oudste_nationaliteit' and evenredigheidsindex is not null and aantal_nieuwkomers >= ? "
        "order by evenredigheidsindex, waarde limit 1",
        [laatste.naam, KLEINSTE_GROEP_KERNPUNT],
    )
    for waarde, index in rijen:
        zinnen.append(
            f"VDAB bereikt nieuwkomers met nationaliteit {h(bron.label('oudste_nationaliteit', str(waarde)))} het "
            f"minst evenredig (index {_getal(_als_getal(index), 2)}; 1 is evenredig)."
        )
    lijst = "".join(f"<li>{z}</li>" for z in zinnen) or "<li>Geen gepubliceerde kerncijfers in deze golf.</li>"
    return (
        f'<section id="kernpunten"><h2>Kernpunten van {h(laatste.naam)}</h2><ul class="kernpunten">{lijst}</ul>'
        '<p class="uitleg">De uitsplitsing per regio, profielkenmerk, nationaliteit, begeleiding en uitstroom volgt '
        "hieronder.</p></section>"
    )


# Columns every mart has that are not a figure to chart.
SLEUTEL_KOLOMMEN = {"golf", "dimensie", "waarde"}
MAX_GENERIEKE_GRAFIEKEN = 8


def _eerste_zin(tekst: str) -> str:
    zin = re.split(r"(?<=[a-z0-9)])\. ", schoon(tekst), maxsplit=1)[0]
    return zin.rstrip(".")


def _generiek(bron: Bron, tabel: str, nummer: Callable[[], str]) -> str:
    """A section for a mart the report does not know: its figures per wave (and per dimension), from its comments."""
    kolommen = bron.kolommen(tabel)
    namen = {n for n, _, _ in kolommen}
    commentaar = {n: c for n, _, c in kolommen}
    getallen = [n for n, t, _ in kolommen if n not in SLEUTEL_KOLOMMEN and t.upper() in NUMERIEK]
    maat = next((n for n in getallen if n.startswith("percentage")), None) or next(iter(getallen), None)
    categorie = next((n for n, t, _ in kolommen if n not in SLEUTEL_KOLOMMEN and t.upper() == "VARCHAR"), None)
    titel = _eerste_zin(bron.tabellen[tabel]) or bron.naam(tabel)
    anker = "mart-" + re.sub(r"[^a-z0-9]+", "-", tabel.lower()).strip("-")
    delen = [f'<section id="{anker}"><h2>{h(titel)}</h2><p class="uitleg">{h(bron.tabellen[tabel])}</p>']
    if maat is None or "golf" not in namen:
        delen.append("<p>Deze tabel heeft geen cijfers per golf om te tonen; zie het BI-bestand.</p></section>")
        return "".join(delen)
    groep = next((n for n in getallen if n.startswith("aantal") and n != maat), None)
    eenheid = _eerste_zin(commentaar.get(maat, "")) or bron.naam(maat)
    golven = _vergeleken(bron)
    dimensies = _dimensies(bron, tabel)[:MAX_GENERIEKE_GRAFIEKEN] if "dimensie" in namen else [""]
    for dimensie in dimensies:
        as_kolom = "waarde" if dimensie else categorie
        if as_kolom is None:
            rijen = bron.rijen(f"select golf, golf, {_kolom(maat)}, {_kolom(groep)} from {_kolom(tabel)} order by golf")
            categorie_kop = "golf"
        else:
            filter_ = "and dimensie = ?" if dimensie else ""
            rijen = bron.rijen(
                f"select golf, {_kolom(as_kolom)}, {_kolom(maat)}, {_kolom(groep)} from {_kolom(tabel)} "
                f"where golf in ? {filter_}",
                [[g.naam for g in golven], *([dimensie] if dimensie else [])],
            )
            categorie_kop = bron.naam(dimensie or as_kolom)
        codes = _codes([r[1] for r in rijen])
        reeks_golven = bron.golven if as_kolom is None else golven
        reeksen = [r if groep else Reeks(r.naam, r.waarden) for r in _per_golf(rijen, reeks_golven, codes)]
        kop = f"{titel}, naar {categorie_kop}" if dimensie or as_kolom else titel
        if not reeksen:
            delen.append(_leeg(kop, bron.golf_tekst(reeks_golven)))
            continue
        kenmerk = dimensie or (as_kolom or "")
        grafiek = Grafiek(
            kop, _populatie(bron.tabellen[tabel]), bron.golf_tekst(reeks_golven), categorie_kop,
            [bron.label(kenmerk, c) for c in codes], reeksen, eenheid,
            _eerste_zin(commentaar.get(groep or "", "")) or "aantal personen",
            decimalen=1 if maat.startswith("percentage") else 0, xmax=100 if maat.startswith("percentage") else None,
        )  # fmt: skip
        delen.append(_figuur(grafiek, nummer))
    return "".join(delen) + "</section>"


NUMERIEK = {"BIGINT", "INTEGER", "DOUBLE", "FLOAT", "DECIMAL", "HUGEINT", "SMALLINT", "REAL"}


def _kolom(naam: str | None) -> str:
    """A column (or table) name from the BI file quoted as an SQL identifier; ``null`` for no column."""
    return '"' + naam.replace('"', '""') + '"' if naam else "null"


def _populatie(commentaar: str) -> str:
    gevonden = re.search(r"Populatie: ([^.]*)", schoon(commentaar))
    return gevonden.group(1) if gevonden else "zie de omschrijving van de tabel"


# The marts the report charts in its own sections; every other mart_* table gets a generic section.
EIGEN_MARTS = {t for t in TABELLEN if t.startswith("mart_")}

STIJL = """
@page{size:A4;margin:16mm 14mm}
body{font-family:sans-serif;max-width:62em;margin:0 auto;padding:1em 1.5em;color:#222;line-height:1.45;font-size:1rem}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #1f5f8b;padding-bottom:.2em;margin-top:2em}
h1,h2,h3,.uitleg{break-after:avoid;page-break-after:avoid}
nav a{margin-right:1em;display:inline-block}.noot{font-size:.9em;color:#444}.uitleg{max-width:50em}
.tegels{display:flex;gap:1em;flex-wrap:wrap}
.tegel{border:1px solid #ccc;border-radius:6px;padding:.6em 1em;flex:1 1 10em}
.tegel .waarde{font-size:1.8em;font-weight:bold;color:#1f5f8b}.tegel .verschil{font-size:.9em;color:#444}
figure{margin:1.5em 0;break-inside:avoid;page-break-inside:avoid}
figcaption{font-size:.95em;margin-bottom:.3em}.vlak,.tabel,.cijfers{overflow-x:auto}
.vlak svg{max-width:100%;height:auto}
.alt{font-size:.9em;color:#333}.cijfers summary{cursor:pointer;color:#1f5f8b}
table{border-collapse:collapse;margin:.4em 0}td,th{padding:.2em .6em;border:1px solid #bbb;text-align:left}
td{text-align:right}caption{text-align:left;font-size:.9em;color:#444}
.kernpunten li{margin-bottom:.3em}
@media (max-width:40em){body{padding:.6em .8em}.vlak svg{max-width:none;width:auto}nav a{margin-right:.6em}}
@media print{body{max-width:none;padding:0;font-size:10pt}nav,.cijfers{display:none}a{color:inherit}
.vlak svg{max-width:100%;width:auto}}
"""


def render(bi_file: Path) -> str:
    """The report as one self-contained HTML document, from the tables of ``bi_file`` alone."""
    bron = Bron(bi_file)
    gemaakt = f"Gemaakt op {datum(clock.utc_now().date())}"
    if not bron.golven:  # every wave purged (retention): say so rather than keep an old report around
        bron.con.close()
        return (
            '<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Monitoringsrapport derde pijler '
            f"inburgering</title><style>{STIJL}</style></head><body><h1>Monitoringsrapport derde pijler inburgering"
            f"</h1><p>{gemaakt}. Het BI-bestand <code>{h(bi_file.name)}</code> bevat geen golven (meer).</p>"
            "</body></html>"
        )
    nummer = Nummering()
    try:
        secties = [
            _kernpunten(bron), _kerncijfers(bron, nummer), _regio(bron, nummer), _inschrijving(bron, nummer),
            _evenredig_bereik(bron, nummer), _dienstverlening(bron, nummer), _uitstroom(bron, nummer),
            _overgangen(bron, nummer), _datakwaliteit(bron, nummer),
        ]  # fmt: skip
        nieuw = sorted(t for t in bron.tabellen if t.startswith("mart_") and t not in EIGEN_MARTS)
        secties += [_generiek(bron, tabel, nummer) for tabel in nieuw]
    except duckdb.Error as exc:
        raise _andere_versie(bi_file, exc) from exc
    finally:
        bron.con.close()
    golven = "".join(
        f"<tr><td>{h(g.naam)}</td><td>{datum(g.peildatum)}</td><td>1 maart 2022 tot en met {datum(g.peildatum)}"
        "</td></tr>"
        for g in bron.golven
    )
    navigatie = " ".join(f'<a href="#{anker}">{naam}</a>' for anker, naam in SECTIES)
    return (
        '<!doctype html><html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Monitoringsrapport derde pijler inburgering</title><style>{STIJL}</style></head><body>"
        "<h1>Monitoringsrapport derde pijler inburgering</h1>"
        f'<p class="gemaakt"><strong>{gemaakt}</strong>, voor de werkgroep BI rapportering (art. 4), uit het '
        f"BI-bestand <code>{h(bi_file.name)}</code> alleen; golven {h(', '.join(g.naam for g in bron.golven))}. Wie "
        "het BI-bestand heeft, maakt dit rapport opnieuw met <code>pijler3 rapport --bi &lt;bestand&gt;</code>; de "
        "betekenis van elke kolom staat in de datadictionary en in de tabellen <code>lees_mij</code> en "
        "<code>kenmerken</code>.</p>"
        f'<p class="noot" id="verstoring"><strong>Let op, voor alle cijfers in dit rapport:</strong> {NOOT_VERSTOORD}'
        "</p>"
        f'<nav aria-label="Inhoud">{navigatie}</nav>'
        '<div class="tabel"><table><caption>De golven in dit rapport</caption><thead><tr><th scope="col">golf</th>'
        '<th scope="col">peildatum</th><th scope="col">inburgeringscontracten</th></tr></thead><tbody>'
        + golven
        + "</tbody></table></div>"
        + "".join(secties)
        + "</body></html>"
    )


def write(bi_file: Path, out: Path | None = None) -> Path:
    """Write the report beside ``bi_file`` (or to ``out``), atomically, and return its path. The folder of ``out``
    must exist: a mistyped path is refused rather than created."""
    target = out or bi_file.with_name(RAPPORT_NAAM)
    if not target.parent.is_dir():
        raise InputError(f"{target.parent}: output folder does not exist; create it or give another --out")
    if target.is_dir():
        raise InputError(f"{target}: is a folder; give the path of the report file to write (--out)")
    document = render(bi_file)
    leakscan.check_publication_text(document, target)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        partial.write_text(document, encoding="utf-8")
        partial.chmod(0o644)  # meant for the working group, like the BI file
        os.replace(partial, target)
    except OSError as exc:
        raise InputError(f"{target}: cannot write the report ({exc.strerror}); choose another --out") from exc
    finally:
        partial.unlink(missing_ok=True)
    return target
