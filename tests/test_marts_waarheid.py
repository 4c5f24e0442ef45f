"""End-to-end truth: the marts of the shared demo run against indicators recomputed here from the generator's truth.

The synthetic generator writes every newcomer as they really are (``sources/waarheid/personen.parquet``) and every
art. 7 defect it injected (``sources/waarheid/defecten.parquet``: file, line, column, kind). The tests compute the
indicators from those two files with plain DuckDB, by the definitions the marts document, never from a dbt model, and
require exact equality with the marts in ``agentschap/monitoring.duckdb``.

Where the pipeline legitimately sees less than the truth, the defect log says so and the truth is adjusted for it,
person by person, before comparing (table ``golfpersonen``):

* KBI row with an empty INSZ or one with a wrong check digit: the person cannot be requested, so is not in the wave.
* KBI row with an empty or impossible contract date: the person is outside the monitoring population.
* VDAB client row with an empty INSZ or a wrong check digit: VDAB cannot link the person, who stays "not known".
* KBI row that still carries the old bis number (``insz_verouderd``) while the replacement is dated after the wave's
  reference date: the agencies rightly ask for the bis number, but the VDAB extract is a later snapshot that knows only
  the current number. From the replacement's date on, the replacement table resolves it and VDAB links the person.
* Duplicate KBI rows are one person (the truth has one row per person already). Recoverable defects (INSZ in printed
  form, a label in another spelling, dates out of order) must change nothing, so the truth is not adjusted for them.

The true counts behind the marts (``telling_*``, the input of the cell key method) are compared exactly. A published
mart count is the true count plus the noise of the p-table, so it is compared within ``ckm_max_afwijking``; a withheld
one must have a true count under the threshold (or exactly the threshold, which the p-table may send to 0). The
data-quality mart's counts of extract rows are rounded to 5, with 1 … threshold - 1 withheld.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterator
from datetime import date
from typing import Any

import duckdb
import pytest
import yaml

from conftest import REPO
from demo_helpers import PERSONS, Demo
from pijler3.demo import WAVES

pytest_plugins = ["demo_fixtures"]
pytestmark = pytest.mark.slow

KBI = "kbi/personen.csv"
# The third pillar (the obligation to register with VDAB) applies to integration contracts from this date on.
BEGIN_DERDE_PIJLER = date(2022, 3, 1)
LABELVELDEN = (
    "leeftijdscategorie", "geslacht", "scholingsniveau", "oudste_nationaliteit", "doelgroep", "kbi_regio",
    "plo_besluit", "plo_reden_besluit", "ingeschat_taalleervermogen", "hoogst_behaald_niveau_nt2", "trajecttype",
    "toeleiding_diplomagelijkschakeling", "resultaat_diplomagelijkschakeling", "heeft_ocmw_leefloon",
    "verblijfsstatus",
)  # fmt: skip
DATUMVELDEN = ("datum_toeleiding_vdab", "datum_doelgroep", "datum_aanmelding", "datum_inburgeringscontract")


def peildatum(golf: str) -> date:
    """A wave's reference date: the last day of its half-year."""
    jaar = int(golf[:4])
    return date(jaar, 6, 30) if golf.endswith("-S1") else date(jaar, 12, 31)


def _golf_select(golf: str) -> str:
    """Every person the pipeline can see in a wave (contract from 1 March 2022 up to the reference date, usable KBI
    INSZ and contract date), with what the truth says about them as of the reference date."""
    peil = f"date '{peildatum(golf)}'"
    return f"""
        select
            '{golf}' as golf,
            {peil} as peildatum,
            personen.persoon_id,
            personen.datum_inburgeringscontract as contract,
            coalesce(case when not kbi_defect.regio_leeg then regio.code end, 'onbekend') as kbi_regio,
            coalesce(
                personen.datum_eerste_inschrijving <= {peil}
                and vdab_defect.klant_id is null
                and not (kbi_defect.oud_bisnummer and personen.datum_vervanging > {peil}),
                false
            ) as bereikt,
            personen.datum_eerste_inschrijving,
            case when personen.datum_uitstroom_werk <= {peil} then personen.datum_uitstroom_werk end as werk
        from personen
        inner join kbi_defect on personen.persoon_id = kbi_defect.persoon_id
        left join vdab_defect on personen.klant_id = vdab_defect.klant_id
        left join labels as regio on regio.kenmerk = 'kbi_regio' and regio.label = lower(personen.kbi_regio)
        where
            personen.datum_inburgeringscontract between date '{BEGIN_DERDE_PIJLER}' and {peil}
            and not kbi_defect.insz_onbruikbaar
            and not kbi_defect.contract_onbruikbaar
    """


