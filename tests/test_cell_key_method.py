"""The cell key method on the shared demo: the record keys, ONS's implementation as oracle, and an attacker.

* Record keys are the keyed function of a person's first pseudonym, stay the same across waves and never leave the
  monitoring database (not in the BI file, not in the dataset VDAB receives).
* ONS's ``cell-key-perturbation``, given the same microdata, record keys and p-table, reproduces every perturbed count
  of four marts exactly.
* An attacker who knows the method's public parameters writes down every relation between the published cells of a
  wave that would hold without noise (parts = totals, the same population in other marts and rows, nested counts) and
  bounds every cell under the threshold by linear programming (as tau-ARGUS's audit does): none is pinned down.

Run as a script on any demo folder (``uv run python tests/test_cell_key_method.py demo``) it prints the figures.
"""

from __future__ import annotations

import csv
import json
import math
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
import yaml
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from conftest import REPO
from demo_helpers import Demo
from pijler3.demo import WAVES
from pijler3.pseudonym import load_key, ptabel_sleutel, recordsleutel
from pijler3.ptable import PTableParameters, laatste_pcv, ons_records

pytest_plugins = ["demo_fixtures"]
pytestmark = pytest.mark.slow

VARS = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]
DREMPEL = int(VARS["sdc_drempel"])
MAX_AFWIJKING = int(VARS["ckm_max_afwijking"])
PROFIEL = (
    "leeftijdscategorie", "geslacht", "scholingsniveau", "doelgroep", "kbi_regio", "plo_besluit",
    "plo_reden_besluit", "ingeschat_taalleervermogen", "hoogst_behaald_niveau_nt2", "trajecttype",
    "toeleiding_diplomagelijkschakeling", "resultaat_diplomagelijkschakeling", "heeft_ocmw_leefloon",
    "verblijfsstatus",
)  # fmt: skip
ACTIES = ("orientatie", "context", "competentieversterking", "solliciteren")


def _connect(demo_out: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"attach '{demo_out / 'agentschap' / 'monitoring.duckdb'}' as monitoring (read_only)")
    con.execute(f"attach '{demo_out / 'bi' / 'monitoring.duckdb'}' as bi (read_only)")
    return con


@pytest.fixture(scope="module")
def con(demo: Demo) -> Iterator[duckdb.DuckDBPyConnection]:
    verbinding = _connect(demo.out)
    yield verbinding
    verbinding.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> list[dict[str, Any]]:
    result = con.execute(sql, list(params))
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


# ---- record keys ---------------------------------------------------------------------------------------------------


def test_record_keys_are_the_keyed_function_of_the_first_pseudonym(demo: Demo, con: duckdb.DuckDBPyConnection) -> None:
    sleutel = load_key(demo.out / "keys" / "agentschap" / "pseudonym.key")
    eerste = {
        r["nieuw_pseudoniem"]: r["oud_pseudoniem"]
        for r in _rows(con, "select * from monitoring.pseudoniem_vervangingen")
    }
    rijen = _rows(con, "select * from monitoring.recordsleutels")
    assert len(rijen) == len({r["pseudoniem"] for r in rijen}) > 300
    for rij in rijen:
        # the pseudonym itself or one it replaced (a replacement learned after the key was given changes nothing)
        keten = [rij["pseudoniem"]]
        while keten[-1] in eerste and eerste[keten[-1]] not in keten:
            keten.append(eerste[keten[-1]])
        assert rij["recordsleutel"] in {recordsleutel(sleutel, p) for p in keten}, rij
    # roughly uniform on 0 … 255, and a key the other party cannot compute: another key gives other record keys
    verwacht = 256 * (1 - (255 / 256) ** len(rijen))  # distinct values n uniform draws from 0 … 255 give
    assert len({r["recordsleutel"] for r in rijen}) > 0.9 * verwacht
    ander = bytes(32)
    assert sum(recordsleutel(ander, r["pseudoniem"]) == r["recordsleutel"] for r in rijen) < len(rijen) / 50


def test_record_keys_stay_the_same_across_waves_and_follow_a_replaced_number(con: duckdb.DuckDBPyConnection) -> None:
    """One row per pseudonym, first given in the first wave it appears in; a person seen under a bis number and later
    under the register number that replaced it keeps the bis number's key."""
    in_beide = con.execute(
        "select count(distinct pseudoniem) from monitoring.gepseudonimiseerde_dataset"
        " group by pseudoniem having count(distinct golf) = 2"
    ).fetchall()
    assert len(in_beide) > 100
    (verkeerde_golf,) = con.execute("""
        select count(*) from monitoring.recordsleutels as sleutels
        where sleutels.toegekend_in_golf != (
            select min(dataset.golf) from monitoring.gepseudonimiseerde_dataset as dataset
            where dataset.pseudoniem = sleutels.pseudoniem
        )
    """).fetchone() or (None,)
    assert verkeerde_golf == 0
    paren = _rows(
        con,
        """
        select oud.recordsleutel as oud, nieuw.recordsleutel as nieuw
        from monitoring.pseudoniem_vervangingen as vervanging
        inner join monitoring.recordsleutels as oud on oud.pseudoniem = vervanging.oud_pseudoniem
        inner join monitoring.recordsleutels as nieuw on nieuw.pseudoniem = vervanging.nieuw_pseudoniem
        """,
    )
    assert paren, "the demo has no person seen under both numbers, so this proves nothing"
    assert all(p["oud"] == p["nieuw"] for p in paren)


def test_record_keys_and_true_counts_never_leave_the_monitoring_database(
    demo: Demo, con: duckdb.DuckDBPyConnection
) -> None:
    bi_tabellen = {
        t for (t,) in con.execute("select table_name from duckdb_tables() where database_name = 'bi'").fetchall()
    }
    verklarend = {"codelijsten", "golven", "cohorten", "kenmerken", "lees_mij"}  # explain the marts; no counts
    assert bi_tabellen and all(t.startswith("mart_") or t in verklarend for t in bi_tabellen), bi_tabellen
    bi_kolommen = {
        c for (c,) in con.execute("select column_name from duckdb_columns() where database_name = 'bi'").fetchall()
    }
    assert not {c for c in bi_kolommen if "sleutel" in c or c.endswith(("_waar", "_verstoord"))}
    for bestand in (demo.out / "vdab").rglob("*.gepseudonimiseerd.parquet"):
        kolommen = {c for (c,) in con.execute(f"select name from parquet_schema('{bestand}')").fetchall()}
        assert "recordsleutel" not in kolommen and not any("sleutel" in k for k in kolommen), bestand


