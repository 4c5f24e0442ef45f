"""`pijler3 rapport --bi FILE` as an attacker and as a policy maker meet it.

The attacker hands the command a crafted BI file (a copy of the shared demo's, with hostile values written into the
tables the report reads, or a DuckDB file of another project) and a bad output path; every case goes through the
public CLI. The policy maker reads the report in headless Chromium: every chart has a text alternative and a table with
group sizes, the report prints on few A4 pages with headings kept with their charts, and stays legible 390 px wide.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from cli_helpers import pijler3
from conftest import require_tool
from demo_helpers import Demo
from pijler3.rapport import NOOT_VERSTOORD, RAPPORT_NAAM

pytest_plugins = ["demo_fixtures"]
pytestmark = pytest.mark.slow

GOLF_AANVALLER = "<img src=x onerror=alert(1)>"
RTL = "\u202e"
MATHTEXT = r"$\foo$"


def _kopie(demo: Demo, tmp_path: Path) -> Path:
    kopie = tmp_path / "bi" / "monitoring.duckdb"
    kopie.parent.mkdir()
    shutil.copy(demo.out / "bi" / "monitoring.duckdb", kopie)
    return kopie


def _zonder_traceback(resultaat: object) -> None:
    assert "Traceback" not in str(resultaat)


def test_hostile_values_in_the_bi_file_are_shown_as_text_never_run_or_reversed(demo: Demo, tmp_path: Path) -> None:
    bi = _kopie(demo, tmp_path)
    with duckdb.connect(str(bi)) as con:
        laatste = con.execute("select max(golf) from golven").fetchone()
        assert laatste
        # the latest wave renamed everywhere it appears, so every chart of that wave carries the hostile name
        for (tabel,) in con.execute(
            "select table_name from duckdb_columns() where column_name = 'golf' and schema_name = 'main'"
        ).fetchall():
            con.execute(f'update "{tabel}" set golf = ? where golf = ?', [GOLF_AANVALLER, laatste[0]])
        # a category the other party sent, labelled with mathtext, a bidi override and a spreadsheet formula
        con.execute(
            "update codelijsten set omschrijving = ? where kenmerk = 'categorie_werkzoekende'",
            [f'{MATHTEXT} {RTL}evil =HYPERLINK("x") <b>vet</b>'],
        )
        con.execute(
            "update mart_dienstverlening_vdab set kenmerk_waarde = ? where kenmerk = 'categorie_werkzoekende' "
            "and kenmerk_waarde = 'onbekend'",
            [f"{MATHTEXT}{RTL}\x1b[2J"],
        )
        con.execute("update mart_evolutie_kerncijfers set indicator = indicator || ' <script>alert(2)</script>'")
    uit = tmp_path / "rapport.html"
    resultaat = pijler3("rapport", "--bi", str(bi), "--out", str(uit))
    assert resultaat.code == 0, resultaat.err
    tekst = uit.read_text(encoding="utf-8")
    assert GOLF_AANVALLER not in tekst and "<script" not in tekst.lower() and "<b>vet</b>" not in tekst
    assert "&lt;img src=x onerror=alert(1)&gt;" in tekst  # shown as the text it is
    assert RTL not in tekst and "\x1b" not in tekst
    # drawn by matplotlib as the text it is (mathtext off), in a chart and in its table
    assert any(MATHTEXT in svg for svg in re.findall(r"<svg.*?</svg>", tekst, flags=re.DOTALL))
    assert tekst.count(NOOT_VERSTOORD) == 1


def test_a_duckdb_file_of_another_project_or_no_duckdb_file_is_refused_in_one_line(tmp_path: Path) -> None:
    ander = tmp_path / "ander.duckdb"
    with duckdb.connect(str(ander)) as con:
        con.execute("create table klanten (id integer, naam varchar)")
    # the report's table names, with other columns: a look-alike from another project
    gelijkend = tmp_path / "gelijkend.duckdb"
    with duckdb.connect(str(gelijkend)) as con:
        for tabel in ("golven", "codelijsten", "mart_evolutie_kerncijfers", "mart_inschrijving_vdab",
                      "mart_evenredig_bereik", "mart_dienstverlening_vdab", "mart_uitstroom_werk", "mart_overgangen",
                      "mart_datakwaliteit"):  # fmt: skip
            con.execute(f"create table {tabel} (id integer)")
    tekst = tmp_path / "tekst.duckdb"
    tekst.write_text("geen duckdb\n", encoding="utf-8")
    for bestand in (ander, gelijkend, tekst, tmp_path / "ontbreekt.duckdb"):
        resultaat = pijler3("rapport", "--bi", str(bestand))
        assert resultaat.code == 2, (bestand.name, resultaat)
        regels = resultaat.err.strip().splitlines()
        assert len(regels) == 1 and str(bestand) in regels[0], resultaat.err
        _zonder_traceback(resultaat)
        assert not (tmp_path / RAPPORT_NAAM).exists()


def test_an_output_folder_that_does_not_exist_is_refused_and_nothing_is_written(demo: Demo, tmp_path: Path) -> None:
    bi = _kopie(demo, tmp_path)
    doel = tmp_path / "bestaat-niet" / "rapport.html"
    resultaat = pijler3("rapport", "--bi", str(bi), "--out", str(doel))
    assert resultaat.code == 2 and "does not exist" in resultaat.err and str(doel.parent) in resultaat.err
    assert len(resultaat.err.strip().splitlines()) == 1
    assert not doel.parent.exists() and not list(bi.parent.glob("*.html"))


def test_a_mart_an_analyst_adds_gets_its_own_section_from_its_comments(demo: Demo, tmp_path: Path) -> None:
    bi = _kopie(demo, tmp_path)
    with duckdb.connect(str(bi)) as con:
        # what publiceer-bi copies for a new mart: the table and the descriptions of its YAML as comments
        con.execute(
            "create table mart_bereik_per_regio as select golf, dimensie, waarde, aantal_nieuwkomers, "
            "aantal_ingeschreven, percentage_ingeschreven_binnen_60_dagen as percentage_bereikt "
            "from mart_inschrijving_vdab where dimensie in ('totaal', 'kbi_regio')"
        )
        con.execute(
            "comment on table mart_bereik_per_regio is 'Bereik per KBI-regio. Populatie: nieuwkomers van de golf. "
            "Grein: golf x dimensie x waarde.'"
        )
        con.execute("comment on column mart_bereik_per_regio.percentage_bereikt is 'Percentage bereikt. Uit de "
                    "verstoorde aantallen.'")  # fmt: skip
    uit = tmp_path / "rapport.html"
    assert pijler3("rapport", "--bi", str(bi), "--out", str(uit)).code == 0
    tekst = uit.read_text(encoding="utf-8")
    sectie = re.search(r'<section id="mart-mart-bereik-per-regio">(.*?)</section>', tekst, flags=re.DOTALL)
    assert sectie, "no section for the new mart"
    assert "<h2>Bereik per KBI-regio</h2>" in sectie.group(1)
    assert "<svg" in sectie.group(1) and "<table>" in sectie.group(1)
    assert "Percentage bereikt" in sectie.group(1) and "Stad Gent" in sectie.group(1)


# Appended to a copy of the report only (the report itself has no script): per figure what a reader who cannot see
# the chart gets, and the smallest text on the page as drawn.
METING = """<script>
const figuren = [...document.querySelectorAll('figure')].map(f => {
  const svg = f.querySelector('svg');
  const namen = (svg.getAttribute('aria-labelledby') || '').split(' ').map(i => document.getElementById(i));
  const tabel = f.querySelector('table');
  const kop = tabel ? [...tabel.querySelectorAll('thead th')].map(t => t.textContent) : [];
  const schaal = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const kleinste = Math.min(...[...svg.querySelectorAll('text')]
    .map(t => parseFloat(getComputedStyle(t).fontSize) * schaal));
  return {rol: svg.getAttribute('role'), alt: namen.map(n => n ? n.textContent : '').join(' '),
          rijen: tabel ? tabel.querySelectorAll('tbody tr').length : 0, kop: kop, kleinste: kleinste,
          breedte: svg.getBoundingClientRect().width,
          titelBreekt: getComputedStyle(f).breakInside};
});
const h2 = getComputedStyle(document.querySelector('h2')).breakAfter;
const tekst = Math.min(...[...document.querySelectorAll('p, li, td, th, figcaption')]
  .filter(e => e.getClientRects().length).map(e => parseFloat(getComputedStyle(e).fontSize)));
