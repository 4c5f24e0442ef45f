"""The BI working group's publication on the shared demo: a BI file that explains itself, read through SQLAlchemy, and
the monitoring report made from it alone (one Chromium check that every chart drew)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import require_tool
from demo_helpers import Demo
from pijler3.rapport import RAPPORT_NAAM

pytest_plugins = ["demo_fixtures"]
pytestmark = pytest.mark.slow

SECTIES = ("kernpunten", "kerncijfers", "regio", "inschrijving", "evenredig-bereik", "dienstverlening", "uitstroom",
           "overgangen", "datakwaliteit")  # fmt: skip
# (mart, column holding the code list's kenmerk, column holding the code)
GECODEERD = (
    ("mart_inschrijving_vdab", "dimensie", "waarde"),
    ("mart_evenredig_bereik", "dimensie", "waarde"),
    ("mart_uitstroom_werk", "dimensie", "waarde"),
    ("mart_dienstverlening_vdab", "dimensie", "waarde"),
    ("mart_dienstverlening_vdab", "kenmerk", "kenmerk_waarde"),
    ("mart_overgangen", "'toestand'", "toestand_vorige"),
    ("mart_overgangen", "'toestand'", "toestand_huidig"),
)


def _bi(demo: Demo) -> Path:
    return demo.out / "bi" / "monitoring.duckdb"


def test_every_code_in_the_marts_has_a_dutch_meaning_and_every_wave_a_reference_date(demo: Demo) -> None:
    with duckdb.connect(str(_bi(demo)), read_only=True) as con:
        for mart, kenmerk, code in GECODEERD:
            zonder = con.execute(
                f"select distinct {kenmerk}, {code} from {mart} as m where {code} <> 'totaal' "
                f"and {kenmerk} not in ('totaal', 'cohort') and not exists (select 1 from codelijsten as k "
                f"where k.kenmerk = {kenmerk} and k.code = m.{code})"
            ).fetchall()
            assert zonder == [], f"{mart}: codes without a meaning in codelijsten: {zonder}"
        assert not con.execute(
            "select distinct waarde from mart_inschrijving_vdab where dimensie = 'cohort' "
            "and waarde not in (select cohort from cohorten)"
        ).fetchall()
        golven = dict(con.execute("select golf, peildatum from golven").fetchall())
        in_marts = {g for (g,) in con.execute("select distinct golf from mart_evolutie_kerncijfers").fetchall()}
        assert in_marts and set(golven) == in_marts
        for golf, peildatum in golven.items():
            assert peildatum.isoformat() == golf[:4] + ("-06-30" if golf.endswith("S1") else "-12-31")
        regio = dict(con.execute("select code, agentschap from codelijsten where kenmerk = 'kbi_regio'").fetchall())
        assert (regio["stad_antwerpen"], regio["stad_gent"]) == ("Atlas", "IN-Gent")
        commentaar = con.execute(
            "select comment from duckdb_tables() union all select c.comment from duckdb_columns() as c "
            "join duckdb_tables() as t on c.table_oid = t.table_oid"
        ).fetchall()
        assert all(c and "\n" not in c for (c,) in commentaar), "every table and column has a one-line comment"
        onderwerpen = {o for (o,) in con.execute("select onderwerp from lees_mij").fetchall()}
        tabellen = {t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()}
        assert tabellen - {"lees_mij"} <= onderwerpen and {"verstoring", "onbekend"} <= onderwerpen


def test_sqlalchemy_and_duckdb_engine_reflect_and_read_every_table(demo: Demo) -> None:
    sa = pytest.importorskip("sqlalchemy")
    # counted first: DuckDB refuses a second connection with another configuration while the engine holds one
    with duckdb.connect(str(_bi(demo)), read_only=True) as con:
        tabellen = [t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()]
        verwacht = {t: con.execute(f'select count(*) from "{t}"').fetchone() for t in tabellen}
    engine = sa.create_engine(f"duckdb:///{_bi(demo)}", connect_args={"read_only": True})
    try:
        inspector = sa.inspect(engine)
        namen = inspector.get_table_names()
        assert sorted(namen) == sorted(tabellen) and {"mart_evolutie_kerncijfers", "codelijsten"} <= set(namen)
        for naam in namen:
            assert inspector.get_columns(naam), naam
            tabel = sa.Table(naam, sa.MetaData(), autoload_with=engine)
            with engine.connect() as verbinding:
                rijen = verbinding.execute(sa.select(sa.func.count()).select_from(tabel)).scalar()
            assert (rijen,) == verwacht[naam], naam
    finally:
        engine.dispose()


def test_pandas_reads_every_table_through_sqlalchemy(demo: Demo) -> None:
    """An analyst's notebook: pandas.read_sql over the pinned SQLAlchemy (2.0.36 failed there with pandas 3.1)."""
    pd = pytest.importorskip("pandas")
    sa = pytest.importorskip("sqlalchemy")
    with duckdb.connect(str(_bi(demo)), read_only=True) as con:
        verwacht = {
            t: con.execute(f'select count(*) from "{t}"').fetchone()
            for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()
        }
    engine = sa.create_engine(f"duckdb:///{_bi(demo)}", connect_args={"read_only": True})
    try:
        for tabel, (aantal,) in verwacht.items():
            frame = pd.read_sql(sa.text(f'select * from "{tabel}"'), engine)
            assert len(frame) == aantal and len(frame.columns) > 0, tabel
        kern = pd.read_sql_table("mart_evolutie_kerncijfers", engine)
        assert set(kern["indicator"]) and kern["percentage"].dropna().between(0, 100).all()
    finally:
        engine.dispose()