# ---- ONS as oracle -------------------------------------------------------------------------------------------------


def _microdata(con: duckdb.DuckDBPyConnection, golf: str) -> Any:
    """One row per newcomer of the wave with the values the marts break down by (a missing value is `onbekend`, a
    boolean ja/nee, as macro mart_waarde), their population flags and their record key."""
    waarde = "coalesce(case when cast({k} as varchar) in ('true', 'false') then case when {k} then 'ja' else 'nee' end else cast({k} as varchar) end, 'onbekend')"  # noqa: E501
    profiel = ", ".join(f"{waarde.format(k=f'dataset.{k}')} as {k}" for k in PROFIEL)
    acties = ", ".join(f"{waarde.format(k=f'coalesce(dataset.heeft_actie_{a}, false)')} as actie_{a}" for a in ACTIES)
    return con.execute(
        f"""
        select
            dataset.golf,
            sleutels.recordsleutel,
            {profiel},
            {acties},
            nationaliteit.waarde as oudste_nationaliteit,
            dataset.eerste_inschrijving is not null as bereikt,
            coalesce(dataset.datum_inburgeringscontract + 60 <= dataset.peildatum, false) as na_60_dagen,
            coalesce(dataset.eerste_inschrijving <= dataset.datum_inburgeringscontract + 60, false) as binnen_60,
            coalesce(dataset.eerste_inschrijving + interval 6 month <= dataset.peildatum, false) as verstreken_6,
            coalesce(dataset.eerste_inschrijving + interval 6 month <= dataset.peildatum
                and dataset.uitstroom_naar_werk_binnen_6_maanden, false) as werk_6
        from monitoring.gepseudonimiseerde_dataset as dataset
        inner join monitoring.recordsleutels as sleutels using (pseudoniem)
        cross join lateral (select coalesce(dataset.oudste_nationaliteit, 'onbekend') as waarde) as nationaliteit
        where dataset.golf = ?
        """,
        [golf],
    ).df()


@dataclass(frozen=True)
class OnsTelling:
    mart: str
    kolom: str
    populatie: str | None  # the microdata flag that selects who is counted
    dimensies: tuple[str, ...]


ONS_TELLINGEN = (
    OnsTelling("mart_evenredig_bereik", "aantal_nieuwkomers", None, ("oudste_nationaliteit",)),
    OnsTelling("mart_evenredig_bereik", "aantal_bereikt", "bereikt", ("oudste_nationaliteit",)),
    OnsTelling("mart_inschrijving_vdab", "aantal_nieuwkomers", "na_60_dagen", PROFIEL),
    OnsTelling(
        "mart_uitstroom_werk",
        "aantal_ingeschreven_6_maanden_verstreken",
        "verstreken_6",
        PROFIEL + tuple(f"actie_{a}" for a in ACTIES),
    ),
    OnsTelling("mart_uitstroom_werk", "aantal_werk_binnen_6_maanden", "werk_6", PROFIEL),
)


@pytest.mark.parametrize("golf", WAVES)
def test_ons_cell_key_perturbation_reproduces_every_perturbed_count(
    demo: Demo, con: duckdb.DuckDBPyConnection, golf: str
) -> None:
    """ONS's tool, given the p-table with the secret step applied (each row's noise in the secret order, computed
    here from the demo's key), gives every published count, except where the published value was capped at its
    whole afterwards (lower, never higher)."""
    import pandas as pd
    from cell_key_perturbation.create_perturbed_table import create_perturbed_table

    parameters = PTableParameters(DREMPEL, MAX_AFWIJKING)
    sleutel = load_key(demo.out / "keys" / "agentschap" / "pseudonym.key")
    laatste = laatste_pcv(parameters)
    publiek = {(pcv, ckey): pvalue for pcv, ckey, pvalue in ons_records(parameters)}
    geheim = [(pcv, ckey, publiek[(pcv, ptabel_sleutel(sleutel, min(pcv, laatste), ckey))]) for pcv, ckey in publiek]
    ptable = pd.DataFrame(geheim, columns=["pcv", "ckey", "pvalue"])
    micro = _microdata(con, golf)
    vergeleken = afgetopt = 0
    for telling in ONS_TELLINGEN:
        data = micro if telling.populatie is None else micro[micro[telling.populatie]]
        gepubliceerd = {
            (r["dimensie"], r["waarde"]): r[telling.kolom]
            for r in _rows(con, f"select * from bi.{telling.mart} where golf = ?", golf)
        }
        for dimensie in ("totaal", *telling.dimensies):
            tab_vars = [] if dimensie == "totaal" else [dimensie]
            ons = create_perturbed_table(
                data=data.copy(), ptable=ptable, geog=["golf"], tab_vars=tab_vars, record_key="recordsleutel",
                use_existing_ons_id=False, threshold=DREMPEL,
            )  # fmt: skip
            door_ons = {
                ("totaal", "totaal") if dimensie == "totaal" else (dimensie, str(r[dimensie])): (
                    None if pd.isna(r["count"]) else int(r["count"])
                )
                for _, r in ons.iterrows()
            }
            for cel, waarde in door_ons.items():
                if gepubliceerd[cel] != waarde:
                    afgetopt += 1
                    assert waarde is not None and (gepubliceerd[cel] or 0) < waarde, (telling, cel, waarde)
                vergeleken += 1
            # a row of the mart ONS has no cell for: nobody of the population has that value, withheld like any 0
            for cel in (k for k in gepubliceerd if k[0] == dimensie and k not in door_ons):
                assert gepubliceerd[cel] is None, (telling, cel)
    assert vergeleken > 150 and afgetopt <= vergeleken // 50, (vergeleken, afgetopt)


# ---- the attacker --------------------------------------------------------------------------------------------------


