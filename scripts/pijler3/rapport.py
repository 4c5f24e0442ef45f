"""The BI working group's Dutch monitoring report (``monitoringsrapport.html``), generated from the BI file alone.

Anyone holding the BI file can regenerate it: the report reads only the published marts (perturbed by the cell key
method), never the true counts or the monitoring database. Charts are drawn by matplotlib on the server and embedded
as inline SVG, so the file is self-contained and works offline (no CDN, no script).
"""

from __future__ import annotations

import html
import io
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt

from pijler3.errors import InputError

RAPPORT_NAAM = "monitoringsrapport.html"
NOOT_VERSTOORD = (
    "Alle aantallen zijn licht verstoord (cell key method): hoogstens 5 ernaast, percentages uit de verstoorde "
    "aantallen; een aantal onder de drempel is weggelaten (minder dan 5, mogelijk 0)."
)


def _svg(fig: plt.Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _figuur(titel: str, populatie: str, golf: str, svg: str) -> str:
    return (
        f'<figure class="grafiek"><figcaption><strong>{html.escape(titel)}</strong><br>'
        f"Populatie: {html.escape(populatie)}. Golf: {html.escape(golf)}.<br>"
        f'<em class="noot">{NOOT_VERSTOORD}</em></figcaption>{svg}</figure>'
    )


def _staaf(labels: list[str], waarden: list[float | None], xlabel: str) -> str:
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(labels) + 1))
    ax.barh(labels, [w if w is not None else 0 for w in waarden], color="#2b6a8f")
    for i, w in enumerate(waarden):
        if w is None:
            ax.text(0, i, " onderdrukt (<5)", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    return _svg(fig)


def _kerncijfers(con: duckdb.DuckDBPyConnection, golven: list[str]) -> str:
    rijen = con.execute(
        "select indicator, golf, percentage from mart_evolutie_kerncijfers order by indicator, golf"
    ).fetchall()
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for indicator in sorted({r[0] for r in rijen}):
        punten = [(g, p) for i, g, p in rijen if i == indicator and p is not None]
        ax.plot([g for g, _ in punten], [p for _, p in punten], marker="o", label=indicator)
    ax.set_ylabel("percentage")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=7)
    return _figuur("Kerncijfers per golf", "nieuwkomers met een inburgeringscontract", ", ".join(golven), _svg(fig))


def _per_dimensie(
    con: duckdb.DuckDBPyConnection, tabel: str, kolom: str, dimensie: str, golf: str, titel: str, populatie: str
) -> str:
    rijen = con.execute(
        f"select waarde, {kolom} from {tabel} where dimensie = ? and golf = ? order by waarde",
        [dimensie, golf],
    ).fetchall()
    return _figuur(titel, populatie, golf, _staaf([r[0] for r in rijen], [r[1] for r in rijen], kolom))


def render(bi_file: Path) -> str:
    """The report as one HTML document, from the marts in ``bi_file``."""
    if not bi_file.is_file():
        raise InputError(f"{bi_file}: BI file not found")
    con = duckdb.connect(str(bi_file), read_only=True)
    try:
        golven = [
            r[0] for r in con.execute("select distinct golf from mart_evolutie_kerncijfers order by golf").fetchall()
        ]
        if not golven:
            raise InputError(f"{bi_file}: the BI file holds no wave")
        laatste = golven[-1]
        delen = ["<h2>Kerncijfers</h2>", _kerncijfers(con, golven), "<h2>Inschrijving binnen 60 dagen</h2>"]
        for dimensie in [
            r[0]
            for r in con.execute(
                "select distinct dimensie from mart_inschrijving_vdab where dimensie <> 'totaal' order by 1"
            ).fetchall()
        ]:
            delen.append(
                _per_dimensie(
                    con,
                    "mart_inschrijving_vdab",
                    "percentage_ingeschreven_binnen_60_dagen",
                    dimensie,
                    laatste,
                    f"Ingeschreven binnen 60 dagen naar {dimensie}",
                    "nieuwkomers met een inburgeringscontract",
                )
            )
        delen.append("<h2>Evenredig bereik naar nationaliteit</h2>")
        delen.append(
            _per_dimensie(
                con,
                "mart_evenredig_bereik",
                "evenredigheidsindex",
                "oudste_nationaliteit",
                laatste,
                "Evenredigheidsindex naar oudste nationaliteit (1 = evenredig)",
                "nieuwkomers met een inburgeringscontract",
            )
        )
        delen.append("<h2>Uitstroom naar werk</h2>")
        delen.append(
            _per_dimensie(
                con,
                "mart_uitstroom_werk",
                "percentage_werk_binnen_12_maanden",
                "doelgroep",
                laatste,
                "Werk binnen 12 maanden naar doelgroep",
                "ingeschreven nieuwkomers van wie 12 maanden verstreken zijn",
            )
        )
    finally:
        con.close()
    return (
        '<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Monitoringsrapport derde pijler</title>'
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}figure{margin:1em 0}"
        ".noot{font-size:.85em;color:#555}</style></head><body><h1>Monitoringsrapport derde pijler inburgering</h1>"
        f"<p>Gemaakt uit het BI-bestand alleen. {NOOT_VERSTOORD}</p>" + "".join(delen) + "</body></html>"
    )


def write(bi_file: Path, out: Path | None = None) -> Path:
    """Write the report beside ``bi_file`` (or to ``out``) and return its path."""
    target = out or bi_file.with_name(RAPPORT_NAAM)
    target.write_text(render(bi_file), encoding="utf-8")
    return target