const pre = document.createElement('pre'); pre.id = 'meting';
pre.textContent = JSON.stringify({figuren: figuren, h2: h2, tekst: tekst, breedte: window.innerWidth,
  pagina: document.documentElement.scrollWidth});
document.body.appendChild(pre);
</script>"""


VENSTER = """<!doctype html><html><body style="margin:0">
<iframe id="rapport" src="{rapport}" style="width:{breedte}px;height:900px;border:0"></iframe>
<script>
document.getElementById('rapport').addEventListener('load', () => {{
  const pre = document.createElement('pre'); pre.id = 'meting';
  pre.textContent = frames[0].document.getElementById('meting').textContent; document.body.appendChild(pre);
}});
</script></body></html>"""


def _chromium(chromium: str, profiel: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={profiel}", *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.mark.needs_tool
def test_the_report_reads_without_seeing_the_charts_prints_on_a4_and_reads_on_a_phone(
    demo: Demo, tmp_path: Path
) -> None:
    chromium = require_tool("chromium", "/usr/bin/chromium")
    rapport = demo.out / "bi" / RAPPORT_NAAM
    tekst = rapport.read_text(encoding="utf-8")
    assert "Gemaakt op " in tekst and 'id="kernpunten"' in tekst and 'id="regio"' in tekst
    assert tekst.count(NOOT_VERSTOORD) == 1 and "samenhang, geen effect" in tekst
    assert "oriëntatie" in tekst and "orientatie" not in re.sub(r'id="[^"]*"', "", tekst)
    kopie = tmp_path / RAPPORT_NAAM
    kopie.write_text(tekst.replace("</body>", METING + "</body>"), encoding="utf-8")
    for breedte in (1280, 390):
        # a frame of that width is the viewport (a headless window is at least 500 px wide)
        venster = tmp_path / f"venster-{breedte}.html"
        venster.write_text(VENSTER.format(breedte=breedte, rapport=kopie.name), encoding="utf-8")
        done = _chromium(
            chromium, tmp_path / f"profiel-{breedte}", "--allow-file-access-from-files", "--window-size=1400,900",
            "--virtual-time-budget=15000", "--dump-dom", f"file://{venster}",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        gevonden = re.search(r'<pre id="meting">(.*?)</pre>', done.stdout, flags=re.DOTALL)
        assert gevonden, "the measuring script did not run"
        meting = json.loads(html.unescape(gevonden.group(1)))
        assert meting["breedte"] == breedte
        figuren = meting["figuren"]
        assert len(figuren) >= 10
        for i, figuur in enumerate(figuren):
            assert figuur["rol"] == "img" and len(figuur["alt"]) > 60, (i, figuur)
            assert figuur["rijen"] >= 1 and any("aantal" in k or "noemer" in k for k in figuur["kop"]), (i, figuur)
            assert figuur["titelBreekt"] == "avoid"
            # chart text at least 9 px as drawn, at either width (a chart scrolls sideways on a phone)
            assert figuur["kleinste"] >= 9, (breedte, i, figuur["kleinste"])
        assert meting["h2"] == "avoid" and meting["tekst"] >= 12
        assert meting["pagina"] <= meting["breedte"], "the page itself must not scroll sideways"
    pdf = tmp_path / "rapport.pdf"
    done = _chromium(
        chromium, tmp_path / "profiel-pdf", "--no-pdf-header-footer", f"--print-to-pdf={pdf}", f"file://{rapport}"
    )
    assert done.returncode == 0 and pdf.is_file(), done.stderr[-2000:]
    inhoud = pdf.read_bytes()
    paginas = re.findall(rb"/Type\s*/Page\b(?!s)", inhoud)
    formaten = set(re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", inhoud))
    assert formaten and all(abs(float(b) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for b, h in formaten), formaten
    assert 3 <= len(paginas) <= len(figuren), len(paginas)