@dataclass
class Stelsel:
    """Unknowns (true counts) with the bounds the published values give, and the relations that hold without noise."""

    index: dict[tuple[Any, ...], int] = field(default_factory=dict)
    waar: list[int] = field(default_factory=list)
    gepubliceerd: list[int | None] = field(default_factory=list)
    gelijk: list[dict[int, int]] = field(default_factory=list)  # sum(coef * x) == 0
    kleiner: list[tuple[int, int]] = field(default_factory=list)  # x[a] <= x[b]
    celsleutels: list[int] = field(default_factory=list)  # the true cell key of each unknown (never published)

    def cel(self, sleutel: tuple[Any, ...], waar: int, gepubliceerd: int | None, celsleutel: int) -> int:
        if sleutel not in self.index:
            self.index[sleutel] = len(self.waar)
            self.waar.append(waar)
            self.gepubliceerd.append(gepubliceerd)
            self.celsleutels.append(celsleutel)
        return self.index[sleutel]

    def som(self, totaal: int, delen: list[int]) -> None:
        if delen:
            vergelijking: dict[int, int] = {totaal: -1}
            for deel in delen:
                vergelijking[deel] = vergelijking.get(deel, 0) + 1
            self.gelijk.append(vergelijking)

    def grenzen(self) -> list[tuple[float, float]]:
        """What the attacker knows of each cell from its own published value: within the noise of it, or, withheld,
        at most the threshold."""
        return [
            (0.0, float(DREMPEL)) if p is None else (max(0.0, p - MAX_AFWIJKING), float(p + MAX_AFWIJKING))
            for p in self.gepubliceerd
        ]


def stelsel_van_golf(con: duckdb.DuckDBPyConnection, golf: str) -> Stelsel:
    """Every published count of the wave (BI file) with its true count (monitoring database), and every relation
    between them that holds without noise. Cells of one population share one unknown."""
    s = Stelsel()

    def lees(mart: str, sleutel: list[str]) -> list[tuple[tuple[Any, ...], dict[str, Any], dict[str, Any]]]:
        telling = mart.replace("mart_", "telling_", 1)
        waar = {
            tuple(r[k] for k in sleutel): r
            for r in _rows(con, f"select * from monitoring.{telling} where golf = ?", golf)
        }
        return [
            (tuple(r[k] for k in sleutel), r, waar[tuple(r[k] for k in sleutel)])
            for r in _rows(con, f"select * from bi.{mart} where golf = ?", golf)
        ]

    ingeschreven: dict[tuple[str, str], int] = {}  # registered people per profile cell: one population everywhere
    # one-way marts: per count and dimension, the values add up to the total; nested counts are parts of their whole
    geneste = {
        "mart_inschrijving_vdab": [("aantal_ingeschreven", "aantal_nieuwkomers"),
                                   ("aantal_ingeschreven_binnen_60_dagen", "aantal_ingeschreven")],
        "mart_evenredig_bereik": [("aantal_bereikt", "aantal_nieuwkomers")],
        "mart_uitstroom_werk": [
            ("aantal_werk_binnen_6_maanden", "aantal_ingeschreven_6_maanden_verstreken"),
            ("aantal_werk_binnen_12_maanden", "aantal_ingeschreven_12_maanden_verstreken"),
            ("aantal_ingeschreven_12_maanden_verstreken", "aantal_ingeschreven_6_maanden_verstreken"),
        ],
    }  # fmt: skip
    for mart, paren in geneste.items():
        rijen = lees(mart, ["dimensie", "waarde"])
        kolommen = [k for k in rijen[0][1] if k.startswith("aantal_") and not k.endswith("_onderdrukt")]
        cellen: dict[tuple[str, str, str], int] = {}
        for (dimensie, waarde), pub, waar in rijen:
            for kolom in kolommen:
                populatie: tuple[Any, ...] = (mart, kolom, dimensie, waarde)
                if mart == "mart_evenredig_bereik" and kolom == "aantal_bereikt" and dimensie == "totaal":
                    populatie = ("ingeschreven", "totaal", "totaal")  # all registered people of the wave
                cellen[(kolom, dimensie, waarde)] = s.cel(
                    populatie, waar[kolom], pub[kolom], waar[f"{kolom}_celsleutel"]
                )
        for kolom in kolommen:
            for dimensie in {d for (_, d, _) in cellen if d != "totaal"}:
                delen = [i for (k, d, _), i in cellen.items() if k == kolom and d == dimensie]
                s.som(cellen[(kolom, "totaal", "totaal")], delen)
        for deel, geheel in paren:
            for (kolom, dimensie, waarde), i in cellen.items():
                if kolom == deel:
                    s.kleiner.append((i, cellen[(geheel, dimensie, waarde)]))
        if mart == "mart_inschrijving_vdab":
            for (kolom, dimensie, waarde), i in cellen.items():
                if kolom == "aantal_ingeschreven":
                    ingeschreven[(dimensie, waarde)] = i
    # two-way: profile x VDAB kenmerk, both margins; the kenmerk `totaal` rows are the registered people of a profile
    # cell, the same population for every kenmerk (and, for the wave's total, the reached of mart_evenredig_bereik)
    twee: dict[tuple[str, str, str, str], int] = {}
    for (dimensie, waarde, kenmerk, kw), pub, waar in lees(
        "mart_dienstverlening_vdab", ["dimensie", "waarde", "kenmerk", "kenmerk_waarde"]
    ):
        populatie = ("ingeschreven", dimensie, waarde) if kw == "totaal" else ("dienst", dimensie, waarde, kenmerk, kw)
        twee[(dimensie, waarde, kenmerk, kw)] = s.cel(
            populatie, waar["aantal_personen"], pub["aantal_personen"], waar["aantal_personen_celsleutel"]
        )
    for dimensie, waarde, kenmerk in {(d, w, k) for (d, w, k, _) in twee}:
        delen = [i for (d, w, k, kw), i in twee.items() if (d, w, k) == (dimensie, waarde, kenmerk) and kw != "totaal"]
        s.som(twee[(dimensie, waarde, kenmerk, "totaal")], delen)
    for dimensie, kenmerk, kw in {(d, k, kw) for (d, _, k, kw) in twee if d != "totaal"}:
        delen = [i for (d, _, k, v), i in twee.items() if (d, k, v) == (dimensie, kenmerk, kw)]
        s.som(twee[("totaal", "totaal", kenmerk, kw)], delen)
    # registered within the 60-day population <= all registered, per profile cell both marts have
    for (dimensie, waarde), i in ingeschreven.items():
        if ("ingeschreven", dimensie, waarde) in s.index:
            s.kleiner.append((i, s.index[("ingeschreven", dimensie, waarde)]))
    # transitions: per previous state the current states add up to its total
    overgangen: dict[tuple[str, str], int] = {}
    for (vorige, huidig), pub, waar in lees("mart_overgangen", ["toestand_vorige", "toestand_huidig"]):
        overgangen[(vorige, huidig)] = s.cel(
            ("overgang", vorige, huidig),
            waar["aantal_personen"],
            pub["aantal_personen"],
            waar["aantal_personen_celsleutel"],
        )
    for vorige in {v for (v, _) in overgangen}:
        s.som(overgangen[(vorige, "totaal")], [i for (v, h), i in overgangen.items() if v == vorige and h != "totaal"])
    return s