def test_the_report_is_written_beside_the_bi_file_and_regenerates_from_it_alone(demo: Demo, tmp_path: Path) -> None:
    rapport = _bi(demo).with_name(RAPPORT_NAAM)
    assert demo.result.paths["report"] == rapport.resolve() and rapport.is_file()  # the demo prints its paths
    tekst = rapport.read_text(encoding="utf-8")
    for sectie in SECTIES:
        assert f'id="{sectie}"' in tekst, sectie
    assert "<script" not in tekst.lower() and not re.search(r"(src|href)=\"https?:", tekst)
    figuren = re.findall(r"<figure.*?</figure>", tekst, flags=re.DOTALL)
    assert len(figuren) >= 10
    for figuur in figuren:
        assert "<svg" in figuur and "Populatie:" in figuur and "Golf:" in figuur and "<table>" in figuur
    assert tekst.count("celsleutelmethode") == 1  # the note on perturbed figures once, for the whole report
    assert not re.search(r"telling_|recordsleutel|ckm_informatieverlies", tekst)
    # only the BI file, in an empty folder: the report needs nothing else
    alleen = tmp_path / "alleen" / "monitoring.duckdb"
    alleen.parent.mkdir()
    shutil.copy(_bi(demo), alleen)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "pijler3"), "rapport", "--bi", str(alleen)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    opnieuw = alleen.with_name(RAPPORT_NAAM).read_text(encoding="utf-8")
    assert re.findall(r"<figcaption>.*?</figcaption>", opnieuw) == re.findall(r"<figcaption>.*?</figcaption>", tekst)


# Appended to a copy of the report only (the report itself has no script): per figure, whether its chart has a size
# on the page and drew bars, lines or text.
METING = """<script>
const uit = [...document.querySelectorAll('figure')].map(f => {
  const svg = f.querySelector('svg'); const r = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  const getekend = svg ? [...svg.querySelectorAll('path, rect, text')]
    .filter(e => { const b = e.getBBox(); return b.width > 0 || b.height > 0; }).length : 0;
  return {breedte: r.width, hoogte: r.height, getekend: getekend};
});
const pre = document.createElement('pre'); pre.id = 'meting'; pre.textContent = JSON.stringify(uit);
document.body.appendChild(pre);
</script>"""


@pytest.mark.needs_tool
def test_every_chart_of_the_report_draws_in_headless_chromium(demo: Demo, tmp_path: Path) -> None:
    chromium = require_tool("chromium", "/usr/bin/chromium")
    kopie = tmp_path / RAPPORT_NAAM
    kopie.write_text(
        _bi(demo).with_name(RAPPORT_NAAM).read_text(encoding="utf-8").replace("</body>", METING + "</body>"),
        encoding="utf-8",
    )
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profiel'}",
         "--virtual-time-budget=10000", "--dump-dom", f"file://{kopie}"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    gevonden = re.search(r'<pre id="meting">(.*?)</pre>', done.stdout, flags=re.DOTALL)
    assert gevonden, "the measuring script did not run"
    metingen = json.loads(gevonden.group(1))
    assert len(metingen) >= 10
    for i, meting in enumerate(metingen):
        assert meting["breedte"] > 200 and meting["hoogte"] > 80 and meting["getekend"] >= 5, (i, meting)
