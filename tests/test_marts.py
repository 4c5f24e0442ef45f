"""The BI marts, built by real dbt on real DuckDB in a throwaway project.

The project copies the repository's `models/tellingen/`, `models/marts/` and `models/informatieverlies/`, links
`macros/`, takes the p-table seed and puts small stand-ins in place of the upstream models (the pseudonymised dataset,
the record keys, the wave history, KBI staging) with the columns those models' contracts declare. `dbt build` then
runs the models' own `unit_tests:` and data tests, and the tests below check the built tables against truth computed
here in Python from the same synthetic persons: the true counts exactly, the published ones within the noise.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from conftest import REPO
from pijler3.bi import LEES_MIJ, marts_from_manifest, publish
from pijler3.pseudonym import ptabel_sleutel
from test_bi import OldReader, old_python  # noqa: F401 - session fixture shared with the BI tests

GOLVEN = {"2025-S2": date(2025, 12, 31), "2026-S1": date(2026, 6, 30)}
# datakwaliteit: the data-quality facts mart_datakwaliteit reads (built from the KBI staging stub here)
MART_MAPPEN = ("tellingen", "datakwaliteit", "marts", "informatieverlies")
ECHTE_VARS = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]
DREMPEL = int(ECHTE_VARS["sdc_drempel"])
MAX_AFWIJKING = int(ECHTE_VARS["ckm_max_afwijking"])
MINIMUM = int(ECHTE_VARS["sdc_minimum_noemer"])
ACTIETYPEN = ["orientatie", "context", "competentieversterking", "solliciteren"]

DATASET_KOLOMMEN = {
    "pseudoniem": "varchar",
    "golf": "varchar",
    "peildatum": "date",
    "leeftijdscategorie": "varchar",
    "geslacht": "varchar",
    "scholingsniveau": "varchar",
    "oudste_nationaliteit": "varchar",
    "datum_toeleiding_vdab": "date",
    "doelgroep": "varchar",
    "datum_doelgroep": "date",
    "datum_aanmelding": "date",
    "datum_inburgeringscontract": "date",
    "kbi_regio": "varchar",
    "plo_besluit": "varchar",
    "plo_reden_besluit": "varchar",
    "ingeschat_taalleervermogen": "varchar",
    "hoogst_behaald_niveau_nt2": "varchar",
    "trajecttype": "varchar",
    "toeleiding_diplomagelijkschakeling": "boolean",
    "resultaat_diplomagelijkschakeling": "varchar",
    "heeft_ocmw_leefloon": "boolean",
    "verblijfsstatus": "varchar",
    "in_verrijking": "boolean",
    "gekend_bij_vdab": "boolean",
    "eerste_inschrijving": "date",
    "meest_recente_inschrijving": "date",
    "huidige_categorie_werkzoekende": "varchar",
    "huidige_categorie_werkzoekende_omschrijving": "varchar",
    "status_dienstverlening": "varchar",
    **{
        k: t
        for a in ACTIETYPEN
        for k, t in (
            (f"heeft_actie_{a}", "boolean"),
            (f"aantal_acties_{a}", "integer"),
            (f"eerste_start_actie_{a}", "date"),
        )
    },
    "uitstroom_naar_werk": "date",
    "uitstroom_naar_werk_binnen_6_maanden": "boolean",
    "uitstroom_naar_werk_binnen_12_maanden": "boolean",
}
HISTORIEK_KOLOMMEN = {
    "pseudoniem": "varchar",
    "golf": "varchar",
    "peildatum": "date",
    "gekend_bij_vdab": "boolean",
    "huidige_categorie_werkzoekende": "varchar",
    "status_dienstverlening": "varchar",
    "uitgestroomd_naar_werk": "boolean",
    "vorige_golf": "varchar",
    "vorige_gekend_bij_vdab": "boolean",
    "vorige_categorie_werkzoekende": "varchar",
    "vorige_status_dienstverlening": "varchar",
    "vorige_uitgestroomd_naar_werk": "boolean",
    "volgende_golf": "varchar",
    "volgende_status_dienstverlening": "varchar",
    "verandering_sinds_vorige_golf": "varchar",
}
KBI_LABELS = [
    "leeftijdscategorie", "geslacht", "scholingsniveau", "oudste_nationaliteit", "doelgroep", "kbi_regio",
    "plo_besluit", "plo_reden_besluit", "ingeschat_taalleervermogen", "hoogst_behaald_niveau_nt2", "trajecttype",
    "resultaat_diplomagelijkschakeling", "verblijfsstatus",
]  # fmt: skip
KBI_JA_NEE = ["toeleiding_diplomagelijkschakeling", "heeft_ocmw_leefloon"]
KBI_DATUMS = ["datum_toeleiding_vdab", "datum_doelgroep", "datum_aanmelding", "datum_inburgeringscontract"]
KBI_KOLOMMEN = {
    "insz": "varchar",
    "insz_ruw": "varchar",
    "insz_ongeldig_reden": "varchar",
    **{k: "varchar" for label in KBI_LABELS for k in (f"{label}_code", f"{label}_ruw")},
    **{k: t for label in KBI_JA_NEE for k, t in ((label, "boolean"), (f"{label}_ruw", "varchar"))},
    **dict.fromkeys(KBI_DATUMS, "date"),
    "datum_fouten": "varchar",
    "onbekende_labels": "varchar",
}
RECORDSLEUTEL_KOLOMMEN = {"pseudoniem": "varchar", "recordsleutel": "integer", "toegekend_in_golf": "varchar"}
PTABEL_GEHEIM_KOLOMMEN = {"pcv": "integer", "celsleutel": "integer", "pvalue": "integer"}
# Only what datakwaliteit_feiten reads of the enrichment's staging; empty here (the wave tests fill it).
VERRIJKING_KOLOMMEN = {
    "insz": "varchar",
    "gekend_bij_vdab": "boolean",
    "eerste_inschrijving": "date",
    "huidige_categorie_werkzoekende": "varchar",
    "status_dienstverlening": "varchar",
    "onbekende_codes": "varchar",
}
STUBS = {
    "gepseudonimiseerde_dataset": DATASET_KOLOMMEN,
    "stg_uitwisseling__verrijking": VERRIJKING_KOLOMMEN,
    "recordsleutels": RECORDSLEUTEL_KOLOMMEN,
    "ptabel_geheim": PTABEL_GEHEIM_KOLOMMEN,
    "golf_historiek": HISTORIEK_KOLOMMEN,
    "stg_kbi__personen": KBI_KOLOMMEN,
}


def _personen(rng: random.Random, n: int) -> list[dict[str, Any]]:
    personen = []
    for i in range(n):
        contract = date(2025, 3, 1) + timedelta(days=rng.randrange(450))
        ingeschreven = rng.random() < 0.8
        eerste = contract + timedelta(days=rng.choice([-30, 5, 20, 45, 59, 60, 61, 90, 200])) if ingeschreven else None
        personen.append(
            {
                "id": i,
                "geslacht": rng.choice(["man", "vrouw", "vrouw", "X", None]),
                "doelgroep": rng.choice(["verplicht"] * 4 + ["rechthebbend"]),
                "kbi_regio": rng.choice(["Stad Antwerpen", "Stad Gent", "Limburg", "Brussel"]),
                "oudste_nationaliteit": rng.choice(
                    ["Marokko"] * 50 + ["Syrië"] * 30 + ["Oekraïne"] * 10 + ["India"] * 8 + ["Eritrea"] * 2
                ),
                "heeft_ocmw_leefloon": rng.random() < 0.3,
                "datum_inburgeringscontract": contract,
                "eerste_inschrijving": eerste,
                "status": rng.choice(
                    ["in bemiddeling"] * 60 + ["in opleiding of voortraject"] * 30 + [None] * 9 + ["niet inzetbaar"]
                )
                if eerste
                else None,
                "categorie": rng.choice(["00"] * 50 + ["03"] * 30 + ["05"] * 19 + ["06"]) if eerste else None,
                "acties": {a: bool(eerste) and rng.random() < 0.5 for a in ACTIETYPEN},
                "werk_na_dagen": rng.choice([None, 100, 250, 500]) if eerste else None,
            }
        )
    return personen


def _dataset_rij(p: dict[str, Any], golf: str, peildatum: date) -> dict[str, Any] | None:
    if p["datum_inburgeringscontract"] > peildatum:
        return None
    eerste = p["eerste_inschrijving"] if p["eerste_inschrijving"] and p["eerste_inschrijving"] <= peildatum else None
    werk = eerste + timedelta(days=p["werk_na_dagen"]) if eerste and p["werk_na_dagen"] else None
    werk = werk if werk and werk <= peildatum else None

    def binnen(maanden: int) -> bool | None:
        if eerste is None:
            return None
        grens = eerste + timedelta(days=round(maanden * 30.44))
        if grens > peildatum:
            return None
        return werk is not None and werk <= grens

    rij: dict[str, Any] = dict.fromkeys(DATASET_KOLOMMEN)
    rij.update(
        pseudoniem=f"p{p['id']:05d}",
        golf=golf,
        peildatum=peildatum,
        geslacht=p["geslacht"],
        doelgroep=p["doelgroep"],
        kbi_regio=p["kbi_regio"],
        oudste_nationaliteit=p["oudste_nationaliteit"],
        heeft_ocmw_leefloon=p["heeft_ocmw_leefloon"],
        datum_inburgeringscontract=p["datum_inburgeringscontract"],
        in_verrijking=True,
        gekend_bij_vdab=eerste is not None,
        eerste_inschrijving=eerste,
        meest_recente_inschrijving=eerste,
        huidige_categorie_werkzoekende=p["categorie"] if eerste else None,
        status_dienstverlening=p["status"] if eerste else None,
        uitstroom_naar_werk=werk,
        uitstroom_naar_werk_binnen_6_maanden=binnen(6),
        uitstroom_naar_werk_binnen_12_maanden=binnen(12),
    )
    for a in ACTIETYPEN:
        rij[f"heeft_actie_{a}"] = bool(eerste) and p["acties"][a]
    return rij


def _historiek(dataset: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rijen = []
    vorige: dict[str, dict[str, Any]] = {}
    for rij in sorted(dataset, key=lambda r: (r["pseudoniem"], r["golf"])):
        v = vorige.get(rij["pseudoniem"])
        h: dict[str, Any] = dict.fromkeys(HISTORIEK_KOLOMMEN)
        h.update(
            pseudoniem=rij["pseudoniem"],
            golf=rij["golf"],
            peildatum=rij["peildatum"],
            gekend_bij_vdab=rij["gekend_bij_vdab"],
            status_dienstverlening=rij["status_dienstverlening"],
            uitgestroomd_naar_werk=rij["uitstroom_naar_werk"] is not None,
            vorige_golf=v["golf"] if v else None,
            vorige_gekend_bij_vdab=v["gekend_bij_vdab"] if v else None,
            vorige_status_dienstverlening=v["status_dienstverlening"] if v else None,
            vorige_uitgestroomd_naar_werk=(v["uitstroom_naar_werk"] is not None) if v else None,
        )
        rijen.append(h)
        vorige[rij["pseudoniem"]] = rij
    return rijen


def _kbi(personen: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    rijen = []
    for p in personen:
        rij: dict[str, Any] = dict.fromkeys(KBI_KOLOMMEN)
        insz = f"{85000000000 + p['id']:011d}"
        rij.update(insz=insz, insz_ruw=insz, geslacht_ruw=p["geslacht"], geslacht_code=p["geslacht"])
        rij["datum_inburgeringscontract"] = p["datum_inburgeringscontract"]
        rijen.append(rij)
    rijen[0].update(insz=None, insz_ruw="12345678901", insz_ongeldig_reden="controlegetal")
    rijen[1].update(datum_inburgeringscontract=None, datum_fouten="datum_inburgeringscontract,datum_aanmelding")
    rijen[2].update(geslacht_ruw="mnn", geslacht_code=None, onbekende_labels="geslacht")
    rijen.append(dict(rijen[3]))
    rng.shuffle(rijen)
    return rijen


def _ptabel_geheim(sleutel: bytes) -> list[dict[str, Any]]:
    """The secret p-table as model ptabel_geheim builds it: the seed's rows behind the keyed permutation."""
    publiek: dict[tuple[int, int], int] = {}
    with (REPO / "seeds" / "ptable.csv").open(newline="") as handle:
        for rij in csv.DictReader(handle):
            publiek[(int(rij["pcv"]), int(rij["ckey"]))] = int(rij["pvalue"])
    return [
        {"pcv": pcv, "celsleutel": celsleutel, "pvalue": publiek[(pcv, ptabel_sleutel(sleutel, pcv, celsleutel))]}
        for pcv, celsleutel in publiek
    ]


