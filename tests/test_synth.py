"""The synthetic source systems: shape as docs/bronbestanden.md, determinism, calibration, and a truth that is true."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pijler3 import insz
from pijler3.cli import cli
from pijler3.errors import InputError
from pijler3.synth import codes, generate, vdab
from pijler3.synth.kbi import DATUMKOLOMMEN

REPO = Path(__file__).resolve().parent.parent
PEIL = codes.Kalibratie().peildatum
VDAB_BESTANDEN = (
    "personen",
    "inschrijvingen",
    "categorie_historiek",
    "dienstverlening_historiek",
    "acties",
    "werkhervattingen",
)
# the VDAB label columns and the files they are in
VDAB_LABELKOLOMMEN = {"dienstverlening_historiek": "status_dienstverlening", "acties": "actietype"}
PERIODEN = {
    "inschrijvingen": ("inschrijvingsdatum", "uitschrijvingsdatum"),
    "categorie_historiek": ("geldig_van", "geldig_tot"),
    "dienstverlening_historiek": ("geldig_van", "geldig_tot"),
    "acties": ("startdatum", "einddatum"),
}


@pytest.fixture(scope="module")
def uit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    with pytest.MonkeyPatch.context() as mp:
        # some 200 000 actions: written in several parts, as a large extract is, so line numbers must carry over
        mp.setattr(vdab, "ACTIES_PER_DEEL", 45_000)
        generate(out, 2000, 11, vdab_persons=20_000, defect_rate=0.02)
    return out


@pytest.fixture(scope="module")
def con(uit: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    verbinding = duckdb.connect()
    for naam in VDAB_BESTANDEN:
        verbinding.execute(
            f"create view {naam} as select file_row_number + 1 as regel, * exclude (file_row_number) "
            f"from read_parquet('{uit / 'vdab' / naam}.parquet', file_row_number = true)"
        )
    for naam in ("personen", "defecten"):
        verbinding.execute(f"create view w_{naam} as from '{uit / 'waarheid' / naam}.parquet'")
    yield verbinding
    verbinding.close()


def kbi_regels(pad: Path) -> list[list[str]]:
    """All lines of a KBI CSV as lists of fields; index 0 is line 1 (the header)."""
    with pad.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f, delimiter=";", quotechar='"'))


def datum(tekst: str) -> dt.date:
    return dt.datetime.strptime(tekst, "%d/%m/%Y").date()


def contract_kolommen() -> dict[str, list[tuple[str, str | None]]]:
    """Per file the columns (and type where stated) as docs/bronbestanden.md lists them."""
    tekst = (REPO / "docs" / "bronbestanden.md").read_text(encoding="utf-8")
    kbi = tekst.split("`personen.csv` — ")[1].split("`insz_vervangingen.csv`")[0]
    uit: dict[str, list[tuple[str, str | None]]] = {
        "kbi/personen.csv": [(m, None) for m in re.findall(r"^\| `(\w+)` \|", kbi, re.M)],
        "kbi/insz_vervangingen.csv": [
            (k, None)
            for k in re.search(r"`(\w+;\w+;\w+)`", tekst.split("`insz_vervangingen.csv` — ")[1])[1].split(";")  # type: ignore[index]
        ],
    }
    for bestand, kolommen in re.findall(r"^\| `(\w+\.parquet)` \| [^|]+ \| (.+) \|$", tekst, re.M):
        uit[f"vdab/{bestand}"] = [
            (naam, soort) for naam, soort in re.findall(r"`(\w+)(?: ([A-Z]+))?`", kolommen) if not naam.isdigit()
        ]
    return uit


def test_bestanden_en_kolommen_volgen_het_contract(uit: Path, con: duckdb.DuckDBPyConnection) -> None:
    contract = contract_kolommen()
    assert len(contract) == 8 and len(contract["kbi/personen.csv"]) == 20
    gevonden = {str(p.relative_to(uit)) for p in uit.rglob("*") if p.is_file()}
    assert gevonden == {*contract, "waarheid/personen.parquet", "waarheid/defecten.parquet", "waarheid/parameters.json"}
    for bestand, kolommen in contract.items():
        if bestand.endswith(".csv"):
            assert kbi_regels(uit / bestand)[0] == [k for k, _ in kolommen], bestand
            continue
        schema = con.execute(f"describe from '{uit / bestand}'").fetchall()
        assert [r[0] for r in schema] == [k for k, _ in kolommen], bestand
        for (naam, soort), rij in zip(kolommen, schema, strict=True):
            verwacht = soort or ("DATE" if "datum" in naam or "geldig" in naam else "BIGINT")
            assert rij[1] == verwacht, (bestand, naam)
    defecten = con.execute("describe w_defecten").fetchall()
    assert [(r[0], r[1]) for r in defecten] == [
        ("bestand", "VARCHAR"),
        ("regelnummer", "BIGINT"),
        ("kolom", "VARCHAR"),
        ("defect", "VARCHAR"),
    ]


def test_kbi_is_geschreven_zoals_de_kbi_exporteert(uit: Path) -> None:
    for naam in ("personen.csv", "insz_vervangingen.csv"):
        ruw = (uit / "kbi" / naam).read_bytes()
        assert ruw.startswith(b"\xef\xbb\xbf"), naam
        regels = ruw[3:].split(b"\r\n")
        assert regels[-1] == b"" and all(b"\n" not in r and b"\r" not in r for r in regels[:-1]), naam
        kop = regels[0].decode()
        assert all(len(r.decode().split(";")) == len(kop.split(";")) for r in regels[1:-1]), naam
    rijen = kbi_regels(uit / "kbi" / "personen.csv")
    datumkolommen = [rijen[0].index(k) for k in DATUMKOLOMMEN]
    assert all(re.fullmatch(r"(\d\d/\d\d/\d{4})?", rij[i]) for rij in rijen[1:] for i in datumkolommen)
    janee = rijen[0].index("heeft_ocmw_leefloon")
    toegestaan = {"", "ja", "nee", *codes.spellingen("ja"), *codes.spellingen("nee")}
    assert {rij[janee] for rij in rijen[1:]} <= toegestaan


def test_zelfde_seed_geeft_dezelfde_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vdab, "ACTIES_PER_DEEL", 5_000)

    def sha(out: Path) -> dict[str, str]:
        return {
            str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in out.rglob("*") if p.is_file()
        }

    for naam, seed in (("a", 5), ("b", 5), ("c", 6)):
        generate(tmp_path / naam, 300, seed, vdab_persons=3000)
    a, b, c = sha(tmp_path / "a"), sha(tmp_path / "b"), sha(tmp_path / "c")
    assert len(a) == 11 and a == b
    assert all(a[k] != c[k] for k in a if k != "waarheid/parameters.json")


def test_kalibratie_volgens_domein(con: duckdb.DuckDBPyConnection) -> None:
    kal = codes.Kalibratie()
    aandeel = con.execute(
        f"""select
            avg(verplicht::int),
            avg(toegeleid::int) filter (where verplicht),
            avg(ingeschreven_binnen_60_dagen::int) filter (
                where verplicht and toegeleid and datum_inburgeringscontract <= date '{PEIL}' - 60),
            avg(uitstroom_naar_werk::int) filter (where verplicht and datum_eerste_inschrijving is not null),
            avg(in_vdab::int),
            count(*) filter (where verblijfsstatus = 'EU-burger' and verplicht),
            count(*) filter (where verblijfsstatus = 'tijdelijk ontheemd' and verplicht),
            min(datum_inburgeringscontract), max(datum_inburgeringscontract)
        from w_personen"""
    ).fetchone()
    assert aandeel is not None
    verplicht, toegeleid, binnen_60, uitstroom, in_vdab, eu, ontheemd, eerste, laatste = aandeel
    # DOMAIN.md: about 78 % verplicht, 74 % of them referred to VDAB, 26 % of the registered verplichte find work
    assert verplicht == pytest.approx(0.78, abs=0.03)
    assert toegeleid == pytest.approx(0.74, abs=0.04)
    assert binnen_60 == pytest.approx(kal.aandeel_binnen_60_dagen, abs=0.04)
    assert uitstroom == pytest.approx(0.26, abs=0.04)
    assert 0.5 < in_vdab < 0.9  # most newcomers are VDAB clients, not all
    assert eu == ontheemd == 0
    assert kal.begin_contracten <= eerste and laatste < PEIL
    top = [
        r[0]
        for r in con.execute("select oudste_nationaliteit from w_personen group by 1 order by count(*) desc").fetchall()
    ]
    assert {"Marokko", "Afghanistan", "Syrië", "Oekraïne"} <= set(top[:6])


def test_data_volgen_de_waarheid(uit: Path, con: duckdb.DuckDBPyConnection) -> None:
    """What a pipeline would compute from the files equals the truth wherever no defect was recorded."""
    # the VDAB client of each newcomer carries the current INSZ (digits, or formatted as a recorded defect)
    verschil = con.execute(
        """select count(*) from w_personen w join personen p using (klant_id)
        where replace(replace(p.insz, '.', ''), '-', '') is distinct from w.insz
          and p.regel not in (select regelnummer from w_defecten where bestand = 'vdab/personen.parquet')"""
    ).fetchone()
    assert verschil == (0,)
    verschil = con.execute(
        f"""with eerste as (select klant_id, min(inschrijvingsdatum) as d from inschrijvingen group by 1),
        werk as (
            select w.persoon_id, min(h.startdatum_werk) as d
            from w_personen w join werkhervattingen h using (klant_id)
            where h.startdatum_werk >= greatest(w.datum_eerste_inschrijving, w.datum_inburgeringscontract)
            group by 1)
        select
            count(*) filter (where e.d is distinct from w.datum_eerste_inschrijving),
            count(*) filter (where werk.d is distinct from w.datum_uitstroom_werk),
            count(*) filter (where w.ingeschreven_binnen_60_dagen
                             <> coalesce(e.d <= w.datum_inburgeringscontract + 60, false)),
            count(*) filter (where w.klant_id is null and w.datum_eerste_inschrijving is not null),
            count(*) filter (where w.datum_eerste_inschrijving > date '{PEIL}')
        from w_personen w left join eerste e using (klant_id) left join werk using (persoon_id)"""
    ).fetchone()
    assert verschil == (0, 0, 0, 0, 0)

    rijen = kbi_regels(uit / "kbi" / "personen.csv")
    kop = rijen[0]
    defect_cellen = {
        (r, k)
        for r, k in con.execute(
            "select regelnummer, kolom from w_defecten where bestand = 'kbi/personen.csv' and kolom is not null"
        ).fetchall()
    }
    waarheid = con.execute(f"select kbi_regelnummer, insz_in_kbi, {', '.join(kop[1:])} from w_personen").fetchall()
    gecontroleerd = 0
    for regel, insz_in_kbi, *attributen in waarheid:
        rij = rijen[regel - 1]
        verwacht = [insz_in_kbi] + [
            "" if v is None else v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else v for v in attributen
        ]
        for kolom, veld, waarde in zip(kop, rij, verwacht, strict=True):
            if (regel, kolom) not in defect_cellen:
                assert veld == waarde, (regel, kolom)
                gecontroleerd += 1
    assert gecontroleerd > 0.95 * 20 * len(waarheid)


def test_elk_defect_staat_echt_in_het_bestand(uit: Path, con: duckdb.DuckDBPyConnection) -> None:
    defecten = con.execute("select bestand, regelnummer, kolom, defect from w_defecten").fetchall()
    soorten = {d[3] for d in defecten}
    assert soorten == {
        "leeg",
        "insz_opgemaakt",
        "insz_checksum",
        "dubbele_rij",
        "spelling",
        "datum_onmogelijk",
        "datum_volgorde",
        "insz_verouderd",
    }
    rijen = kbi_regels(uit / "kbi" / "personen.csv")
    kop = rijen[0]
    oud = {r[0] for r in kbi_regels(uit / "kbi" / "insz_vervangingen.csv")[1:]}
    for bestand, regel, kolom, defect in defecten:
        if bestand != "kbi/personen.csv":
            continue
        rij = rijen[regel - 1]
        if defect == "dubbele_rij":
            assert rij in rijen[1 : regel - 1], regel
            continue
        veld = rij[kop.index(kolom)]
        if defect == "leeg":
            assert veld == ""
        elif defect == "insz_opgemaakt":
            assert re.fullmatch(r"\d\d\.\d\d\.\d\d-\d{3}\.\d\d", veld) and insz.is_valid(veld, today=PEIL)
        elif defect == "insz_checksum":
            assert re.fullmatch(r"\d{11}", veld) and not insz.is_valid(veld, today=PEIL)
        elif defect == "insz_verouderd":
            assert insz.normalise(veld, today=PEIL) in oud
        elif defect == "spelling":
            varianten = {v for vs in codes.LABEL_SPELLINGEN[kolom].values() for v in vs}
            assert veld in varianten and veld not in codes.LABEL_SPELLINGEN[kolom], (regel, kolom, veld)
        elif defect == "datum_onmogelijk":
            assert re.fullmatch(r"\d\d/\d\d/\d{4}", veld)
            with pytest.raises(ValueError):
                datum(veld)
        elif defect == "datum_volgorde":
            assert datum(veld) > datum(rij[kop.index("datum_inburgeringscontract")])
        else:
            pytest.fail(f"unexpected defect {defect} in {bestand}")

    for bestand, kolom, defect, controle in (
        ("personen", "insz", "leeg", "insz is null"),
        ("personen", "insz", "insz_opgemaakt", "insz similar to '\\d\\d\\.\\d\\d\\.\\d\\d-\\d{3}\\.\\d\\d'"),
        ("personen", "insz", "insz_checksum", "insz similar to '\\d{11}'"),
        ("categorie_historiek", "categorie_code", "leeg", "categorie_code is null"),
        ("dienstverlening_historiek", "status_dienstverlening", "leeg", "status_dienstverlening is null"),
        ("acties", "actiecode", "leeg", "actiecode is null"),
        *((b, e, "datum_volgorde", f"{e} < {s}") for b, (s, e) in PERIODEN.items()),
        *((b, k, "spelling", f"{k} not in {tuple(codes.VDAB_LABELS[k])}") for b, k in VDAB_LABELKOLOMMEN.items()),
    ):
        fout = con.execute(
            f"""select count(*), count(*) filter (where not ({controle})) from w_defecten d join {bestand} t
            on d.regelnummer = t.regel
            where d.bestand = 'vdab/{bestand}.parquet' and d.kolom = '{kolom}' and d.defect = '{defect}'"""
        ).fetchone()
        assert fout is not None and fout[0] > 0 and fout[1] == 0, (bestand, kolom, defect, fout)
    for regel, waarde in con.execute(
        """select t.regel, t.insz from w_defecten d join personen t on d.regelnummer = t.regel
        where d.bestand = 'vdab/personen.parquet' and d.defect = 'insz_checksum'"""
    ).fetchall():
        assert not insz.is_valid(waarde, today=PEIL), regel
    dubbel = con.execute(
        """with t as (select regel, lag(columns(* exclude (regel))) over (order by regel), * exclude (regel)
        from acties)
        select count(*) from w_defecten d join acties a on d.regelnummer = a.regel
        where d.bestand = 'vdab/acties.parquet' and d.defect = 'dubbele_rij'
          and not exists (select 1 from acties b where b.regel = a.regel - 1 and b.actie_id = a.actie_id
                          and b.klant_id = a.klant_id and b.startdatum = a.startdatum)"""
    ).fetchone()
    assert dubbel == (0,)


def test_rijen_zonder_defect_zijn_schoon(uit: Path, con: duckdb.DuckDBPyConnection) -> None:
    schoon = "regel not in (select regelnummer from w_defecten where bestand = 'vdab/{b}.parquet')"
    for bestand, (start, eind) in PERIODEN.items():
        fout = con.execute(
            f"select count(*) from {bestand} where {schoon.format(b=bestand)} and ({eind} < {start} "
            f"or {start} is null or {start} > date '{PEIL}' or {eind} > date '{PEIL}')"
        ).fetchone()
        assert fout == (0,), bestand
    for bestand, kolom in VDAB_LABELKOLOMMEN.items():
        waarden = {
            r[0]
            for r in con.execute(f"select distinct {kolom} from {bestand} where {schoon.format(b=bestand)}").fetchall()
        }
        assert waarden == set(codes.VDAB_LABELS[kolom]), bestand
    # consecutive history periods of one registration touch: the next starts the day after the previous ends
    gaten = con.execute(
        """with h as (select *, lead(geldig_van) over (order by regel) as volgende_van,
                             lead(klant_id) over (order by regel) as volgende_klant from categorie_historiek)
        select count(*) from h where volgende_klant = klant_id and geldig_tot >= volgende_van"""
    ).fetchone()
    assert gaten == (0,)
    vdab_insz = [r[0] for r in con.execute(f"select insz from personen where {schoon.format(b='personen')}").fetchall()]
    assert all(re.fullmatch(r"\d{11}", i) and insz.is_valid(i, today=PEIL) for i in vdab_insz)
    assert len(set(vdab_insz)) == len(vdab_insz)

    rijen = kbi_regels(uit / "kbi" / "personen.csv")
    kop = rijen[0]
    defect_regels = {
        r[0] for r in con.execute("select regelnummer from w_defecten where bestand = 'kbi/personen.csv'").fetchall()
    }
    index = {k: kop.index(k) for k in (*DATUMKOLOMMEN, "insz")}
    for regel, rij in enumerate(rijen[1:], start=2):
        if regel in defect_regels:
            continue
        d = {k: datum(rij[index[k]]) if rij[index[k]] else None for k in DATUMKOLOMMEN}
        assert d["datum_doelgroep"] <= d["datum_aanmelding"] <= d["datum_inburgeringscontract"], regel
        assert d["datum_toeleiding_vdab"] is None or d["datum_toeleiding_vdab"] >= d["datum_inburgeringscontract"]
        assert re.fullmatch(r"\d{11}", rij[index["insz"]]) and insz.is_valid(rij[index["insz"]], today=PEIL)
        for kolom, labels in codes.KBI_LABELS.items():
            assert rij[kop.index(kolom)] in ("", *labels), (regel, kolom)


def test_insz_geldig_en_uniek(con: duckdb.DuckDBPyConnection, uit: Path) -> None:
    rijen = con.execute("select insz, insz_oud, klant_id from w_personen").fetchall()
    huidig = [r[0] for r in rijen]
    oud = [r[1] for r in rijen if r[1] is not None]
    assert all(insz.is_valid(i, today=PEIL) for i in huidig + oud)
    assert all(insz.soort(i, today=PEIL) == "bisnummer" for i in oud)
    assert any(insz.soort(i, today=PEIL) == "bisnummer" for i in huidig)
    assert any((insz.geboortedatum(i, today=PEIL).jaar or 0) >= 2000 for i in huidig)  # the 2000 rule is exercised
    assert len(set(huidig + oud)) == len(huidig) + len(oud)
    vervangingen = kbi_regels(uit / "kbi" / "insz_vervangingen.csv")[1:]
    assert sorted((o, n) for o, n, _ in vervangingen) == sorted((r[1], r[0]) for r in rijen if r[1] is not None)
    # old bis numbers are not VDAB numbers, and a newcomer's number is only at their own client
    overige = con.execute(
        """select count(*) from personen p left join w_personen w using (klant_id)
        where p.insz in (select insz_oud from w_personen where insz_oud is not null)
           or (w.persoon_id is null and p.insz in (select insz from w_personen))"""
    ).fetchone()
    assert overige == (0,)


def test_spellingen_zijn_eenduidig() -> None:
    for kolom, labels in codes.LABEL_SPELLINGEN.items():
        naar_label: dict[str, str] = {}
        for label, varianten in labels.items():
            assert varianten, (kolom, label)
            for spelling in (label, *varianten):
                assert naar_label.setdefault(spelling, label) == label, (kolom, spelling)


def test_foute_invoer(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="at least 1"):
        generate(tmp_path / "a", 0, 1)
    with pytest.raises(InputError, match="vdab-persons 10"):
        generate(tmp_path / "a", 500, 1, vdab_persons=10)
    with pytest.raises(InputError, match="unknown defect kind 'vlekken'"):
        generate(tmp_path / "a", 10, 1, defect_rates_per_soort={"vlekken": 0.1})
    with pytest.raises(InputError, match="add up to"):
        generate(tmp_path / "a", 10, 1, defect_rates_per_soort={"leeg": 0.6, "spelling": 0.6})
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").iterdir())

    generate(tmp_path / "b", 50, 1, vdab_persons=500)
    voor = (tmp_path / "b" / "kbi" / "personen.csv").read_bytes()
    with pytest.raises(InputError, match="already exist"):
        generate(tmp_path / "b", 50, 2, vdab_persons=500)
    assert (tmp_path / "b" / "kbi" / "personen.csv").read_bytes() == voor
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["kbi", "vdab", "waarheid"]
    generate(tmp_path / "b", 50, 2, vdab_persons=500, overwrite=True)
    assert (tmp_path / "b" / "kbi" / "personen.csv").read_bytes() != voor


def test_defect_rate_nul_geeft_schone_bestanden(tmp_path: Path) -> None:
    samenvatting = generate(tmp_path, 200, 3, vdab_persons=2000, defect_rate=0.0)
    assert set(samenvatting.defecten) <= {"insz_verouderd"}


def test_cli(tmp_path: Path) -> None:
    resultaat = CliRunner().invoke(
        cli,
        ["synth", "--out", str(tmp_path / "o"), "--persons", "100", "--seed", "4", "--vdab-persons", "1000",
         "--defect", "spelling=0.2"],
    )  # fmt: skip
    assert resultaat.exit_code == 0, resultaat.output
    assert re.search(r"generated 100 newcomers and 1,000 VDAB clients in \d+\.\d s", resultaat.output)
    fout = subprocess.run(
        [
            str(Path(sys.executable).parent / "pijler3"),
            "synth",
            "--out",
            str(tmp_path / "o"),
            "--persons",
            "100",
            "--seed",
            "4",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert fout.returncode == InputError.exit_code
    assert fout.stderr.startswith("pijler3: error:") and "--overwrite" in fout.stderr and "Traceback" not in fout.stderr
