"""The disclosure_control macro, built by real dbt on real DuckDB over many random small tables, then attacked.

Each random table is one "golf" (the macro protects every wave on its own), so one dbt run covers many scenarios.
Two attacks: the one a BI user can do by hand (published total minus the published cells of a group) and the
strongest linear one (is a hidden cell uniquely determined by *all* published totals and row identities together?).
"""

from __future__ import annotations

import random
import textwrap
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
from dbt.cli.main import dbtRunner

from conftest import REPO

DREMPEL = 5
DIMENSIES = {
    "geslacht": ["man", "vrouw", "X"],
    "regio": ["A", "B", "C", "D", "E"],
    "niveau": ["laag", "midden", "hoog"],
}
TOESTANDEN = ["ingeschreven", "in_bemiddeling", "werk", "uitgeschreven"]
AANTALLEN = ["aantal_nieuwkomers", "aantal_ingeschreven", "aantal_werk"]
DEEL_VAN = {"aantal_ingeschreven": "aantal_nieuwkomers", "aantal_werk": "aantal_ingeschreven"}

EEN_DIMENSIONAAL = """
with telling as (select * from main.invoer_profiel),
{{ disclosure_control(
    'telling',
    sleutel=['golf', 'dimensie', 'waarde'],
    groeperingen=[{'per': ['golf', 'dimensie'], 'marge': {'dimensie': "'totaal'", 'waarde': "'totaal'"}}],
    aantallen=['aantal_nieuwkomers', 'aantal_ingeschreven', 'aantal_werk'],
    deel_van={'aantal_ingeschreven': 'aantal_nieuwkomers', 'aantal_werk': 'aantal_ingeschreven'},
    afgeleid={'percentage_ingeschreven': ['aantal_ingeschreven', 'aantal_nieuwkomers']},
) }}
select * from sdc_resultaat
"""

TWEE_DIMENSIONAAL = """
with telling as (select * from main.invoer_overgang),
{{ disclosure_control(
    'telling',
    sleutel=['golf', 'toestand_vorige', 'toestand_huidig'],
    groeperingen=[
        {'per': ['golf', 'toestand_vorige'], 'marge': {'toestand_huidig': "'totaal'"}},
        {'per': ['golf', 'toestand_huidig'], 'marge': {'toestand_vorige': "'totaal'"}},
    ],
    aantallen=['aantal_personen'],
) }}
select * from sdc_resultaat
"""


def _personen(rng: random.Random) -> list[dict[str, Any]]:
    """A small wave with skewed categories so that small cells, nested complements and zeros all occur."""
    n = rng.choice([3, 12, 25, 40, 80, 150])
    personen = []
    for _ in range(n):
        p: dict[str, Any] = {
            d: rng.choices(w, weights=[2**i for i in range(len(w), 0, -1)])[0] for d, w in DIMENSIES.items()
        }
        p["ingeschreven"] = rng.random() < rng.choice([0.5, 0.9, 0.97])
        p["werk"] = p["ingeschreven"] and rng.random() < rng.choice([0.1, 0.4, 0.95])
        p["vorige"] = rng.choices(TOESTANDEN, weights=[8, 4, 2, 1])[0]
        p["huidig"] = rng.choices(TOESTANDEN, weights=[1, 2, 4, 8])[0]
        personen.append(p)
    return personen