def _tabel(con: duckdb.DuckDBPyConnection, naam: str, kolommen: dict[str, str], rijen: list[dict[str, Any]]) -> None:
    con.execute(f"create or replace table {naam} ({', '.join(f'{k} {t}' for k, t in kolommen.items())})")
    if rijen:
        plaats = ", ".join("?" for _ in kolommen)
        con.executemany(f"insert into {naam} values ({plaats})", [[r[k] for k in kolommen] for r in rijen])


def _project(tmp: Path) -> Path:
    project = tmp / "pijler3"
    (project / "models" / "bovenstroom").mkdir(parents=True)
    # A copy, not a symlink: dbt does not follow symlinked folders below a model path.
    for map in MART_MAPPEN:
        # the reference tables (and the exposures that name them) read the code-list seeds; the demo builds them
        shutil.copytree(
            REPO / "models" / map,
            project / "models" / map,
            ignore=shutil.ignore_patterns("referentie", "_marts__exposures.yml"),
        )
    # the project-wide doc blocks (the overview, `onbekend`) the marts' YAML refers to
    shutil.copy(REPO / "models" / "_overzicht__docs.md", project / "models")
    (project / "macros").symlink_to(REPO / "macros")
    (project / "seeds").mkdir()
    shutil.copy(REPO / "seeds" / "ptable.csv", project / "seeds" / "ptable.csv")
    # the nationality code list: mart_evenredig_bereik publishes the full grid of it
    shutil.copy(REPO / "seeds" / "kbi_codes.csv", project / "seeds" / "kbi_codes.csv")
    # the generic tests and the p-table's own test (the other singular tests need upstream models)
    shutil.copytree(REPO / "tests" / "dbt" / "generic", project / "tests" / "generic")
    shutil.copy(REPO / "tests" / "dbt" / "ptable_eigenschappen.sql", project / "tests" / "ptable_eigenschappen.sql")
    macro_paths = ["macros"]
    if not (REPO / "macros" / "vdab_actietypen.sql").exists():
        # Until the enrichment branch (which owns this macro) is merged, the same list stands in for it here.
        (project / "stub_macros").mkdir()
        (project / "stub_macros" / "vdab_actietypen.sql").write_text(
            "{% macro vdab_actietypen() %}{{ return(" + repr(ACTIETYPEN) + ") }}{% endmacro %}\n"
        )
        macro_paths.append("stub_macros")
    echt = yaml.safe_load((REPO / "dbt_project.yml").read_text())
    config = {
        "name": "pijler3",
        "version": "1.0",
        "config-version": 2,
        "profile": "pijler3",
        "macro-paths": macro_paths,
        "test-paths": ["tests"],
        "vars": echt["vars"],
        "models": {"pijler3": {map: echt["models"]["pijler3"][map] for map in MART_MAPPEN}},
        "seeds": {"pijler3": {"ptable": echt["seeds"]["pijler3"]["ptable"]}},
    }
    (project / "dbt_project.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    for naam in STUBS:
        (project / "models" / "bovenstroom" / f"{naam}.sql").write_text(f"select * from main.invoer_{naam}\n")
    (project / "profiles.yml").write_text(
        textwrap.dedent(f"""
        pijler3:
          target: test
          outputs:
            test:
              type: duckdb
              path: '{project / "restricted.duckdb"}'
              threads: 1
              attach:
                - path: '{project / "monitoring.duckdb"}'
                  alias: monitoring
        """)
    )
    return project


def dbt(project: Path, *args: str) -> list[dict[str, Any]]:
    """Run dbt in a child process (dbt-duckdb keeps its database attached for the life of a process, which would
    lock the monitoring file against the reads below) and return its run results."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), *args, "--project-dir", str(project), "--profiles-dir", str(project),
         "--log-path", str(project / "logs"), "--target-path", str(project / "target")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert (project / "target" / "run_results.json").exists(), done.stdout[-4000:] + done.stderr[-4000:]
    resultaten: list[dict[str, Any]] = json.loads((project / "target" / "run_results.json").read_text())["results"]
    assert done.returncode == 0, done.stdout[-4000:]
    return resultaten


@pytest.fixture(scope="module")
def gebouwd(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    project = _project(tmp_path_factory.mktemp("marts"))
    rng = random.Random(42)
    personen = _personen(rng, 400)
    dataset = [r for golf, peil in GOLVEN.items() for p in personen if (r := _dataset_rij(p, golf, peil))]
    kbi = _kbi([p for p in personen if p["datum_inburgeringscontract"] <= GOLVEN["2026-S1"]], rng)
    with duckdb.connect(str(project / "restricted.duckdb")) as con:
        _tabel(con, "invoer_gepseudonimiseerde_dataset", DATASET_KOLOMMEN, dataset)
        sleutels = [
            {"pseudoniem": p, "recordsleutel": rng.randrange(256), "toegekend_in_golf": "2025-S2"}
            for p in sorted({r["pseudoniem"] for r in dataset})
        ]
        _tabel(con, "invoer_recordsleutels", RECORDSLEUTEL_KOLOMMEN, sleutels)
        _tabel(
            con,
            "invoer_ptabel_geheim",
            PTABEL_GEHEIM_KOLOMMEN,
            _ptabel_geheim(bytes(rng.randrange(256) for _ in range(32))),
        )
        _tabel(con, "invoer_golf_historiek", HISTORIEK_KOLOMMEN, _historiek(dataset))
        _tabel(con, "invoer_stg_kbi__personen", KBI_KOLOMMEN, kbi)
        _tabel(con, "invoer_stg_uitwisseling__verrijking", VERRIJKING_KOLOMMEN, [])
    resultaten = dbt(project, "build", "--vars", "{golf: '2026-S1', peildatum: '2026-06-30'}")
    fouten = [
        f"{r['unique_id']}: {r['status']} {r['message']}"
        for r in resultaten
        if r["status"] not in {"success", "pass", "no-op"}
    ]
    assert not fouten, fouten
    return {"project": project, "dataset": dataset, "kbi": kbi, "resultaten": resultaten}


def _lees(project: Path, mart: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(project / "monitoring.duckdb")) as con:
        cur = con.execute(f"select * from main.{mart}")
        namen = [d[0] for d in cur.description]
        return [dict(zip(namen, r, strict=True)) for r in cur.fetchall()]


def test_build_runs_the_unit_tests_and_data_tests_of_every_mart(gebouwd: dict[str, Any]) -> None:
    ids = [r["unique_id"] for r in gebouwd["resultaten"]]
    for mart in (p.stem for p in (REPO / "models" / "marts").rglob("mart_*.sql")):
        assert f"model.pijler3.{mart}" in ids
        # the counting logic is unit-tested on the mart's telling model, the cell key method on one mart
        telling = mart.replace("mart_", "telling_", 1)
        getest = [i for i in ids if i.startswith((f"unit_test.pijler3.{mart}.", f"unit_test.pijler3.{telling}."))]
        assert getest, f"{mart} has no unit test"
        assert any(i.startswith("test.pijler3.") and mart in i for i in ids), f"{mart} has no data test"
    assert "test.pijler3.ptable_eigenschappen" in ids
    assert "model.pijler3.ckm_informatieverlies" in ids


def test_the_measured_information_loss_holds_the_promises_of_the_method(gebouwd: dict[str, Any]) -> None:
    """Every cell with a true count of 10 or more is published; the mean deviation is about the noise's."""
    rijen = {(r["golf"], r["mart"]): r for r in _lees(gebouwd["project"], "ckm_informatieverlies")}
    for golf in GOLVEN:
        alle = rijen[(golf, "alle marts")]
        assert alle["aantal_cellen_vanaf_10"] > 100 and alle["aantal_verborgen_vanaf_10"] == 0, alle
        assert 0.5 < alle["gemiddelde_absolute_afwijking"] < 2, alle
        assert alle["grootste_verschil_kernpercentage"] is not None


def _klopt(gepubliceerd: int | None, waar: int) -> bool:
    """A published count is the true one plus the p-table's bounded noise; a withheld one had at most the threshold."""
    if gepubliceerd is None:
        return waar <= DREMPEL
    return gepubliceerd >= DREMPEL and abs(gepubliceerd - waar) <= MAX_AFWIJKING


def test_registration_within_60_days_matches_truth(gebouwd: dict[str, Any]) -> None:
    """The true counts exactly; the published ones within the noise, with the percentage from the published."""
    project = gebouwd["project"]
    waar_rijen = {(r["golf"], r["dimensie"], r["waarde"]): r for r in _lees(project, "telling_inschrijving_vdab")}
    rijen = _lees(project, "mart_inschrijving_vdab")
    assert len(rijen) == len(waar_rijen)
    for golf, peil in GOLVEN.items():
        populatie = [
            r for r in gebouwd["dataset"]
            if r["golf"] == golf and r["datum_inburgeringscontract"] + timedelta(days=60) <= peil
        ]  # fmt: skip
        for dimensie, sleutel in (("totaal", None), ("geslacht", "geslacht"), ("doelgroep", "doelgroep")):
            for rij in (r for r in rijen if r["golf"] == golf and r["dimensie"] == dimensie):
                leden = [
                    p for p in populatie
                    if sleutel is None or (p[sleutel] or "onbekend") == rij["waarde"]
                ]  # fmt: skip
                binnen = [
                    p for p in leden
                    if p["eerste_inschrijving"]
                    and p["eerste_inschrijving"] <= p["datum_inburgeringscontract"] + timedelta(days=60)
                ]  # fmt: skip
                waar = waar_rijen[(golf, dimensie, rij["waarde"])]
                assert (waar["aantal_nieuwkomers"], waar["aantal_ingeschreven_binnen_60_dagen"]) == (
                    len(leden), len(binnen)
                ), rij  # fmt: skip
                assert _klopt(rij["aantal_nieuwkomers"], len(leden)), (rij, len(leden))
                assert _klopt(rij["aantal_ingeschreven_binnen_60_dagen"], len(binnen)), (rij, len(binnen))
                if rij["aantal_ingeschreven_binnen_60_dagen"] is None or (rij["aantal_nieuwkomers"] or 0) < MINIMUM:
                    assert rij["percentage_ingeschreven_binnen_60_dagen"] is None
                else:
                    assert rij["percentage_ingeschreven_binnen_60_dagen"] == round(
                        100 * rij["aantal_ingeschreven_binnen_60_dagen"] / rij["aantal_nieuwkomers"], 1
                    )
    totaal = next(r for r in rijen if r["golf"] == "2026-S1" and r["dimensie"] == "totaal")
    assert totaal["aantal_nieuwkomers"] > 100 and totaal["aantal_ingeschreven_binnen_60_dagen"] is not None


def test_every_mart_has_a_flag_for_every_count_and_no_small_count_is_published(gebouwd: dict[str, Any]) -> None:
    drempel = DREMPEL
    for pad in (REPO / "models" / "marts").rglob("mart_*.sql"):
        rijen = _lees(gebouwd["project"], pad.stem)
        assert rijen, pad.stem
        aantallen = [k for k in rijen[0] if k.startswith("aantal_") and not k.endswith("_onderdrukt")]
        assert aantallen, pad.stem
        for kolom in aantallen:
            assert f"{kolom}_onderdrukt" in rijen[0], (pad.stem, kolom)
            for rij in rijen:
                waarde = rij[kolom]
                assert waarde is None or not 0 < waarde < drempel, (pad.stem, kolom, rij)
                if pad.stem == "mart_datakwaliteit":
                    # there NULL also means "not applicable to this source" (e.g. duplicates of linked people)
                    assert (waarde is None) >= bool(rij[f"{kolom}_onderdrukt"]), (pad.stem, kolom, rij)
                else:
                    assert (waarde is None) == bool(rij[f"{kolom}_onderdrukt"]), (pad.stem, kolom, rij)


def test_proportional_reach_shares_add_up_and_use_nationality_alone(gebouwd: dict[str, Any]) -> None:
    rijen = _lees(gebouwd["project"], "mart_evenredig_bereik")
    assert {r["dimensie"] for r in rijen} == {"totaal", "oudste_nationaliteit"}
    dataset = [r for r in gebouwd["dataset"] if r["golf"] == "2026-S1"]
    for rij in (r for r in rijen if r["golf"] == "2026-S1" and r["dimensie"] == "oudste_nationaliteit"):
        leden = [p for p in dataset if p["oudste_nationaliteit"] == rij["waarde"]]
        assert _klopt(rij["aantal_nieuwkomers"], len(leden)), (rij, len(leden))
        if rij["aantal_nieuwkomers"] is not None:
            # a share from perturbed counts: off by at most the noise of the part and of the total
            marge = 100 * MAX_AFWIJKING / len(dataset) * 2 + 0.05
            assert abs(rij["aandeel_nieuwkomers"] - 100 * len(leden) / len(dataset)) <= marge


def test_data_quality_counts_the_defects_put_into_the_kbi_rows(gebouwd: dict[str, Any]) -> None:
    rijen = {(r["bron"], r["veld"]): r for r in _lees(gebouwd["project"], "mart_datakwaliteit")}
    kbi = gebouwd["kbi"]
    insz = rijen[("kbi_personen", "insz")]
    assert insz["golf"] == "2026-S1"
    # Counts of extract rows: rounded to 5, 1 … threshold - 1 withheld (macro afgerond_aantal).
    assert insz["aantal_rijen"] == 5 * round(len(kbi) / 5) and insz["aantal_rijen"] % 5 == 0
    # One invalid INSZ and one duplicate row were planted: both below the threshold, so withheld, not published.
    assert insz["aantal_ongeldig"] is None and insz["aantal_ongeldig_onderdrukt"]
    assert insz["aantal_dubbel"] is None and insz["aantal_dubbel_onderdrukt"]
    assert rijen[("kbi_personen", "geslacht")]["aantal_ongeldig_onderdrukt"]
    leeg_geslacht = sum(1 for r in kbi if r["geslacht_ruw"] is None)
    assert leeg_geslacht >= 5 and abs(rijen[("kbi_personen", "geslacht")]["aantal_leeg"] - leeg_geslacht) <= 2


@pytest.mark.slow
def test_the_built_marts_publish_to_a_bi_file_the_old_duckdb_reads(
    gebouwd: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    oude_python: Path = request.getfixturevalue("old_python")
    project = gebouwd["project"]
    marts = marts_from_manifest(project / "target" / "manifest.json")
    assert {m.name for m in marts} == {p.stem for p in (REPO / "models" / "marts").rglob("mart_*.sql")}
    doel = publish(project / "monitoring.duckdb", project / "bi" / "monitoring.duckdb", marts)
    reader = OldReader(oude_python)
    try:
        reader.ask(op="open", path=str(doel))
        inhoud = reader.ask(op="read")
        assert sorted(inhoud) == sorted([*(m.name for m in marts), LEES_MIJ])
        for mart in marts:
            assert len(inhoud[mart.name]) == len(_lees(project, mart.name)), mart.name
    finally:
        reader.close()


@pytest.mark.parametrize(
    ("yml", "model", "kolommen"),
    [
        ("models/gepseudonimiseerd/_gepseudonimiseerd__models.yml", "gepseudonimiseerde_dataset", DATASET_KOLOMMEN),
        ("models/historiek/_historiek__models.yml", "golf_historiek", HISTORIEK_KOLOMMEN),
        ("models/gepseudonimiseerd/_gepseudonimiseerd__models.yml", "recordsleutels", RECORDSLEUTEL_KOLOMMEN),
        ("models/gepseudonimiseerd/_gepseudonimiseerd__models.yml", "ptabel_geheim", PTABEL_GEHEIM_KOLOMMEN),
    ],
)
def test_the_stand_ins_have_exactly_the_columns_of_the_real_contracts(
    yml: str, model: str, kolommen: dict[str, str]
) -> None:
    """The marts are tested against stand-ins; if the real upstream contract changes, these tests must change too."""
    specificatie = yaml.safe_load((REPO / yml).read_text())
    echt = next(m for m in specificatie["models"] if m["name"] == model)
    assert {c["name"]: c["data_type"] for c in echt["columns"]} == kolommen


def test_headline_figures_are_exactly_the_perturbed_totals_of_their_marts(gebouwd: dict[str, Any]) -> None:
    project = gebouwd["project"]
    kern = {(r["golf"], r["indicator"]): r for r in _lees(project, "mart_evolutie_kerncijfers")}
    bronnen = {
        "bereikt door VDAB": ("mart_evenredig_bereik", "aantal_bereikt", "aantal_nieuwkomers"),
        "ingeschreven binnen 60 dagen na het inburgeringscontract": (
            "mart_inschrijving_vdab", "aantal_ingeschreven_binnen_60_dagen", "aantal_nieuwkomers"
        ),
        "uitstroom naar werk binnen 6 maanden": (
            "mart_uitstroom_werk", "aantal_werk_binnen_6_maanden", "aantal_ingeschreven_6_maanden_verstreken"
        ),
        "uitstroom naar werk binnen 12 maanden": (
            "mart_uitstroom_werk", "aantal_werk_binnen_12_maanden", "aantal_ingeschreven_12_maanden_verstreken"
        ),
    }  # fmt: skip
    assert len(kern) == len(bronnen) * len(GOLVEN)
    for indicator, (mart, teller, noemer) in bronnen.items():
        for totaal in (r for r in _lees(project, mart) if r["dimensie"] == "totaal"):
            rij = kern[(totaal["golf"], indicator)]
            assert (rij["aantal_teller"], rij["aantal_teller_onderdrukt"]) == (
                totaal[teller], totaal[f"{teller}_onderdrukt"]
            ), (indicator, totaal["golf"])  # fmt: skip
            assert (rij["aantal_noemer"], rij["aantal_noemer_onderdrukt"]) == (
                totaal[noemer], totaal[f"{noemer}_onderdrukt"]
            ), (indicator, totaal["golf"])  # fmt: skip