@pytest.fixture(scope="module")
def waarheid(demo: Demo) -> Iterator[duckdb.DuckDBPyConnection]:
    """The truth, the defect log and the demo's monitoring database (schema ``monitoring``) in one connection."""
    bronnen = demo.out / "sources"
    con = duckdb.connect()
    con.execute(f"attach '{demo.out / 'agentschap' / 'monitoring.duckdb'}' as monitoring (read_only)")
    con.execute(f"create view personen as select * from read_parquet('{bronnen}/waarheid/personen.parquet')")
    con.execute(f"create view defecten as select * from read_parquet('{bronnen}/waarheid/defecten.parquet')")
    # the codebook, to name the truth's canonical labels by the codes the marts use
    con.execute(f"create view labels as select * from read_csv('{REPO}/seeds/kbi_labels.csv', all_varchar = true)")
    onbekend = con.execute(
        "select distinct personen.kbi_regio from personen left join labels on labels.kenmerk = 'kbi_regio'"
        " and labels.label = lower(personen.kbi_regio) where labels.code is null"
    ).fetchall()
    assert onbekend == [], f"regions of the truth that seeds/kbi_labels.csv does not know: {onbekend}"
    # The defect log numbers Parquet rows from 1 in file order; the extract says whose row that is.
    con.execute(f"""
        create table vdab_defect as
        select distinct rij.klant_id
        from read_parquet('{bronnen}/vdab/personen.parquet', file_row_number = true) as rij
        inner join defecten
            on defecten.bestand = 'vdab/personen.parquet' and defecten.regelnummer = rij.file_row_number + 1
        where defecten.kolom = 'insz' and defecten.defect in ('leeg', 'insz_checksum')
    """)
    # A duplicated KBI row is an exact copy right after its original: the first line carries all the person's defects.
    con.execute(f"""
        create table kbi_defect as
        select
            personen.persoon_id,
            count(*) filter (where kolom = 'insz' and defect in ('leeg', 'insz_checksum')) > 0 as insz_onbruikbaar,
            count(*) filter (
                where kolom = 'datum_inburgeringscontract' and defect in ('leeg', 'datum_onmogelijk')
            ) > 0 as contract_onbruikbaar,
            count(*) filter (where defect = 'insz_verouderd') > 0 as oud_bisnummer,
            count(*) filter (where kolom = 'kbi_regio' and defect = 'leeg') > 0 as regio_leeg
        from personen
        left join defecten on defecten.bestand = '{KBI}' and defecten.regelnummer = personen.kbi_regelnummer
        group by personen.persoon_id
    """)
    con.execute("create table golfpersonen as " + " union all ".join(_golf_select(golf) for golf in WAVES))
    yield con
    con.close()


@pytest.fixture(scope="module")
def drempel(demo: Demo) -> int:
    """The smallest count the agencies publish (disclosure control), as the demo configured it."""
    config = tomllib.loads((demo.out / "agentschap" / "agentschap.toml").read_text(encoding="utf-8"))
    return int(config["bi"]["threshold"])


MAX_AFWIJKING = int(yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]["ckm_max_afwijking"])


def _verstoord_klopt(gepubliceerd: int | None, waar: int, drempel: int) -> bool:
    """A published count is the true count plus bounded noise; a withheld one had a true count of at most the
    threshold (the p-table sends small counts, and rarely the threshold itself, to 0)."""
    if gepubliceerd is None:
        return waar <= drempel
    return gepubliceerd >= drempel and abs(gepubliceerd - waar) <= MAX_AFWIJKING