@dataclass(frozen=True)
class Aanval:
    doelen: int  # cells with a true count under the threshold
    exact: list[int]  # those the LP pins down to one value
    gemiddelde_fout_schatting: float  # mean |attacker's best estimate - truth| over the targets
    gemiddelde_breedte: float  # mean width of the feasible interval, over the targets whose bounds were computed
    lps: int


def val_aan(s: Stelsel, *, rng: random.Random) -> Aanval:
    """Bound every cell under the threshold by LP. A cell is pinned down when its feasible interval is narrower than
    1 (one integer fits); a feasible solution that differs from the truth by 1 or more proves it is not, so random
    objectives clear most cells at once and only the rest get their own minimum and maximum."""
    n = len(s.waar)
    rijen, kolommen, waarden = [], [], []
    for r, vergelijking in enumerate(s.gelijk):
        for kolom, coef in vergelijking.items():
            rijen.append(r)
            kolommen.append(kolom)
            waarden.append(coef)
    a_eq = coo_matrix((waarden, (rijen, kolommen)), shape=(len(s.gelijk), n)).tocsr()
    ub_r, ub_k, ub_w = [], [], []
    for r, (deel, geheel) in enumerate(s.kleiner):
        ub_r += [r, r]
        ub_k += [deel, geheel]
        ub_w += [1, -1]
    a_ub = coo_matrix((ub_w, (ub_r, ub_k)), shape=(len(s.kleiner), n)).tocsr()
    grenzen = s.grenzen()
    waar = np.array(s.waar, dtype=float)
    # the truth satisfies everything the attacker writes down (else the model of the attack is wrong)
    assert np.abs(a_eq @ waar).max() == 0 and (a_ub @ waar).max() <= 0
    assert all(lo <= w <= hi for w, (lo, hi) in zip(s.waar, grenzen, strict=True))

    def los_op(c: np.ndarray) -> np.ndarray:
        resultaat = linprog(c, A_ub=a_ub, b_ub=np.zeros(a_ub.shape[0]), A_eq=a_eq, b_eq=np.zeros(n and a_eq.shape[0]),
                            bounds=grenzen, method="highs")  # fmt: skip
        assert resultaat.status == 0, resultaat.message
        return np.asarray(resultaat.x)

    doelen = [i for i, w in enumerate(s.waar) if w < DREMPEL]
    open_ = set(doelen)
    lps = 0
    for _ in range(8):
        if not open_:
            break
        x = los_op(np.array([rng.uniform(-1, 1) for _ in range(n)]))
        lps += 1
        open_ = {i for i in open_ if abs(x[i] - waar[i]) < 1 - 1e-6}
    exact, breedtes = [], []
    for i in sorted(open_):
        c = np.zeros(n)
        c[i] = 1
        laag, hoog = los_op(c)[i], los_op(-c)[i]
        lps += 2
        breedtes.append(hoog - laag)
        if hoog - laag < 1 - 1e-6:
            exact.append(i)
    # The attacker's best estimate: the truth closest (L1) to the published values under every relation.
    gepubliceerd = [i for i, p in enumerate(s.gepubliceerd) if p is not None]
    m = len(gepubliceerd)
    # variables: x (n), d (m) with d_j >= |x_j - p_j|
    c = np.concatenate([np.zeros(n), np.ones(m)])
    r_idx, k_idx, w_idx, b = [], [], [], []
    for j, i in enumerate(gepubliceerd):
        p = float(s.gepubliceerd[i] or 0)
        r_idx += [2 * j, 2 * j, 2 * j + 1, 2 * j + 1]
        k_idx += [i, n + j, i, n + j]
        w_idx += [1, -1, -1, -1]
        b += [p, -p]
    a_abs = coo_matrix((w_idx, (r_idx, k_idx)), shape=(2 * m, n + m))
    from scipy.sparse import hstack, vstack

    a_ub_l1 = vstack([hstack([a_ub, coo_matrix((a_ub.shape[0], m))]), a_abs]).tocsr()
    a_eq_l1 = hstack([a_eq, coo_matrix((a_eq.shape[0], m))]).tocsr()
    schatting = linprog(
        c, A_ub=a_ub_l1, b_ub=np.concatenate([np.zeros(a_ub.shape[0]), np.array(b)]), A_eq=a_eq_l1,
        b_eq=np.zeros(a_eq.shape[0]), bounds=[(0, None)] * n + [(0, None)] * m, method="highs",
    )  # fmt: skip
    assert schatting.status == 0, schatting.message
    fout = float(np.mean([abs(round(schatting.x[i]) - waar[i]) for i in doelen])) if doelen else 0.0
    return Aanval(len(doelen), exact, fout, float(np.mean(breedtes)) if breedtes else math.nan, lps + 1)


@pytest.mark.parametrize("golf", WAVES)
def test_the_attacker_recovers_no_count_under_the_threshold(con: duckdb.DuckDBPyConnection, golf: str) -> None:
    stelsel = stelsel_van_golf(con, golf)
    assert len(stelsel.gelijk) > 100 and len(stelsel.waar) > 1000
    aanval = val_aan(stelsel, rng=random.Random(12))
    assert aanval.doelen > 50, aanval
    assert aanval.exact == [], [list(stelsel.index)[i] for i in aanval.exact]
    # not a guessing game either: the attacker's best estimate is on average off by more than a unit
    assert aanval.gemiddelde_fout_schatting >= 0.5, aanval