def _profieltelling(golf: str, personen: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    rijen = []
    groepen: list[tuple[str, str, list[dict[str, Any]]]] = [("totaal", "totaal", personen)]
    for dimensie, waarden in DIMENSIES.items():
        groepen += [(dimensie, w, [p for p in personen if p[dimensie] == w]) for w in waarden]
    for dimensie, waarde, leden in groepen:
        n, k, w = len(leden), sum(p["ingeschreven"] for p in leden), sum(p["werk"] for p in leden)
        rijen.append((golf, dimensie, waarde, n, k, w, round(100.0 * k / n, 1) if n else None))
    return rijen


def _overgangtelling(golf: str, personen: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    rijen = []
    for vorige in [*TOESTANDEN, "totaal"]:
        for huidig in [*TOESTANDEN, "totaal"]:
            n = sum(1 for p in personen if vorige in ("totaal", p["vorige"]) and huidig in ("totaal", p["huidig"]))
            rijen.append((golf, vorige, huidig, n))
    return rijen


def _project(tmp: Path, extra_vars: str = "") -> Path:
    project = tmp / "sdc_project"
    (project / "models").mkdir(parents=True)
    (project / "macros").symlink_to(REPO / "macros")
    (project / "dbt_project.yml").write_text(
        textwrap.dedent(f"""
        name: sdc_test
        version: "1.0"
        config-version: 2
        profile: sdc_test
        macro-paths: ["macros"]
        vars:
          golf: "2026-S1"
          peildatum: "2026-06-30"
          {extra_vars}
        models:
          sdc_test:
            +materialized: table
        """)
    )
    (project / "models" / "profiel_beschermd.sql").write_text(EEN_DIMENSIONAAL)
    (project / "models" / "overgang_beschermd.sql").write_text(TWEE_DIMENSIONAAL)
    (project / "profiles.yml").write_text(
        f"sdc_test:\n  target: t\n  outputs:\n    t:\n      type: duckdb\n"
        f"      path: '{project / 'sdc.duckdb'}'\n      threads: 1\n"
    )
    return project


def _vul(project: Path, aantal_golven: int, seed: int) -> None:
    rng = random.Random(seed)
    profiel, overgang = [], []
    for i in range(aantal_golven):
        personen = _personen(rng)
        profiel += _profieltelling(f"g{i:03d}", personen)
        overgang += _overgangtelling(f"g{i:03d}", personen)
    with duckdb.connect(str(project / "sdc.duckdb")) as con:
        con.execute(
            "create or replace table invoer_profiel (golf varchar, dimensie varchar, waarde varchar, "
            "aantal_nieuwkomers integer, aantal_ingeschreven integer, aantal_werk integer, "
            "percentage_ingeschreven double)"
        )
        con.executemany("insert into invoer_profiel values (?, ?, ?, ?, ?, ?, ?)", profiel)
        con.execute(
            "create or replace table invoer_overgang (golf varchar, toestand_vorige varchar, toestand_huidig varchar, "
            "aantal_personen integer)"
        )
        con.executemany("insert into invoer_overgang values (?, ?, ?, ?)", overgang)


def _dbt_run(project: Path) -> Any:
    return dbtRunner().invoke(
        [
            "run",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--log-path",
            str(project / "logs"),
            "--target-path",
            str(project / "target"),
            "--quiet",
        ]
    )


@pytest.fixture(scope="module")
def beschermd(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    project = _project(tmp_path_factory.mktemp("sdc"))
    _vul(project, aantal_golven=60, seed=20260630)
    result = _dbt_run(project)
    assert result.success, result.exception
    uit: dict[str, list[dict[str, Any]]] = {}
    with duckdb.connect(str(project / "sdc.duckdb")) as con:
        for tabel in ("invoer_profiel", "profiel_beschermd", "invoer_overgang", "overgang_beschermd"):
            cur = con.execute(f"select * from {tabel}")
            namen = [d[0] for d in cur.description]
            uit[tabel] = [dict(zip(namen, rij, strict=True)) for rij in cur.fetchall()]
    return uit


def _verborgen(rij: dict[str, Any], kolom: str) -> bool:
    return bool(rij[f"{kolom}_onderdrukt"])


def test_primary_suppression_hides_every_small_count_and_only_hides_to_null(beschermd: dict[str, Any]) -> None:
    echt = {(r["golf"], r["dimensie"], r["waarde"]): r for r in beschermd["invoer_profiel"]}
    assert len(beschermd["profiel_beschermd"]) == len(echt)
    for rij in beschermd["profiel_beschermd"]:
        bron = echt[(rij["golf"], rij["dimensie"], rij["waarde"])]
        for kolom in AANTALLEN:
            if 0 < bron[kolom] < DREMPEL:
                assert _verborgen(rij, kolom), (rij, kolom)
            if _verborgen(rij, kolom):
                assert rij[kolom] is None
            else:
                assert rij[kolom] == bron[kolom]
        for deel, geheel in DEEL_VAN.items():
            if 0 < bron[geheel] - bron[deel] < DREMPEL:
                assert _verborgen(rij, deel), ("complement", rij, deel)
            if _verborgen(rij, geheel):
                assert _verborgen(rij, deel), ("nested under a hidden whole", rij, deel)
        if _verborgen(rij, "aantal_ingeschreven") or _verborgen(rij, "aantal_nieuwkomers"):
            assert rij["percentage_ingeschreven"] is None
        else:
            assert rij["percentage_ingeschreven"] == bron["percentage_ingeschreven"]


def _aftrekaanval(rijen: list[dict[str, Any]], echt: dict[tuple[str, str, str], dict[str, Any]], verborgen: Any) -> int:
    """Published total minus published cells, per group and per count (and per complement): how many hidden cells
    does that give back exactly?"""
    teruggevonden = 0
    groepen: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    totaal = {}
    for r in rijen:
        if r["dimensie"] == "totaal":
            totaal[r["golf"]] = r
        else:
            groepen[(r["golf"], r["dimensie"])].append(r)
    kolommen: list[tuple[str, str | None]] = [(k, None) for k in AANTALLEN] + list(DEEL_VAN.items())
    for (golf, _), cellen in groepen.items():
        for deel, geheel in kolommen:

            def waarde(r: dict[str, Any], deel: str = deel, geheel: str | None = geheel) -> int | None:
                if verborgen(r, deel) or (geheel is not None and verborgen(r, geheel)):
                    return None
                return int(r[geheel]) - int(r[deel]) if geheel is not None else int(r[deel])

            marge = waarde(totaal[golf])
            onbekend = [r for r in cellen if waarde(r) is None]
            if marge is None or len(onbekend) != 1:
                continue
            afgeleid = marge - sum(waarde(r) or 0 for r in cellen if waarde(r) is not None)
            sleutel = (golf, onbekend[0]["dimensie"], onbekend[0]["waarde"])
            bron = echt[sleutel]
            werkelijk = bron[geheel] - bron[deel] if geheel else bron[deel]
            assert afgeleid == werkelijk  # the attack is sound: it really recovers the value
            teruggevonden += 1
    return teruggevonden


def test_no_suppressed_cell_is_recovered_by_subtracting_published_cells_from_the_published_total(
    beschermd: dict[str, Any],
) -> None:
    echt = {(r["golf"], r["dimensie"], r["waarde"]): r for r in beschermd["invoer_profiel"]}
    assert _aftrekaanval(beschermd["profiel_beschermd"], echt, _verborgen) == 0
    # The same attack against primary suppression alone does recover cells: the test can fail.
    alleen_primair = [
        {**r, **{f"{k}_onderdrukt": 0 < r[k] < DREMPEL for k in AANTALLEN}} for r in beschermd["invoer_profiel"]
    ]
    assert _aftrekaanval(alleen_primair, echt, _verborgen) > 0


def _uniek_bepaald(vergelijkingen: list[dict[Any, int]], onbekenden: list[Any]) -> list[Any]:
    """Which unknowns does the linear system (every published total and identity) pin down exactly?"""
    if not onbekenden:
        return []
    index = {o: i for i, o in enumerate(onbekenden)}
    a = np.array([[v.get(o, 0) for o in onbekenden] for v in vergelijkingen] or [[0] * len(onbekenden)], dtype=float)
    rang = np.linalg.matrix_rank(a)
    bepaald = []
    for o in onbekenden:
        e = np.zeros((1, len(onbekenden)))
        e[0, index[o]] = 1
        if np.linalg.matrix_rank(np.vstack([a, e])) == rang:
            bepaald.append(o)
    return bepaald


def _profielvergelijkingen(rijen: list[dict[str, Any]]) -> tuple[list[dict[Any, int]], list[Any]]:
    """Unknowns: every hidden count, and the complement (whole minus part) of a nested count when either is hidden.
    Equations: each group sums to its total row, each nested count plus its complement is its whole. Known values
    move to the right-hand side, which does not change which unknowns are determined, so only the coefficients of
    unknowns are kept."""
    onbekenden: set[Any] = set()

    def term(r: dict[str, Any], kolom: str) -> dict[Any, int]:
        if kolom.startswith("rest:"):
            verborgen = any(_verborgen(r, k) for k in kolom[5:].split(">"))
        else:
            verborgen = _verborgen(r, kolom)
        if not verborgen:
            return {}
        onbekenden.add((r["dimensie"], r["waarde"], kolom))
        return {(r["dimensie"], r["waarde"], kolom): 1}

    def min_(v: dict[Any, int], w: dict[Any, int]) -> dict[Any, int]:
        return {**v, **{o: v.get(o, 0) - c for o, c in w.items()}}

    vergelijkingen: list[dict[Any, int]] = []
    kolommen = AANTALLEN + [f"rest:{d}>{g}" for d, g in DEEL_VAN.items()]
    totaal = next(r for r in rijen if r["dimensie"] == "totaal")
    for dimensie in DIMENSIES:
        for kolom in kolommen:
            som: dict[Any, int] = {}
            for r in rijen:
                if r["dimensie"] == dimensie:
                    som.update(term(r, kolom))
            vergelijkingen.append(min_(som, term(totaal, kolom)))
    for r in rijen:
        for deel, geheel in DEEL_VAN.items():
            vergelijkingen.append(min_({**term(r, deel), **term(r, f"rest:{deel}>{geheel}")}, term(r, geheel)))
    return vergelijkingen, sorted(onbekenden)


def test_no_suppressed_count_is_determined_by_all_published_equations_together(beschermd: dict[str, Any]) -> None:
    per_golf: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in beschermd["profiel_beschermd"]:
        per_golf[r["golf"]].append(r)
    echt = {(r["golf"], r["dimensie"], r["waarde"]): r for r in beschermd["invoer_profiel"]}
    aantal_onbekend = 0
    for golf, rijen in per_golf.items():
        vergelijkingen, onbekenden = _profielvergelijkingen(rijen)
        aantal_onbekend += len(onbekenden)
        # A hidden cell whose true value is 0 may be pinned down (zeros are not sensitive); nothing else may.
        for dimensie, waarde, kolom in _uniek_bepaald(vergelijkingen, onbekenden):
            bron = echt[(golf, dimensie, waarde)]
            if kolom.startswith("rest:"):
                deel, geheel = kolom[5:].split(">")
                werkelijk = bron[geheel] - bron[deel]
            else:
                werkelijk = bron[kolom]
            assert not 0 < werkelijk < DREMPEL, (golf, dimensie, waarde, kolom, werkelijk)
    assert aantal_onbekend > 100  # the random tables really exercise suppression


def test_two_dimensional_table_no_hidden_cell_or_margin_is_determined(beschermd: dict[str, Any]) -> None:
    """Rows, columns and their margins (including the margins' own total) as one linear system: each line's inner
    cells minus its margin is zero. No line may have exactly one hidden member, and no hidden member that is truly
    between 1 and the threshold may be pinned down by all equations together."""
    per_golf: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in beschermd["overgang_beschermd"]:
        per_golf[r["golf"]].append(r)
    echt = {
        (r["golf"], r["toestand_vorige"], r["toestand_huidig"]): r["aantal_personen"]
        for r in beschermd["invoer_overgang"]
    }
    alle = [*TOESTANDEN, "totaal"]
    aantal_onbekend = 0
    for golf, rijen in per_golf.items():
        verborgen = {(r["toestand_vorige"], r["toestand_huidig"]) for r in rijen if _verborgen(r, "aantal_personen")}
        vergelijkingen = []
        for lijn in alle:
            for leden, marge in (
                ([(lijn, t) for t in TOESTANDEN], (lijn, "totaal")),
                ([(t, lijn) for t in TOESTANDEN], ("totaal", lijn)),
            ):
                onbekend = [c for c in [*leden, marge] if c in verborgen]
                assert len(onbekend) != 1, (golf, lijn, onbekend)
                vergelijking = {c: 1 for c in leden if c in verborgen}
                if marge in verborgen:
                    vergelijking[marge] = -1
                vergelijkingen.append(vergelijking)
        aantal_onbekend += len(verborgen)
        for vorige, huidig in _uniek_bepaald(vergelijkingen, sorted(verborgen)):
            assert not 0 < echt[(golf, vorige, huidig)] < DREMPEL, (golf, vorige, huidig)
    assert aantal_onbekend > 50


def test_unstable_pattern_fails_the_build_instead_of_publishing(tmp_path: Path) -> None:
    """With a single pass the nested and secondary rules cannot settle; the model must refuse to build."""
    project = _project(tmp_path, extra_vars="sdc_passes: 1")
    _vul(project, aantal_golven=20, seed=7)
    result = _dbt_run(project)
    assert not result.success
    with duckdb.connect(str(project / "sdc.duckdb")) as con:
        tabellen = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert "profiel_beschermd" not in tabellen