def _een(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> dict[str, Any]:
    result = con.execute(sql, list(params))
    kolommen = [d[0] for d in result.description]
    rijen = result.fetchall()
    assert len(rijen) == 1, f"expected one row, got {len(rijen)}: {sql}"
    return dict(zip(kolommen, rijen[0], strict=True))


def _alle(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> list[dict[str, Any]]:
    result = con.execute(sql, list(params))
    kolommen = [d[0] for d in result.description]
    return [dict(zip(kolommen, rij, strict=True)) for rij in result.fetchall()]


def _inschrijving_60(per: str = "'totaal'") -> str:
    """The 60-day indicator by the mart's definitions, per wave and per ``per``: the population is the wave's newcomers
    whose 60 days had passed on the reference date; registered within 60 days means a first registration no later
    than 60 days after the contract, a registration before the contract counting as 0 days."""
    return f"""
        select
            {per} as waarde,
            count(*) as aantal_nieuwkomers,
            count(*) filter (where bereikt) as aantal_ingeschreven,
            count(*) filter (where bereikt and datum_eerste_inschrijving <= contract + 60)
                as aantal_ingeschreven_binnen_60_dagen,
            percentile_cont(0.5) within group (
                order by case when bereikt then greatest(datum_eerste_inschrijving - contract, 0) end
            ) as mediaan_dagen_tot_inschrijving
        from golfpersonen
        where golf = ? and contract + 60 <= peildatum
        group by waarde
    """


@pytest.mark.parametrize("golf", WAVES)
def test_registration_within_60_days_matches_the_truth(waarheid: duckdb.DuckDBPyConnection, golf: str) -> None:
    waar = _een(waarheid, _inschrijving_60(), golf)
    telling = _een(
        waarheid,
        "select * from monitoring.telling_inschrijving_vdab where golf = ? and dimensie = 'totaal'",
        golf,
    )
    assert waar["aantal_nieuwkomers"] > PERSONS // 2, waar
    assert {k: telling[k] for k in waar} == waar


@pytest.mark.parametrize("golf", WAVES)
def test_registration_within_60_days_per_kbi_region_matches_the_truth(
    waarheid: duckdb.DuckDBPyConnection, golf: str, drempel: int
) -> None:
    waar = {r["waarde"]: r for r in _alle(waarheid, _inschrijving_60("kbi_regio"), golf)}

    def per_regio(relatie: str) -> dict[str, dict[str, Any]]:
        sql = f"select * from monitoring.{relatie} where golf = ? and dimensie = 'kbi_regio'"
        return {r["waarde"]: r for r in _alle(waarheid, sql, golf)}

    telling, mart = per_regio("telling_inschrijving_vdab"), per_regio("mart_inschrijving_vdab")
    assert set(telling) == set(mart) == set(waar)
    gepubliceerd = 0
    for regio, cel in mart.items():
        for kolom in ("aantal_nieuwkomers", "aantal_ingeschreven", "aantal_ingeschreven_binnen_60_dagen"):
            assert telling[regio][kolom] == waar[regio][kolom], (regio, kolom)
            assert cel[f"{kolom}_onderdrukt"] == (cel[kolom] is None), (regio, kolom, cel)
            assert _verstoord_klopt(cel[kolom], waar[regio][kolom], drempel), (regio, kolom, cel[kolom], waar[regio])
            gepubliceerd += cel[kolom] is not None
    # not vacuous, and the point of the cell key method: every region with 10 or more people is published (Stad Gent)
    assert mart["stad_gent"]["aantal_nieuwkomers"] is not None
    groot = sum(
        1 for regio in waar for kolom in waar[regio] if kolom.startswith("aantal_") and waar[regio][kolom] >= 10
    )
    assert gepubliceerd >= groot > len(mart), (gepubliceerd, groot)


@pytest.mark.parametrize("golf", WAVES)
def test_reach_matches_the_truth(waarheid: duckdb.DuckDBPyConnection, golf: str, drempel: int) -> None:
    """Reached by VDAB: every newcomer of the wave (no 60-day condition) registered at VDAB by the reference date;
    the data-quality mart reports the others as not linked."""
    waar = _een(
        waarheid,
        "select count(*) as aantal_nieuwkomers, count(*) filter (where bereikt) as aantal_bereikt"
        " from golfpersonen where golf = ?",
        golf,
    )
    bereik = _een(
        waarheid,
        "select * from monitoring.telling_evenredig_bereik where golf = ? and dimensie = 'totaal'",
        golf,
    )
    koppeling = _een(
        waarheid,
        "select * from monitoring.mart_datakwaliteit where golf = ? and bron = 'koppeling_vdab' and veld = 'insz'",
        golf,
    )
    assert {k: bereik[k] for k in waar} == waar
    # A client VDAB knows without any registration has no fact by the reference date either, so "linked" (known to
    # VDAB on the reference date) is "reached" here. The data-quality mart publishes these people by the cell key
    # method like every mart: the wave's newcomers have exactly the published value of mart_evenredig_bereik.
    gepubliceerd = _een(
        waarheid,
        "select * from monitoring.mart_evenredig_bereik where golf = ? and dimensie = 'totaal'",
        golf,
    )
    assert koppeling["aantal_rijen"] == gepubliceerd["aantal_nieuwkomers"] is not None
    niet_gekoppeld = waar["aantal_nieuwkomers"] - waar["aantal_bereikt"]
    assert _verstoord_klopt(koppeling["aantal_niet_gekoppeld"], niet_gekoppeld, drempel), (koppeling, niet_gekoppeld)


def _uitstroom(maanden: int) -> str:
    """Outflow to work by the mart's definitions: among the newcomers registered by the reference date whose first
    registration was at least ``maanden`` months old on it, those whose first work on or after that registration
    started within ``maanden`` months of it."""
    einde = f"datum_eerste_inschrijving + interval {maanden} month"
    return (
        f"count(*) filter (where bereikt and {einde} <= peildatum)"
        f" as aantal_ingeschreven_{maanden}_maanden_verstreken,"
        f" count(*) filter (where bereikt and {einde} <= peildatum and werk <= {einde})"
        f" as aantal_werk_binnen_{maanden}_maanden"
    )


@pytest.mark.parametrize("golf", WAVES)
def test_outflow_to_work_matches_the_truth(waarheid: duckdb.DuckDBPyConnection, golf: str) -> None:
    waar = _een(waarheid, f"select {_uitstroom(6)}, {_uitstroom(12)} from golfpersonen where golf = ?", golf)
    telling = _een(
        waarheid,
        "select * from monitoring.telling_uitstroom_werk where golf = ? and dimensie = 'totaal'",
        golf,
    )
    assert waar["aantal_werk_binnen_12_maanden"] > 0, waar
    assert {k: telling[k] for k in waar} == waar


@pytest.mark.parametrize("golf", WAVES)
def test_headline_figures_over_the_waves_match_the_truth(waarheid: duckdb.DuckDBPyConnection, golf: str) -> None:
    rij = _een(
        waarheid,
        f"""
        select
            count(*) filter (where bereikt) as bereikt,
            count(*) as nieuwkomers,
            count(*) filter (
                where contract + 60 <= peildatum and bereikt and datum_eerste_inschrijving <= contract + 60
            ) as binnen_60,
            count(*) filter (where contract + 60 <= peildatum) as na_60_dagen,
            {_uitstroom(6)},
            {_uitstroom(12)}
        from golfpersonen
        where golf = ?
        """,
        golf,
    )
    waar = {
        "bereikt door VDAB": (rij["bereikt"], rij["nieuwkomers"]),
        "ingeschreven binnen 60 dagen na het inburgeringscontract": (rij["binnen_60"], rij["na_60_dagen"]),
        **{
            f"uitstroom naar werk binnen {m} maanden": (
                rij[f"aantal_werk_binnen_{m}_maanden"],
                rij[f"aantal_ingeschreven_{m}_maanden_verstreken"],
            )
            for m in (6, 12)
        },
    }
    mart = {
        r["indicator"]: r
        for r in _alle(waarheid, "select * from monitoring.mart_evolutie_kerncijfers where golf = ?", golf)
    }
    assert set(mart) == set(waar)
    for indicator, (teller, noemer) in waar.items():
        rij = mart[indicator]
        assert abs(rij["aantal_teller"] - teller) <= MAX_AFWIJKING, (indicator, rij, teller)
        assert abs(rij["aantal_noemer"] - noemer) <= MAX_AFWIJKING, (indicator, rij, noemer)
        # the percentage comes from the perturbed counts: off by at most what the largest noise on both can do (at
        # the default demo's size, 5 000 newcomers, ckm_informatieverlies measures 0.1 percentage point at most)
        grens = max(
            abs(100 * (teller + a) / (noemer + b) - 100 * teller / noemer)
            for a in (-MAX_AFWIJKING, MAX_AFWIJKING)
            for b in (-MAX_AFWIJKING, MAX_AFWIJKING)
        )
        assert abs(rij["percentage"] - 100 * teller / noemer) <= grens + 0.05, (indicator, rij, teller, noemer)


def _afgerond(waarde: int, drempel: int = 5, basis: int = 5) -> int | None:
    """The data-quality mart's rule (macro afgerond_aantal): 0 stays 0, 1 … drempel - 1 withheld, the rest rounded to
    a multiple of ``basis`` (never to 0; halves away from zero, as DuckDB's round())."""
    if waarde == 0:
        return 0
    if waarde < drempel:
        return None
    return max(math.floor(waarde / basis + 0.5), 1) * basis


def test_data_quality_counts_every_defect_injected_into_the_kbi_extract(
    waarheid: duckdb.DuckDBPyConnection, drempel: int
) -> None:
    """Per KBI field: empty values are the truth's legitimately empty cells plus the injected ``leeg`` defects,
    invalid values are exactly the wrong check digits and impossible dates, duplicates exactly the copied rows
    with a usable INSZ. Recoverable defects (printed INSZ, another spelling) count as nothing. Dates out of order
    and outdated bis numbers are valid values, which this mart does not count (the definitions do not line up)."""
    con = waarheid
    # every line of the file and its person: the first line, and the copy right after it for a duplicated row
    con.execute(f"""
        create or replace temporary table kbi_regels as
        select persoon_id, kbi_regelnummer as regelnummer from personen
        union all
        select personen.persoon_id, defecten.regelnummer
        from personen
        inner join defecten
            on defecten.bestand = '{KBI}' and defecten.defect = 'dubbele_rij'
            and defecten.regelnummer = personen.kbi_regelnummer + 1
    """)

    def defecten(kolom: str, *soorten: str) -> int:
        lijst = ", ".join(f"'{s}'" for s in soorten)
        (aantal,) = con.execute(
            f"select count(*) from defecten where bestand = '{KBI}' and kolom = ? and defect in ({lijst})", [kolom]
        ).fetchone() or (0,)
        return int(aantal)

    def leeg_in_waarheid(kolom: str) -> int:
        (aantal,) = con.execute(
            f"select count(*) from kbi_regels inner join personen using (persoon_id) where personen.{kolom} is null"
        ).fetchone() or (0,)
        return int(aantal)

    (rijen,) = con.execute("select count(*) from kbi_regels").fetchone() or (0,)
    (dubbel,) = con.execute(f"""
        select count(*) from defecten as kopie
        where kopie.bestand = '{KBI}' and kopie.defect = 'dubbele_rij' and not exists (
            select 1 from defecten
            where defecten.bestand = '{KBI}' and defecten.regelnummer = kopie.regelnummer
            and defecten.kolom = 'insz' and defecten.defect in ('leeg', 'insz_checksum')
        )
    """).fetchone() or (0,)
    verwacht: dict[str, dict[str, int]] = {
        "insz": {
            "aantal_leeg": defecten("insz", "leeg"),
            "aantal_ongeldig": defecten("insz", "insz_checksum"),
            "aantal_dubbel": int(dubbel),
        },
        **{
            veld: {"aantal_leeg": leeg_in_waarheid(veld) + defecten(veld, "leeg"), "aantal_ongeldig": 0}
            for veld in LABELVELDEN
        },
        **{
            veld: {
                "aantal_leeg": leeg_in_waarheid(veld) + defecten(veld, "leeg"),
                "aantal_ongeldig": defecten(veld, "datum_onmogelijk"),
            }
            for veld in DATUMVELDEN
        },
    }
    # every kind of cell defect the generator put in the KBI file is part of this comparison
    (soorten,) = con.execute(
        f"select count(distinct defect) from defecten where bestand = '{KBI}' and defect in"
        " ('leeg', 'insz_checksum', 'datum_onmogelijk', 'dubbele_rij')"
    ).fetchone() or (0,)
    assert soorten == 4
    assert rijen > PERSONS

    gecontroleerd = 0
    for golf in WAVES:
        mart = {
            r["veld"]: r
            for r in _alle(
                con, "select * from monitoring.mart_datakwaliteit where golf = ? and bron = 'kbi_personen'", golf
            )
        }
        assert set(mart) == set(verwacht), golf
        for veld, tellingen in verwacht.items():
            cel = mart[veld]
            assert (cel["aantal_rijen"], cel["aantal_rijen_onderdrukt"]) == (_afgerond(rijen, drempel), False), veld
            for kolom, waarde in tellingen.items():
                verwacht_waarde = _afgerond(waarde, drempel)
                gevonden = (cel[kolom], cel[f"{kolom}_onderdrukt"])
                assert gevonden == (verwacht_waarde, verwacht_waarde is None), (golf, veld, kolom, waarde)
                gecontroleerd += verwacht_waarde is not None
    assert gecontroleerd > len(verwacht), gecontroleerd