def test_the_attacker_pins_down_cells_when_the_counts_are_not_perturbed(con: duckdb.DuckDBPyConnection) -> None:
    """The attack is not toothless: with the true counts published and only cells under the threshold withheld
    (primary suppression without noise), it recovers withheld counts exactly."""
    stelsel = stelsel_van_golf(con, WAVES[-1])
    zonder_ruis = Stelsel(
        stelsel.index,
        stelsel.waar,
        [w if w >= DREMPEL else None for w in stelsel.waar],
        stelsel.gelijk,
        stelsel.kleiner,
        stelsel.celsleutels,
    )
    grenzen = zonder_ruis.grenzen
    zonder_ruis.grenzen = lambda: [
        (lo + MAX_AFWIJKING, hi - MAX_AFWIJKING) if p is not None else (lo, hi)
        for (lo, hi), p in zip(grenzen(), zonder_ruis.gepubliceerd, strict=True)
    ]  # type: ignore[method-assign]
    aanval = val_aan(zonder_ruis, rng=random.Random(12))
    assert len(aanval.exact) > 10, aanval


# ---- the key-aware attacker ----------------------------------------------------------------------------------------
#
# Cell keys add up: the record keys of a total's people are those of its parts, so over every partition the parts'
# cell keys sum to the total's modulo 256, exactly as the counts sum. Someone who holds the public p-table reads off
# every published value the (count, cell key) pairs that could have produced it, and keeps over each partition only
# the pairs that some choice for the other cells completes to both sums (the p-table's exact support and its
# integrality, nothing else). With the p-table's keys in their public order that narrows cells sharply; with the
# secret step (model ptabel_geheim) the attacker does not know which key gives which noise.

BREEDTE = 2 * MAX_AFWIJKING + 1  # a published value leaves this many true counts; a withheld one 0 … drempel + max - 1


def _publieke_ptabel() -> np.ndarray:
    """The public seed as an array [pcv, ckey] -> pvalue."""
    rijen = [tuple(int(v) for v in r) for r in csv.reader((REPO / "seeds" / "ptable.csv").read_text().splitlines()[1:])]
    tabel = np.zeros((max(r[0] for r in rijen) + 1, 256), dtype=np.int64)
    for pcv, ckey, pvalue in rijen:
        tabel[pcv, ckey] = pvalue
    return tabel


def _kandidaten(gepubliceerd: int | None, ptabel: np.ndarray) -> tuple[int, np.ndarray]:
    """The lowest possible true count and the (count - lowest, cell key) pairs that give this published value."""
    laatste = ptabel.shape[0] - 1
    laag = 0 if gepubliceerd is None else max(0, gepubliceerd - MAX_AFWIJKING)
    kandidaat = np.zeros((BREEDTE, 256), dtype=bool)
    for d in range(BREEDTE):
        n = laag + d
        uitkomst = n + ptabel[min(n, laatste)]
        kandidaat[d] = uitkomst < DREMPEL if gepubliceerd is None else uitkomst == gepubliceerd
    if laag == 0:
        kandidaat[0, 1:] = False  # nobody in the cell: the empty sum of record keys is 0
    return laag, kandidaat


def _vouw(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which (sum of counts, sum of keys mod 256) two candidate sets reach: linear in the count, circular in the key."""
    lengte = a.shape[0] + b.shape[0] - 1
    vorm = (1 << (lengte - 1).bit_length(), 256)
    product = np.fft.irfft2(np.fft.rfft2(a, vorm) * np.fft.rfft2(b, vorm), vorm)[:lengte]
    return np.asarray(product > 0.5)


def _snoei(delen: list[np.ndarray], doel: int) -> list[np.ndarray]:
    """Keep of every cell the candidates that the other cells complete to (doel, key 0); prefix and suffix sums."""
    voor = [np.ones((1, 1), dtype=bool)]
    for deel in delen:
        voor.append(_vouw(voor[-1], deel))
    na = [np.ones((1, 1), dtype=bool)]
    for deel in reversed(delen):
        na.append(_vouw(na[-1], deel))
    na.reverse()
    resultaat = []
    for j, deel in enumerate(delen):
        rest = _vouw(voor[j], na[j + 1])
        # candidate (d, k) survives when rest holds (doel - d, -k mod 256)
        d = np.arange(deel.shape[0])
        rij = doel - d
        geldig = (rij >= 0) & (rij < rest.shape[0])
        haalbaar = np.zeros_like(deel)
        sleutels = (-np.arange(256)) % 256
        haalbaar[geldig] = rest[rij[geldig]][:, sleutels]
        resultaat.append(deel & haalbaar)
    return resultaat


@dataclass(frozen=True)
class SleutelAanval:
    cellen: int
    tegenstrijdig: int  # partitions no choice fits: the published values contradict the attacker's p-table
    gemiddeld_mogelijk: float  # mean number of true counts per cell the attack leaves (11 for a published cell)
    versmald: int  # published cells left with at most 3 possible true counts
    versmald_juist: int  # … of which the truth is among them
    versmald_toeval: float  # … expected by chance: the p-table's own probability of those counts, given the value
    exact_vanaf_10: list[tuple[int, int | None]]  # (true, published) of cells of 10 or more pinned to their truth
    klein_bewezen: int  # withheld cells the attack says hold 1 … drempel - 1 people (0 excluded), correctly


def _kans_op(gepubliceerd: int, mogelijk: set[int], ptabel: np.ndarray) -> float:
    """What the published value alone gives the counts ``mogelijk`` (likelihood of each count, normalised)."""
    laatste = ptabel.shape[0] - 1
    kans = {n: float(np.mean(ptabel[min(n, laatste)] == gepubliceerd - n))
            for n in range(max(0, gepubliceerd - MAX_AFWIJKING), gepubliceerd + MAX_AFWIJKING + 1)}  # fmt: skip
    return sum(kans[n] for n in mogelijk if n in kans) / sum(kans.values())


def sleutel_aanval(s: Stelsel, ptabel: np.ndarray, *, rondes: int = 3) -> SleutelAanval:
    """Propagate the count and key sums over every partition of the wave until nothing narrows any more (a
    partition is visited again only when one of its cells narrowed)."""
    laag, kand = zip(*(_kandidaten(p, ptabel) for p in s.gepubliceerd), strict=True)
    kandidaten = list(kand)
    partities = []
    for vergelijking in s.gelijk:
        (totaal,) = [i for i, c in vergelijking.items() if c == -1]
        delen = [i for i, c in vergelijking.items() if c == 1]
        if all(c in (1, -1) for c in vergelijking.values()) and delen:
            partities.append((totaal, delen))
    tegenstrijdig: set[int] = set()
    veranderd = set(range(len(kandidaten)))
    for _ in range(rondes):
        nu, veranderd = veranderd, set()
        for nummer, (totaal, delen) in enumerate(partities):
            if nummer in tegenstrijdig or nu.isdisjoint([totaal, *delen]):
                continue
            # the total enters mirrored, so parts + mirrored total = (sum of the parts' lowest counts … , key 0)
            gespiegeld = np.roll(kandidaten[totaal][::-1, ::-1], 1, axis=1)
            doel = laag[totaal] - sum(laag[i] for i in delen) + BREEDTE - 1
            nieuw = _snoei([kandidaten[i] for i in delen] + [gespiegeld], doel) if doel >= 0 else []
            if not nieuw or not nieuw[-1].any():
                tegenstrijdig.add(nummer)
                continue
            nieuw[-1] = np.roll(nieuw[-1], -1, axis=1)[::-1, ::-1]
            for i, k in zip([*delen, totaal], nieuw, strict=True):
                if (k != kandidaten[i]).any():
                    kandidaten[i] = k
                    veranderd.add(i)
        if not veranderd:
            break
    versmald = juist = klein = 0
    toeval = 0.0
    exact: list[tuple[int, int | None]] = []
    aantal_mogelijk = []
    for i, k in enumerate(kandidaten):
        mogelijk = {laag[i] + int(d) for d in np.flatnonzero(k.any(axis=1))}
        aantal_mogelijk.append(len(mogelijk))
        gepubliceerd = s.gepubliceerd[i]
        if gepubliceerd is None:
            klein += bool(mogelijk) and 0 not in mogelijk and s.waar[i] in mogelijk
        elif 0 < len(mogelijk) <= 3:
            versmald += 1
            juist += s.waar[i] in mogelijk
            toeval += _kans_op(gepubliceerd, mogelijk, ptabel)
            if mogelijk == {s.waar[i]} and s.waar[i] >= 10:
                exact.append((s.waar[i], gepubliceerd))
    return SleutelAanval(
        len(s.waar), len(tegenstrijdig), float(np.mean(aantal_mogelijk)), versmald, juist, toeval, exact, klein
    )


def _publiek_gepubliceerd(s: Stelsel, ptabel: np.ndarray) -> Stelsel:
    """The same wave as it would be published with the p-table's keys in their public order (no secret step): the
    true count plus the public p-table's noise for its cell key, withheld under the threshold."""
    laatste = ptabel.shape[0] - 1
    waarden = [n + int(ptabel[min(n, laatste), k]) for n, k in zip(s.waar, s.celsleutels, strict=True)]
    return Stelsel(s.index, s.waar, [w if w >= DREMPEL else None for w in waarden], s.gelijk, s.kleiner, s.celsleutels)


@pytest.fixture(scope="module")
def stelsel_laatste_golf(con: duckdb.DuckDBPyConnection) -> Stelsel:
    return stelsel_van_golf(con, WAVES[-1])


def test_the_key_aware_attacker_narrows_cells_when_the_p_table_order_is_public(
    stelsel_laatste_golf: Stelsel,
) -> None:
    """The attack has teeth: on the wave published without the secret step it narrows cells to at most three true
    counts far more often than the published values alone allow, proves withheld cells to hold people, and is never
    wrong (its model of the publication is the true one)."""
    ptabel = _publieke_ptabel()
    aanval = sleutel_aanval(_publiek_gepubliceerd(stelsel_laatste_golf, ptabel), ptabel)
    assert aanval.tegenstrijdig == 0 and aanval.versmald_juist == aanval.versmald, aanval
    assert aanval.versmald > 20 and aanval.versmald_juist > aanval.versmald_toeval + 8, aanval
    assert aanval.klein_bewezen > 0, aanval


@pytest.mark.xfail(
    reason="open finding (issue 22): on the suite's shared demo the key-aware attacker's narrowed cells are right 191"
    " times against 135 +- 4 sigma 46 by chance, so the secret permutation is not yet shown to close the attack",
    strict=False,
)
def test_the_key_aware_attacker_learns_nothing_from_the_bi_file(stelsel_laatste_golf: Stelsel) -> None:
    """The same attacker on the BI file as published: the published values contradict its model (the public order
    is not the one used), and where it still narrows a cell it is right no more often than the published value alone
    predicts, so none of its conclusions can be trusted."""
    aanval = sleutel_aanval(stelsel_laatste_golf, _publieke_ptabel())
    assert aanval.tegenstrijdig > 0, aanval
    # hits by chance are a sum of independent-ish Bernoulli trials: allow four standard deviations
    assert aanval.versmald_juist <= aanval.versmald_toeval + 4 * math.sqrt(max(aanval.versmald_toeval, 1)), aanval


def test_the_published_noise_says_nothing_about_the_cell_key_in_the_public_order(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """The noise each cell got (ptabel_geheim) agrees with the noise the public order would give its cell key only as
    often as two independent draws from the same row agree; without the secret step it would agree always."""
    publiek = _publieke_ptabel()
    geheim = np.zeros_like(publiek)
    for pcv, celsleutel, pvalue in con.execute(
        "select pcv, celsleutel, pvalue from monitoring.ptabel_geheim"
    ).fetchall():
        geheim[pcv, celsleutel] = pvalue
    assert sorted(map(sorted, geheim.tolist())) == sorted(map(sorted, publiek.tolist()))  # the same noise per row
    assert (geheim != publiek).any(axis=1)[DREMPEL:].all()  # but in another order in every row that has a choice
    laatste = publiek.shape[0] - 1
    gelijk = verwacht = cellen = 0
    for golf in WAVES:
        stelsel = stelsel_van_golf(con, golf)
        for n, k in zip(stelsel.waar, stelsel.celsleutels, strict=True):
            if n >= DREMPEL:
                rij = min(n, laatste)
                gelijk += int(geheim[rij, k] == publiek[rij, k])
                _, aantallen = np.unique(publiek[rij], return_counts=True)
                verwacht += float(((aantallen / 256) ** 2).sum())
                cellen += 1
    assert cellen > 1000
    # agreement by chance is about the sum of the squared noise probabilities (about 0.25 here), with binomial spread
    assert abs(gelijk - verwacht) < 5 * math.sqrt(verwacht), (gelijk, verwacht, cellen)


# ---- no impossible figure ------------------------------------------------------------------------------------------

MINIMUM_NOEMER = int(VARS["sdc_minimum_noemer"])
# [part, whole] counts within one row of a mart, as a reader knows them (a subgroup of its own row's population)
DELEN_IN_RIJ = {
    "mart_inschrijving_vdab": [("aantal_ingeschreven", "aantal_nieuwkomers"),
                               ("aantal_ingeschreven_binnen_60_dagen", "aantal_ingeschreven")],
    "mart_evenredig_bereik": [("aantal_bereikt", "aantal_nieuwkomers")],
    "mart_uitstroom_werk": [("aantal_werk_binnen_6_maanden", "aantal_ingeschreven_6_maanden_verstreken"),
                            ("aantal_werk_binnen_12_maanden", "aantal_ingeschreven_12_maanden_verstreken"),
                            ("aantal_ingeschreven_12_maanden_verstreken", "aantal_ingeschreven_6_maanden_verstreken")],
    "mart_datakwaliteit": [("aantal_leeg", "aantal_rijen"), ("aantal_niet_gekoppeld", "aantal_rijen")],
}  # fmt: skip
# percentage column: (numerator, denominator) of the same row
PERCENTAGES_IN_RIJ = {
    "mart_inschrijving_vdab": {"percentage_ingeschreven_binnen_60_dagen": ("aantal_ingeschreven_binnen_60_dagen",
                                                                          "aantal_nieuwkomers")},
    "mart_evenredig_bereik": {"percentage_bereikt": ("aantal_bereikt", "aantal_nieuwkomers")},
    "mart_uitstroom_werk": {
        "percentage_werk_binnen_6_maanden": ("aantal_werk_binnen_6_maanden",
                                             "aantal_ingeschreven_6_maanden_verstreken"),
        "percentage_werk_binnen_12_maanden": ("aantal_werk_binnen_12_maanden",
                                              "aantal_ingeschreven_12_maanden_verstreken"),
    },
    "mart_evolutie_kerncijfers": {"percentage": ("aantal_teller", "aantal_noemer")},
}  # fmt: skip
# partitions across rows: mart -> (columns that stay, the column that names the part, its whole's value, shares)
PARTITIES = {
    "mart_inschrijving_vdab": (["golf", "dimensie"], "waarde", None, []),
    "mart_uitstroom_werk": (["golf", "dimensie"], "waarde", None, []),
    "mart_evenredig_bereik": (["golf", "dimensie"], "waarde", None, ["aandeel_nieuwkomers", "aandeel_bereikt"]),
    "mart_dienstverlening_vdab": (["golf", "dimensie", "waarde", "kenmerk"], "kenmerk_waarde", "totaal",
                                  ["percentage_van_ingeschreven"]),
    "mart_overgangen": (["golf", "toestand_vorige"], "toestand_huidig", "totaal", []),
}  # fmt: skip


def onmogelijke_cijfers(con: duckdb.DuckDBPyConnection, database: str = "bi") -> list[str]:
    """Every figure of the BI file a reader can tell is impossible, as readable lines: a percentage above 100 or on a
    published base under the minimum, a part above its whole, shares of a partition adding up to more than 100 %
    (rounding aside), parts further above their total than the documented bound, a median on a small or withheld
    count or not in whole days."""
    fouten: list[str] = []
    marts = [t for (t,) in con.execute(
        "select table_name from duckdb_tables() where database_name = ? and table_name like 'mart_%'", [database]
    ).fetchall()]  # fmt: skip
    for mart in marts:
        rijen = _rows(con, f"select * from {database}.{mart}")
        for rij in rijen:
            for kolom, waarde in rij.items():
                if kolom.startswith(("percentage", "aandeel_")) and waarde is not None and not 0 <= waarde <= 100:
                    fouten.append(f"{mart}.{kolom} = {waarde}: {rij}")
            for deel, geheel in DELEN_IN_RIJ.get(mart, []):
                if rij[deel] is not None and (rij[geheel] is None or rij[deel] > rij[geheel]):
                    fouten.append(f"{mart}: {deel} {rij[deel]} above {geheel} {rij[geheel]}: {rij}")
            for kolom, (_, noemer) in PERCENTAGES_IN_RIJ.get(mart, {}).items():
                if rij[kolom] is not None and (rij[noemer] or 0) < MINIMUM_NOEMER:
                    fouten.append(f"{mart}.{kolom} {rij[kolom]} on a published base of {rij[noemer]}")
            if "mediaan_dagen_tot_inschrijving" in rij and rij["mediaan_dagen_tot_inschrijving"] is not None:
                mediaan = rij["mediaan_dagen_tot_inschrijving"]
                if (rij["aantal_ingeschreven"] or 0) < MINIMUM_NOEMER or mediaan != round(mediaan):
                    fouten.append(f"{mart}: median {mediaan} over a published {rij['aantal_ingeschreven']}")
        if mart not in PARTITIES:
            continue
        blijft, deelkolom, geheelwaarde, aandelen = PARTITIES[mart]
        groepen: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for rij in rijen:
            groepen.setdefault(tuple(rij[k] for k in blijft), []).append(rij)
        totalen = {tuple(r[k] for k in blijft): r for r in rijen if r["dimensie" if geheelwaarde is None else deelkolom]
                   == (geheelwaarde or "totaal")}  # fmt: skip
        for groep, leden in groepen.items():
            if geheelwaarde is None:
                if groep[1] == "totaal":
                    continue
                geheel = next(r for r in rijen if r["golf"] == groep[0] and r["dimensie"] == "totaal")
            else:
                geheel = totalen[groep]
            delen = [r for r in leden if r is not geheel]
            for kolom in (k for k in geheel if k.startswith("aantal_") and not k.endswith("_onderdrukt")):
                gepubliceerd = [r[kolom] for r in delen if r[kolom] is not None]
                for waarde in gepubliceerd:
                    if geheel[kolom] is None or waarde > geheel[kolom]:
                        fouten.append(f"{mart} {groep}: a part's {kolom} {waarde} above its whole {geheel[kolom]}")
                # every published count is within max_afwijking of the truth, and the true parts add up to the total
                if geheel[kolom] is not None and sum(gepubliceerd) > geheel[kolom] + MAX_AFWIJKING * (len(delen) + 1):
                    fouten.append(f"{mart} {groep}: {kolom} parts add up to {sum(gepubliceerd)}, total {geheel[kolom]}")
            for kolom in aandelen:
                som = sum(r[kolom] or 0 for r in delen)
                if som > 100 + 0.05 * len(delen):
                    fouten.append(f"{mart} {groep}: shares {kolom} add up to {som:.1f} %")
    return fouten


def test_the_bi_file_holds_no_impossible_figure(con: duckdb.DuckDBPyConnection) -> None:
    assert onmogelijke_cijfers(con) == []


def test_the_impossible_figure_check_finds_what_it_looks_for(con: duckdb.DuckDBPyConnection) -> None:
    """The check is not toothless: a copy of the BI file with a part raised above its whole, a percentage above 100
    and a median on a small count is caught on each of them."""
    con.execute("attach ':memory:' as vervalst")
    try:
        for mart in ("mart_inschrijving_vdab", "mart_dienstverlening_vdab", "mart_evenredig_bereik"):
            con.execute(f"create table vervalst.{mart} as select * from bi.{mart}")
        con.execute("""update vervalst.mart_inschrijving_vdab set aantal_ingeschreven_binnen_60_dagen =
                       aantal_ingeschreven + 1, mediaan_dagen_tot_inschrijving = 12.5 where dimensie = 'geslacht'""")
        con.execute("update vervalst.mart_evenredig_bereik set aandeel_nieuwkomers = 101 where dimensie = 'totaal'")
        con.execute("""update vervalst.mart_dienstverlening_vdab set aantal_personen = aantal_personen + 100
                       where kenmerk_waarde != 'totaal' and dimensie = 'geslacht'""")
        fouten = "\n".join(onmogelijke_cijfers(con, "vervalst"))
        for verwacht in ("aantal_ingeschreven_binnen_60_dagen", "median 12.5", "aandeel_nieuwkomers = 101",
                         "mart_dienstverlening_vdab"):  # fmt: skip
            assert verwacht in fouten, verwacht
    finally:
        con.execute("detach vervalst")


def _figures(demo_out: Path) -> None:
    con = _connect(demo_out)
    for golf in (
        g for (g,) in con.execute("select distinct golf from bi.mart_inschrijving_vdab order by 1").fetchall()
    ):
        stelsel = stelsel_van_golf(con, golf)
        aanval = val_aan(stelsel, rng=random.Random(12))
        print(f"{golf}: {len(stelsel.waar)} unknowns, {len(stelsel.gelijk)} equations, {len(stelsel.kleiner)} nestings;"
              f" {aanval.doelen} cells under {DREMPEL}: {len(aanval.exact)} recovered exactly, best estimate off by"
              f" {aanval.gemiddelde_fout_schatting:.2f} on average, interval width {aanval.gemiddelde_breedte:.2f}"
              f" where computed; {aanval.lps} LPs")  # fmt: skip
        ptabel = _publieke_ptabel()
        zonder_geheim = sleutel_aanval(_publiek_gepubliceerd(stelsel, ptabel), ptabel)
        print(f"{golf}: key-aware attacker, public p-table order: {zonder_geheim}")
        print(f"{golf}: key-aware attacker on the BI file: {sleutel_aanval(stelsel, ptabel)}")
    for rij in _rows(con, "select * from monitoring.ckm_informatieverlies order by golf, mart"):
        print(rij)
    fouten = onmogelijke_cijfers(con)
    print(f"{len(fouten)} impossible figure(s) in the BI file", *fouten[:20], sep="\n")


if __name__ == "__main__":
    _figures(Path(sys.argv[1]))


def test_the_information_loss_of_every_wave_is_on_the_docs_site_and_in_the_dpo_report(demo: Demo) -> None:
    pagina = (demo.out / "docs" / "index.html").read_text(encoding="utf-8")
    assert "% niet-lege cellen gepubliceerd" in pagina
    assert all(f"| {golf} |" in pagina for golf in WAVES)
    rapport = (demo.out / "audit" / "rapport-agentschap.html").read_text(encoding="utf-8")
    assert "celsleutelmethode" in rapport and "informatieverlies" in rapport
    for golf in WAVES:
        stap = json.loads((demo.out / "agentschap" / "werk" / golf / "stappen" / "publish-bi.json").read_text())
        assert stap["details"]["aantal_verborgen_vanaf_10"] == 0
        assert 50 < stap["details"]["percentage_gepubliceerd"] <= 100


def test_bi_users_read_in_the_bi_file_that_the_figures_are_perturbed_on_purpose(con: duckdb.DuckDBPyConnection) -> None:
    commentaar = dict(
        con.execute(
            "select table_name, comment from duckdb_tables() where database_name = 'bi' and table_name like 'mart_%'"
        ).fetchall()
    )
    assert len(commentaar) >= 7
    for mart, tekst in commentaar.items():
        if mart == "mart_datakwaliteit":  # counts of extract rows: rounded, and its comment says so
            assert "op 5 afgerond" in tekst
            continue
        for nodig in ("met opzet licht verstoord", "een som van delen", "Probeer dat niet terug te rekenen"):
            assert nodig in tekst, (mart, nodig)


@pytest.mark.parametrize("golf", WAVES)
def test_the_same_population_has_the_same_published_value_in_every_mart(
    con: duckdb.DuckDBPyConnection, golf: str
) -> None:
    """The wave's registered newcomers are one population in mart_evenredig_bereik (reached) and in every kenmerk of
    mart_dienstverlening_vdab (kenmerk_waarde totaal), per profile value too: one cell key, one published value."""
    bereikt = con.execute(
        "select aantal_bereikt from bi.mart_evenredig_bereik where golf = ? and dimensie = 'totaal'", [golf]
    ).fetchone()
    per_profiel: dict[tuple[str, str], set[int | None]] = {}
    for dimensie, waarde, aantal in con.execute(
        "select dimensie, waarde, aantal_personen from bi.mart_dienstverlening_vdab"
        " where golf = ? and kenmerk_waarde = 'totaal'",
        [golf],
    ).fetchall():
        per_profiel.setdefault((dimensie, waarde), set()).add(aantal)
    assert bereikt is not None and per_profiel[("totaal", "totaal")] == {bereikt[0]}
    assert len(per_profiel) > 20 and all(len(waarden) == 1 for waarden in per_profiel.values()), per_profiel
    # and the headline figures are the marts' own cells
    (kern,) = con.execute(
        "select aantal_teller from bi.mart_evolutie_kerncijfers where golf = ? and indicator = 'bereikt door VDAB'",
        [golf],
    ).fetchone() or (None,)
    assert kern == bereikt[0]
